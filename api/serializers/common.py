"""What input and output serializers share: strict input, the audience, prefetched rows."""

from rest_framework import serializers

from scheduling.visibility import Audience


class StrictInputMixin:
    """Refuse fields the serializer does not know, instead of silently ignoring them."""

    refused_hints: dict[str, str] = {}

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            unknown = set(self.initial_data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [self.refused_hints.get(name, "Unknown field.")]
                        for name in sorted(unknown)
                    }
                )
        return super().validate(attrs)


def _audience(serializer) -> Audience:
    return serializer.context["audience"]


PREFETCHED = "prefetched_"

# The JSON of events, their programme and bookings, written out by hand: an event page renders
# hundreds of these, and DRF's field machinery costs far more than the data. The serializers
# below still declare every field, for the schema; the Schemathesis test checks that the two
# agree.


def _related(obj, name: str) -> list:
    """Rows prefetched into a plain list (``Prefetch(name, to_attr=PREFETCHED + name)``) skip
    a related manager per object; anything else is fetched the ordinary way."""
    prefetched = getattr(obj, PREFETCHED + name, None)
    return prefetched if prefetched is not None else list(getattr(obj, name).all())


class ReasonInputSerializer(StrictInputMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
