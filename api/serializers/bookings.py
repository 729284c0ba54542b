"""Facility bookings."""

from django.db.models import F, QuerySet
from rest_framework import serializers

from scheduling.models import Booking
from scheduling.visibility import Audience, sees_programme_item, sees_staff_details

from ..fields import MAX_ID, AwareDateTimeField, WholeNumberField
from .common import StrictInputMixin
from .output import Output, RestrictedCharField, RestrictedIntegerField

ITEM_VISIBILITY = "programme_item_visibility"
ITEM_HOST = "programme_item_host_id"


def with_item_visibility(bookings: QuerySet) -> QuerySet:
    """Bookings with their programme item's visibility and host (a join, not a query per
    booking), which BookingSerializer needs to tell who may see the item's id."""
    return bookings.annotate(
        **{
            ITEM_VISIBILITY: F("programme_item__visibility"),
            ITEM_HOST: F("programme_item__host_organisation_id"),
        }
    )


def booked_item_shown_to(audience: Audience, booking: Booking) -> bool:
    """A booking names its programme item to those who may see that item."""
    if booking.programme_item_id is None:
        return True
    visibility = getattr(booking, ITEM_VISIBILITY, None)
    host = getattr(booking, ITEM_HOST, None)
    if visibility is None:  # not annotated: one query
        item = booking.programme_item
        visibility, host = item.visibility, item.host_organisation_id
    return sees_programme_item(audience, booking.event, visibility, item_host_id=host)


class BookingSerializer(Output, serializers.ModelSerializer):
    programme_item = RestrictedIntegerField(
        source="programme_item_id",
        shown_to=booked_item_shown_to,
        help_text="The programme item it serves, when this key may see that item.",
    )
    capacity_override_reason = RestrictedCharField(
        shown_to=sees_staff_details, help_text="Staff keys only."
    )

    class Meta:
        model = Booking
        fields = [
            "id",
            "event",
            "facility",
            "programme_item",
            "status",
            "start",
            "end",
            "setup_minutes",
            "teardown_minutes",
            "occupied_start",
            "occupied_end",
            "hold_expires_at",
            "backup_of",
            "backup_deadline",
            "capacity_override_reason",
            "released_at",
            "updated_at",
        ]
        read_only_fields = fields

    @classmethod
    def zone_of(cls, booking: Booking, context: dict):
        return booking.event.zone


class BookingInputSerializer(StrictInputMixin, serializers.Serializer):
    event = WholeNumberField(min_value=1, max_value=MAX_ID)
    facility = WholeNumberField(min_value=1, max_value=MAX_ID)
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    status = serializers.ChoiceField(
        choices=[Booking.Status.HELD, Booking.Status.CONFIRMED], default=Booking.Status.HELD
    )
    setup_minutes = WholeNumberField(
        min_value=0, max_value=24 * 60, required=False, help_text="Default: the facility's."
    )
    teardown_minutes = WholeNumberField(
        min_value=0, max_value=24 * 60, required=False, help_text="Default: the facility's."
    )
    programme_item = WholeNumberField(min_value=1, max_value=MAX_ID, required=False)
    hold_expires_at = AwareDateTimeField(required=False)
    backup_of = WholeNumberField(min_value=1, max_value=MAX_ID, required=False)
    backup_deadline = AwareDateTimeField(required=False)
    capacity_override_reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True
    )


class BookingHoldInputSerializer(BookingInputSerializer):
    status = None  # a hold is held


class BookingConfirmInputSerializer(StrictInputMixin, serializers.Serializer):
    final = serializers.BooleanField(
        default=False, help_text="The go/no-go call: release this booking's backups (or primary)."
    )
