"""Facility bookings."""

from typing import Any

from rest_framework import serializers

from scheduling.models import Booking, Event, ProgrammeItem
from scheduling.visibility import Audience, sees_internal_programme

from ..fields import (
    MAX_ID,
    AwareDateTimeField,
    WholeNumberField,
    rfc3339,
)
from .common import StrictInputMixin, _audience


def booking_json(
    booking: Booking,
    *,
    event: Event,
    audience: Audience,
    visible_item_ids: set[int] | None = None,
) -> dict[str, Any]:
    """A booking; its programme item is named only to those who may see that item.
    visible_item_ids (the event's items this audience sees) saves fetching each booking's item."""
    zone = event.zone
    item_id = booking.programme_item_id
    if item_id is not None:
        if visible_item_ids is not None:
            visible = item_id in visible_item_ids
        else:
            visible = booking.programme_item.visibility == ProgrammeItem.Visibility.PUBLIC or (
                sees_internal_programme(audience, event)
            )
        item_id = item_id if visible else None
    return {
        "id": booking.pk,
        "event": booking.event_id,
        "facility": booking.facility_id,
        "programme_item": item_id,
        "status": booking.status,
        "start": rfc3339(booking.start, zone),
        "end": rfc3339(booking.end, zone),
        "setup_minutes": booking.setup_minutes,
        "teardown_minutes": booking.teardown_minutes,
        "occupied_start": rfc3339(booking.occupied_start, zone),
        "occupied_end": rfc3339(booking.occupied_end, zone),
        "hold_expires_at": rfc3339(booking.hold_expires_at, zone),
        "backup_of": booking.backup_of_id,
        "backup_deadline": rfc3339(booking.backup_deadline, zone),
        "capacity_override_reason": booking.capacity_override_reason if audience.is_staff else None,
        "released_at": rfc3339(booking.released_at, zone),
        "updated_at": rfc3339(booking.updated_at, zone),
    }


class BookingSerializer(serializers.ModelSerializer):
    programme_item = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The programme item it serves, when this key may see that item.",
    )
    capacity_override_reason = serializers.CharField(
        read_only=True, allow_null=True, help_text="Staff keys only."
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

    def to_representation(self, booking: Booking) -> dict[str, Any]:
        return booking_json(booking, event=booking.event, audience=_audience(self))


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
