"""Sites, facilities and their availability. Availability is rendered from
scheduling.availability's results as they are, its times in the zone of the site, which the
view puts in the context (``{"zone": ...}``)."""

import datetime as dt

from django.utils.translation import gettext as _
from rest_framework import serializers

from scheduling.models import Facility, Site

from ..fields import AwareDateTimeField, WallClockTimeField
from .output import Output


class SiteSerializer(Output, serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "name_zh", "slug", "address", "timezone", "internal_travel_minutes"]
        read_only_fields = fields


class FacilitySerializer(Output, serializers.ModelSerializer):
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


class IntervalSerializer(Output, serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class OccupantSerializer(Output, serializers.Serializer):
    kind = serializers.ChoiceField(choices=["booking", "closure", "hours", "unbookable"])
    what = serializers.CharField(
        help_text="The event title when this key may see it, else “Booked”."
    )
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    event_id = serializers.IntegerField(allow_null=True)
    booking_id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField(help_text="A booking's status (held or confirmed), else empty.")


class BusySerializer(Output, serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    occupants = OccupantSerializer(many=True)


class FacilityAvailabilitySerializer(Output, serializers.Serializer):
    facility_id = serializers.IntegerField()
    name = serializers.CharField()
    capacity = serializers.IntegerField()
    is_bookable = serializers.BooleanField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    busy = BusySerializer(many=True)
    free = IntervalSerializer(many=True)


class SiteAvailabilitySerializer(Output, serializers.Serializer):
    site_id = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    closures = BusySerializer(many=True)
    facilities = FacilityAvailabilitySerializer(many=True)


class AvailabilityQuerySerializer(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end must be after the start.")]})
        if attrs["end"] - attrs["start"] > dt.timedelta(days=92):
            raise serializers.ValidationError({"end": [_("Ask for 92 days at most at a time.")]})
        return attrs
