"""Warnings about an event's bookings: a closure laid over one, a facility too small, a hold a
confirmed event still relies on."""

from collections import defaultdict
from collections.abc import Iterator

from django.utils.translation import gettext as _

from scheduling.models import Booking, Closure, Event

from .base import (
    CLOSED_OVER_BOOKING,
    OVER_CAPACITY,
    UNCONFIRMED_BOOKING,
    EventWarning,
    _moment,
    _overlap,
    _span_on,
    _when,
    _zone,
)


def _closure_warnings(
    events: dict[int, Event], bookings: list, closures: list
) -> Iterator[EventWarning]:
    for booking in bookings:
        facility = booking.facility
        for closure in closures:
            applies = (
                closure.facility_id == facility.pk
                if closure.facility_id
                else closure.site_id == facility.site_id
            )
            if not applies or not _overlap(
                closure.start, closure.end, booking.occupied_start, booking.occupied_end
            ):
                continue
            yield EventWarning(
                code=CLOSED_OVER_BOOKING,
                message=_closure_message(events[booking.event_id], booking, closure),
                event_id=booking.event_id,
                booking_id=booking.pk,
                facility_id=facility.pk,
                closure_id=closure.pk,
            )


def _closure_message(event: Event, booking: Booking, closure: Closure) -> str:
    day = closure.start.astimezone(_zone(event)).date()
    words = {
        "facility": booking.facility.name,
        "site": closure.site.name if closure.site_id else "",
        "closed": _when(closure.start, closure.end, event),
        "why": _closure_reason(closure),
        "booked": _span_on(booking.start, booking.end, event, day),
        "occupied": _span_on(booking.occupied_start, booking.occupied_end, event, day),
    }
    over_booking = _overlap(closure.start, closure.end, booking.start, booking.end)
    if closure.facility_id and over_booking:
        text = _(
            "%(facility)s is closed %(closed)s (%(why)s) over this event's booking %(booked)s."
        )
    elif closure.facility_id:
        text = _(
            "%(facility)s is closed %(closed)s (%(why)s) over the set-up or teardown of this "
            "event's booking %(booked)s (occupied %(occupied)s)."
        )
    elif over_booking:
        text = _(
            "%(site)s (the whole site) is closed %(closed)s (%(why)s) over this event's booking "
            "of %(facility)s %(booked)s."
        )
    else:
        text = _(
            "%(site)s (the whole site) is closed %(closed)s (%(why)s) over the set-up or "
            "teardown of this event's booking of %(facility)s %(booked)s (occupied %(occupied)s)."
        )
    return text % words


def _closure_reason(closure: Closure) -> str:
    """'Maintenance: repainting', or only the note when the reason is 'Other'."""
    label = str(closure.get_reason_display())
    if not closure.note:
        return label
    return closure.note if closure.reason == Closure.Reason.OTHER else f"{label}: {closure.note}"


def _capacity_warnings(
    events: dict[int, Event], bookings: list, attendances: list
) -> Iterator[EventWarning]:
    # Same rule as the booking engine: everyone not declined, with their guests.
    headcount: dict[int, int] = defaultdict(int)
    for attendance in attendances:
        if attendance.event_id in events:
            headcount[attendance.event_id] += attendance.headcount
    for booking in bookings:
        expected, capacity = headcount[booking.event_id], booking.facility.capacity
        if expected <= capacity:
            continue
        reason = booking.capacity_override_reason
        yield EventWarning(
            code=OVER_CAPACITY,
            message=(
                f"{expected} people are expected but {booking.facility.name} holds {capacity}"
                + (f" (override: {reason})." if reason else ".")
            ),
            event_id=booking.event_id,
            booking_id=booking.pk,
            facility_id=booking.facility_id,
            headcount=expected,
            capacity=capacity,
        )


def _unconfirmed_bookings(events: dict[int, Event], bookings: list) -> Iterator[EventWarning]:
    for booking in bookings:
        event = events[booking.event_id]
        if event.status != Event.Status.CONFIRMED or booking.status != Booking.Status.HELD:
            continue
        expiry = (
            f"; the hold expires {_moment(booking.hold_expires_at, event)}"
            if booking.hold_expires_at
            else ""
        )
        yield EventWarning(
            code=UNCONFIRMED_BOOKING,
            message=(
                f"{booking.facility.name} ({_when(booking.start, booking.end, event)}) is only "
                f"held, not confirmed{expiry}."
            ),
            event_id=booking.event_id,
            booking_id=booking.pk,
            facility_id=booking.facility_id,
        )


# --- Helpers ------------------------------------------------------------------------------------
