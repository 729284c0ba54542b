"""The envelope of every list answer."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers


class TombstoneSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.ChoiceField(
        choices=["deleted", "cancelled", "removed"],
        help_text="removed: no longer visible to this key, or no longer matching the filters.",
    )


def envelope_serializer(item: type[serializers.Serializer], name: str):
    """The list envelope around `item` (a distinct component per item type)."""
    envelope = type(
        name,
        (serializers.Serializer,),
        {
            "results": item(many=True),
            "deleted": TombstoneSerializer(
                many=True, help_text="Sync answers only: objects to drop from your copy."
            ),
            "next": serializers.URLField(
                allow_null=True, help_text="The next page (or the rest of a sync); null at the end."
            ),
            "sync_token": serializers.CharField(
                help_text="Send as ?sync_token= later to get only what changed since this list."
            ),
            "__doc__": f"A page of {item.Meta.model._meta.verbose_name_plural}.",
        },
    )
    # The envelope is the whole answer of a list action, not an item of an array.
    return extend_schema_serializer(many=False)(envelope)
