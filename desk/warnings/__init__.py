"""Warnings about an event: things staff should look at, never reasons to refuse a write.

- ``person_double_booked``: someone expected at two overlapping events, or taking part in two
  overlapping programme items (of events that are not cancelled). An attendee is expected from
  their call time where one is set. Reported on both sides.
- ``person_travel_time``: someone expected at one event and then the next (not cancelled) leaves
  less time between them than travel from one venue to the other takes. Reported on both sides.
- ``travel_time``: consecutive programme items in different facilities leave less time than the
  party needs to move between them.
- ``over_capacity``: an active booking's facility holds fewer people than the event expects
  (a capacity override was used, or people were added after booking).
- ``unconfirmed_booking``: a confirmed event still relies on a held (unconfirmed) booking.
- ``stop_consent``: a stop a tenant hosts, starting within ``CONSENT_WARNING_DAYS``, that its
  host has not confirmed (not asked, not answered, declined or asked for another time).
- ``passenger_two_vehicles``, ``vehicle_without_driver``, ``car_call_after_departure``: a
  delegation's cars (desk.warnings.delegations).
- ``closed_over_booking``: a closure of the facility or its whole site lies over an active
  booking's occupied time. Closures are facts (a typhoon, maintenance) and are saved anyway.

Warnings are computed when read, from the data as it is then, so a change shows on every event
it touches without anything stored. Every call costs the same handful of queries whatever the
size of the programme, the number of attendees or the number of events asked about, so the
calendar can ask for a whole week at once.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from scheduling.models import (
    Booking,
    Closure,
    Event,
    ProgrammeItem,
    ProgrammeRole,
    Site,
    TravelTime,
)
from scheduling.venue import event_venue
from visitors.models import Attendance

from .base import (  # noqa: F401 (the package's public names)
    CAR_CALL_AFTER_DEPARTURE,
    CLOSED_OVER_BOOKING,
    DEFAULT_TRAVEL_MINUTES,
    OVER_CAPACITY,
    PASSENGER_TWO_VEHICLES,
    PERSON_DOUBLE_BOOKED,
    PERSON_TRAVEL_TIME,
    STOP_CONSENT,
    TRAVEL_HORIZON,
    TRAVEL_TIME,
    UNCONFIRMED_BOOKING,
    VEHICLE_WITHOUT_DRIVER,
    EventWarning,
    _clock,
    _clock_near,
    _day,
    _moment,
    _overlap,
    _span_on,
    _when,
    _zone,
)
from .bookings import (
    _capacity_warnings,
    _closure_warnings,
    _unconfirmed_bookings,
    bookings_with_warnings,
)
from .consent import _consent_warnings
from .delegations import _vehicle_warnings, delegation_vehicles


def event_warnings(*, event_id: int) -> list[EventWarning]:
    """Every warning for one event (none for a cancelled or unknown event)."""
    return warnings_for_events(event_ids=[event_id]).get(event_id, [])


def warnings_for_events(*, event_ids: Iterable[int] | QuerySet) -> dict[int, list[EventWarning]]:
    """Warnings of each of several events, keyed by event id (an event with none, cancelled or
    unknown is left out), in a fixed number of queries.

    `event_ids` may be a query of ids (``.values("event_id")``): each query below then names
    the events by that subquery instead of carrying thousands of ids (a busy week's calendar).
    The database picks the rows that can have something to say (a booking under a closure, an
    attendee with another event near in time) and only those are loaded: a week of thousands of
    quiet bookings costs a few queries, not thousands of rows built and checked in Python.
    """
    ids = event_ids if isinstance(event_ids, QuerySet) else list(event_ids)
    items = list(
        ProgrammeItem.objects.filter(event_id__in=ids)
        .exclude(event__status=Event.Status.CANCELLED)
        .select_related("facility__site", "consent")
        .order_by("event_id", "start", "position", "id")
    )
    attendances = _attendances_near_others(ids)
    elsewhere = _attendances_elsewhere(ids, attendances)
    roles = _roles(items)
    bookings = bookings_with_warnings(ids)
    vehicles = delegation_vehicles(ids)
    closures = _closures([b for b in bookings if b.closed])
    ours = {item.pk for item in items}
    events = _events(
        {item.event_id for item in items}
        | {a.event_id for a in attendances}
        | {role.item.event_id for role in roles if role.item_id in ours}
        | {b.event_id for b in bookings}
        | {v.delegation.event_id for v in vehicles}
    )
    for attendance in attendances:
        attendance.event = events[attendance.event_id]

    role_clashes = list(_role_clashes(events, roles))
    # Two overlapping items say more than two overlapping events: keep only the precise one.
    explained = {(w.event_id, w.person_id, w.related_event_id) for w in role_clashes}
    overlaps, moves = _people(attendances, elsewhere)
    attendance_clashes = [
        w for w in overlaps if (w.event_id, w.person_id, w.related_event_id) not in explained
    ]
    venues = _venue_sites(moves)
    travel = _travel_table(
        _item_site_pairs(items)
        | {(venues[m.origin.event_id].pk, venues[m.destination.event_id].pk) for m in moves}
    )

    found: dict[int, list[EventWarning]] = defaultdict(list)
    for warning in (
        *attendance_clashes,
        *_move_warnings(moves, venues, travel),
        *role_clashes,
        *_travel_warnings(events, items, travel),
        *_closure_warnings(events, bookings, closures),
        *_capacity_warnings(events, bookings),
        *_unconfirmed_bookings(events, bookings),
        *_consent_warnings(events, items),
        *_vehicle_warnings(events, vehicles),
    ):
        found[warning.event_id].append(warning)
    return dict(found)


# --- Queries ------------------------------------------------------------------------------------


def _events(pks: set[int]) -> dict[int, Event]:
    """The events the warnings speak of, each built once, sharing their sites (two queries)."""
    if not pks:
        return {}
    events = Event.objects.in_bulk(pks)
    sites = Site.objects.filter(pk__in={e.site_id for e in events.values()})
    by_pk = {site.pk: site for site in sites}
    for event in events.values():
        event.site = by_pk[event.site_id]
    return events


def _attendances_near_others(ids) -> list:
    """The events' expected attendances whose person is also expected at another event that is
    not cancelled, near enough in time to overlap or to leave too little time to travel (one
    query; the rules are checked in Python on what it returns)."""
    arrival = Coalesce("call_time", "event__start")
    near = Attendance.objects.expected().filter(
        ~Q(event_id=OuterRef("event_id")),
        ~Q(event__status=Event.Status.CANCELLED),
        Q(event__start__lt=OuterRef("event__end") + TRAVEL_HORIZON)
        | Q(call_time__lt=OuterRef("event__end") + TRAVEL_HORIZON),
        person_id=OuterRef("person_id"),
        event__end__gt=OuterRef("arrival") - TRAVEL_HORIZON,
    )
    return list(
        Attendance.objects.expected()
        .filter(event_id__in=ids)
        .exclude(event__status=Event.Status.CANCELLED)
        .annotate(arrival=arrival, event_end=F("event__end"))
        .filter(Exists(near))
        .select_related("person")
    )


def _attendances_elsewhere(ids, attendances: list) -> list:
    """The same people's expected attendances at other events that are not cancelled, as far
    before and after as travel could take (one query; overlap and travel are checked in
    Python)."""
    if not attendances:
        return []
    earliest = min(a.arrival for a in attendances)
    latest = max(a.event_end for a in attendances)
    return list(
        Attendance.objects.expected()
        .filter(
            Q(event__start__lt=latest + TRAVEL_HORIZON) | Q(call_time__lt=latest + TRAVEL_HORIZON),
            person_id__in={a.person_id for a in attendances},
            event__end__gt=earliest - TRAVEL_HORIZON,
        )
        .exclude(event_id__in=ids)
        .exclude(event__status=Event.Status.CANCELLED)
        .select_related("event__site")
    )


def _roles(items: list) -> list:
    """The roles in the items, plus the same people's roles in any other item of an event that
    is not cancelled during the items (one query)."""
    if not items:
        return []
    ours = [item.pk for item in items]
    window = (min(item.start for item in items), max(item.end for item in items))
    elsewhere = Q(
        item__start__lt=window[1],
        item__end__gt=window[0],
        person_id__in=ProgrammeRole.objects.filter(item_id__in=ours).values("person_id"),
    ) & ~Q(item__event__status=Event.Status.CANCELLED)
    return list(
        ProgrammeRole.objects.filter(Q(item_id__in=ours) | elsewhere).select_related(
            "item__event", "person"
        )
    )


def _closures(bookings: list) -> list:
    """Closures of the bookings' facilities or their sites during the bookings (one query)."""
    if not bookings:
        return []
    return list(
        Closure.objects.filter(
            Q(facility_id__in={b.facility_id for b in bookings})
            | Q(site_id__in={b.facility.site_id for b in bookings}),
            start__lt=max(b.occupied_end for b in bookings),
            end__gt=min(b.occupied_start for b in bookings),
        ).select_related("site")
    )


def _venue_sites(moves: list) -> dict:
    """Where each event of the moves happens (the site of its venue, else its own site): two
    queries, whatever the number of events."""
    involved = {}
    for move in moves:
        for attendance in (move.origin, move.destination):
            involved.setdefault(attendance.event_id, attendance.event)
    if not involved:
        return {}
    prefetch_related_objects(
        list(involved.values()),
        Prefetch(
            "bookings", queryset=Booking.objects.select_related("facility__site", "programme_item")
        ),
        Prefetch("programme", queryset=ProgrammeItem.objects.select_related("facility__site")),
    )
    sites = {}
    for pk, event in involved.items():
        venue = event_venue(event)
        sites[pk] = venue.site if venue is not None else event.site
    return sites


# --- People -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Move:
    """A person going from one event (origin) straight on to the next (destination), seen from
    event_id, which is one of the two."""

    event_id: int
    origin: Attendance
    destination: Attendance


def _arrival(attendance: Attendance) -> dt.datetime:
    """When the person must be there: their call time where set, else the event's start."""
    return attendance.call_time or attendance.event.start


def _people(attendances: list, elsewhere: list) -> tuple[list[EventWarning], list[_Move]]:
    """Each attendee's other events that overlap this one (warnings), and the events they come
    from and go on to straight before and after it (moves, checked for travel time later)."""
    by_person: dict[int, list] = defaultdict(list)
    for attendance in (*attendances, *elsewhere):
        by_person[attendance.person_id].append(attendance)
    clashes, moves = [], []
    for attendance in attendances:
        arrive, leave = _arrival(attendance), attendance.event.end
        before = after = None
        for other in by_person[attendance.person_id]:
            if other.event_id == attendance.event_id:
                continue
            if _overlap(arrive, leave, _arrival(other), other.event.end):
                clashes.append(_overlap_warning(attendance, other))
            elif other.event.end <= arrive:
                if before is None or other.event.end > before.event.end:
                    before = other
            elif after is None or _arrival(other) < _arrival(after):
                after = other
        if before is not None:
            moves.append(_Move(attendance.event_id, before, attendance))
        if after is not None:
            moves.append(_Move(attendance.event_id, attendance, after))
    return clashes, moves


def _overlap_warning(attendance: Attendance, other: Attendance) -> EventWarning:
    event, there = attendance.event, other.event
    details = [_when(there.start, there.end, event)]
    if there.status != Event.Status.CONFIRMED:
        details.insert(0, there.get_status_display().lower())
    if other.call_time:
        details.append(_("due from %(time)s") % {"time": _clock_near(other.call_time, event)})
    return EventWarning(
        code=PERSON_DOUBLE_BOOKED,
        message=_(
            "%(person)s is expected at both this event and “%(title)s” (%(details)s), "
            "which overlap."
        )
        % {
            "person": attendance.person.display_name,
            "title": there.title,
            "details": ", ".join(details),
        },
        event_id=event.pk,
        related_event_id=there.pk,
        person_id=attendance.person_id,
    )


def _move_warnings(moves: list, venues: dict, travel: dict) -> Iterator[EventWarning]:
    for move in moves:
        origin, destination = move.origin, move.destination
        leaving, due = origin.event.end, _arrival(destination)
        site_from, site_to = venues[origin.event_id], venues[destination.event_id]
        # Within one site the events' own programmes carry the walk between facilities.
        needed = 0 if site_from.pk == site_to.pk else _travel_minutes(site_from, site_to, travel)
        available = int((due - leaving).total_seconds() // 60)
        if available >= needed:
            continue
        # The attendance of the event asked about: its person is loaded, its zone is the one shown.
        ours = origin if move.event_id == origin.event_id else destination
        seen_from = ours.event
        yield EventWarning(
            code=PERSON_TRAVEL_TIME,
            message=_(
                "%(person)s leaves “%(origin)s” at %(origin_site)s at %(leaving)s and is due at "
                "“%(destination)s” at %(destination_site)s at %(due)s; travel takes "
                "%(minutes)s min."
            )
            % {
                "person": ours.person.display_name,
                "origin": origin.event.title,
                "origin_site": site_from.name,
                "leaving": _clock_near(leaving, seen_from),
                "destination": destination.event.title,
                "destination_site": site_to.name,
                "due": _clock_near(due, seen_from),
                "minutes": needed,
            },
            event_id=move.event_id,
            related_event_id=(
                destination.event_id if move.event_id == origin.event_id else origin.event_id
            ),
            person_id=ours.person_id,
            minutes_needed=needed,
            minutes_available=available,
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
                _("also in this event")
                if other.event_id == event.pk
                else _("in “%(title)s”") % {"title": other.event.title}
            )
            yield EventWarning(
                code=PERSON_DOUBLE_BOOKED,
                message=_(
                    "%(person)s takes part in “%(item)s” (%(item_when)s) and in “%(other)s” "
                    "(%(other_when)s, %(where)s), which overlap."
                )
                % {
                    "person": role.person.display_name,
                    "item": item.title,
                    "item_when": _when(item.start, item.end, event),
                    "other": other.title,
                    "other_when": _when(other.start, other.end, event),
                    "where": where,
                },
                event_id=event.pk,
                related_event_id=other.event_id,
                item_ids=(item.pk, other.pk),
                person_id=role.person_id,
            )


# --- Itinerary ----------------------------------------------------------------------------------


def _placed(items: list) -> dict[int, list[ProgrammeItem]]:
    # Items without a facility (transfers, breaks) are left out of the chain, so the time they
    # take counts as time to travel between the stops around them.
    placed: dict[int, list[ProgrammeItem]] = defaultdict(list)
    for item in items:
        if item.facility_id is not None:
            placed[item.event_id].append(item)
    return placed


def _item_site_pairs(items: list) -> set[tuple[int, int]]:
    return {
        (a.facility.site_id, b.facility.site_id)
        for chain in _placed(items).values()
        for a, b in zip(chain, chain[1:], strict=False)
        if a.facility.site_id != b.facility.site_id
    }


def _travel_warnings(
    events: dict[int, Event], items: list, travel: dict[tuple[int, int], int]
) -> Iterator[EventWarning]:
    placed = _placed(items)
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
                message=_(
                    "Only %(available)s min between “%(before)s” at %(before_facility)s "
                    "(ends %(ends)s) and “%(after)s” at %(after_facility)s (starts %(starts)s); "
                    "moving between them takes %(needed)s min."
                )
                % {
                    "available": available,
                    "before": before.title,
                    "before_facility": before.facility.name,
                    "ends": _clock(before.end, event),
                    "after": after.title,
                    "after_facility": after.facility.name,
                    "starts": _clock(after.start, event),
                    "needed": needed,
                },
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
