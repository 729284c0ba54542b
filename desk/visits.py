"""Site inspections planned in one go: stops in order, travel between them, held bookings.

``visit_propose`` works out each stop's time from the start, the durations and the travel time
between stops (the rule ``desk.warnings`` checks against: a site's internal travel time,
else a TravelTime row in either direction, else the default). It writes nothing.

``visit_check`` answers "what would happen if I saved this?": it runs ``visit_create`` inside a
transaction that is always rolled back, collecting every stop's clash (with what it clashes
with and the free alternatives) instead of stopping at the first, and the event's warnings.
The check and the save therefore apply the same rules through the same services; nothing is
kept and nothing is sent (after-commit work is discarded with the rollback).

``visit_create`` creates the event, its attendees, its programme (transfer and tour-stop items)
and a held booking for each bookable stop in one transaction: all of it or nothing.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from core import changes as change_log
from scheduling.clashes import BookingClash
from scheduling.models import Event, Facility, ProgrammeItem, ProgrammeRole, Site, TravelTime
from scheduling.services.bookings import booking_hold
from scheduling.services.events import event_create
from scheduling.services.programme import programme_item_create
from visitors.models import Attendance, Organisation, Person
from visitors.services import attendance_add

from .warnings import DEFAULT_TRAVEL_MINUTES, EventWarning, event_warnings

MIN_STOP_MINUTES = 5
MAX_STOP_MINUTES = 8 * 60
MAX_STOPS = 12


@dataclass(frozen=True)
class VisitStop:
    """One stop as asked for: where, for how long, and the tenant hosting it (if any)."""

    facility_id: int
    minutes: int
    host_organisation_id: int | None = None


@dataclass(frozen=True)
class PlannedStop:
    """A stop with its proposed time; travel_minutes is the move from the stop before."""

    position: int
    facility: Facility
    host: Organisation | None
    start: dt.datetime
    end: dt.datetime
    travel_minutes: int

    @property
    def arrival_from(self) -> dt.datetime:
        """When the party leaves the stop before (the transfer's start)."""
        return self.start - dt.timedelta(minutes=self.travel_minutes)

    @property
    def title(self) -> str:
        place = self.host.name if self.host else self.facility.name
        return f"Tour stop: {place}"


@dataclass(frozen=True)
class VisitProposal:
    site: Site
    start: dt.datetime
    end: dt.datetime
    stops: tuple[PlannedStop, ...]


@dataclass
class StopCheck:
    """What saving would do at one stop: a clash, another refusal, or no booking needed."""

    stop: PlannedStop
    clash: BookingClash | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def books(self) -> bool:
        return self.stop.facility.is_bookable


@dataclass
class VisitCheck:
    proposal: VisitProposal
    stops: list[StopCheck]
    warnings: list[EventWarning]

    @property
    def can_save(self) -> bool:
        return not any(s.clash or s.errors for s in self.stops)


def travel_minutes(
    origin: Facility, destination: Facility, table: dict[tuple[int, int], int]
) -> int:
    """Minutes to move the party between two stops (0 when they stay in one facility)."""
    if origin.pk == destination.pk:
        return 0
    if origin.site_id == destination.site_id:
        return origin.site.internal_travel_minutes
    forward = table.get((origin.site_id, destination.site_id))
    if forward is not None:
        return forward
    return table.get((destination.site_id, origin.site_id), DEFAULT_TRAVEL_MINUTES)


def visit_propose(*, site_id: int, start: dt.datetime, stops: Sequence[VisitStop]) -> VisitProposal:
    """Each stop's time from the start, durations and travel between stops; writes nothing."""
    _check_stops(stops)
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        raise ValidationError({"site": "No such site."}, code="not_found")
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValidationError({"start": "Give a time with its time zone."}, code="naive_datetime")
    facilities = Facility.objects.select_related("site").in_bulk({s.facility_id for s in stops})
    hosts = Organisation.objects.in_bulk(
        {s.host_organisation_id for s in stops if s.host_organisation_id}
    )
    missing = {s.facility_id for s in stops} - set(facilities)
    if missing:
        raise ValidationError({"stops": "Choose facilities that exist."}, code="not_found")
    site_ids = {f.site_id for f in facilities.values()}
    table = {
        (row.from_site_id, row.to_site_id): row.minutes
        for row in TravelTime.objects.filter(from_site_id__in=site_ids, to_site_id__in=site_ids)
    }
    planned, cursor, previous = [], start, None
    for position, stop in enumerate(stops):
        facility = facilities[stop.facility_id]
        travel = travel_minutes(previous, facility, table) if previous else 0
        begins = cursor + dt.timedelta(minutes=travel)
        ends = begins + dt.timedelta(minutes=stop.minutes)
        planned.append(
            PlannedStop(
                position=position,
                facility=facility,
                host=hosts.get(stop.host_organisation_id),
                start=begins,
                end=ends,
                travel_minutes=travel,
            )
        )
        cursor, previous = ends, facility
    return VisitProposal(site=site, start=start, end=cursor, stops=tuple(planned))


def visit_check(
    *,
    title: str,
    site_id: int,
    start: dt.datetime,
    stops: Sequence[VisitStop],
    dignitary_ids: Sequence[int],
    party_ids: Sequence[int] = (),
    by: AbstractBaseUser | None = None,
    **fields,
) -> VisitCheck:
    """What saving this visit would do, every clash and warning included; nothing is kept."""
    result: VisitCheck | None = None
    try:
        # Deferred change rows are dropped with the rollback: a check never takes the log's lock.
        with transaction.atomic(), change_log.deferred():
            event, proposal, checks = _build(
                title=title,
                site_id=site_id,
                start=start,
                stops=stops,
                dignitary_ids=dignitary_ids,
                party_ids=party_ids,
                by=by,
                collect=True,
                **fields,
            )
            result = VisitCheck(proposal, checks, event_warnings(event_id=event.pk))
            raise _RolledBack
    except _RolledBack:
        pass
    assert result is not None
    return result


@transaction.atomic
def visit_create(
    *,
    title: str,
    site_id: int,
    start: dt.datetime,
    stops: Sequence[VisitStop],
    dignitary_ids: Sequence[int],
    party_ids: Sequence[int] = (),
    by: AbstractBaseUser | None = None,
    **fields,
) -> Event:
    """Create a tentative site inspection with its attendees, programme and held bookings, or
    nothing at all: a clash at any stop raises BookingClash and rolls everything back."""
    # The change log's lock comes after the bookings, as in every single service.
    with change_log.deferred():
        event, _proposal, _checks = _build(
            title=title,
            site_id=site_id,
            start=start,
            stops=stops,
            dignitary_ids=dignitary_ids,
            party_ids=party_ids,
            by=by,
            collect=False,
            **fields,
        )
    return event


class _RolledBack(Exception):
    """Raised inside visit_check's transaction so that nothing it wrote is kept."""


def _build(
    *,
    title: str,
    site_id: int,
    start: dt.datetime,
    stops: Sequence[VisitStop],
    dignitary_ids: Sequence[int],
    party_ids: Sequence[int],
    by: AbstractBaseUser | None,
    collect: bool,
    **fields,
) -> tuple[Event, VisitProposal, list[StopCheck]]:
    _check_people(dignitary_ids, party_ids)
    proposal = visit_propose(site_id=site_id, start=start, stops=stops)
    event = event_create(
        title=title,
        site=proposal.site,
        start=proposal.start,
        end=proposal.end,
        kind=Event.Kind.SITE_INSPECTION,
        status=Event.Status.TENTATIVE,
        by=by,
        **fields,
    )
    # Attendees first: the bookings' capacity check counts them.
    for person_id in dignitary_ids:
        attendance_add(
            event_id=event.pk, person_id=person_id, role=Attendance.Role.GUEST_OF_HONOUR, by=by
        )
    for person_id in party_ids:
        attendance_add(event_id=event.pk, person_id=person_id, role=Attendance.Role.ESCORT, by=by)
    people = Person.objects.in_bulk([*dignitary_ids, *party_ids])
    roles = [(people[pk], ProgrammeRole.Part.PARTICIPANT) for pk in [*dignitary_ids, *party_ids]]

    checks = []
    for stop in proposal.stops:
        if stop.travel_minutes:
            programme_item_create(
                event_id=event.pk,
                title=f"Transfer to {stop.host.name if stop.host else stop.facility.name}",
                start=stop.arrival_from,
                end=stop.start,
                kind=ProgrammeItem.Kind.TRANSFER,
                position=2 * stop.position,
                by=by,
            )
        item = programme_item_create(
            event_id=event.pk,
            title=stop.title,
            start=stop.start,
            end=stop.end,
            kind=ProgrammeItem.Kind.TOUR_STOP,
            facility=stop.facility,
            host_organisation=stop.host,
            position=2 * stop.position + 1,
            roles=roles,
            by=by,
        )
        check = StopCheck(stop)
        checks.append(check)
        if not check.books:
            continue  # live production lines and the like are seen, never booked
        try:
            booking_hold(
                event_id=event.pk,
                facility_id=stop.facility.pk,
                start=stop.start,
                end=stop.end,
                programme_item_id=item.pk,
                by=by,
            )
        except BookingClash as clash:
            if not collect:
                raise
            check.clash = clash
        except ValidationError as error:
            if not collect:
                raise
            check.errors.extend(error.messages)
    return event, proposal, checks


def _check_stops(stops: Sequence[VisitStop]) -> None:
    if not stops:
        raise ValidationError({"stops": "Give at least one stop."}, code="no_stops")
    if len(stops) > MAX_STOPS:
        raise ValidationError({"stops": f"A visit has {MAX_STOPS} stops at most."}, code="many")
    for stop in stops:
        if not MIN_STOP_MINUTES <= stop.minutes <= MAX_STOP_MINUTES:
            raise ValidationError(
                {
                    "stops": f"A stop lasts between {MIN_STOP_MINUTES} and "
                    f"{MAX_STOP_MINUTES} minutes."
                },
                code="duration",
            )


def _check_people(dignitary_ids: Sequence[int], party_ids: Sequence[int]) -> None:
    if not dignitary_ids:
        raise ValidationError({"dignitaries": "Name at least one visitor."}, code="required")
    everyone = [*dignitary_ids, *party_ids]
    if len(set(everyone)) != len(everyone):
        raise ValidationError(
            {"party": "Someone is listed twice (as a visitor and in the party, or twice)."},
            code="duplicate",
        )
