"""Write the demo world through the services, once: every row has a natural key."""

import datetime as dt
import zoneinfo
from collections import defaultdict

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from scheduling.models import (
    Booking,
    Closure,
    Event,
    Facility,
    ProgrammeItem,
    ProgrammeRole,
    Site,
    TravelTime,
)
from scheduling.services.bookings import booking_create
from scheduling.services.events import event_create, event_transition
from scheduling.services.programme import programme_item_create
from visitors.arrivals.services import attendance_check_in
from visitors.delegations.services import delegation_create, pass_create, vehicle_create
from visitors.models import Attendance, Delegation, Organisation, Pass, Person, Vehicle
from visitors.services import (
    attendance_add,
    organisation_create,
    person_create,
    rsvp_record,
)

from . import showcase, upcoming, world
from .seed_events import SEED_EVENTS
from .specs import AttendeeSpec, Buffers, DelegationSpec, EventSpec, booking_plans

COUNTED: tuple[type[models.Model], ...] = (
    Site,
    TravelTime,
    Facility,
    Closure,
    Organisation,
    Person,
    Event,
    ProgrammeItem,
    ProgrammeRole,
    Attendance,
    Booking,
    Delegation,
    Vehicle,
    Pass,
)


@transaction.atomic
def demo_load(*, today: dt.date | None = None) -> dict[str, tuple[int, int]]:
    """Build the demo world; a second run, even on a later day, adds and changes nothing.

    Returns, per model, how many rows this run added and how many there are now.
    """
    today = today or timezone.localdate()
    before = _counts()
    sites = _sites()
    _travel_times(sites)
    facilities = _facilities(sites)
    organisations = _organisations()
    people = _people(organisations)
    context = _Context(sites, facilities, organisations, people)
    for spec in SEED_EVENTS:
        _event(spec, context)
    # The generated weeks are made once, as a batch: a run on a later day would otherwise find
    # another holiday and other free slots, and add them beside the first batch. The current
    # week and the next are placed first, so that the eight generated weeks fit around them.
    fresh = not Event.objects.filter(reference__startswith=upcoming.REFERENCE_PREFIX).exists()
    if fresh:
        _closures(upcoming.plan_closures(today), sites, facilities)
    fits = _SlotFinder(context)
    weeks: list[EventSpec] = []
    if not Event.objects.filter(reference__startswith=showcase.REFERENCE_PREFIX).exists():
        weeks = showcase.plan_showcase(today, now=timezone.now(), fits=fits)
        for spec in weeks:
            _event(spec, context)
    if fresh:
        for spec in upcoming.plan_events(today, fits=fits, around=tuple(weeks)):
            _event(spec, context)
    after = _counts()
    return {label: (after[label] - before[label], after[label]) for label in after}


def _counts() -> dict[str, int]:
    return {str(model._meta.verbose_name_plural): model.objects.count() for model in COUNTED}


class _Context:
    def __init__(self, sites, facilities, organisations, people) -> None:
        self.sites: dict[str, Site] = sites
        self.facilities: dict[str, Facility] = facilities
        self.organisations: dict[str, Organisation] = organisations
        self.people: dict[str, Person] = people
        self.buffers = {
            name: Buffers(f.setup_minutes, f.teardown_minutes, f.is_bookable)
            for name, f in facilities.items()
        }


def _sites() -> dict[str, Site]:
    sites = {}
    for spec in world.SITES:
        sites[spec.slug], _ = Site.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "name_zh": spec.name_zh,
                "address": spec.address,
                "timezone": "Asia/Hong_Kong",
                "internal_travel_minutes": spec.internal_travel_minutes,
            },
        )
    return sites


def _travel_times(sites: dict[str, Site]) -> None:
    for pair, minutes in world.TRAVEL_MINUTES.items():
        a, b = sorted(pair)
        for from_slug, to_slug in ((a, b), (b, a)):
            TravelTime.objects.get_or_create(
                from_site=sites[from_slug], to_site=sites[to_slug], defaults={"minutes": minutes}
            )


def _facilities(sites: dict[str, Site]) -> dict[str, Facility]:
    facilities = {}
    for spec in world.FACILITIES:
        hours = spec.hours or (None, None)
        facilities[spec.name], _ = Facility.objects.get_or_create(
            site=sites[spec.site],
            name=spec.name,
            defaults={
                "name_zh": spec.name_zh,
                "kind": spec.kind,
                "capacity": spec.capacity,
                "setup_minutes": spec.setup_minutes,
                "teardown_minutes": spec.teardown_minutes,
                "is_bookable": spec.is_bookable,
                "description": spec.description,
                "bookable_from": dt.time.fromisoformat(hours[0]) if hours[0] else None,
                "bookable_until": dt.time.fromisoformat(hours[1]) if hours[1] else None,
            },
        )
    return facilities


def _organisations() -> dict[str, Organisation]:
    organisations = {}
    for spec in world.ORGANISATIONS:
        organisation = Organisation.objects.filter(slug=spec.slug).first()
        if organisation is None:
            organisation = organisation_create(
                name=spec.name,
                slug=spec.slug,
                kind=spec.kind,
                name_zh=spec.name_zh,
                notes=spec.notes,
            )
        organisations[spec.slug] = organisation
    return organisations


def _people(organisations: dict[str, Organisation]) -> dict[str, Person]:
    people = {}
    for spec in world.PEOPLE:
        person = Person.objects.filter(email__iexact=spec.email).first()
        if person is None:
            person = person_create(
                honorific=spec.honorific,
                name=spec.name,
                name_zh=spec.name_zh,
                post=spec.post,
                post_nominals=spec.post_nominals,
                organisation=organisations[spec.organisation] if spec.organisation else None,
                email=spec.email,
                phone=spec.phone,
                precedence_rank=spec.precedence_rank,
                languages=spec.languages,
                dietary=spec.dietary,
                accessibility=spec.accessibility,
                interpreter_needed=spec.interpreter_needed,
                notes=spec.notes,
            )
        people[spec.key] = person
    return people


def _closures(
    specs: list[upcoming.ClosureSpec], sites: dict[str, Site], facilities: dict[str, Facility]
) -> None:
    for spec in specs:
        scope = (
            {"facility": facilities[spec.facility], "site": None}
            if spec.facility
            else {"site": sites[spec.site], "facility": None}
        )
        # The note is the natural key, not the dates.
        if not Closure.objects.filter(
            **scope, reason=spec.reason, note__startswith=upcoming.CLOSURE_NOTE_PREFIX
        ).exists():
            Closure.objects.create(
                **scope, reason=spec.reason, note=spec.note, start=spec.start, end=spec.end
            )


def _event(spec: EventSpec, context: _Context) -> Event | None:
    """Create one event with its programme, attendee list and bookings, unless it exists."""
    if Event.objects.filter(reference=spec.reference).exists():
        return None
    completed = spec.status == Event.Status.COMPLETED
    event = event_create(
        title=spec.title,
        title_zh=spec.title_zh,
        site=context.sites[spec.site],
        start=spec.start,
        end=spec.end,
        kind=spec.kind,
        # A past event is built as it stood on the day, then closed: its attendee list is
        # frozen once it is completed.
        status=Event.Status.CONFIRMED if completed else spec.status,
        visibility=spec.visibility,
        reference=spec.reference,
        host_organisation=context.organisations[spec.host] if spec.host else None,
        description=spec.description,
        internal_notes=spec.internal_notes,
    )
    items = [
        programme_item_create(
            event_id=event.pk,
            title=item.title,
            start=item.start,
            end=item.end,
            kind=item.kind,
            position=position,
            facility=context.facilities[item.facility] if item.facility else None,
            host_organisation=context.organisations[item.host] if item.host else None,
            description=item.description,
            cue_notes=item.cue_notes,
            visibility=item.visibility,
            roles=[(context.people[key], part) for key, part in item.roles],
        )
        for position, item in enumerate(spec.items)
    ]
    attendances = _attendees(event, spec, context)
    for party in spec.delegations:
        _delegation(event, party, spec, items, context)
    if spec.status != Event.Status.DRAFT:  # a draft has nothing reserved yet
        _bookings(event, spec, items, context)
    if completed:
        for attendance, attendee in attendances:
            if attendance.rsvp == Attendance.RSVP.ACCEPTED:
                arrived = attendee.call_time or spec.start - dt.timedelta(minutes=10)
                attendance_check_in(attendance_id=attendance.pk, at=arrived)
        event_transition(event_id=event.pk, to=Event.Status.COMPLETED)
    return event


def _attendees(
    event: Event, spec: EventSpec, context: _Context
) -> list[tuple[Attendance, AttendeeSpec]]:
    # Answers came in, a few hours apart, before a fortnight ahead of the event (or before now).
    answered = min(timezone.now(), spec.start - dt.timedelta(days=14))
    added = []
    for index, attendee in enumerate(spec.attendees):
        attendance = attendance_add(
            event_id=event.pk,
            person_id=context.people[attendee.person].pk,
            role=attendee.role,
            guests=attendee.guests,
            call_time=attendee.call_time,
            notes=attendee.notes,
        )
        if attendee.rsvp != Attendance.RSVP.NEEDS_ACTION:
            attendance = rsvp_record(
                attendance_id=attendance.pk,
                answer=attendee.rsvp,
                at=answered - dt.timedelta(hours=3 * (len(spec.attendees) - index)),
            )
        added.append((attendance, attendee))
    return added


def _delegation(
    event: Event,
    party: DelegationSpec,
    spec: EventSpec,
    items: list[ProgrammeItem],
    context: _Context,
) -> Delegation:
    """The visiting party with its cars and passes, once the programme items the cars arrive
    for and leave with exist (found by title) and, for a past event, before it is closed."""
    people, facilities = context.people, context.facilities
    titled = {item.title: item for item in items}
    delegation = delegation_create(
        event_id=event.pk,
        name=party.name,
        name_zh=party.name_zh,
        lead=people[party.lead] if party.lead else None,
        members=[people[key] for key in party.members],
        notes=party.notes,
    )
    cars: dict[str, Vehicle] = {}
    for car in party.vehicles:
        cars[car.plate] = vehicle_create(
            delegation_id=delegation.pk,
            plate=car.plate,
            make=car.make,
            colour=car.colour,
            driver=car.driver,
            driver_phone=car.driver_phone,
            contact=car.contact,
            passengers=[people[key] for key in car.passengers],
            car_call_at=(
                spec.start + dt.timedelta(minutes=car.car_call)
                if car.car_call is not None
                else None
            ),
            drop_off_facility=facilities[car.drop_off] if car.drop_off else None,
            drop_off_point=car.drop_off_point,
            pick_up_facility=facilities[car.pick_up] if car.pick_up else None,
            pick_up_point=car.pick_up_point,
            arrival_item=titled[car.arrival] if car.arrival else None,
            departure_item=titled[car.departure] if car.departure else None,
        )
    for entry in party.passes:
        pass_create(
            delegation_id=delegation.pk,
            kind=entry.kind,
            number=entry.number,
            status=entry.status,
            person=people[entry.person] if entry.person else None,
            vehicle=cars[entry.plate] if entry.plate else None,
            notes=entry.notes,
        )
    return delegation


def _bookings(event: Event, spec: EventSpec, items: list[ProgrammeItem], context: _Context) -> None:
    held = spec.status == Event.Status.TENTATIVE
    expires = _hold_expiry(spec.start)
    primaries: dict[str, Booking] = {}
    for plan in booking_plans(spec, context.buffers):
        backup_of = primaries[plan.backup_of] if plan.backup_of else None
        booking = booking_create(
            event_id=event.pk,
            facility_id=context.facilities[plan.facility].pk,
            start=plan.start,
            end=plan.end,
            programme_item_id=items[plan.items[0]].pk if len(plan.items) == 1 else None,
            status="held" if held or backup_of else "confirmed",
            hold_expires_at=expires if held or backup_of else None,
            backup_of_id=backup_of.pk if backup_of else None,
            backup_deadline=expires if backup_of else None,
        )
        if not backup_of:
            primaries[plan.facility] = booking


def _hold_expiry(start: dt.datetime) -> dt.datetime:
    """Three days before the event, but never already past nor after the start."""
    return max(start - dt.timedelta(days=3), min(start, timezone.now() + dt.timedelta(days=1)))


class _SlotFinder:
    """Says whether a generated event fits: no closure, bookable hours, nothing booked there.

    It remembers what it accepted, so events planned in one run do not clash with each other
    before any of them is written.
    """

    def __init__(self, context: _Context) -> None:
        self.context = context
        self.taken: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)

    def __call__(self, spec: EventSpec) -> bool:
        site = self.context.sites[spec.site]
        if Closure.objects.filter(site=site, start__lt=spec.end, end__gt=spec.start).exists():
            return False
        wanted = []
        for plan in booking_plans(spec, self.context.buffers):
            facility = self.context.facilities[plan.facility]
            start = plan.start - dt.timedelta(minutes=facility.setup_minutes)
            end = plan.end + dt.timedelta(minutes=facility.teardown_minutes)
            if not self._free(facility, start, end, wanted):
                return False
            wanted.append((facility.pk, start, end))
        for pk, start, end in wanted:
            self.taken[pk].append((start, end))
        return True

    def _free(self, facility: Facility, start: dt.datetime, end: dt.datetime, wanted) -> bool:
        if not _within_hours(facility, start, end):
            return False
        if any(pk == facility.pk and s < end and start < e for pk, s, e in wanted):
            return False
        if any(s < end and start < e for s, e in self.taken[facility.pk]):
            return False
        closed = Closure.objects.filter(
            Q(facility=facility) | Q(site_id=facility.site_id), start__lt=end, end__gt=start
        )
        booked = Booking.objects.filter(facility=facility).occupying(start, end)
        return not closed.exists() and not booked.exists()


def _within_hours(facility: Facility, start: dt.datetime, end: dt.datetime) -> bool:
    if facility.bookable_from is None:
        return True
    zone = zoneinfo.ZoneInfo(facility.site.timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    return (
        local_start.date() == local_end.date()
        and facility.bookable_from <= local_start.time()
        and local_end.time() <= facility.bookable_until
    )
