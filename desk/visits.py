"""Site inspections planned in one go: stops in order, travel between them, held bookings.

``visit_propose`` works out each stop's time from the start, the durations and the travel time
between stops (the rule ``desk.warnings`` checks against: a site's internal travel time,
else a TravelTime row in either direction, else the default). It writes nothing.

``visit_check`` answers "what would happen if I saved this?": it runs ``visit_create`` inside a
transaction that is always rolled back, collecting every stop's clash (with what it clashes
with and the free alternatives) instead of stopping at the first, and the event's warnings.
The check and the save therefore apply the same rules through the same services; nothing is
kept and nothing is sent (after-commit work is discarded with the rollback).

``visit_create`` creates the event, its attendees (each in the role chosen for them), its
programme (a transfer before each move, then each stop as an item of its kind, the stop's host
person on it as "host at the stop", whom the itinerary prints as "Received by") and a held
booking for each bookable stop (one for stops that follow each other in one place) in one
transaction: all of it or nothing.

``stop_places`` is the one rule for where a visit may stop: the facilities of its site, and
tenant premises at the sites a travel time from it is known to.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

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

STOP_KINDS = ProgrammeItem.STOP_KINDS
TITLE_MAX_LENGTH = ProgrammeItem._meta.get_field("title").max_length


@dataclass(frozen=True)
class VisitStop:
    """One stop as asked for: what it is, where, for how long, and who receives the party.

    A transfer may have no facility: it is then the move itself, in place of the travel time
    the planner would add. A blank title is made from the kind and the place."""

    facility_id: int | None
    minutes: int
    host_organisation_id: int | None = None
    kind: str = ProgrammeItem.Kind.TOUR_STOP
    title: str = ""
    host_person_id: int | None = None


@dataclass(frozen=True)
class VisitPerson:
    """Someone in the visit, in the role chosen for them (an Attendance role)."""

    person_id: int
    role: str


@dataclass(frozen=True)
class PlannedStop:
    """A stop with its proposed time; travel_minutes is the move from the stop before."""

    position: int
    kind: str
    title: str
    facility: Facility | None
    host: Organisation | None
    host_person: Person | None
    start: dt.datetime
    end: dt.datetime
    travel_minutes: int

    @property
    def arrival_from(self) -> dt.datetime:
        """When the party leaves the stop before (the transfer's start)."""
        return self.start - dt.timedelta(minutes=self.travel_minutes)

    @property
    def place(self) -> str:
        """Where the stop is, as a title names it: the host's name at a tenant's."""
        if self.host:
            return self.host.name
        return self.facility.name if self.facility else ""

    @property
    def kind_label(self) -> str:
        return str(ProgrammeItem.Kind(self.kind).label)


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
    with_previous: bool = False  # held by the booking of the stop before, in the same place

    @property
    def books(self) -> bool:
        return self.stop.facility is not None and self.stop.facility.is_bookable


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


def stop_places(*, site_ids: Sequence[int]) -> dict[int, list[Facility]]:
    """For each site, where a visit there may stop: its own facilities, then tenant premises at
    the sites a travel time (either way) is known to; two queries."""
    links = TravelTime.objects.filter(Q(from_site_id__in=site_ids) | Q(to_site_id__in=site_ids))
    reach: dict[int, set[int]] = {pk: set() for pk in site_ids}
    for origin, destination in links.values_list("from_site_id", "to_site_id"):
        reach.get(origin, set()).add(destination)
        reach.get(destination, set()).add(origin)
    facilities = list(
        Facility.objects.filter(
            Q(site_id__in=site_ids)
            | Q(kind=Facility.Kind.TENANT_PREMISES, site_id__in=set().union(*reach.values()))
        )
        .select_related("site")
        .order_by("site__name", "name", "pk")
    )
    return {
        site_id: sorted(
            (
                facility
                for facility in facilities
                if facility.site_id == site_id
                or (
                    facility.kind == Facility.Kind.TENANT_PREMISES
                    and facility.site_id in reach[site_id]
                )
            ),
            key=lambda facility: facility.site_id != site_id,  # stable: by name within
        )
        for site_id in site_ids
    }


def default_title(kind: str, place: str, host_person: Person | None = None) -> str:
    """A stop's title when none is typed: its kind and place (who speaks, for remarks)."""
    if kind == ProgrammeItem.Kind.REMARKS and host_person is not None:
        return _("Remarks by %(name)s") % {"name": host_person.display_name}
    if not place:
        return str(ProgrammeItem.Kind(kind).label)
    wording = {
        ProgrammeItem.Kind.ARRIVAL: _("Arrival at %(place)s"),
        ProgrammeItem.Kind.REMARKS: _("Remarks at %(place)s"),
        ProgrammeItem.Kind.TOUR_STOP: _("Tour stop: %(place)s"),
        ProgrammeItem.Kind.TRANSFER: _("Transfer to %(place)s"),
        ProgrammeItem.Kind.PHOTO_CALL: _("Photo call at %(place)s"),
        ProgrammeItem.Kind.DEPARTURE: _("Departure from %(place)s"),
    }
    return wording[kind] % {"place": place}


def visit_propose(*, site_id: int, start: dt.datetime, stops: Sequence[VisitStop]) -> VisitProposal:
    """Each stop's time from the start, durations and travel between stops, and its title;
    writes nothing. A stop may only be at one of the site's stop_places."""
    _check_stops(stops)
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        raise ValidationError({"site": _("No such site.")}, code="not_found")
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValidationError(
            {"start": _("Give a time with its time zone.")}, code="naive_datetime"
        )
    wanted = {s.facility_id for s in stops if s.facility_id is not None}
    facilities = Facility.objects.select_related("site").in_bulk(wanted)
    hosts = Organisation.objects.in_bulk(
        {s.host_organisation_id for s in stops if s.host_organisation_id}
    )
    host_people = Person.objects.in_bulk({s.host_person_id for s in stops if s.host_person_id})
    if wanted - set(facilities):
        raise ValidationError({"stops": _("Choose facilities that exist.")}, code="not_found")
    allowed = {facility.pk for facility in stop_places(site_ids=[site.pk])[site.pk]}
    elsewhere = sorted(facilities[pk].name for pk in wanted - allowed)
    if elsewhere:
        raise ValidationError(
            {
                "stops": _(
                    "%(names)s: not at %(site)s, nor a tenant's premises within reach of it."
                )
                % {"names": ", ".join(elsewhere), "site": site.name}
            },
            code="elsewhere",
        )
    if len(host_people) != len({s.host_person_id for s in stops if s.host_person_id}):
        raise ValidationError({"stops": _("Choose hosts who exist.")}, code="not_found")
    site_ids = {f.site_id for f in facilities.values()}
    table = {
        (row.from_site_id, row.to_site_id): row.minutes
        for row in TravelTime.objects.filter(from_site_id__in=site_ids, to_site_id__in=site_ids)
    }
    timed, cursor, previous, moved = [], start, None, False
    for stop in stops:
        facility = facilities.get(stop.facility_id)
        # An explicit transfer is the move: no travel time is added before or after it.
        travel = travel_minutes(previous, facility, table) if previous and facility else 0
        travel = 0 if moved else travel
        begins = cursor + dt.timedelta(minutes=travel)
        ends = begins + dt.timedelta(minutes=stop.minutes)
        timed.append((stop, facility, begins, ends, travel))
        moved = facility is None
        cursor, previous = ends, facility or previous
    planned: list[PlannedStop] = []
    for position, (stop, facility, begins, ends, travel) in reversed(list(enumerate(timed))):
        host = hosts.get(stop.host_organisation_id)
        host_person = host_people.get(stop.host_person_id)
        place = host.name if host else facility.name if facility else ""
        if stop.kind == ProgrammeItem.Kind.TRANSFER and facility is None and planned:
            place = planned[0].place  # a move is named after where it goes
        title = stop.title.strip() or default_title(stop.kind, place, host_person)
        planned.insert(
            0,
            PlannedStop(
                position=position,
                kind=stop.kind,
                title=title,
                facility=facility,
                host=host,
                host_person=host_person,
                start=begins,
                end=ends,
                travel_minutes=travel,
            ),
        )
    return VisitProposal(site=site, start=start, end=cursor, stops=tuple(planned))


def visit_check(
    *,
    title: str,
    site_id: int,
    start: dt.datetime,
    stops: Sequence[VisitStop],
    people: Sequence[VisitPerson],
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
                people=people,
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
    people: Sequence[VisitPerson],
    by: AbstractBaseUser | None = None,
    **fields,
) -> Event:
    """Create a tentative site inspection with its attendees in their roles, its programme and
    held bookings, or nothing at all: a clash at any stop raises BookingClash and rolls
    everything back."""
    # The change log's lock comes after the bookings, as in every single service.
    with change_log.deferred():
        event, _proposal, _checks = _build(
            title=title,
            site_id=site_id,
            start=start,
            stops=stops,
            people=people,
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
    people: Sequence[VisitPerson],
    by: AbstractBaseUser | None,
    collect: bool,
    **fields,
) -> tuple[Event, VisitProposal, list[StopCheck]]:
    check_people(people)
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
    # Attendees first: the bookings' capacity check counts them. A stop's host person not
    # listed comes as a host, so that they are invited and counted too.
    roles = {person.person_id: person.role for person in people}
    for stop in proposal.stops:
        if stop.host_person is not None:
            roles.setdefault(stop.host_person.pk, Attendance.Role.HOST)
    for person_id, role in roles.items():
        attendance_add(event_id=event.pk, person_id=person_id, role=role, by=by)
    party = Person.objects.in_bulk([person.person_id for person in people])

    checks: list[StopCheck] = []
    items: list[ProgrammeItem] = []
    for stop in proposal.stops:
        if stop.travel_minutes:
            programme_item_create(
                event_id=event.pk,
                title=default_title(ProgrammeItem.Kind.TRANSFER, stop.place),
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
            kind=stop.kind,
            facility=stop.facility,
            host_organisation=stop.host,
            position=2 * stop.position + 1,
            roles=_stop_roles(stop, [party[person.person_id] for person in people]),
            by=by,
        )
        checks.append(StopCheck(stop))
        items.append(item)
    # One booking for stops that follow each other in one facility (an arrival, then remarks
    # in the same hall): two would overlap in their set-up and teardown.
    for run in _runs(checks):
        first, last = run[0], run[-1]
        for check in run[1:]:
            check.with_previous = True
        if not first.books:
            continue  # live production lines and the like are seen, never booked
        try:
            booking_hold(
                event_id=event.pk,
                facility_id=first.stop.facility.pk,
                start=first.stop.start,
                end=last.stop.end,
                programme_item_id=items[first.stop.position].pk,
                by=by,
            )
        except BookingClash as clash:
            if not collect:
                raise
            first.clash = clash
        except ValidationError as error:
            if not collect:
                raise
            first.errors.extend(error.messages)
    return event, proposal, checks


def _runs(checks: list[StopCheck]) -> list[list[StopCheck]]:
    """The stops in runs: one after another in the same facility, with no time between."""
    runs: list[list[StopCheck]] = []
    for check in checks:
        before = runs[-1][-1].stop if runs else None
        stop = check.stop
        if (
            before is not None
            and stop.facility is not None
            and before.facility == stop.facility
            and before.end == stop.start
        ):
            runs[-1].append(check)
        else:
            runs.append([check])
    return runs


def _stop_roles(stop: PlannedStop, party: list[Person]) -> list[tuple[Person, str]]:
    """Who takes part in a stop: its host receives the party, everyone else goes round. A move
    of its own (a transfer without a facility) has no one listed."""
    if stop.kind == ProgrammeItem.Kind.TRANSFER and stop.facility is None:
        return []
    host = stop.host_person
    roles = [(host, ProgrammeRole.Part.HOST)] if host is not None else []
    return roles + [(person, ProgrammeRole.Part.PARTICIPANT) for person in party if person != host]


def _check_stops(stops: Sequence[VisitStop]) -> None:
    if not stops:
        raise ValidationError({"stops": _("Give at least one stop.")}, code="no_stops")
    if len(stops) > MAX_STOPS:
        raise ValidationError(
            {"stops": _("A visit has %(most)s stops at most.") % {"most": MAX_STOPS}}, code="many"
        )
    for stop in stops:
        if not MIN_STOP_MINUTES <= stop.minutes <= MAX_STOP_MINUTES:
            raise ValidationError(
                {
                    "stops": _("A stop lasts between %(least)s and %(most)s minutes.")
                    % {"least": MIN_STOP_MINUTES, "most": MAX_STOP_MINUTES}
                },
                code="duration",
            )
        if stop.kind not in STOP_KINDS:
            raise ValidationError({"stops": _("Choose a kind of stop.")}, code="kind")
        if stop.facility_id is None and stop.kind != ProgrammeItem.Kind.TRANSFER:
            raise ValidationError({"stops": _("Choose where each stop is.")}, code="no_facility")
        if len(stop.title) > TITLE_MAX_LENGTH:
            raise ValidationError(
                {
                    "stops": _("A stop's title has %(most)s characters at most.")
                    % {"most": TITLE_MAX_LENGTH}
                },
                code="title_length",
            )


def check_people(people: Sequence[VisitPerson]) -> None:
    """Refuse a visit without anyone, with someone listed twice, or with two guests of honour:
    at an event only one guest of honour heads the order of precedence."""
    if not people:
        raise ValidationError({"people": _("Name at least one visitor.")}, code="required")
    ids = [person.person_id for person in people]
    if len(set(ids)) != len(ids):
        raise ValidationError({"people": _("Someone is listed twice.")}, code="duplicate")
    if any(person.role not in Attendance.Role.values for person in people):
        raise ValidationError({"people": _("Choose a role for each person.")}, code="role")
    honoured = [p for p in people if p.role == Attendance.Role.GUEST_OF_HONOUR]
    if len(honoured) > 1:
        raise ValidationError(
            {"people": _("Choose one guest of honour; the others can be officiating guests.")},
            code="two_guests_of_honour",
        )
