"""The lists the day is run from, read from an event's delegations: the manifest (each party,
its members in the event's order of precedence, its cars), the gate's vehicle list (every car in
the order it is expected) and the pass list. The printables (desk.views.printables) and the
spreadsheets (visitors.delegations.exports) read the same lists, so that paper and file agree.

Each list takes a fixed number of queries, however many parties, cars, people and passes.
"""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from scheduling.models import Event, ProgrammeItem

from ..models import Person
from .models import Delegation, Pass, Vehicle

# The kinds in the order the model declares them (site passes first), not alphabetically.
KIND_ORDER = {kind: index for index, kind in enumerate(Pass.Kind.values)}
# A car's permits the gate honours: requested ones may still be issued on the day.
GATE_STATUSES = (Pass.Status.REQUESTED, Pass.Status.ISSUED)


def expected_time(item: ProgrammeItem | None) -> dt.datetime | None:
    """When the item now starts: as the day has moved it, else as planned; None for no item."""
    if item is None:
        return None
    return item.expected_start or item.start


def _moved(item: ProgrammeItem | None) -> bool:
    return item is not None and item.expected_start not in (None, item.start)


def permit_label(entry: Pass) -> str:
    """'V-12'; 'V-12 (requested)' or 'requested' for one not issued yet."""
    if entry.status == Pass.Status.ISSUED:
        return entry.number
    if entry.number:
        return _("%(number)s (requested)") % {"number": entry.number}
    return _("requested")


@dataclass(frozen=True)
class Car:
    """A car as the lists print it: its passengers in the event's order of precedence and the
    vehicle permits the gate checks."""

    vehicle: Vehicle
    passengers: list[Person]
    permits: list[Pass]

    @property
    def arrives(self) -> dt.datetime | None:
        return expected_time(self.vehicle.arrival_item)

    @property
    def leaves(self) -> dt.datetime | None:
        return expected_time(self.vehicle.departure_item)

    @property
    def arrival_moved(self) -> bool:
        """The day has moved the arrival item from its planned start."""
        return _moved(self.vehicle.arrival_item)

    @property
    def departure_moved(self) -> bool:
        return _moved(self.vehicle.departure_item)

    @property
    def permit_labels(self) -> list[str]:
        return [permit_label(entry) for entry in self.permits]


@dataclass(frozen=True)
class Member:
    person: Person
    lead: bool
    cars: list[Vehicle]  # the cars they ride in (one, unless a warning says otherwise)


@dataclass(frozen=True)
class Party:
    """A delegation with its members in the event's order of precedence and its cars by number."""

    delegation: Delegation
    members: list[Member]
    cars: list[Car]


def _vehicles() -> QuerySet:
    return Vehicle.objects.select_related(
        "drop_off_facility",
        "pick_up_facility",
        "arrival_item",
        "departure_item",
    ).prefetch_related(
        "passengers",
        Prefetch(
            "passes",
            queryset=Pass.objects.filter(kind=Pass.Kind.VEHICLE, status__in=GATE_STATUSES),
            to_attr="permits",
        ),
    )


def _places(event: Event) -> dict[int, int]:
    """Each attendee's place in the event's order of precedence (visitors.precedence)."""
    people = event.attendances.in_precedence_order().values_list("person_id", flat=True)
    return {person_id: place for place, person_id in enumerate(people)}


def in_precedence(people: Iterable[Person], places: dict[int, int]) -> list[Person]:
    """Attendees in the event's order of precedence, then anyone not on its list by name
    (English, then Chinese)."""

    def key(person: Person) -> tuple:
        place = places.get(person.pk)
        if place is not None:
            return (0, place, "", "", 0)
        return (1, 0 if person.name else 1, person.name.casefold(), person.name_zh, person.pk)

    return sorted(people, key=key)


def _natural(number: str) -> list:
    """'V-9' before 'V-10': the digits of a pass number compared as numbers."""
    return [
        int(part) if index % 2 else part.casefold()
        for index, part in enumerate(re.split(r"([0-9]+)", number))
    ]


def _car(vehicle: Vehicle, places: dict[int, int]) -> Car:
    permits = sorted(vehicle.permits, key=lambda entry: (_natural(entry.number), entry.pk))
    return Car(
        vehicle=vehicle,
        passengers=in_precedence(vehicle.passengers.all(), places),
        permits=permits,
    )


def manifest(event: Event) -> list[Party]:
    """Every delegation of the event with its lead, members (post and organisation) and cars."""
    places = _places(event)
    delegations = event.delegations.select_related("lead").prefetch_related(
        Prefetch("members", queryset=Person.objects.select_related("organisation")),
        Prefetch("vehicles", queryset=_vehicles()),
    )
    parties = []
    for delegation in delegations:
        cars = [_car(vehicle, places) for vehicle in delegation.vehicles.all()]
        seats: dict[int, list[Vehicle]] = {}
        for car in cars:
            for person in car.passengers:
                seats.setdefault(person.pk, []).append(car.vehicle)
        members = [
            Member(
                person=person,
                lead=person.pk == delegation.lead_id,
                cars=seats.get(person.pk, []),
            )
            for person in in_precedence(delegation.members.all(), places)
        ]
        parties.append(Party(delegation=delegation, members=members, cars=cars))
    return parties


def gate_cars(event: Event) -> list[Car]:
    """Every car of the event's delegations in the order it is expected at the gate (as the
    day has moved its arrival), cars with no arrival item last; then by party and number."""
    vehicles = _vehicles().filter(delegation__event=event).select_related("delegation")
    cars = [_car(vehicle, {}) for vehicle in vehicles]  # the gate counts passengers, no more

    def key(car: Car) -> tuple:
        arrives = car.arrives
        return (
            arrives is None,
            arrives.timestamp() if arrives else 0,
            car.vehicle.delegation_id,
            car.vehicle.position,
            car.vehicle.pk,
        )

    return sorted(cars, key=key)


def passes(event: Event) -> list[Pass]:
    """Every pass of the event's delegations by kind, then by number (numbered ones first)."""
    entries = Pass.objects.filter(delegation__event=event).select_related(
        "delegation", "person", "vehicle"
    )

    def key(entry: Pass) -> tuple:
        return (
            KIND_ORDER.get(entry.kind, len(KIND_ORDER)),
            not entry.number,
            _natural(entry.number),
            entry.pk,
        )

    return sorted(entries, key=key)
