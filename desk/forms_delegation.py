"""Forms of the delegations page: a party (lead and members), a car, a pass, and the party's
arrival and departure put on the run-of-show.

What a form offers is read once per page (``DelegationChoices``: the site's facilities, the
event's arrival and departure items, its attendees); a party's members and cars come with the
party, prefetched. Each form is made from the row it edits (blank to add one), and its prefix
names that row, so that the page's many forms keep apart. Times are typed in the event's zone
(``ZonedForm``). The forms parse; visitors.delegations.services decides the rest (a passenger
or pass holder is a member, an issued pass has its number, a plate is once per party).
"""

import datetime as dt
from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scheduling.models import Event, Facility, ProgrammeItem
from visitors.models import Delegation, Pass, Person, Vehicle

from .forms import LOCAL_INPUT, ZonedForm, local_datetime_field
from .forms_event import _facility_choices, site_facilities
from .people import PeopleField, PersonField

MAX_MOVEMENT_MINUTES = 240
VEHICLE_TEXTS = ("plate", "make", "colour", "driver", "driver_phone", "contact")


@dataclass(frozen=True)
class DelegationChoices:
    """What the page's forms offer, read once: facilities of the site, the event's arrival and
    departure items, and its attendees (people on file), each by id."""

    facilities: dict[int, Facility] = field(default_factory=dict)
    arrivals: dict[int, ProgrammeItem] = field(default_factory=dict)
    departures: dict[int, ProgrammeItem] = field(default_factory=dict)
    attendees: dict[int, Person] = field(default_factory=dict)

    @classmethod
    def for_event(cls, event: Event) -> "DelegationChoices":
        """Three queries: the facilities, the two kinds of items, the attendees."""
        kinds = (ProgrammeItem.Kind.ARRIVAL, ProgrammeItem.Kind.DEPARTURE)
        items = list(event.programme.filter(kind__in=kinds).order_by("start", "position", "id"))
        attendances = event.attendances.in_precedence_order().select_related("person")
        return cls(
            facilities=site_facilities(event),
            arrivals={item.pk: item for item in items if item.kind == ProgrammeItem.Kind.ARRIVAL},
            departures={item.pk: item for item in items if item.kind != ProgrammeItem.Kind.ARRIVAL},
            attendees={attendance.person_id: attendance.person for attendance in attendances},
        )


def _local(moment: dt.datetime | None, zone) -> str:
    return moment.astimezone(zone).strftime(LOCAL_INPUT) if moment else ""


def _item_choices(items: dict[int, ProgrammeItem], zone) -> list:
    return [("", "—")] + [
        (pk, f"{item.start.astimezone(zone):%H:%M} {item.title}") for pk, item in items.items()
    ]


def members_of(delegation: Delegation) -> dict[int, Person]:
    """The party's members by id (prefetched with the party: no query)."""
    return {person.pk: person for person in delegation.members.all()}


def car_label(vehicle: Vehicle) -> str:
    """'Car 2: AM 1234 black Toyota Alphard'."""
    return _("Car %(number)s: %(car)s") % {"number": vehicle.position, "car": vehicle}


class DelegationForm(forms.Form):
    """A party: its names, its lead, its members typed or ticked from the attendee list."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    name_zh = forms.CharField(label=gettext_lazy("Chinese name"), max_length=200, required=False)
    lead = PersonField(
        label=gettext_lazy("Lead"),
        required=False,
        help_text=gettext_lazy(
            "Type part of a name in English or Chinese; the lead is one of the members."
        ),
    )
    members = PeopleField(label=gettext_lazy("Members, one a line"), required=False)
    from_list = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Take from the attendee list"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        data=None,
        *,
        attendees: dict[int, Person],
        delegation: Delegation | None = None,
    ) -> None:
        """A blank party, or the one given as it is; the attendee list offers those not in it."""
        members = members_of(delegation) if delegation else {}
        initial = None
        if delegation is not None:
            initial = {
                "name": delegation.name,
                "name_zh": delegation.name_zh,
                "lead": delegation.lead,
                "members": list(members.values()),
                "notes": delegation.notes,
            }
        prefix = f"d{delegation.pk}" if delegation else "new"
        super().__init__(data, initial=initial, prefix=prefix)
        self.offered = {pk: person for pk, person in attendees.items() if pk not in members}
        self.fields["from_list"].choices = [
            (pk, person.display_name) for pk, person in self.offered.items()
        ]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        members = list(data["members"])
        ticked = [self.offered[pk] for pk in data["from_list"]]
        return {
            "name": data["name"],
            "name_zh": data["name_zh"],
            "lead": data["lead"],
            "members": members + [person for person in ticked if person not in members],
            "notes": data["notes"],
        }


class VehicleForm(ZonedForm):
    """A car: plate and looks, who drives and answers for it, who rides in it (members), when
    its driver is called, where it drops off and picks up (a facility of the site or a point
    named for the day), and the items it comes and goes with."""

    plate = forms.CharField(label=gettext_lazy("Plate"), max_length=20)
    make = forms.CharField(label=gettext_lazy("Make and model"), max_length=100, required=False)
    colour = forms.CharField(label=gettext_lazy("Colour"), max_length=50, required=False)
    driver = forms.CharField(label=gettext_lazy("Driver"), max_length=200, required=False)
    driver_phone = forms.CharField(
        label=gettext_lazy("Driver's phone"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    contact = forms.CharField(
        label=gettext_lazy("Contact in the car"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "Who answers for the car on the day (an aide), with a phone number."
        ),
    )
    passengers = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Passengers"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    car_call_at = local_datetime_field(gettext_lazy("Car call"))
    drop_off_facility = forms.TypedChoiceField(
        label=gettext_lazy("Drop-off at a facility"), coerce=int, required=False, empty_value=None
    )
    drop_off_point = forms.CharField(
        label=gettext_lazy("or at a named point"), max_length=200, required=False
    )
    pick_up_facility = forms.TypedChoiceField(
        label=gettext_lazy("Pick-up at a facility"), coerce=int, required=False, empty_value=None
    )
    pick_up_point = forms.CharField(
        label=gettext_lazy("or at a named point"), max_length=200, required=False
    )
    arrival_item = forms.TypedChoiceField(
        label=gettext_lazy("Arrival item"), coerce=int, required=False, empty_value=None
    )
    departure_item = forms.TypedChoiceField(
        label=gettext_lazy("Departure item"), coerce=int, required=False, empty_value=None
    )

    def __init__(
        self,
        data=None,
        *,
        event: Event,
        choices: DelegationChoices,
        delegation: Delegation,
        vehicle: Vehicle | None = None,
    ) -> None:
        """A blank car of the party, or the one given as it is."""
        zone = event.zone
        initial = None
        if vehicle is not None:
            initial = {name: getattr(vehicle, name) for name in VEHICLE_TEXTS} | {
                "passengers": [person.pk for person in vehicle.passengers.all()],
                "car_call_at": _local(vehicle.car_call_at, zone),
                "drop_off_facility": vehicle.drop_off_facility_id,
                "drop_off_point": vehicle.drop_off_point,
                "pick_up_facility": vehicle.pick_up_facility_id,
                "pick_up_point": vehicle.pick_up_point,
                "arrival_item": vehicle.arrival_item_id,
                "departure_item": vehicle.departure_item_id,
            }
        prefix = f"car{vehicle.pk}" if vehicle else f"d{delegation.pk}-car"
        super().__init__(data, zone=zone, initial=initial, prefix=prefix)
        self.choices, self.members = choices, members_of(delegation)
        self.fields["car_call_at"].required = False
        self.fields["car_call_at"].help_text = _("When the driver is called to the pick-up point.")
        self.fields["passengers"].choices = [
            (pk, person.display_name) for pk, person in self.members.items()
        ]
        places = _facility_choices(choices.facilities, bookable_only=False)
        self.fields["drop_off_facility"].choices = places
        self.fields["pick_up_facility"].choices = places
        self.fields["arrival_item"].choices = _item_choices(choices.arrivals, zone)
        self.fields["departure_item"].choices = _item_choices(choices.departures, zone)

    def service_arguments(self) -> dict:
        data, choices = self.cleaned_data, self.choices
        names = (*VEHICLE_TEXTS, "drop_off_point", "pick_up_point", "car_call_at")
        return {name: data[name] for name in names} | {
            "passengers": [self.members[pk] for pk in data["passengers"]],
            "drop_off_facility": choices.facilities.get(data["drop_off_facility"]),
            "pick_up_facility": choices.facilities.get(data["pick_up_facility"]),
            "arrival_item": choices.arrivals.get(data["arrival_item"]),
            "departure_item": choices.departures.get(data["departure_item"]),
        }


class PassForm(forms.Form):
    """A pass or permit: its kind, number and status, and for whom (a member or a car)."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Pass.Kind.choices)
    number = forms.CharField(
        label=gettext_lazy("Number"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("Needed once the pass is issued."),
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Pass.Status.choices)
    holder = forms.ChoiceField(label=gettext_lazy("For"))
    notes = forms.CharField(label=gettext_lazy("Notes"), max_length=300, required=False)

    def __init__(self, data=None, *, delegation: Delegation, entry: Pass | None = None) -> None:
        """A blank pass of the party, or the one given as it is."""
        initial = None
        if entry is not None:
            holder = f"person-{entry.person_id}" if entry.person_id else f"car-{entry.vehicle_id}"
            initial = {name: getattr(entry, name) for name in ("kind", "number", "status", "notes")}
            initial["holder"] = holder
        prefix = f"pass{entry.pk}" if entry else f"d{delegation.pk}-pass"
        super().__init__(data, initial=initial, prefix=prefix)
        self.members = members_of(delegation)
        self.vehicles = {car.pk: car for car in delegation.vehicles.all()}
        self.fields["holder"].choices = [
            ("", "—"),
            (_("Members"), [(f"person-{pk}", p.display_name) for pk, p in self.members.items()]),
            (_("Cars"), [(f"car-{pk}", car_label(car)) for pk, car in self.vehicles.items()]),
        ]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        kind, _dash, pk = data["holder"].partition("-")
        return {
            "kind": data["kind"],
            "number": data["number"],
            "status": data["status"],
            "person": self.members[int(pk)] if kind == "person" else None,
            "vehicle": self.vehicles[int(pk)] if kind == "car" else None,
            "notes": data["notes"],
        }


class MovementsForm(ZonedForm):
    """When the party arrives and leaves: two items of the run-of-show, of so many minutes."""

    arrive_at = local_datetime_field(gettext_lazy("Arrival"))
    depart_at = local_datetime_field(gettext_lazy("Departure"))
    minutes = forms.IntegerField(
        label=gettext_lazy("Minutes each"), min_value=1, max_value=MAX_MOVEMENT_MINUTES
    )

    def __init__(self, data=None, *, event: Event, delegation: Delegation) -> None:
        """Offered: arriving as the event starts, leaving in its last ten minutes."""
        zone = event.zone
        initial = {
            "arrive_at": _local(event.start, zone),
            "depart_at": _local(event.end - dt.timedelta(minutes=10), zone),
            "minutes": 10,
        }
        super().__init__(data, zone=zone, initial=initial, prefix=f"d{delegation.pk}-moves")

    def clean(self) -> dict:
        cleaned = super().clean()
        arrive, depart = cleaned.get("arrive_at"), cleaned.get("depart_at")
        if arrive and depart and depart <= arrive:
            self.add_error("depart_at", _("The departure must be after the arrival."))
        return cleaned
