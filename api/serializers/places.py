"""Sites, facilities and their availability. Times are in the site's zone."""

import datetime as dt

from rest_framework import serializers

from scheduling.models import Facility, Site

from ..fields import (
    AwareDateTimeField,
    WallClockTimeField,
    rfc3339,
)


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "name_zh", "slug", "address", "timezone", "internal_travel_minutes"]
        read_only_fields = fields


class FacilitySerializer(serializers.ModelSerializer):
    bookable_from = WallClockTimeField(read_only=True, allow_null=True)
    bookable_until = WallClockTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Facility
        fields = [
            "id",
            "site",
            "name",
            "name_zh",
            "kind",
            "capacity",
            "setup_minutes",
            "teardown_minutes",
            "is_bookable",
            "bookable_from",
            "bookable_until",
            "description",
        ]
        read_only_fields = fields


class SiteTimeField(serializers.DateTimeField):
    """A time written in the zone the serializer's context names (the site's)."""

    def to_representation(self, value):
        zone = self.context.get("zone")
        return rfc3339(value, zone) if zone else super().to_representation(value)


class IntervalSerializer(serializers.Serializer):
    start = SiteTimeField()
    end = SiteTimeField()


class OccupantSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["booking", "closure", "hours", "unbookable"])
    what = serializers.CharField(
        help_text="The event title when this key may see it, else “Booked”."
    )
    start = SiteTimeField()
    end = SiteTimeField()
    event_id = serializers.IntegerField(allow_null=True)
    booking_id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField(help_text="A booking's status (held or confirmed), else empty.")


class BusySerializer(serializers.Serializer):
    start = SiteTimeField()
    end = SiteTimeField()
    occupants = OccupantSerializer(many=True)


class FacilityAvailabilitySerializer(serializers.Serializer):
    facility_id = serializers.IntegerField()
    name = serializers.CharField()
    capacity = serializers.IntegerField()
    is_bookable = serializers.BooleanField()
    start = SiteTimeField()
    end = SiteTimeField()
    busy = BusySerializer(many=True)
    free = IntervalSerializer(many=True)


class SiteAvailabilitySerializer(serializers.Serializer):
    site_id = serializers.IntegerField()
    start = SiteTimeField()
    end = SiteTimeField()
    closures = BusySerializer(many=True)
    facilities = FacilityAvailabilitySerializer(many=True)


class AvailabilityQuerySerializer(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        if attrs["end"] - attrs["start"] > dt.timedelta(days=92):
            raise serializers.ValidationError({"end": ["Ask for 92 days at most at a time."]})
        return attrs
