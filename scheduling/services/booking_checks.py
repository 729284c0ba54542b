"""The rules every booking write passes: sane times, a bookable facility, a backup that backs up
a booking of the same event, buffers in range, capacity (or a reason to exceed it), and the
save itself against the no-overlap guarantee (scheduling.services.bookings explains both halves).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.audit import reason_with

from ..clashes import BookingClash, ClashCheck, find_clash
from ..models import MAX_BUFFER_MINUTES, Booking, Event, Facility
from ..timezones import DAY_MONTH_TIME, require_aware, written

OVERLAP_CONSTRAINT = "booking_no_overlap"
EXCLUSION_VIOLATION = "23P01"  # PostgreSQL SQLSTATE exclusion_violation
DEADLOCK = "40P01"  # PostgreSQL SQLSTATE deadlock_detected

# Fields a booking's full_clean() need not check: the services load and check related rows.
RELATED_FIELDS = ["facility", "event", "programme_item", "backup_of", "created_by"]


def invalid(field: str, message: str, code: str) -> ValidationError:
    """A ValidationError naming the field, with a code a form or the API can test."""
    return ValidationError({field: ValidationError(message, code=code)})


def check_times(start: dt.datetime, end: dt.datetime) -> None:
    require_aware("start", start)
    require_aware("end", end)
    if start is None or end is None:
        raise invalid("start", _("Give a start and an end."), "required")
    if end <= start:
        raise invalid("end", _("The end must be after the start."), "end_before_start")


def check_within_event(booking: Booking, event: Event) -> None:
    """A booking lies within its event's window, widened by its own set-up and teardown (a
    stop's booking at 14:00 for an event that ends at 12:00 is a mistake, not a booking)."""
    earliest = event.start - dt.timedelta(minutes=booking.setup_minutes)
    latest = event.end + dt.timedelta(minutes=booking.teardown_minutes)
    if booking.start < earliest or booking.end > latest:
        zone = event.zone
        raise invalid(
            "start",
            _(
                "A booking of %(facility)s must lie within its event "
                "(%(event_start)s–%(event_end)s, with %(setup)s min set-up and %(teardown)s min "
                "teardown); this one is %(start)s–%(end)s."
            )
            % {
                "facility": booking.facility,
                "event_start": written(event.start.astimezone(zone), DAY_MONTH_TIME),
                "event_end": f"{event.end.astimezone(zone):%H:%M}",
                "setup": booking.setup_minutes,
                "teardown": booking.teardown_minutes,
                "start": written(booking.start.astimezone(zone), DAY_MONTH_TIME),
                "end": f"{booking.end.astimezone(zone):%H:%M}",
            },
            "outside_event",
        )


def bookable_facility(facility_id: int) -> Facility:
    facility = Facility.objects.select_related("site").filter(pk=facility_id).first()
    if facility is None:
        raise invalid("facility", _("No such facility."), "not_found")
    if not facility.is_bookable:
        raise invalid(
            "facility",
            _("%(facility)s does not take bookings.") % {"facility": facility},
            "not_bookable",
        )
    return facility


def check_backup(
    *, event_id: int, backup_of_id: int | None, backup_deadline: dt.datetime | None
) -> None:
    if backup_of_id is None:
        if backup_deadline is not None:
            raise invalid(
                "backup_deadline", _("Only a backup booking has a deadline."), "not_backup"
            )
        return
    primary = Booking.objects.filter(pk=backup_of_id).first()
    if primary is None or primary.event_id != event_id:
        raise invalid(
            "backup_of", _("A backup must back up a booking of the same event."), "invalid"
        )
    if not primary.is_active:
        raise invalid("backup_of", _("That booking was released."), "released")
    if primary.backup_of_id:
        raise invalid("backup_of", _("Back up the main booking, not another backup."), "invalid")


def clean(booking: Booking) -> None:
    for name in ("setup_minutes", "teardown_minutes"):
        if not 0 <= getattr(booking, name) <= MAX_BUFFER_MINUTES:
            raise invalid(
                name,
                _("Give between 0 and %(most)s minutes.") % {"most": MAX_BUFFER_MINUTES},
                "buffer",
            )
    booking.refresh_occupancy()
    booking.full_clean(exclude=RELATED_FIELDS, validate_unique=False, validate_constraints=False)


def headcount(event: Event) -> int:
    """Expected people: everyone invited and not declined, with their guests."""
    return next(iter(event.attendances.headcounts().values_list("headcount", flat=True)), 0)


def check_capacity(facility: Facility, headcount: int, override_reason: str) -> str:
    """Refuse more people than the facility holds unless a reason is given; returns the reason."""
    if headcount <= facility.capacity:
        return ""
    if not override_reason:
        raise invalid(
            "capacity_override_reason",
            _(
                "%(facility)s holds %(capacity)s people and %(headcount)s are expected. "
                "Give a reason to book it anyway."
            )
            % {"facility": facility, "capacity": facility.capacity, "headcount": headcount},
            "over_capacity",
        )
    detail = f"{headcount}/{facility.capacity}, {override_reason}"
    return reason_with(pgettext_lazy("history reason", "Over capacity"), detail)


def save_or_clash(
    booking: Booking, check: ClashCheck, *, update_fields: list[str] | None = None
) -> None:
    """Save; if a racing transaction took the slot first, report it as a BookingClash."""
    try:
        _save_stepping_back_from_deadlocks(booking, update_fields)
    except IntegrityError as exc:
        if not _is_overlap(exc):
            raise
        clash = find_clash(booking, check) or BookingClash(
            # The winner has already gone again: still report that the slot was taken.
            facility=check.facility,
            start=booking.start,
            end=booking.end,
            occupied_start=booking.occupied_start,
            occupied_end=booking.occupied_end,
            occupants=[],
            intro=check.intro,
        )
        raise clash from exc


def _save_stepping_back_from_deadlocks(booking: Booking, update_fields, attempts: int = 3) -> None:
    # PostgreSQL checks an exclusion constraint after inserting the row, so two transactions
    # inserting overlapping bookings at once can each wait for the other: one is aborted with
    # "deadlock detected" rather than a constraint violation. Rolling back to the savepoint
    # lets the other go ahead; saving again then waits for it and ends in the usual clash.
    for attempt in range(attempts):
        try:
            # A savepoint: after the constraint fails, the transaction can still read the winner.
            with transaction.atomic():
                booking.save(update_fields=update_fields)
            return
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK or attempt == attempts - 1:
                raise


def _is_overlap(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    return (
        getattr(diag, "constraint_name", None) == OVERLAP_CONSTRAINT
        or getattr(cause, "sqlstate", None) == EXCLUSION_VIOLATION
    )
