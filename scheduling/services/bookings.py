"""Facility bookings. The clash rules, holds and suggestions arrive with the booking engine."""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser

from ..models import Event
from .audit import stamp


def bookings_shift_for_event(
    *, event: Event, delta: dt.timedelta, by: AbstractBaseUser | None = None, reason: str = ""
) -> None:
    """Move every active booking of an event by delta (inside the caller's transaction)."""
    for booking in event.bookings.active().select_for_update():
        booking.start += delta
        booking.end += delta
        stamp(booking, by=by, reason=reason or "Event rescheduled")
        booking.save(update_fields=["start", "end", "updated_at"])
