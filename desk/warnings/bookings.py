"""Warnings about an event's bookings: a closure laid over one, a facility too small, a hold a
confirmed event still relies on."""

from collections.abc import Iterator

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from scheduling.models import Booking, Closure, Event
from visitors.models import Attendance

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


def bookings_with_warnings(ids) -> list[Booking]:
    """The events' active bookings that have something to say, each marked with what: `closed`
    (a closure of its facility or site lies over its occupied time), `over_capacity` (more
    people expected than its facility holds; `headcount` says how many) and `unconfirmed` (a
    confirmed event relies on it while it is only held). The database picks them, so a week's
    thousands of quiet bookings are never loaded (one query)."""
    headcount = Subquery(
        Attendance.objects.filter(event_id=OuterRef("event_id")).headcounts().values("headcount")
    )
    closed = Exists(
        Closure.objects.filter(
            Q(facility_id=OuterRef("facility_id")) | Q(site_id=OuterRef("facility__site_id")),
            start__lt=OuterRef("occupied_end"),
            end__gt=OuterRef("occupied_start"),
        )
    )
    return list(
        Booking.objects.active()
        .filter(event_id__in=ids)
        .exclude(event__status=Event.Status.CANCELLED)
        .annotate(
            headcount=Coalesce(headcount, 0),
            closed=closed,
            over_capacity=ExpressionWrapper(
                Q(headcount__gt=F("facility__capacity")), output_field=BooleanField()
            ),
            unconfirmed=ExpressionWrapper(
                Q(status=Booking.Status.HELD, event__status=Event.Status.CONFIRMED),
                output_field=BooleanField(),
            ),
        )
        .filter(Q(closed=True) | Q(over_capacity=True) | Q(unconfirmed=True))
        .select_related("facility__site")
        .order_by()
    )


def _closure_warnings(
    events: dict[int, Event], bookings: list, closures: list
) -> Iterator[EventWarning]:
    for booking in bookings:
        facility = booking.facility
        for closure in closures if booking.closed else ():
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
    if closure.reason == Closure.Reason.OTHER:
        return closure.note
    return _("%(reason)s: %(note)s") % {"reason": label, "note": closure.note}


def _capacity_warnings(events: dict[int, Event], bookings: list) -> Iterator[EventWarning]:
    for booking in bookings:
        if not booking.over_capacity:
            continue
        expected, capacity = booking.headcount, booking.facility.capacity
        reason = booking.capacity_override_reason
        yield EventWarning(
            code=OVER_CAPACITY,
            message=(
                _(
                    "%(expected)s people are expected but %(facility)s holds %(capacity)s "
                    "(override: %(reason)s)."
                )
                if reason
                else _("%(expected)s people are expected but %(facility)s holds %(capacity)s.")
            )
            % {
                "expected": expected,
                "facility": booking.facility.name,
                "capacity": capacity,
                "reason": reason,
            },
            event_id=booking.event_id,
            booking_id=booking.pk,
            facility_id=booking.facility_id,
            headcount=expected,
            capacity=capacity,
        )


def _unconfirmed_bookings(events: dict[int, Event], bookings: list) -> Iterator[EventWarning]:
    for booking in bookings:
        if not booking.unconfirmed:
            continue
        event = events[booking.event_id]
        words = {
            "facility": booking.facility.name,
            "when": _when(booking.start, booking.end, event),
        }
        if booking.hold_expires_at:
            message = _(
                "%(facility)s (%(when)s) is only held, not confirmed; the hold expires %(expiry)s."
            ) % {**words, "expiry": _moment(booking.hold_expires_at, event)}
        else:
            message = _("%(facility)s (%(when)s) is only held, not confirmed.") % words
        yield EventWarning(
            code=UNCONFIRMED_BOOKING,
            message=message,
            event_id=booking.event_id,
            booking_id=booking.pk,
            facility_id=booking.facility_id,
        )


# --- Helpers ------------------------------------------------------------------------------------
