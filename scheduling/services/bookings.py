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

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.audit import reason_with, stamp

from .. import wording
from ..clashes import ClashCheck, raise_if_occupied
from ..models import Booking, Event, Facility, ProgrammeItem
from ..timezones import require_aware
from ..venue import event_venue, venue_line
from . import booking_checks as checks
from . import changes as change_log
from .announce import event_announce
from .changes import Verb

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
        raise checks.invalid(
            "status", _("A new booking is either held or confirmed."), "invalid_status"
        )
    checks.check_times(start, end)
    require_aware("hold_expires_at", hold_expires_at)
    require_aware("backup_deadline", backup_deadline)
    event = _locked_event(event_id)
    facility = checks.bookable_facility(facility_id)
    if (
        programme_item_id is not None
        and not ProgrammeItem.objects.filter(pk=programme_item_id, event_id=event.pk).exists()
    ):
        raise checks.invalid(
            "programme_item", _("Choose an item of this event's programme."), "invalid"
        )
    checks.check_backup(
        event_id=event.pk, backup_of_id=backup_of_id, backup_deadline=backup_deadline
    )

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
    checks.clean(booking)
    checks.check_within_event(booking, event)
    headcount = checks.headcount(event)
    override = checks.check_capacity(facility, headcount, booking.capacity_override_reason)
    check = ClashCheck(facility, headcount, buffers=(setup_minutes, teardown_minutes))
    raise_if_occupied(booking, check)
    verb = (
        pgettext_lazy("history reason", "Held")
        if status == Booking.Status.HELD
        else pgettext_lazy("history reason", "Booked")
    )
    stamp(booking, by=by, reason=override or verb)
    venue = _venue_of(event.pk)
    checks.save_or_clash(booking, check)
    _follow_venue(event_id=event.pk, before=venue, by=by)
    # Last: the change log's lock comes after every other lock.
    change_log.bookings_changed(bookings=[booking], verb=Verb.CREATED)
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
        raise checks.invalid(
            "status", _("This booking was released; book the facility again."), "released"
        )
    if booking.status == Booking.Status.HELD:
        booking.status = Booking.Status.CONFIRMED
        booking.hold_expires_at = None
        stamp(
            booking,
            by=by,
            reason=pgettext_lazy("history reason", "Confirmed (final)")
            if final
            else pgettext_lazy("history reason", "Confirmed"),
        )
        booking.save(update_fields=["status", "hold_expires_at", "updated_at"])
    if not final:
        change_log.bookings_changed(bookings=[booking])
        return booking
    if booking.backup_of_id and booking.backup_deadline is not None:
        booking.backup_deadline = None
        stamp(
            booking,
            by=by,
            reason=pgettext_lazy("history reason", "Go/no-go: the backup goes ahead"),
        )
        booking.save(update_fields=["backup_deadline", "updated_at"])
    released = []
    for other in family.values():
        if other.pk != booking.pk and other.is_active:
            why = (
                pgettext_lazy("history reason", "Go/no-go: backup not needed")
                if other.backup_of_id
                else pgettext_lazy("history reason", "Go/no-go: backup used")
            )
            _release(other, by=by, reason=why)
            released.append(other)
    change_log.bookings_changed(bookings=[booking])
    change_log.bookings_changed(bookings=released, verb=Verb.RELEASED)
    return booking


@transaction.atomic
def booking_release(
    *, booking_id: int, by: AbstractBaseUser | None = None, reason: str = ""
) -> Booking:
    """Free the facility; releasing twice changes nothing (released is final)."""
    booking = _locked_booking(booking_id)
    if booking.status != Booking.Status.RELEASED:
        venue = _venue_of(booking.event_id)
        _release(booking, by=by, reason=reason or pgettext_lazy("history reason", "Released"))
        _follow_venue(event_id=booking.event_id, before=venue, by=by)
        change_log.bookings_changed(bookings=[booking], verb=Verb.RELEASED)
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
    checks.check_times(start, end)
    booking = _locked_booking(booking_id)
    if booking.status == Booking.Status.RELEASED:
        raise checks.invalid(
            "status", _("This booking was released; book the facility again."), "released"
        )
    same_facility = facility_id is None or facility_id == booking.facility_id
    facility = checks.bookable_facility(booking.facility_id if same_facility else facility_id)
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
    checks.clean(booking)
    checks.check_within_event(booking, booking.event)
    headcount = checks.headcount(booking.event)
    override = ""
    if not same_facility:
        override = checks.check_capacity(facility, headcount, booking.capacity_override_reason)
    check = ClashCheck(facility, headcount, buffers=(setup_given, teardown_given))
    raise_if_occupied(booking, check)
    stamp(
        booking,
        by=by,
        reason=override
        or reason_with(pgettext_lazy("history reason", "Moved"), ", ".join(changed)),
    )
    fields = ["facility" if name == "facility_id" else name for name in changed]
    venue = _venue_of(booking.event_id) if not same_facility else None
    checks.save_or_clash(booking, check, update_fields=[*fields, "updated_at"])
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
        _release(booking, by=None, reason=pgettext_lazy("history reason", "Hold expired"))
    elif (
        booking.is_active
        and booking.backup_of_id
        and booking.backup_deadline is not None
        and booking.backup_deadline <= now
    ):
        _release(booking, by=None, reason=pgettext_lazy("history reason", "Backup deadline passed"))
    if booking.status == Booking.Status.RELEASED:
        change_log.bookings_changed(bookings=[booking], verb=Verb.RELEASED)
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


def bookings_release_for_event(
    *, event: Event, by: AbstractBaseUser | None = None, reason: str = ""
) -> list[Booking]:
    """Release every active booking of an event (cancelled: the facilities are free again),
    in the caller's transaction, which has the event locked; each is logged as released."""
    released = list(event.bookings.active().select_for_update().order_by("pk"))
    for booking in released:
        _release(
            booking, by=by, reason=reason or pgettext_lazy("history reason", "Event cancelled")
        )
    change_log.bookings_changed(bookings=released, verb=Verb.RELEASED)
    return released


def bookings_release_for_item(
    *, item: ProgrammeItem, by: AbstractBaseUser | None = None, reason: str = ""
) -> list[Booking]:
    """Release the active bookings made for one programme item (a dropped stop), in the
    caller's transaction, which has the event locked; the venue invites name follows."""
    released = list(item.bookings.active().select_for_update().order_by("pk"))
    if not released:
        return []
    venue = _venue_of(item.event_id)
    for booking in released:
        _release(
            booking,
            by=by,
            reason=reason or pgettext_lazy("history reason", "Its programme item was removed"),
        )
    _follow_venue(event_id=item.event_id, before=venue, by=by)
    change_log.bookings_changed(bookings=released, verb=Verb.RELEASED)
    return released


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
    clash_checks = {
        f.pk: ClashCheck(
            f,
            exclude_ids=moving,
            suggest=False,
            intro=_("“%(title)s” cannot move: ") % {"title": event.title},
        )
        for f in Facility.objects.select_related("site").filter(
            pk__in={b.facility_id for b in bookings}
        )
    }
    for booking in bookings:
        booking.start += delta
        booking.end += delta
        booking.refresh_occupancy()
        facility = clash_checks[booking.facility_id].facility
        if not facility.is_bookable:
            raise checks.invalid(
                "facility",
                _("%(facility)s no longer takes bookings; release that booking first.")
                % {"facility": facility},
                "not_bookable",
            )
        raise_if_occupied(booking, clash_checks[booking.facility_id])
    # PostgreSQL checks the exclusion constraint row by row, so move in an order where no row
    # ever overlaps a sibling that has not moved yet: latest first when moving later.
    bookings.sort(key=lambda b: b.occupied_start, reverse=delta > dt.timedelta(0))
    for booking in bookings:
        stamp(booking, by=by, reason=reason or pgettext_lazy("history reason", "Event rescheduled"))
        checks.save_or_clash(
            booking, clash_checks[booking.facility_id], update_fields=["start", "end", "updated_at"]
        )


# --- Helpers ---------------------------------------------------------------------------------


def _follow_venue(*, event_id: int, before: int | None | bool, by: AbstractBaseUser | None) -> None:
    """Invites name the event's main facility: when a booking change moves it, attendees of a
    confirmed event get an update (higher SEQUENCE, answers reset) as for any change of place."""
    if before is False:
        return
    event = Event.objects.locked(event_id)
    after = event_venue(event)
    if (after.pk if after else None) == before:
        return
    previous = Facility.objects.filter(pk=before).first() if before else None
    where = wording.venue_changed(venue_line(event, previous), venue_line(event, after))
    event_announce(
        event,
        changed={"venue"},
        summary=where,
        reason=pgettext_lazy("history reason", "Venue changed"),
        by=by,
    )


def _venue_of(event_id: int) -> int | None | bool:
    """The facility a confirmed event's invites name now; False when no invite can be affected."""
    event = Event.objects.get(pk=event_id)
    if event.status != Event.Status.CONFIRMED:
        return False
    venue = event_venue(event)
    return venue.pk if venue else None


def _locked_event(event_id: int) -> Event:
    # Lock the event: a booking must not slip in while the event is being rescheduled or
    # cancelled (those services lock the event row too).
    event = Event.objects.locked(event_id)
    if event.status == Event.Status.CANCELLED:
        raise checks.invalid(
            "event", _("The event is cancelled; it cannot book facilities."), "cancelled"
        )
    return event


def _locked_booking(booking_id: int) -> Booking:
    # Lock the row: confirm, release, move and the expiry task must apply one after the other.
    booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
    if booking is None:
        raise checks.invalid("booking", _("No such booking."), "not_found")
    return booking


def _release(booking: Booking, *, by: AbstractBaseUser | None, reason: str) -> None:
    booking.status = Booking.Status.RELEASED
    booking.released_at = timezone.now()
    stamp(booking, by=by, reason=reason)
    booking.save(update_fields=["status", "released_at", "updated_at"])
