"""The delegation's lists as spreadsheets (visitors.exports serves them with the others): the
manifest (its members and its cars), the gate's vehicle list and the pass list, with the same
content as the printables (both read visitors.delegations.lists). Headings follow the active
language; names are given in English and Chinese; times are on the event's clock.

Staff only: drivers' phones, who rides in which car and the permits are not for the public.
"""

from django.utils.translation import gettext as _

from core.spreadsheets import Sheet, on_clock
from scheduling.models import Event, ProgrammeItem

from . import lists
from .models import Pass, Vehicle

MANIFEST, VEHICLES, PASSES = "manifest", "vehicles", "passes"


def _item(item: ProgrammeItem | None) -> str:
    if item is None:
        return ""
    return f"{item.title} ({item.title_zh})" if item.title_zh else item.title


def _names(people) -> str:
    return "; ".join(person.display_name for person in people)


def _cars(vehicles: list[Vehicle]) -> str:
    return ", ".join(str(vehicle.position) for vehicle in vehicles)


def manifest_sheets(event: Event) -> list[Sheet]:
    """Each party's members in the event's order of precedence, and its cars."""
    parties = lists.manifest(event)
    members = [
        [
            party.delegation.name,
            party.delegation.name_zh,
            number,
            member.person.honorific,
            member.person.name,
            member.person.name_zh,
            member.person.post,
            member.person.organisation.name if member.person.organisation else "",
            _("Yes") if member.lead else "",
            _cars(member.cars),
        ]
        for party in parties
        for number, member in enumerate(party.members, start=1)
    ]
    cars = [
        [
            party.delegation.name,
            party.delegation.name_zh,
            car.vehicle.position,
            car.vehicle.plate,
            car.vehicle.make,
            car.vehicle.colour,
            car.vehicle.driver,
            car.vehicle.driver_phone,
            car.vehicle.contact,
            _names(car.passengers),
            on_clock(car.vehicle.car_call_at, event.zone),
            car.vehicle.drop_off,
            car.vehicle.pick_up,
            _item(car.vehicle.arrival_item),
            on_clock(car.arrives, event.zone),
            _item(car.vehicle.departure_item),
            on_clock(car.leaves, event.zone),
        ]
        for party in parties
        for car in party.cars
    ]
    return [
        Sheet(
            title=_("Members"),
            headers=[
                _("Delegation"),
                _("Delegation (Chinese)"),
                _("No."),
                _("Honorific"),
                _("Name"),
                _("Chinese name"),
                _("Post"),
                _("Organisation"),
                _("Lead"),
                _("Car"),
            ],
            rows=members,
        ),
        Sheet(
            title=_("Cars"),
            headers=[
                _("Delegation"),
                _("Delegation (Chinese)"),
                _("Car"),
                _("Plate"),
                _("Make and model"),
                _("Colour"),
                _("Driver"),
                _("Driver's phone"),
                _("Contact in the car"),
                _("Passengers"),
                _("Car call"),
                _("Drop-off"),
                _("Pick-up"),
                _("Arrival"),
                _("Arrives"),
                _("Departure"),
                _("Leaves"),
            ],
            rows=cars,
        ),
    ]


def vehicle_sheets(event: Event) -> list[Sheet]:
    """The gate's list: every car in the order it is expected, as the day has moved it."""
    rows = [
        [
            on_clock(car.arrives, event.zone),
            car.vehicle.plate,
            car.vehicle.make,
            car.vehicle.colour,
            str(car.vehicle.delegation),
            car.vehicle.position,
            car.vehicle.driver,
            car.vehicle.driver_phone,
            len(car.passengers),
            on_clock(car.vehicle.car_call_at, event.zone),
            car.vehicle.drop_off,
            car.vehicle.pick_up,
            ", ".join(car.permit_labels),
        ]
        for car in lists.gate_cars(event)
    ]
    headers = [
        _("Expected arrival"),
        _("Plate"),
        _("Make and model"),
        _("Colour"),
        _("Delegation"),
        _("Car"),
        _("Driver"),
        _("Driver's phone"),
        _("Passengers"),
        _("Car call"),
        _("Drop-off"),
        _("Pick-up"),
        _("Vehicle permits"),
    ]
    return [Sheet(title=_("Gate vehicle list"), headers=headers, rows=rows)]


def _holder(entry: Pass) -> str:
    if entry.person_id:
        return entry.person.display_name
    return _("Car %(number)s, %(plate)s") % {
        "number": entry.vehicle.position,
        "plate": entry.vehicle.plate,
    }


def pass_sheets(event: Event) -> list[Sheet]:
    """Every pass of the event's delegations, by kind and then number."""
    rows = [
        [
            entry.get_kind_display(),
            entry.number,
            entry.get_status_display(),
            _holder(entry),
            str(entry.delegation),
            entry.notes,
        ]
        for entry in lists.passes(event)
    ]
    headers = [_("Kind"), _("Number"), _("Status"), _("For"), _("Delegation"), _("Notes")]
    return [Sheet(title=_("Passes"), headers=headers, rows=rows)]


SHEETS = {MANIFEST: manifest_sheets, VEHICLES: vehicle_sheets, PASSES: pass_sheets}
