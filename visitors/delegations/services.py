"""Writes to a delegation, its vehicles and its passes.

Each write locks the delegation's event (``Event.objects.locked``), as run-of-show edits do, so
that two staff members editing the same party apply one after the other and the rules across
rows hold: a passenger or a pass holder is a member (a passenger added becomes one), the lead
is a member, a car's arrival and departure items are of its event and of those kinds.
"""

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.unset import UNSET, given
from scheduling.models import Event, Facility, ProgrammeItem
from scheduling.services import programme_item_create

from ..models import Person
from .models import Delegation, Pass, Vehicle

CLOSED = gettext_lazy("its delegations are closed")
ITEM_KINDS = {
    "arrival_item": ProgrammeItem.Kind.ARRIVAL,
    "departure_item": ProgrammeItem.Kind.DEPARTURE,
}


def _locked(delegation_id: int) -> Delegation:
    """The delegation, its event locked first (the order every programme write takes)."""
    try:
        event_id = Delegation.objects.values_list("event_id", flat=True).get(pk=delegation_id)
    except Delegation.DoesNotExist:
        raise ValidationError(_("No such delegation."), code="not_found") from None
    event = Event.objects.locked(event_id)
    event.refuse_if_final(closed=CLOSED)
    delegation = Delegation.objects.get(pk=delegation_id)
    delegation.event = event
    return delegation


def _save(obj) -> None:
    obj.full_clean()
    obj.save()


# --- Delegations --------------------------------------------------------------------------------


@transaction.atomic
def delegation_create(
    *,
    event_id: int,
    name: str,
    name_zh: str = "",
    lead: Person | None = None,
    members: Iterable[Person] = (),
    notes: str = "",
    by: AbstractBaseUser | None = None,
) -> Delegation:
    """A visiting party of the event; its lead is one of its members."""
    event = Event.objects.locked(event_id)
    event.refuse_if_final(closed=CLOSED)
    delegation = Delegation(
        event=event, name=name.strip(), name_zh=name_zh.strip(), lead=lead, notes=notes
    )
    _save(delegation)
    delegation.members.set({*members, *([lead] if lead else [])})
    return delegation


@transaction.atomic
def delegation_update(
    *,
    delegation_id: int,
    name: str = UNSET,
    name_zh: str = UNSET,
    lead: Person | None = UNSET,
    members: Iterable[Person] = UNSET,
    notes: str = UNSET,
    by: AbstractBaseUser | None = None,
) -> Delegation:
    """Change what is given. Members taken off stop being passengers and lose their passes'
    claim: refused while they still ride in a car or hold a pass, so nothing goes missing."""
    delegation = _locked(delegation_id)
    for field, value in given(name=name, name_zh=name_zh, lead=lead, notes=notes).items():
        setattr(delegation, field, value.strip() if isinstance(value, str) else value)
    _save(delegation)
    if members is not UNSET:
        wanted = {person.pk for person in members} | (
            {delegation.lead_id} if delegation.lead_id else set()
        )
        leaving = set(delegation.members.values_list("pk", flat=True)) - wanted
        _refuse_if_needed(delegation, leaving)
        delegation.members.set(wanted)
    elif delegation.lead_id:
        delegation.members.add(delegation.lead_id)
    return delegation


def _refuse_if_needed(delegation: Delegation, leaving: set[int]) -> None:
    riding = Person.objects.filter(pk__in=leaving, vehicle_seats__delegation=delegation).distinct()
    holding = Person.objects.filter(pk__in=leaving, passes__delegation=delegation).distinct()
    names = sorted({str(person) for person in (*riding, *holding)})
    if names:
        raise ValidationError(
            {
                "members": _(
                    "%(names)s still ride in a car or hold a pass of this delegation: take them "
                    "out of the car and the pass list first."
                )
                % {"names": ", ".join(names)}
            },
            code="member_in_use",
        )


@transaction.atomic
def delegation_delete(*, delegation_id: int, by: AbstractBaseUser | None = None) -> None:
    """Remove the party with its cars and passes (the programme items stay)."""
    _locked(delegation_id).delete()


@transaction.atomic
def delegation_movements_plan(
    *,
    delegation_id: int,
    arrive_at: dt.datetime,
    depart_at: dt.datetime,
    minutes: int = 10,
    by: AbstractBaseUser | None = None,
) -> tuple[ProgrammeItem, ProgrammeItem]:
    """Put the party's arrival and departure on the run-of-show (where the first car drops
    off and picks up, if at a facility) and link every car that has none to them."""
    delegation = _locked(delegation_id)
    vehicles = list(delegation.vehicles.select_related("drop_off_facility", "pick_up_facility"))
    if vehicles and all(car.arrival_item_id and car.departure_item_id for car in vehicles):
        raise ValidationError(
            _("Every car of %(party)s already has its arrival and departure items.")
            % {"party": delegation.name},
            code="already_planned",
        )
    first = vehicles[0] if vehicles else None
    length = dt.timedelta(minutes=minutes)
    with translation.override("en"):  # the English title; the Chinese one beside it
        arriving = _("Arrival of %(party)s") % {"party": delegation.name}
        leaving = _("Departure of %(party)s") % {"party": delegation.name}
    arrival = programme_item_create(
        event_id=delegation.event_id,
        title=arriving,
        title_zh=f"{delegation.name_zh}抵達" if delegation.name_zh else "",
        start=arrive_at,
        end=arrive_at + length,
        kind=ProgrammeItem.Kind.ARRIVAL,
        facility=first.drop_off_facility if first else None,
        by=by,
    )
    departure = programme_item_create(
        event_id=delegation.event_id,
        title=leaving,
        title_zh=f"{delegation.name_zh}離開" if delegation.name_zh else "",
        start=depart_at,
        end=depart_at + length,
        kind=ProgrammeItem.Kind.DEPARTURE,
        facility=first.pick_up_facility if first else None,
        by=by,
    )
    delegation.vehicles.filter(arrival_item__isnull=True).update(arrival_item=arrival)
    delegation.vehicles.filter(departure_item__isnull=True).update(departure_item=departure)
    return arrival, departure


# --- Vehicles -----------------------------------------------------------------------------------


def _check_items(vehicle: Vehicle, event_id: int) -> None:
    for field, kind in ITEM_KINDS.items():
        item = getattr(vehicle, field)
        if item is None:
            continue
        if item.event_id != event_id:
            raise ValidationError({field: _("That item is of another event.")}, code="invalid")
        if item.kind != kind:
            raise ValidationError(
                {
                    field: _("Choose an item of the kind “%(kind)s”.")
                    % {"kind": ProgrammeItem.Kind(kind).label}
                },
                code="invalid",
            )


def _check_plate(vehicle: Vehicle, delegation: Delegation) -> None:
    """Said beside the plate (the unique constraint alone would speak of "Delegation and
    Plate")."""
    vehicle.plate = Vehicle.written_plate(vehicle.plate)
    if delegation.vehicles.filter(plate=vehicle.plate).exclude(pk=vehicle.pk).exists():
        raise ValidationError(
            {"plate": _("This delegation already has a car with this plate.")}, code="unique"
        )


def _seat(vehicle: Vehicle, delegation: Delegation, passengers: Iterable[Person]) -> None:
    """The passengers, who become members of the party if they were not."""
    passengers = list(passengers)
    vehicle.passengers.set(passengers)
    delegation.members.add(*passengers)


@transaction.atomic
def vehicle_create(
    *,
    delegation_id: int,
    plate: str,
    make: str = "",
    colour: str = "",
    driver: str = "",
    driver_phone: str = "",
    contact: str = "",
    passengers: Iterable[Person] = (),
    car_call_at: dt.datetime | None = None,
    drop_off_facility: Facility | None = None,
    drop_off_point: str = "",
    pick_up_facility: Facility | None = None,
    pick_up_point: str = "",
    arrival_item: ProgrammeItem | None = None,
    departure_item: ProgrammeItem | None = None,
    by: AbstractBaseUser | None = None,
) -> Vehicle:
    """A car of the party, numbered after the last one."""
    delegation = _locked(delegation_id)
    last = delegation.vehicles.order_by("-position").values_list("position", flat=True).first()
    vehicle = Vehicle(
        delegation=delegation,
        position=(last or 0) + 1,
        plate=plate,
        make=make.strip(),
        colour=colour.strip(),
        driver=driver.strip(),
        driver_phone=driver_phone.strip(),
        contact=contact.strip(),
        car_call_at=car_call_at,
        drop_off_facility=drop_off_facility,
        drop_off_point=drop_off_point.strip(),
        pick_up_facility=pick_up_facility,
        pick_up_point=pick_up_point.strip(),
        arrival_item=arrival_item,
        departure_item=departure_item,
    )
    _check_items(vehicle, delegation.event_id)
    _check_plate(vehicle, delegation)
    _save(vehicle)
    _seat(vehicle, delegation, passengers)
    return vehicle


@transaction.atomic
def vehicle_update(
    *,
    vehicle_id: int,
    plate: str = UNSET,
    make: str = UNSET,
    colour: str = UNSET,
    driver: str = UNSET,
    driver_phone: str = UNSET,
    contact: str = UNSET,
    passengers: Iterable[Person] = UNSET,
    car_call_at: dt.datetime | None = UNSET,
    drop_off_facility: Facility | None = UNSET,
    drop_off_point: str = UNSET,
    pick_up_facility: Facility | None = UNSET,
    pick_up_point: str = UNSET,
    arrival_item: ProgrammeItem | None = UNSET,
    departure_item: ProgrammeItem | None = UNSET,
    by: AbstractBaseUser | None = None,
) -> Vehicle:
    """Change what is given about a car."""
    delegation = _locked(_vehicle_delegation(vehicle_id))
    vehicle = Vehicle.objects.get(pk=vehicle_id)
    changes = given(
        plate=plate,
        make=make,
        colour=colour,
        driver=driver,
        driver_phone=driver_phone,
        contact=contact,
        car_call_at=car_call_at,
        drop_off_facility=drop_off_facility,
        drop_off_point=drop_off_point,
        pick_up_facility=pick_up_facility,
        pick_up_point=pick_up_point,
        arrival_item=arrival_item,
        departure_item=departure_item,
    )
    for field, value in changes.items():
        setattr(vehicle, field, value.strip() if isinstance(value, str) else value)
    _check_items(vehicle, delegation.event_id)
    _check_plate(vehicle, delegation)
    _save(vehicle)
    if passengers is not UNSET:
        _seat(vehicle, delegation, passengers)
    return vehicle


def _vehicle_delegation(vehicle_id: int) -> int:
    try:
        return Vehicle.objects.values_list("delegation_id", flat=True).get(pk=vehicle_id)
    except Vehicle.DoesNotExist:
        raise ValidationError(_("No such car."), code="not_found") from None


@transaction.atomic
def vehicle_delete(*, vehicle_id: int, by: AbstractBaseUser | None = None) -> None:
    """Remove a car, with the permits issued for it."""
    _locked(_vehicle_delegation(vehicle_id))
    Vehicle.objects.filter(pk=vehicle_id).delete()


# --- Passes -------------------------------------------------------------------------------------


def _check_holder(entry: Pass, delegation: Delegation) -> None:
    if entry.person_id and not delegation.members.filter(pk=entry.person_id).exists():
        raise ValidationError(
            {
                "person": _("%(person)s is not a member of the delegation.")
                % {"person": entry.person}
            },
            code="not_a_member",
        )
    if entry.vehicle_id and entry.vehicle.delegation_id != delegation.pk:
        raise ValidationError({"vehicle": _("That car is of another delegation.")}, code="invalid")
    number = entry.number.strip()
    twin = delegation.passes.filter(kind=entry.kind, number=number).exclude(pk=entry.pk)
    if number and twin.exists():
        raise ValidationError(
            {"number": _("This delegation already has a pass of this kind and number.")},
            code="unique",
        )


@transaction.atomic
def pass_create(
    *,
    delegation_id: int,
    kind: str = Pass.Kind.SITE,
    number: str = "",
    status: str = Pass.Status.REQUESTED,
    person: Person | None = None,
    vehicle: Vehicle | None = None,
    notes: str = "",
    by: AbstractBaseUser | None = None,
) -> Pass:
    """A pass or permit for a member of the party or for one of its cars."""
    delegation = _locked(delegation_id)
    entry = Pass(
        delegation=delegation,
        kind=kind,
        number=number,
        status=status,
        person=person,
        vehicle=vehicle,
        notes=notes.strip(),
    )
    _check_holder(entry, delegation)
    _save(entry)
    return entry


@transaction.atomic
def pass_update(
    *,
    pass_id: int,
    kind: str = UNSET,
    number: str = UNSET,
    status: str = UNSET,
    person: Person | None = UNSET,
    vehicle: Vehicle | None = UNSET,
    notes: str = UNSET,
    by: AbstractBaseUser | None = None,
) -> Pass:
    """Change what is given about a pass: issue it with its number, take it back, cancel it."""
    delegation = _locked(_pass_delegation(pass_id))
    entry = Pass.objects.get(pk=pass_id)
    changes = given(
        kind=kind, number=number, status=status, person=person, vehicle=vehicle, notes=notes
    )
    for field, value in changes.items():
        setattr(entry, field, value.strip() if isinstance(value, str) else value)
    _check_holder(entry, delegation)
    _save(entry)
    return entry


def _pass_delegation(pass_id: int) -> int:
    try:
        return Pass.objects.values_list("delegation_id", flat=True).get(pk=pass_id)
    except Pass.DoesNotExist:
        raise ValidationError(_("No such pass."), code="not_found") from None


@transaction.atomic
def pass_delete(*, pass_id: int, by: AbstractBaseUser | None = None) -> None:
    _locked(_pass_delegation(pass_id))
    Pass.objects.filter(pk=pass_id).delete()
