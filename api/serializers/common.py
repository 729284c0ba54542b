"""What the input serializers share: they refuse what they do not know."""

from django.utils.translation import gettext as _
from rest_framework import serializers


class StrictInputMixin:
    """Refuse fields the serializer does not know, instead of silently ignoring them."""

    refused_hints: dict[str, str] = {}

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            unknown = set(self.initial_data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [self.refused_hints.get(name, _("Unknown field."))]
                        for name in sorted(unknown)
                    }
                )
        return super().validate(attrs)


class ReasonInputSerializer(StrictInputMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
