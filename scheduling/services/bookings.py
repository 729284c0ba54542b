"""Facility bookings that never clash: hold, create, confirm, release, move, expire.

A booking occupies [start - setup, end + teardown) of its facility; two active (held or
confirmed) bookings of one facility never overlap. The guarantee has two halves:

* PostgreSQL: the exclusion constraint ``booking_no_overlap``. The services check first so that
  a clash comes back naming what it clashes with, with suggestions. Under READ COMMITTED two
  racing transactions can both pass that check; the loser's write then fails the constraint
  inside a savepoint and is reported as the same BookingClash.
* SQLite: every transaction begins with BEGIN IMMEDIATE (see config/settings.py), so the check
  and the write inside one ``transaction.atomic()`` block hold the single write lock together
  and racing bookings are serialised.

Closures (of the facility or its whole site) and the facility's bookable hours refuse a booking
the same way, with a BookingClash. Bookings in the past are allowed: records and demo data
need them.
"""

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from visitors.models import Attendance

from .. import availability
from ..availability import Occupant
from ..models import MAX_BUFFER_MINUTES, Booking, Event, Facility, ProgrammeItem
from ..timezones import require_aware
from ..venue import main_facility
from . import changes as change_log
from .audit import stamp

OVERLAP_CONSTRAINT = "booking_no_overlap"
EXCLUSION_VIOLATION = "23P01"  # PostgreSQL SQLSTATE exclusion_violation
DEADLOCK = "40P01"  # PostgreSQL SQLSTATE deadlock_detected
SLOTS_PER_DAY = 2
SUGGESTED_FACILITIES = 5

# Fields a booking's full_clean() need not check: the services load and check related rows.
RELATED_FIELDS = ["facility", "event", "programme_item", "backup_of", "created_by"]


class BookingClash(ValidationError):
    """A facility is not free when asked: what occupies it, and what is free nearby.

    ``conflicts`` lists what is in the way (dicts with kind "booking", "closure" or "hours",
    what, start, end and ids). ``suggestions`` holds "slots" (the nearest free slots of the same
    occupied length in the same facility, that local day and the next) and "facilities" (other
    bookable facilities of the site with the capacity, free at the requested time).

    The message and ``conflicts`` name event titles: they are for staff. For anyone else, use
    ``as_dict(can_see=...)`` (or ``message_for(can_see)``): a booking whose event fails
    ``can_see`` is reported as "another booking", without title or event id.
    """

    code_name = "booking_clash"

    def __init__(
        self,
        *,
        facility: Facility,
        start: dt.datetime,
        end: dt.datetime,
        occupied_start: dt.datetime,
        occupied_end: dt.datetime,
        occupants: Iterable[Occupant],
        events: dict[int, Event] | None = None,
        slots: list[dict[str, Any]] | None = None,
        facilities: list[dict[str, Any]] | None = None,
        intro: str = "",
    ) -> None:
        self.facility_id = facility.pk
        self.facility_name = facility.name
        self.zone = zoneinfo.ZoneInfo(facility.site.timezone)
        self.requested = {
            "start": start,
            "end": end,
            "occupied_start": occupied_start,
            "occupied_end": occupied_end,
        }
        self._occupants = _distinct(occupants)
        self._events = events or {}
        self._hours = availability.hours_text(facility)
        self._intro = intro
        self.conflicts = [self._conflict(o, visible=True) for o in self._occupants]
        self.suggestions = {"slots": slots or [], "facilities": facilities or []}
        super().__init__(self.message_for(None), code=self.code_name)

    def message_for(self, can_see: Callable[[Event], bool] | None) -> str:
        """A sentence for a form or an API body, naming only the events can_see allows."""
        zone, day = self.zone, self.requested["occupied_start"].astimezone(self.zone).date()
        span = _span(self.requested["occupied_start"], self.requested["occupied_end"], zone, None)
        parts = []
        for occupant in self._occupants:
            when = _span(occupant.start, occupant.end, zone, day)
            if occupant.kind == "booking":
                title = occupant.what if self._visible(occupant, can_see) else None
                held = " (held)" if occupant.status == Booking.Status.HELD else ""
                name = f"“{title}”" if title else "another event"
                parts.append(f"booked for {name}{held}, {when}")
            elif occupant.kind == "closure":
                parts.append(f"closed ({occupant.what}), {when}")
            elif occupant.kind == "hours":
                parts.append(f"outside its bookable hours ({self._hours})")
            else:
                parts.append(occupant.what.lower())
        if not parts:
            # Only after a lost race whose winner has gone again.
            parts.append("someone else booked it at the same moment")
        text = (
            f"{self._intro}{self.facility_name} is not free on {span} "
            f"(set-up and teardown included): {'; '.join(parts)}."
        )
        if self.suggestions["slots"]:
            slots = [_span(s["start"], s["end"], zone, day) for s in self.suggestions["slots"]]
            listed = slots[0] if len(slots) == 1 else f"{', '.join(slots[:-1])} or {slots[-1]}"
            text += f" It could take place {listed}."
        if self.suggestions["facilities"]:
            names = ", ".join(f["name"] for f in self.suggestions["facilities"])
            text += f" Free at that time: {names}."
        return text

    def as_dict(self, can_see: Callable[[Event], bool] | None = None) -> dict[str, Any]:
        """A JSON-able body (the API's 409). can_see=None is the staff view: every title shown."""
        return _jsonable(
            {
                "code": self.code_name,
                "message": self.message_for(can_see),
                "facility": {"id": self.facility_id, "name": self.facility_name},
                "requested": self.requested,
                "conflicts": [
                    self._conflict(o, visible=self._visible(o, can_see)) for o in self._occupants
                ],
                "suggestions": self.suggestions,
            }
        )

    def _visible(self, occupant: Occupant, can_see: Callable[[Event], bool] | None) -> bool:
        if occupant.kind != "booking" or can_see is None:
            return True
        event = self._events.get(occupant.event_id)
        return event is not None and bool(can_see(event))

    def _conflict(self, occupant: Occupant, *, visible: bool) -> dict[str, Any]:
        conflict: dict[str, Any] = {
            "kind": occupant.kind,
            "what": occupant.what,
            "start": occupant.start,
            "end": occupant.end,
        }
        if occupant.kind == "booking":
            conflict.update(
                booking_id=occupant.booking_id,
                event_id=occupant.event_id,
                status=occupant.status,
                facility_id=occupant.facility_id,
            )
            if not visible:
                # What availability shows of it (scheduling.availability): busy, and when.
                conflict.update(what=availability.HIDDEN_BOOKING, booking_id=None, event_id=None)
        elif occupant.kind == "closure":
            conflict.update(
                closure_id=occupant.closure_id,
                reason=occupant.reason,
                scope="facility" if occupant.facility_id else "site",
            )
        elif occupant.kind == "hours":
            conflict["bookable_hours"] = self._hours
        return conflict


# --- Services --------------------------------------------------------------------------------


@transaction.atomic
def booking_create(
    *,
    event_id: int,
    facility_id: int,
    start: dt.datetime,
    end: dt.datetime,
    status: str = Booking.Status.HELD,
    setup_minutes: int | None = None,
    teardown_minutes: int | None = None,
    programme_item_id: int | None = None,
    hold_expires_at: dt.datetime | None = None,
    backup_of_id: int | None = None,
    backup_deadline: dt.datetime | None = None,
    capacity_override_reason: str = "",
    by: AbstractBaseUser | None = None,
) -> Booking:
    """Book a facility for an event, held or confirmed, only if nothing occupies it then.

    Buffers default from the facility. A hold expires after settings.BOOKING_HOLD_HOURS unless
    hold_expires_at is given. Raises BookingClash when the facility is taken, closed or outside
    its bookable hours, and ValidationError for anything else (naming the field).
    """
    if status not in Booking.ACTIVE_STATUSES:
        raise _invalid("status", "A new booking is either held or confirmed.", "invalid_status")
    _check_times(start, end)
    require_aware("hold_expires_at", hold_expires_at)
    require_aware("backup_deadline", backup_deadline)
    event = _locked_event(event_id)
    facility = _bookable_facility(facility_id)
    if (
        programme_item_id is not None
        and not ProgrammeItem.objects.filter(pk=programme_item_id, event_id=event.pk).exists()
    ):
        raise _invalid("programme_item", "Choose an item of this event's programme.", "invalid")
    _check_backup(event_id=event.pk, backup_of_id=backup_of_id, backup_deadline=backup_deadline)

    booking = Booking(
        event=event,
        facility=facility,
        start=start,
        end=end,
        status=status,
        setup_minutes=facility.setup_minutes if setup_minutes is None else setup_minutes,
        teardown_minutes=facility.teardown_minutes
        if teardown_minutes is None
        else teardown_minutes,
        programme_item_id=programme_item_id,
        backup_of_id=backup_of_id,
        backup_deadline=backup_deadline,
        capacity_override_reason=capacity_override_reason.strip(),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    if status == Booking.Status.HELD:
        booking.hold_expires_at = hold_expires_at or timezone.now() + dt.timedelta(
            hours=settings.BOOKING_HOLD_HOURS
        )
    _clean(booking)
    headcount = _headcount(event.pk)
    override = _check_capacity(facility, headcount, booking.capacity_override_reason)
    check = _Check(facility, headcount, buffers=(setup_minutes, teardown_minutes))
    _raise_if_occupied(booking, check)
    verb = "Held" if status == Booking.Status.HELD else "Booked"
    stamp(booking, by=by, reason=override or verb)
    venue = _venue_of(event.pk)
    _save_or_clash(booking, check)
    _follow_venue(event_id=event.pk, before=venue, by=by)
    change_log.bookings_changed(bookings=[booking])  # last: the change log's lock comes after all
    return booking


def booking_hold(
    *,
    event_id: int,
    facility_id: int,
    start: dt.datetime,
    end: dt.datetime,
    setup_minutes: int | None = None,
    teardown_minutes: int | None = None,
    programme_item_id: int | None = None,
    hold_expires_at: dt.datetime | None = None,
    backup_of_id: int | None = None,
    backup_deadline: dt.datetime | None = None,
    capacity_override_reason: str = "",
    by: AbstractBaseUser | None = None,
) -> Booking:
    """Hold a facility until the hold is confirmed or expires (see booking_create)."""
    return booking_create(
        event_id=event_id,
        facility_id=facility_id,
        start=start,
        end=end,
        status=Booking.Status.HELD,
        setup_minutes=setup_minutes,
        teardown_minutes=teardown_minutes,
        programme_item_id=programme_item_id,
        hold_expires_at=hold_expires_at,
        backup_of_id=backup_of_id,
        backup_deadline=backup_deadline,
        capacity_override_reason=capacity_override_reason,
        by=by,
    )


@transaction.atomic
def booking_confirm(
    *, booking_id: int, by: AbstractBaseUser | None = None, final: bool = False
) -> Booking:
    """Confirm a booking (idempotent). final=True is the go/no-go call: its backups are released.

    Called with final=True on a backup, the backup is the plan that goes ahead: it stops being
    released at its deadline, and its primary and the primary's other backups are released.
    """
    family: dict[int, Booking] = {}
    if final:
        # Lock the whole family (primary and backups) in id order, so that two go/no-go calls
        # on one family wait for each other instead of deadlocking.
        root = Booking.objects.filter(pk=booking_id).values_list("backup_of_id", flat=True).first()
        root = root or booking_id
        family = {
            b.pk: b
            for b in Booking.objects.select_for_update()
            .filter(Q(pk=root) | Q(backup_of_id=root))
            .order_by("pk")
        }
    booking = family.get(booking_id) or _locked_booking(booking_id)
    if booking.status == Booking.Status.RELEASED:
        raise _invalid("status", "This booking was released; book the facility again.", "released")
    if booking.status == Booking.Status.HELD:
        booking.status = Booking.Status.CONFIRMED
        booking.hold_expires_at = None
        stamp(booking, by=by, reason="Confirmed (final)" if final else "Confirmed")
        booking.save(update_fields=["status", "hold_expires_at", "updated_at"])
    if not final:
        change_log.bookings_changed(bookings=[booking])
        return booking
    if booking.backup_of_id and booking.backup_deadline is not None:
        booking.backup_deadline = None
        stamp(booking, by=by, reason="Go/no-go: the backup goes ahead")
        booking.save(update_fields=["backup_deadline", "updated_at"])
    for other in family.values():
        if other.pk != booking.pk and other.is_active:
            why = "Go/no-go: backup not needed" if other.backup_of_id else "Go/no-go: backup used"
            _release(other, by=by, reason=why)
    changed = {booking.pk: booking, **family}  # the family holds the booking when final
    change_log.bookings_changed(bookings=list(changed.values()))
    return booking


@transaction.atomic
def booking_release(
    *, booking_id: int, by: AbstractBaseUser | None = None, reason: str = ""
) -> Booking:
    """Free the facility; releasing twice changes nothing (released is final)."""
    booking = _locked_booking(booking_id)
    if booking.status != Booking.Status.RELEASED:
        venue = _venue_of(booking.event_id)
        _release(booking, by=by, reason=reason or "Released")
        _follow_venue(event_id=booking.event_id, before=venue, by=by)
        change_log.bookings_changed(bookings=[booking])
    return booking


@transaction.atomic
def booking_move(
    *,
    booking_id: int,
    start: dt.datetime,
    end: dt.datetime,
    facility_id: int | None = None,
    setup_minutes: int | None = None,
    teardown_minutes: int | None = None,
    capacity_override_reason: str | None = None,
    by: AbstractBaseUser | None = None,
) -> Booking:
    """Move an active booking in time or to another facility, only if the new slot is free.

    Buffers left as None keep the booking's own in the same facility and take the new facility's
    defaults in another. Moving to another facility checks its capacity again: a new
    capacity_override_reason is needed if it is too small.
    """
    _check_times(start, end)
    booking = _locked_booking(booking_id)
    if booking.status == Booking.Status.RELEASED:
        raise _invalid("status", "This booking was released; book the facility again.", "released")
    same_facility = facility_id is None or facility_id == booking.facility_id
    facility = _bookable_facility(booking.facility_id if same_facility else facility_id)
    setup_given, teardown_given = setup_minutes, teardown_minutes
    if setup_minutes is None:
        setup_minutes = booking.setup_minutes if same_facility else facility.setup_minutes
    if teardown_minutes is None:
        teardown_minutes = booking.teardown_minutes if same_facility else facility.teardown_minutes
    new = {
        "facility_id": facility.pk,
        "start": start,
        "end": end,
        "setup_minutes": setup_minutes,
        "teardown_minutes": teardown_minutes,
    }
    if not same_facility or capacity_override_reason is not None:
        new["capacity_override_reason"] = (capacity_override_reason or "").strip()
    changed = [name for name, value in new.items() if getattr(booking, name) != value]
    if not changed:
        return booking
    for name in changed:
        setattr(booking, name, new[name])
    booking.facility = facility
    _clean(booking)
    headcount = _headcount(booking.event_id)
    override = ""
    if not same_facility:
        override = _check_capacity(facility, headcount, booking.capacity_override_reason)
    check = _Check(facility, headcount, buffers=(setup_given, teardown_given))
    _raise_if_occupied(booking, check)
    stamp(booking, by=by, reason=override or f"Moved ({', '.join(changed)})")
    fields = ["facility" if name == "facility_id" else name for name in changed]
    venue = _venue_of(booking.event_id) if not same_facility else None
    _save_or_clash(booking, check, update_fields=[*fields, "updated_at"])
    if not same_facility:
        _follow_venue(event_id=booking.event_id, before=venue, by=by)
    change_log.bookings_changed(bookings=[booking])
    return booking


@transaction.atomic
def booking_expire(*, booking_id: int, now: dt.datetime | None = None) -> Booking:
    """Release a hold past its expiry or a backup past its deadline; anything else is left alone."""
    now = now or timezone.now()
    booking = _locked_booking(booking_id)
    if booking.status == Booking.Status.HELD and booking.hold_expires_at <= now:
        _release(booking, by=None, reason="Hold expired")
    elif (
        booking.is_active
        and booking.backup_of_id
        and booking.backup_deadline is not None
        and booking.backup_deadline <= now
    ):
        _release(booking, by=None, reason="Backup deadline passed")
    if booking.status == Booking.Status.RELEASED:
        change_log.bookings_changed(bookings=[booking])
    return booking


def bookings_release_expired(*, now: dt.datetime | None = None) -> list[int]:
    """Release every expired hold and every backup past its deadline; returns their ids.

    Each booking is released in its own transaction and re-checked under its lock, so a hold
    confirmed meanwhile stays, and a run that stops halfway loses nothing.
    """
    now = now or timezone.now()
    holds = Booking.objects.filter(status=Booking.Status.HELD, hold_expires_at__lte=now)
    backups = Booking.objects.active().filter(backup_of__isnull=False, backup_deadline__lte=now)
    ids = sorted({*holds.values_list("pk", flat=True), *backups.values_list("pk", flat=True)})
    return [
        pk for pk in ids if booking_expire(booking_id=pk, now=now).status == Booking.Status.RELEASED
    ]


def bookings_shift_for_event(
    *, event: Event, delta: dt.timedelta, by: AbstractBaseUser | None = None, reason: str = ""
) -> None:
    """Move every active booking of an event by delta, all or none (in the caller's transaction).

    The event's own bookings move together, so they are not clashes for one another; anything
    else in the way raises BookingClash and the caller's transaction rolls back.
    """
    if not delta:
        return
    bookings = list(event.bookings.active().select_for_update())
    if not bookings:
        return
    moving = frozenset(b.pk for b in bookings)
    checks = {
        f.pk: _Check(f, exclude_ids=moving, suggest=False, intro=f"“{event.title}” cannot move: ")
        for f in Facility.objects.select_related("site").filter(
            pk__in={b.facility_id for b in bookings}
        )
    }
    for booking in bookings:
        booking.start += delta
        booking.end += delta
        booking.refresh_occupancy()
        facility = checks[booking.facility_id].facility
        if not facility.is_bookable:
            raise _invalid(
                "facility",
                f"{facility} no longer takes bookings; release that booking first.",
                "not_bookable",
            )
        _raise_if_occupied(booking, checks[booking.facility_id])
    # PostgreSQL checks the exclusion constraint row by row, so move in an order where no row
    # ever overlaps a sibling that has not moved yet: latest first when moving later.
    bookings.sort(key=lambda b: b.occupied_start, reverse=delta > dt.timedelta(0))
    for booking in bookings:
        stamp(booking, by=by, reason=reason or "Event rescheduled")
        _save_or_clash(
            booking, checks[booking.facility_id], update_fields=["start", "end", "updated_at"]
        )


# --- Helpers ---------------------------------------------------------------------------------


def _follow_venue(*, event_id: int, before: int | None | bool, by: AbstractBaseUser | None) -> None:
    """Invites name the event's main facility: when a booking change moves it, attendees of a
    confirmed event get an update (higher SEQUENCE, answers reset) as for any change of place."""
    from visitors import invitations

    if before is False:
        return
    event = Event.objects.select_for_update().get(pk=event_id)
    after = main_facility(event)
    if (after.pk if after else None) == before:
        return
    event.sequence += 1
    stamp(event, by=by, reason="Venue changed")
    event.save(update_fields=["sequence", "updated_at"])
    change_log.event_changed(event=event)
    invitations.invites_follow_change(
        event=event, changed={"venue"}, previous_status=event.status, by=by
    )


def _venue_of(event_id: int) -> int | None | bool:
    """The facility a confirmed event's invites name now; False when no invite can be affected."""
    event = Event.objects.get(pk=event_id)
    if event.status != Event.Status.CONFIRMED:
        return False
    venue = main_facility(event)
    return venue.pk if venue else None


def _invalid(field: str, message: str, code: str) -> ValidationError:
    """A ValidationError naming the field, with a code a form or the API can test."""
    return ValidationError({field: ValidationError(message, code=code)})


def _check_times(start: dt.datetime, end: dt.datetime) -> None:
    require_aware("start", start)
    require_aware("end", end)
    if start is None or end is None:
        raise _invalid("start", "Give a start and an end.", "required")
    if end <= start:
        raise _invalid("end", "The end must be after the start.", "end_before_start")


def _locked_event(event_id: int) -> Event:
    # Lock the event: a booking must not slip in while the event is being rescheduled or
    # cancelled (those services lock the event row too).
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    if event is None:
        raise _invalid("event", "No such event.", "not_found")
    if event.status == Event.Status.CANCELLED:
        raise _invalid("event", "The event is cancelled; it cannot book facilities.", "cancelled")
    return event


def _locked_booking(booking_id: int) -> Booking:
    # Lock the row: confirm, release, move and the expiry task must apply one after the other.
    booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
    if booking is None:
        raise _invalid("booking", "No such booking.", "not_found")
    return booking


def _bookable_facility(facility_id: int) -> Facility:
    facility = Facility.objects.select_related("site").filter(pk=facility_id).first()
    if facility is None:
        raise _invalid("facility", "No such facility.", "not_found")
    if not facility.is_bookable:
        raise _invalid("facility", f"{facility} does not take bookings.", "not_bookable")
    return facility


def _check_backup(
    *, event_id: int, backup_of_id: int | None, backup_deadline: dt.datetime | None
) -> None:
    if backup_of_id is None:
        if backup_deadline is not None:
            raise _invalid("backup_deadline", "Only a backup booking has a deadline.", "not_backup")
        return
    primary = Booking.objects.filter(pk=backup_of_id).first()
    if primary is None or primary.event_id != event_id:
        raise _invalid("backup_of", "A backup must back up a booking of the same event.", "invalid")
    if not primary.is_active:
        raise _invalid("backup_of", "That booking was released.", "released")
    if primary.backup_of_id:
        raise _invalid("backup_of", "Back up the main booking, not another backup.", "invalid")


def _clean(booking: Booking) -> None:
    for name in ("setup_minutes", "teardown_minutes"):
        if not 0 <= getattr(booking, name) <= MAX_BUFFER_MINUTES:
            raise _invalid(name, f"Give between 0 and {MAX_BUFFER_MINUTES} minutes.", "buffer")
    booking.refresh_occupancy()
    booking.full_clean(exclude=RELATED_FIELDS, validate_unique=False, validate_constraints=False)


def _headcount(event_id: int) -> int:
    """Expected people: everyone invited and not declined, with their guests."""
    totals = (
        Attendance.objects.filter(event_id=event_id)
        .expected()
        .aggregate(people=Count("pk"), guests=Sum("guests"))
    )
    return totals["people"] + (totals["guests"] or 0)


def _check_capacity(facility: Facility, headcount: int, override_reason: str) -> str:
    """Refuse more people than the facility holds unless a reason is given; returns the reason."""
    if headcount <= facility.capacity:
        return ""
    if not override_reason:
        raise _invalid(
            "capacity_override_reason",
            (
                f"{facility} holds {facility.capacity} people and {headcount} are expected. "
                "Give a reason to book it anyway."
            ),
            "over_capacity",
        )
    return f"Over capacity ({headcount} for {facility.capacity}): {override_reason}"


@dataclass(frozen=True)
class _Check:
    """How to look for what occupies a booking's slot, and what to suggest instead.

    buffers are the set-up and teardown the caller chose (None: the facility's default), so that
    other facilities are suggested with the buffers a booking there would get.
    """

    facility: Facility
    headcount: int = 0
    exclude_ids: frozenset[int] = frozenset()
    buffers: tuple[int | None, int | None] = (None, None)
    suggest: bool = True
    intro: str = ""


def _raise_if_occupied(booking: Booking, check: _Check) -> None:
    """Raise BookingClash if anything occupies the booking's facility in its occupied interval."""
    clash = _find_clash(booking, check)
    if clash is not None:
        raise clash


def _find_clash(booking: Booking, check: _Check) -> BookingClash | None:
    ignore = {*check.exclude_ids, *([booking.pk] if booking.pk else [])}
    [found] = availability.availabilities(
        facility_ids=[check.facility.pk],
        start=booking.occupied_start,
        end=booking.occupied_end,
        exclude_booking_ids=ignore,
    )
    if not found.busy:
        return None
    occupants = [o for interval in found.busy for o in interval.occupants]
    events = {
        e.pk: e for e in Event.objects.filter(pk__in={o.event_id for o in occupants if o.event_id})
    }
    slots, others = ([], [])
    if check.suggest:
        slots, others = _suggest(booking, check, ignore)
    return BookingClash(
        facility=check.facility,
        start=booking.start,
        end=booking.end,
        occupied_start=booking.occupied_start,
        occupied_end=booking.occupied_end,
        occupants=occupants,
        events=events,
        slots=slots,
        facilities=others,
        intro=check.intro,
    )


def _save_or_clash(
    booking: Booking, check: _Check, *, update_fields: list[str] | None = None
) -> None:
    """Save; if a racing transaction took the slot first, report it as a BookingClash."""
    try:
        _save_stepping_back_from_deadlocks(booking, update_fields)
    except IntegrityError as exc:
        if not _is_overlap(exc):
            raise
        clash = _find_clash(booking, check) or BookingClash(
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


def _release(booking: Booking, *, by: AbstractBaseUser | None, reason: str) -> None:
    booking.status = Booking.Status.RELEASED
    booking.released_at = timezone.now()
    stamp(booking, by=by, reason=reason)
    booking.save(update_fields=["status", "released_at", "updated_at"])


def _suggest(
    booking: Booking, check: _Check, ignore: set[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Free slots of the same occupied length in this facility nearest to the time asked (that
    local day and the next), and the site's other facilities free then: three queries."""
    facility, headcount, buffers = check.facility, check.headcount, check.buffers
    zone = zoneinfo.ZoneInfo(facility.site.timezone)
    occupied = booking.occupied_end - booking.occupied_start
    day = booking.occupied_start.astimezone(zone).date()
    widest = dt.timedelta(minutes=MAX_BUFFER_MINUTES)
    window_start = min(dt.datetime.combine(day, dt.time(), tzinfo=zone), booking.start - widest)
    window_end = max(
        dt.datetime.combine(day + dt.timedelta(days=2), dt.time(), tzinfo=zone),
        booking.end + widest,
    )
    site_facilities = {f.pk: f for f in Facility.objects.filter(site_id=facility.site_id)}
    found = {
        a.facility_id: a
        for a in availability.availabilities(
            facility_ids=list(site_facilities),
            start=window_start,
            end=window_end,
            exclude_booking_ids=ignore,
        )
    }

    setup = dt.timedelta(minutes=booking.setup_minutes)
    teardown = dt.timedelta(minutes=booking.teardown_minutes)
    slots = []
    for offset in (0, 1):
        # Each day's slots nearest to the same local time as asked: "later that day, or at the
        # same time tomorrow".
        day_from = dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(), tzinfo=zone)
        day_to = dt.datetime.combine(day + dt.timedelta(days=offset + 1), dt.time(), tzinfo=zone)
        target = dt.datetime.combine(
            day_from.date(), booking.occupied_start.astimezone(zone).time(), tzinfo=zone
        )
        candidates = []
        for free in found[facility.pk].free:
            start, end = max(free.start, day_from), min(free.end, day_to)
            if end - start >= occupied:
                at = min(max(target, start), end - occupied)
                candidates.append((abs(at - target), at))
        slots += [
            {
                "facility_id": facility.pk,
                "start": at + setup,
                "end": at + occupied - teardown,
                "occupied_start": at,
                "occupied_end": at + occupied,
            }
            for _distance, at in sorted(candidates)[:SLOTS_PER_DAY]
        ]

    others = []
    for other in found.values():
        if other.facility_id == facility.pk or not other.is_bookable:
            continue
        if other.capacity < headcount:
            continue
        there = site_facilities[other.facility_id]
        setup_there = there.setup_minutes if buffers[0] is None else buffers[0]
        teardown_there = there.teardown_minutes if buffers[1] is None else buffers[1]
        occupied_start = booking.start - dt.timedelta(minutes=setup_there)
        occupied_end = booking.end + dt.timedelta(minutes=teardown_there)
        if other.is_free(occupied_start, occupied_end):
            others.append(
                {
                    "facility_id": other.facility_id,
                    "name": other.name,
                    "capacity": other.capacity,
                    "start": booking.start,
                    "end": booking.end,
                    "setup_minutes": setup_there,
                    "teardown_minutes": teardown_there,
                    "occupied_start": occupied_start,
                    "occupied_end": occupied_end,
                }
            )
    others.sort(key=lambda o: (o["capacity"], o["name"]))
    return slots, others[:SUGGESTED_FACILITIES]


def _distinct(occupants: Iterable[Occupant]) -> list[Occupant]:
    """One entry per booking, closure or hours rule, in time order."""
    seen, result = set(), []
    for occupant in sorted(occupants, key=lambda o: (o.start, o.end)):
        key = (occupant.kind, occupant.booking_id, occupant.closure_id, occupant.facility_id)
        if occupant.kind == "hours":
            key = ("hours", occupant.facility_id)
        if key not in seen:
            seen.add(key)
            result.append(occupant)
    return result


def _span(
    start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo, day: dt.date | None
) -> str:
    """'10:00–12:00' within the reference day, else with dates: 'Tue 5 Mar 2030, 10:00–12:00'."""
    a, b = start.astimezone(zone), end.astimezone(zone)
    midnight_after = b.time() == dt.time() and b.date() == a.date() + dt.timedelta(days=1)
    same_day = a.date() == b.date() or midnight_after
    times = f"{a:%H:%M}–{b:%H:%M}"
    if same_day and a.date() == day:
        return times
    if same_day:
        return f"{a:%a} {a.day} {a:%b %Y}, {times}"
    return f"{a:%a} {a.day} {a:%b %Y %H:%M} – {b:%a} {b.day} {b:%b %Y %H:%M}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value
