"""When a facility is busy and when it is free: for calendars, the API and clash suggestions.

Busy means occupied by an active booking (set-up and teardown included), closed (a closure of
the facility or of its whole site), outside the facility's bookable hours, or not bookable at
all. Intervals are half-open, [start, end), so back-to-back bookings do not overlap.

Every call costs two queries whatever the number of bookings: one for the facilities with their
site and the closures in range, one for the bookings in range. The booking query filters on
facility and a bounded occupied_start range (``Booking.objects.occupying``), a short range scan
of the index ``booking_occupancy``.

``can_see`` (a callable Event -> bool) decides whether a busy interval may name its event. With
``can_see=None`` every title is shown: that is the staff view. Callers serving partners must pass
one; a hidden booking is reported as "Booked" with no event id.
"""

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import F, FilteredRelation, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Booking, Closure, Event, Facility
from .timezones import require_aware

CanSee = Callable[[Event], bool]

HIDDEN_BOOKING = gettext_lazy("Booked")


@dataclass(frozen=True)
class Occupant:
    """What makes an interval busy. start/end are the occupant's own interval, not clipped."""

    kind: str  # "booking" | "closure" | "hours" | "unbookable"
    what: str  # the event title, the closure reason, or the bookable hours
    start: dt.datetime
    end: dt.datetime
    facility_id: int | None  # None for a site-wide closure
    booking_id: int | None = None
    event_id: int | None = None
    status: str = ""  # a booking's status (held/confirmed)
    closure_id: int | None = None
    reason: str = ""  # a closure's reason code


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime

    @property
    def duration(self) -> dt.timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class BusyInterval:
    """Merged busy time, clipped to the requested range, with everything occupying it."""

    start: dt.datetime
    end: dt.datetime
    occupants: tuple[Occupant, ...]


@dataclass(frozen=True)
class FacilityAvailability:
    facility_id: int
    name: str
    capacity: int
    is_bookable: bool
    start: dt.datetime
    end: dt.datetime
    busy: tuple[BusyInterval, ...]
    free: tuple[Interval, ...]

    def is_free(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether [start, end) lies inside one free interval (it must lie inside the range)."""
        return any(slot.start <= start and end <= slot.end for slot in self.free)


@dataclass(frozen=True)
class SiteAvailability:
    site_id: int
    start: dt.datetime
    end: dt.datetime
    closures: tuple[BusyInterval, ...]  # site-wide closures only, merged
    facilities: tuple[FacilityAvailability, ...]


def facility_availability(
    *, facility_id: int, start: dt.datetime, end: dt.datetime, can_see: CanSee | None = None
) -> FacilityAvailability:
    """Busy and free intervals of one facility over [start, end)."""
    found = availabilities(facility_ids=[facility_id], start=start, end=end, can_see=can_see)
    if not found:
        raise Facility.DoesNotExist(f"No facility {facility_id}.")
    return found[0]


def site_availability(
    *, site_id: int, start: dt.datetime, end: dt.datetime, can_see: CanSee | None = None
) -> SiteAvailability:
    """Busy and free intervals of every facility of a site over [start, end), and its closures."""
    facilities, closures_of, site_closures = _context(
        Q(site_id=site_id), start=start, end=end, site_id=site_id
    )
    found = _assemble(facilities, closures_of, start=start, end=end, can_see=can_see)
    closures = _merge((o, o.start, o.end) for o in site_closures.get(site_id, ()))
    return SiteAvailability(
        site_id=site_id,
        start=start,
        end=end,
        closures=_clip_all(closures, start, end),
        facilities=tuple(found),
    )


def availabilities(
    *,
    facility_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    can_see: CanSee | None = None,
    exclude_booking_ids: Iterable[int] = (),
) -> list[FacilityAvailability]:
    """Availability of several facilities in two queries, optionally ignoring some bookings.

    The booking services ignore the bookings being moved when they look for clashes and
    suggestions.
    """
    facilities, closures_of, _site_closures = _context(
        Q(pk__in=list(facility_ids)), start=start, end=end
    )
    return _assemble(
        facilities,
        closures_of,
        start=start,
        end=end,
        can_see=can_see,
        exclude_booking_ids=exclude_booking_ids,
    )


def bookable_window(facility: Facility, day: dt.date) -> Interval | None:
    """The facility's bookable hours on one local day of its site, or None if not limited."""
    if facility.bookable_from is None or facility.bookable_until is None:
        return None
    zone = zoneinfo.ZoneInfo(facility.site.timezone)
    return Interval(
        dt.datetime.combine(day, facility.bookable_from, tzinfo=zone),
        dt.datetime.combine(day, facility.bookable_until, tzinfo=zone),
    )


def hours_text(facility: Facility) -> str:
    if facility.bookable_from is None or facility.bookable_until is None:
        return _("no limit")
    return f"{facility.bookable_from:%H:%M}–{facility.bookable_until:%H:%M}"


# --- Internals -------------------------------------------------------------------------------


def _check_range(start: dt.datetime, end: dt.datetime) -> None:
    require_aware("start", start)
    require_aware("end", end)
    if end <= start:
        raise ValidationError({"end": _("The range must end after it starts.")}, code="empty_range")


def _context(
    scope: Q, *, start: dt.datetime, end: dt.datetime, site_id: int | None = None
) -> tuple[dict[int, Facility], dict[int, list[Occupant]], dict[int, list[Occupant]]]:
    """Facilities in scope (with their site), each one's closures, each site's: one query.

    Two LEFT JOINs bring the facility's own closures and its site's closures along with each
    facility row (FilteredRelation keeps the overlap condition in the join), so rows repeat
    when there are several closures; they are folded back here.
    """
    _check_range(start, end)
    rows = (
        Facility.objects.filter(scope)
        .select_related("site")
        .annotate(
            fc=FilteredRelation(
                "closures", condition=Q(closures__start__lt=end, closures__end__gt=start)
            ),
            sc=FilteredRelation(
                "site__closures",
                condition=Q(site__closures__start__lt=end, site__closures__end__gt=start),
            ),
        )
        .annotate(
            fc_id=F("fc__id"),
            fc_start=F("fc__start"),
            fc_end=F("fc__end"),
            fc_reason=F("fc__reason"),
            fc_note=F("fc__note"),
            sc_id=F("sc__id"),
            sc_start=F("sc__start"),
            sc_end=F("sc__end"),
            sc_reason=F("sc__reason"),
            sc_note=F("sc__note"),
        )
    )
    facilities: dict[int, Facility] = {}
    closures: dict[int, dict[int, Occupant]] = {}  # facility id -> closure id -> closure
    site_closures: dict[int, dict[int, Occupant]] = {}  # site id -> closure id -> closure
    for row in rows:
        facility = facilities.setdefault(row.pk, row)
        facility_closures = closures.setdefault(row.pk, {})
        if row.fc_id is not None:
            facility_closures[row.fc_id] = _closure_occupant(
                row.fc_id, row.fc_start, row.fc_end, row.fc_reason, row.fc_note, facility.pk
            )
        if row.sc_id is not None:
            site_closures.setdefault(row.site_id, {})[row.sc_id] = _closure_occupant(
                row.sc_id, row.sc_start, row.sc_end, row.sc_reason, row.sc_note, None
            )
    closures_of = {
        pk: [*closures[pk].values(), *site_closures.get(facility.site_id, {}).values()]
        for pk, facility in facilities.items()
    }
    if site_id is not None and not facilities:
        # A site without facilities: only its own closures are left to report.
        site_closures[site_id] = {
            c.pk: _closure_occupant(c.pk, c.start, c.end, c.reason, c.note, None)
            for c in Closure.objects.filter(site_id=site_id, start__lt=end, end__gt=start)
        }
    return facilities, closures_of, {k: list(v.values()) for k, v in site_closures.items()}


def _closure_occupant(
    pk: int, start: dt.datetime, end: dt.datetime, reason: str, note: str, facility_id: int | None
) -> Occupant:
    label = str(Closure.Reason(reason).label) if reason in Closure.Reason.values else reason
    return Occupant(
        kind="closure",
        what=_("%(reason)s: %(note)s") % {"reason": label, "note": note} if note else label,
        start=start,
        end=end,
        facility_id=facility_id,
        closure_id=pk,
        reason=reason,
    )


def _assemble(
    facilities: dict[int, Facility],
    closures_of: dict[int, list[Occupant]],
    *,
    start: dt.datetime,
    end: dt.datetime,
    can_see: CanSee | None,
    exclude_booking_ids: Iterable[int] = (),
) -> list[FacilityAvailability]:
    by_facility: dict[int, list[Occupant]] = {pk: [] for pk in facilities}
    if facilities:
        bookings = (
            Booking.objects.occupying(start, end)
            .filter(facility_id__in=list(facilities))
            .exclude(pk__in=list(exclude_booking_ids))
            .select_related("event")
        )
        for booking in bookings:
            by_facility[booking.facility_id].append(_booking_occupant(booking, can_see))
    found = []
    for facility in facilities.values():
        occupants = [*by_facility[facility.pk], *closures_of[facility.pk]]
        occupants += _outside_hours(facility, start, end)
        if not facility.is_bookable:
            occupants.append(
                Occupant(
                    kind="unbookable",
                    what=_("Not bookable"),
                    start=start,
                    end=end,
                    facility_id=facility.pk,
                )
            )
        busy = _clip_all(_merge((o, o.start, o.end) for o in occupants), start, end)
        found.append(
            FacilityAvailability(
                facility_id=facility.pk,
                name=facility.name,
                capacity=facility.capacity,
                is_bookable=facility.is_bookable,
                start=start,
                end=end,
                busy=busy,
                free=_gaps(busy, start, end),
            )
        )
    return found


def _booking_occupant(booking: Booking, can_see: CanSee | None) -> Occupant:
    occupant = Occupant(
        kind="booking",
        what=booking.event.title,
        start=booking.occupied_start,
        end=booking.occupied_end,
        facility_id=booking.facility_id,
        booking_id=booking.pk,
        event_id=booking.event_id,
        status=booking.status,
    )
    if can_see is not None and not can_see(booking.event):
        return dataclasses.replace(
            occupant, what=str(HIDDEN_BOOKING), event_id=None, booking_id=None
        )
    return occupant


def _outside_hours(facility: Facility, start: dt.datetime, end: dt.datetime) -> list[Occupant]:
    """The time between one local day's bookable hours and the next, over the range."""
    if facility.bookable_from is None:
        return []
    zone = zoneinfo.ZoneInfo(facility.site.timezone)
    first = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date() + dt.timedelta(days=1)
    windows = [
        bookable_window(facility, first + dt.timedelta(days=n))
        for n in range((last - first).days + 1)
    ]
    what = _("Outside bookable hours (%(hours)s)") % {"hours": hours_text(facility)}
    return [
        Occupant(
            kind="hours", what=what, start=before.end, end=after.start, facility_id=facility.pk
        )
        for before, after in zip(windows, windows[1:], strict=False)
        if before.end < end and after.start > start
    ]


def _merge(items: Iterable[tuple[Occupant, dt.datetime, dt.datetime]]) -> list[BusyInterval]:
    """Merge overlapping or touching intervals, keeping every occupant."""
    merged: list[BusyInterval] = []
    for occupant, start, end in sorted(items, key=lambda item: (item[1], item[2])):
        if merged and start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = BusyInterval(last.start, max(last.end, end), (*last.occupants, occupant))
        else:
            merged.append(BusyInterval(start, end, (occupant,)))
    return merged


def _clip_all(
    busy: list[BusyInterval], start: dt.datetime, end: dt.datetime
) -> tuple[BusyInterval, ...]:
    return tuple(
        BusyInterval(max(b.start, start), min(b.end, end), b.occupants)
        for b in busy
        if b.start < end and b.end > start
    )


def _gaps(
    busy: tuple[BusyInterval, ...], start: dt.datetime, end: dt.datetime
) -> tuple[Interval, ...]:
    free, cursor = [], start
    for interval in busy:
        if interval.start > cursor:
            free.append(Interval(cursor, interval.start))
        cursor = max(cursor, interval.end)
    if cursor < end:
        free.append(Interval(cursor, end))
    return tuple(free)
