"""Warnings about an event: things staff should look at, never reasons to refuse a write.

- ``person_double_booked``: someone expected at two overlapping confirmed events, or taking part
  in two overlapping programme items (of events that are not cancelled). Reported on both sides.
- ``travel_time``: consecutive programme items in different facilities leave less time than the
  party needs to move between them.
- ``over_capacity``: an active booking's facility holds fewer people than the event expects
  (a capacity override was used, or people were added after booking).
- ``unconfirmed_booking``: a confirmed event still relies on a held (unconfirmed) booking.

Every call costs the same handful of queries whatever the size of the programme or the number
of events asked about, so the calendar can ask for a whole week at once.
"""

import dataclasses
import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Q

from scheduling.models import Booking, Event, ProgrammeItem, ProgrammeRole, TravelTime
from visitors.models import Attendance

# Between two sites with no TravelTime row in either direction: a cross-town drive in Hong Kong
# traffic, with a margin for getting a VIP party in and out of cars. Add a TravelTime row to
# replace the guess.
DEFAULT_TRAVEL_MINUTES = 45

PERSON_DOUBLE_BOOKED = "person_double_booked"
TRAVEL_TIME = "travel_time"
OVER_CAPACITY = "over_capacity"
UNCONFIRMED_BOOKING = "unconfirmed_booking"


@dataclass(frozen=True)
class EventWarning:
    """One thing to check about an event, with a readable message and the ids it concerns."""

    code: str
    message: str
    event_id: int
    related_event_id: int | None = None
    item_ids: tuple[int, ...] = ()
    person_id: int | None = None
    booking_id: int | None = None
    facility_id: int | None = None
    minutes_needed: int | None = None
    minutes_available: int | None = None
    headcount: int | None = None
    capacity: int | None = None

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["item_ids"] = list(self.item_ids)
        return data


def event_warnings(*, event_id: int) -> list[EventWarning]:
    """Every warning for one event (none for a cancelled or unknown event)."""
    return warnings_for_events(event_ids=[event_id]).get(event_id, [])


def warnings_for_events(*, event_ids: Iterable[int]) -> dict[int, list[EventWarning]]:
    """Warnings for each of several events, keyed by event id, in a fixed number of queries."""
    events = {
        event.pk: event
        for event in Event.objects.filter(pk__in=list(event_ids)).exclude(
            status=Event.Status.CANCELLED
        )
    }
    if not events:
        return {}
    ids = list(events)
    window = (min(e.start for e in events.values()), max(e.end for e in events.values()))
    items = list(
        ProgrammeItem.objects.filter(event_id__in=ids)
        .select_related("facility__site")
        .order_by("event_id", "start", "position", "id")
    )
    attendances = _attendances(events, window)
    roles = _roles(events, window)
    bookings = list(Booking.objects.active().filter(event_id__in=ids).select_related("facility"))

    role_clashes = list(_role_clashes(events, roles))
    # Two overlapping items say more than two overlapping events: keep only the precise one.
    explained = {(w.event_id, w.person_id, w.related_event_id) for w in role_clashes}
    attendance_clashes = [
        w
        for w in _attendance_clashes(events, attendances)
        if (w.event_id, w.person_id, w.related_event_id) not in explained
    ]

    found: dict[int, list[EventWarning]] = {pk: [] for pk in events}
    for warning in (
        *attendance_clashes,
        *role_clashes,
        *_travel_warnings(events, items),
        *_capacity_warnings(events, bookings, attendances),
        *_unconfirmed_bookings(events, bookings),
    ):
        found[warning.event_id].append(warning)
    return found


# --- Queries ------------------------------------------------------------------------------------


def _attendances(events: dict[int, Event], window: tuple[dt.datetime, dt.datetime]) -> list:
    """Expected attendances of the events, plus those of the same people at other confirmed
    events in the window (one query; the exact overlap is checked per event in Python)."""
    confirmed = [pk for pk, e in events.items() if e.status == Event.Status.CONFIRMED]
    wanted = Q(event_id__in=list(events))
    if confirmed:
        wanted |= Q(
            event__status=Event.Status.CONFIRMED,
            event__start__lt=window[1],
            event__end__gt=window[0],
            person_id__in=Attendance.objects.expected()
            .filter(event_id__in=confirmed)
            .values("person_id"),
        )
    return list(Attendance.objects.expected().filter(wanted).select_related("event", "person"))


def _roles(events: dict[int, Event], window: tuple[dt.datetime, dt.datetime]) -> list:
    """Programme roles in the events, plus the same people's roles in any other item of an event
    that is not cancelled during the window (one query)."""
    elsewhere = Q(
        item__start__lt=window[1],
        item__end__gt=window[0],
        person_id__in=ProgrammeRole.objects.filter(item__event_id__in=list(events)).values(
            "person_id"
        ),
    ) & ~Q(item__event__status=Event.Status.CANCELLED)
    return list(
        ProgrammeRole.objects.filter(Q(item__event_id__in=list(events)) | elsewhere).select_related(
            "item__event", "person"
        )
    )


# --- People -------------------------------------------------------------------------------------


def _attendance_clashes(events: dict[int, Event], attendances: list) -> Iterator[EventWarning]:
    by_person: dict[int, list] = defaultdict(list)
    for attendance in attendances:
        by_person[attendance.person_id].append(attendance)
    for attendance in attendances:
        event = events.get(attendance.event_id)
        if event is None or event.status != Event.Status.CONFIRMED:
            continue
        for other in by_person[attendance.person_id]:
            there = other.event
            if (
                there.pk == event.pk
                or there.status != Event.Status.CONFIRMED
                or not _overlap(event.start, event.end, there.start, there.end)
            ):
                continue
            yield EventWarning(
                code=PERSON_DOUBLE_BOOKED,
                message=(
                    f"{attendance.person.display_name} is expected at both this event and "
                    f"“{there.title}” ({_when(there.start, there.end, event)}), which overlap."
                ),
                event_id=event.pk,
                related_event_id=there.pk,
                person_id=attendance.person_id,
            )


def _role_clashes(events: dict[int, Event], roles: list) -> Iterator[EventWarning]:
    by_person: dict[int, list] = defaultdict(list)
    for role in roles:
        by_person[role.person_id].append(role)
    for role in roles:
        event = events.get(role.item.event_id)
        if event is None:
            continue
        item = role.item
        for other_role in by_person[role.person_id]:
            other = other_role.item
            if other.pk == item.pk or not _overlap(item.start, item.end, other.start, other.end):
                continue
            if other.event_id == event.pk and other.pk < item.pk:
                continue  # both items are in this event: report the pair once, not twice
            where = (
                "also in this event" if other.event_id == event.pk else f"in “{other.event.title}”"
            )
            yield EventWarning(
                code=PERSON_DOUBLE_BOOKED,
                message=(
                    f"{role.person.display_name} takes part in “{item.title}” "
                    f"({_when(item.start, item.end, event)}) and in “{other.title}” "
                    f"({_when(other.start, other.end, event)}, {where}), which overlap."
                ),
                event_id=event.pk,
                related_event_id=other.event_id,
                item_ids=(item.pk, other.pk),
                person_id=role.person_id,
            )


# --- Itinerary ----------------------------------------------------------------------------------


def _travel_warnings(events: dict[int, Event], items: list) -> Iterator[EventWarning]:
    # Items without a facility (transfers, breaks) are left out of the chain, so the time they
    # take counts as time to travel between the stops around them.
    placed: dict[int, list[ProgrammeItem]] = defaultdict(list)
    for item in items:
        if item.facility_id is not None:
            placed[item.event_id].append(item)
    site_pairs = {
        (a.facility.site_id, b.facility.site_id)
        for chain in placed.values()
        for a, b in zip(chain, chain[1:], strict=False)
        if a.facility.site_id != b.facility.site_id
    }
    travel = _travel_table(site_pairs)
    for event_id, chain in placed.items():
        event = events[event_id]
        for before, after in zip(chain, chain[1:], strict=False):
            if before.facility_id == after.facility_id or after.start < before.end:
                continue  # staying put, or parallel items (not a move from one to the other)
            needed = _travel_minutes(before.facility.site, after.facility.site, travel)
            available = int((after.start - before.end).total_seconds() // 60)
            if available >= needed:
                continue
            yield EventWarning(
                code=TRAVEL_TIME,
                message=(
                    f"Only {available} min between “{before.title}” at {before.facility.name} "
                    f"(ends {_clock(before.end, event)}) and “{after.title}” at "
                    f"{after.facility.name} (starts {_clock(after.start, event)}); moving "
                    f"between them takes {needed} min."
                ),
                event_id=event_id,
                item_ids=(before.pk, after.pk),
                facility_id=after.facility_id,
                minutes_needed=needed,
                minutes_available=available,
            )


def _travel_table(site_pairs: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    if not site_pairs:
        return {}
    sites = {site for pair in site_pairs for site in pair}
    rows = TravelTime.objects.filter(from_site_id__in=sites, to_site_id__in=sites)
    return {(row.from_site_id, row.to_site_id): row.minutes for row in rows}


def _travel_minutes(origin, destination, travel: dict[tuple[int, int], int]) -> int:
    """Same site: its internal time; else the row for this direction, the reverse, the default."""
    if origin.pk == destination.pk:
        return origin.internal_travel_minutes
    forward = travel.get((origin.pk, destination.pk))
    if forward is not None:
        return forward
    return travel.get((destination.pk, origin.pk), DEFAULT_TRAVEL_MINUTES)


# --- Bookings -----------------------------------------------------------------------------------


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


def _overlap(a_start: dt.datetime, a_end: dt.datetime, b_start, b_end) -> bool:
    """Half-open intervals: back to back is not an overlap."""
    return a_start < b_end and b_start < a_end


def _zone(event: Event) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(event.timezone)


def _clock(moment: dt.datetime, event: Event) -> str:
    return moment.astimezone(_zone(event)).strftime("%H:%M")


def _day(local: dt.datetime) -> str:
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"  # no %-d: it is not portable


def _moment(moment: dt.datetime, event: Event) -> str:
    local = moment.astimezone(_zone(event))
    return f"{_day(local)} {local.tzname()}"


def _when(start: dt.datetime, end: dt.datetime, event: Event) -> str:
    """'Mon 4 Mar 2030 10:00–12:00 HKT' in the event's zone (dates repeated if days differ)."""
    local_start, local_end = start.astimezone(_zone(event)), end.astimezone(_zone(event))
    if local_start.date() == local_end.date():
        return f"{_day(local_start)}–{local_end:%H:%M} {local_end.tzname()}"
    return f"{_day(local_start)} – {_day(local_end)} {local_end.tzname()}"
