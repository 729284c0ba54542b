"""What is in a booking's way, said in words, and what is free instead.

``BookingClash`` is the refusal a booking service raises when a facility is taken, closed or
outside its bookable hours: it names what occupies the slot (for staff; partners see
"Booked") and suggests the nearest free slots and the site's other free facilities.
``nearest_starts`` is the one free-slot search, used for those suggestions and for moving a
whole event (``event_move_suggestions``, shown by the staff event page).
"""

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import availability
from .availability import Occupant
from .models import MAX_BUFFER_MINUTES, Booking, Event, Facility
from .timezones import DAY, DAY_TIME, written

SLOTS_PER_DAY = 2
SUGGESTED_FACILITIES = 5
# A stand-in is neither much smaller nor much larger than the facility asked for: a 20-seat
# lounge is not offered a 500-person plaza, nor a hall a broom cupboard.
SUBSTITUTE_SIZE = (0.5, 2.0)
MINUTE = dt.timedelta(minutes=1)


class BookingClash(ValidationError):
    """A facility is not free when asked: what occupies it, and what is free nearby.

    ``conflicts`` lists what is in the way (dicts with kind "booking", "closure" or "hours",
    what, start, end and ids). ``suggestions`` holds "slots" (the nearest free slots of the same
    occupied length in the same facility, that local day and the next) and "facilities" (other
    bookable facilities of the site that could stand in for it (``is_substitute``), free at the
    requested time).

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
                name = _("“%(title)s”") % {"title": title} if title else _("another event")
                if occupant.status == Booking.Status.HELD:
                    part = _("booked for %(name)s (held), %(when)s")
                else:
                    part = _("booked for %(name)s, %(when)s")
                parts.append(part % {"name": name, "when": when})
            elif occupant.kind == "closure":
                parts.append(
                    _("closed (%(what)s), %(when)s") % {"what": occupant.what, "when": when}
                )
            elif occupant.kind == "hours":
                parts.append(_("outside its bookable hours (%(hours)s)") % {"hours": self._hours})
            else:
                parts.append(occupant.what.lower())
        if not parts:
            # Only after a lost race whose winner has gone again.
            parts.append(_("someone else booked it at the same moment"))
        sentences = [
            self._intro
            + _("%(facility)s is not free on %(span)s (set-up and teardown included): %(parts)s.")
            % {"facility": self.facility_name, "span": span, "parts": "; ".join(parts)}
        ]
        if self.suggestions["slots"]:
            slots = [_span(s["start"], s["end"], zone, day) for s in self.suggestions["slots"]]
            listed = (
                slots[0]
                if len(slots) == 1
                else _("%(slots)s or %(last)s")
                % {"slots": ", ".join(slots[:-1]), "last": slots[-1]}
            )
            sentences.append(_("It could take place %(slots)s.") % {"slots": listed})
        if self.suggestions["facilities"]:
            names = ", ".join(f["name"] for f in self.suggestions["facilities"])
            sentences.append(_("Free at that time: %(facilities)s.") % {"facilities": names})
        return " ".join(sentences)

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
                conflict.update(
                    what=str(availability.HIDDEN_BOOKING), booking_id=None, event_id=None
                )
        elif occupant.kind == "closure":
            conflict.update(
                closure_id=occupant.closure_id,
                reason=occupant.reason,
                scope="facility" if occupant.facility_id else "site",
            )
        elif occupant.kind == "hours":
            conflict["bookable_hours"] = self._hours
        return conflict


@dataclass(frozen=True)
class ClashCheck:
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


def raise_if_occupied(booking: Booking, check: ClashCheck) -> None:
    """Raise BookingClash if anything occupies the booking's facility in its occupied interval."""
    clash = find_clash(booking, check)
    if clash is not None:
        raise clash


def find_clash(booking: Booking, check: ClashCheck) -> BookingClash | None:
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


def _suggest(
    booking: Booking, check: ClashCheck, ignore: set[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Free slots of the same occupied length in this facility nearest to the time asked (that
    local day and the next), and the site's facilities that could stand in for it, free then:
    three queries."""
    facility, headcount, buffers = check.facility, check.headcount, check.buffers
    zone = zoneinfo.ZoneInfo(facility.site.timezone)
    occupied = booking.occupied_end - booking.occupied_start
    day = booking.occupied_start.astimezone(zone).date()
    widest = dt.timedelta(minutes=MAX_BUFFER_MINUTES)
    window_start = min(_midnight(day, zone), booking.start - widest)
    window_end = max(_midnight(day + dt.timedelta(days=2), zone), booking.end + widest)
    site_facilities = {
        f.pk: f
        for f in Facility.objects.filter(site_id=facility.site_id)
        if f.pk == facility.pk or is_substitute(facility, f, headcount)
    }
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
    frees = found[facility.pk].free
    starts = nearest_starts(
        # Where the occupied time may start and still end within that day.
        lambda day_from, day_to: [
            (max(free.start, day_from), min(free.end, day_to) - occupied) for free in frees
        ],
        day=day,
        zone=zone,
        at=booking.occupied_start.astimezone(zone).time(),
    )
    slots = [
        {
            "facility_id": facility.pk,
            "start": at + setup,
            "end": at + occupied - teardown,
            "occupied_start": at,
            "occupied_end": at + occupied,
        }
        for at in starts
    ]

    others = []
    for other in found.values():
        if other.facility_id == facility.pk or not other.is_bookable:
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


def is_substitute(asked: Facility, other: Facility, headcount: int) -> bool:
    """Whether other could stand in for the facility asked for: the same kind (never another
    tenant's premises), room for everyone expected, and half to twice its capacity."""
    if other.kind != asked.kind or asked.kind == Facility.Kind.TENANT_PREMISES:
        return False
    smallest, largest = SUBSTITUTE_SIZE
    low = max(headcount, smallest * asked.capacity)
    high = max(headcount, largest * asked.capacity)
    return low <= other.capacity <= high


def nearest_starts(
    ranges_for_day: Callable[[dt.datetime, dt.datetime], Iterable[tuple[dt.datetime, dt.datetime]]],
    *,
    day: dt.date,
    zone: zoneinfo.ZoneInfo,
    at: dt.time,
    per_day: int = SLOTS_PER_DAY,
) -> list[dt.datetime]:
    """The free-slot search: on `day` and the next ("later that day, or at the same time
    tomorrow"), the starts nearest to the local time `at`, `per_day` each, within the ranges
    of allowed starts (both ends included) that ranges_for_day(day_from, day_to) gives."""
    found = []
    for offset in (0, 1):
        day_from = _midnight(day + dt.timedelta(days=offset), zone)
        day_to = _midnight(day + dt.timedelta(days=offset + 1), zone)
        target = dt.datetime.combine(day_from.date(), at, tzinfo=zone)
        candidates = []
        for low, high in ranges_for_day(day_from, day_to):
            if low <= high:
                start = min(max(target, low), high)
                candidates.append((abs(start - target), start))
        found += [start for _distance, start in sorted(candidates)[:per_day]]
    return found


@dataclass(frozen=True)
class Move:
    start: dt.datetime
    end: dt.datetime


def event_move_suggestions(event: Event, *, start: dt.datetime, end: dt.datetime) -> list[Move]:
    """Times near the one asked (that local day and the next) at which every active booking of
    the event, moved by the same offset, is free: two queries.

    A reschedule that clashes proposes no other time by itself, since an event moves all its
    bookings together; this looks for a shift that suits all of them.
    """
    bookings = list(event.bookings.active())
    if not bookings:
        return []
    zone = event.zone
    day = start.astimezone(zone).date()
    widest = max(b.occupied_end - b.occupied_start for b in bookings)
    lead = max(event.start - b.occupied_start for b in bookings)
    range_start = _midnight(day, zone) - lead - widest
    range_end = _midnight(day + dt.timedelta(days=2), zone) + widest
    free = {
        found.facility_id: found.free
        for found in availability.availabilities(
            facility_ids=list({b.facility_id for b in bookings}),
            start=range_start,
            end=range_end,
            exclude_booking_ids=[b.pk for b in bookings],
        )
    }
    # Offsets (from the event's current start) at which each booking fits in a free interval;
    # what suits every booking is the intersection of those sets.
    feasible = [(range_start - event.start - widest, range_end - event.start)]
    for booking in bookings:
        fits = [
            (slot.start - booking.occupied_start, slot.end - booking.occupied_end)
            for slot in free.get(booking.facility_id, ())
            if slot.end - slot.start >= booking.occupied_end - booking.occupied_start
        ]
        feasible = _intersect(feasible, fits)
    starts = nearest_starts(
        # Where the event may start: in that day, with every booking free.
        lambda day_from, day_to: [
            (max(event.start + low, day_from), min(event.start + high, day_to - MINUTE))
            for low, high in feasible
        ],
        day=day,
        zone=zone,
        at=start.astimezone(zone).time(),
    )
    length = end - start
    return [Move(at, at + length) for at in starts if at != start]


def _intersect(
    a: list[tuple[dt.timedelta, dt.timedelta]], b: list[tuple[dt.timedelta, dt.timedelta]]
) -> list[tuple[dt.timedelta, dt.timedelta]]:
    """Intersection of two unions of closed ranges."""
    result = []
    for low_a, high_a in a:
        for low_b, high_b in b:
            low, high = max(low_a, low_b), min(high_a, high_b)
            if low <= high:
                result.append((low, high))
    return sorted(result)


def _midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


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
        return _("%(day)s, %(span)s") % {"day": written(a, DAY), "span": times}
    return f"{written(a, DAY_TIME)} – {written(b, DAY_TIME)}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value
