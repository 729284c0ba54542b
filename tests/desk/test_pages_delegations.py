"""The delegations page of an event: parties with their lead and members (typed or taken from
the attendee list), cars with passengers and a car call in the event's zone, passes, and the
arrival and departure put on the run-of-show; refusals beside the field with what was typed
kept; who may do what; and the event page's short "Delegation" section and warnings."""

import datetime as dt
import html
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from desk.people import person_label
from scheduling.models import Event, ProgrammeItem
from tests.factories import (
    AttendanceFactory,
    EventFactory,
    FacilityFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
)
from visitors.delegations.services import (
    delegation_create,
    pass_create,
    vehicle_create,
)
from visitors.models import Delegation, Pass, Vehicle

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def event():
    """An opening in London (not the office's zone), its minister and aide on the list."""
    site = SiteFactory(name="Imperial White City", timezone="Europe/London")
    FacilityFactory(site=site, name="Main Lobby", name_zh="大堂")
    event = EventFactory(
        title="MARS Centre opening",
        site=site,
        timezone="Europe/London",
        status=Event.Status.TENTATIVE,
        start=dt.datetime(2030, 3, 4, 10, tzinfo=LONDON),
        end=dt.datetime(2030, 3, 4, 12, tzinfo=LONDON),
    )
    AttendanceFactory(
        event=event,
        role="guest_of_honour",
        person=PersonFactory(name="Sun Dong", name_zh="孫東", precedence_rank=1),
    )
    AttendanceFactory(event=event, person=PersonFactory(name="Winnie Lai"))
    AttendanceFactory(event=event, person=PersonFactory(name="Zoe Guest"))
    return event


@pytest.fixture
def party(event):
    minister = event.attendances.get(person__name="Sun Dong").person
    aide = event.attendances.get(person__name="Winnie Lai").person
    return delegation_create(event_id=event.pk, name="ITIB", lead=minister, members=[aide])


def _url(name, *args):
    return reverse(f"staff:{name}", args=args)


def _page(client, event) -> str:
    response = client.get(_url("delegations", event.pk))
    assert response.status_code == 200
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _person(event, name: str):
    return event.attendances.get(person__name=name).person


def _errors(page: str, field: str) -> list[str]:
    listed = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return [html.unescape(e) for e in re.findall(r"<li>(.*?)</li>", listed[1])] if listed else []


def _car(prefix: str, **changes) -> dict:
    fields = {
        "plate": "",
        "make": "",
        "colour": "",
        "driver": "",
        "driver_phone": "",
        "contact": "",
        "car_call_at": "",
        "drop_off_facility": "",
        "drop_off_point": "",
        "pick_up_facility": "",
        "pick_up_point": "",
        "arrival_item": "",
        "departure_item": "",
    } | changes
    return {f"{prefix}-{name}": value for name, value in fields.items()}


def _pass(prefix: str, **changes) -> dict:
    fields = {"kind": "site", "number": "", "status": "requested", "holder": "", "notes": ""}
    return {f"{prefix}-{name}": value for name, value in (fields | changes).items()}


# --- Delegations ---------------------------------------------------------------------------------


def test_staff_add_a_delegation_with_a_lead_typed_and_members_ticked_from_the_list(
    client, officer, event
):
    minister, aide = _person(event, "Sun Dong"), _person(event, "Winnie Lai")
    outsider = PersonFactory(name="Chan Tai-man", email="tm.chan@example.org")
    client.force_login(officer)

    response = client.post(
        _url("delegation-add", event.pk),
        {
            "new-name": "Innovation, Technology and Industry Bureau",
            "new-name_zh": "創新科技及工業局",
            "new-lead": "孫東",
            "new-members": "tm.chan@example.org",
            "new-from_list": [aide.pk],
            "new-notes": "Arrives from Central",
        },
    )

    party = Delegation.objects.get(event=event)
    assert response.status_code == 302
    assert response["Location"] == _url("delegations", event.pk) + f"#delegation-{party.pk}"
    assert (party.name, party.name_zh, party.lead) == (
        "Innovation, Technology and Industry Bureau",
        "創新科技及工業局",
        minister,
    )
    assert set(party.members.all()) == {minister, aide, outsider}
    page = _page(client, event)
    members = re.search(r'<ul class="members" id="delegation-\d+-members">(.*?)</ul>', page, re.S)
    assert re.findall(r"<li>(.*?)</li>", members[1]) == [
        "Ms Sun Dong (孫東)",
        "Ms Chan Tai-man",
        "Ms Winnie Lai",
    ]
    assert "Arrives from Central" in page


def test_the_page_offers_the_attendees_not_yet_members(client, officer, event, party):
    client.force_login(officer)

    page = _page(client, event)

    ticked = re.search(rf'<div id="id_d{party.pk}-from_list">(.*?)</fieldset>', page, re.S)[1]
    assert "Zoe Guest" in ticked and "Winnie Lai" not in ticked and "Sun Dong" not in ticked
    offered = re.search(r'<div id="id_new-from_list">(.*?)</fieldset>', page, re.S)[1]
    assert offered.count('type="checkbox"') == 3


def test_staff_rename_a_delegation_and_change_its_members(client, officer, event, party):
    minister, guest = _person(event, "Sun Dong"), _person(event, "Zoe Guest")
    client.force_login(officer)

    response = client.post(
        _url("delegation-edit", event.pk, party.pk),
        {
            f"d{party.pk}-name": "ITIB party",
            f"d{party.pk}-lead": person_label(minister),
            f"d{party.pk}-members": person_label(minister),
            f"d{party.pk}-from_list": [guest.pk],
        },
        follow=True,
    )

    party.refresh_from_db()
    assert party.name == "ITIB party"
    assert set(party.members.all()) == {minister, guest}
    assert "ITIB party is saved." in _messages(response)


def test_a_member_who_rides_is_not_taken_off_and_the_form_keeps_what_was_typed(
    client, officer, event, party
):
    aide = _person(event, "Winnie Lai")
    vehicle_create(delegation_id=party.pk, plate="AM 1", passengers=[aide])
    client.force_login(officer)

    response = client.post(
        _url("delegation-edit", event.pk, party.pk),
        {f"d{party.pk}-name": "Renamed meanwhile", f"d{party.pk}-members": ""},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert (
        "Ms Winnie Lai still ride in a car or hold a pass"
        in _errors(page, f"d{party.pk}-members")[0]
    )
    assert 'value="Renamed meanwhile"' in page
    assert f'<details class="row-edit" id="delegation-{party.pk}-edit" open>' in page
    party.refresh_from_db()
    assert party.name == "ITIB" and party.members.count() == 2


def test_a_second_delegation_of_the_same_name_is_refused_and_kept(client, officer, event, party):
    client.force_login(officer)

    response = client.post(
        _url("delegation-add", event.pk), {"new-name": "ITIB", "new-lead": "Nobody Known"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "No one on file is called “Nobody Known”" in _errors(page, "new-lead")[0]
    assert 'value="Nobody Known"' in page
    assert '<details class="workbench no-print" id="delegation-add" open>' in page

    response = client.post(_url("delegation-add", event.pk), {"new-name": "ITIB"})

    assert response.status_code == 400
    assert "Delegation with this Event and Name already exists." in response.content.decode()
    assert Delegation.objects.count() == 1


def test_staff_delete_a_delegation_with_its_cars_and_passes(client, officer, event, party):
    car = vehicle_create(delegation_id=party.pk, plate="AM 1")
    pass_create(delegation_id=party.pk, kind=Pass.Kind.VEHICLE, vehicle=car)
    client.force_login(officer)

    response = client.post(_url("delegation-delete", event.pk, party.pk), follow=True)

    assert not Delegation.objects.exists()
    assert not Vehicle.objects.exists() and not Pass.objects.exists()
    assert "ITIB is removed." in _messages(response)


# --- Cars -----------------------------------------------------------------------------------------


def test_staff_add_a_car_with_passengers_and_a_car_call_in_the_events_zone(
    client, officer, event, party
):
    minister, aide = _person(event, "Sun Dong"), _person(event, "Winnie Lai")
    lobby = event.site.facilities.get()
    arrival = ProgrammeItemFactory(
        event=event, kind=ProgrammeItem.Kind.ARRIVAL, title="Arrival", start=event.start
    )
    client.force_login(officer)

    response = client.post(
        _url("vehicle-add", event.pk, party.pk),
        _car(
            f"d{party.pk}-car",
            plate="am 1234",
            make="Toyota Alphard",
            colour="black",
            driver="Mr Lee",
            driver_phone="+852 9123 4567",
            contact="Ms Lai, +852 9876 5432",
            passengers=[minister.pk, aide.pk],
            car_call_at="2030-03-04T11:40",
            drop_off_facility=lobby.pk,
            pick_up_point="East gate, lay-by 2",
            arrival_item=arrival.pk,
        ),
    )

    car = Vehicle.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#car-{car.pk}")
    assert (car.plate, car.make, car.colour, car.driver) == (
        "AM 1234",
        "Toyota Alphard",
        "black",
        "Mr Lee",
    )
    assert car.car_call_at == dt.datetime(2030, 3, 4, 11, 40, tzinfo=LONDON)
    assert set(car.passengers.all()) == {minister, aide}
    assert (car.drop_off_facility, car.pick_up_point) == (lobby, "East gate, lay-by 2")
    assert car.arrival_item == arrival and car.departure_item is None
    row = re.search(rf'<tr id="car-{car.pk}">.*?</tr>', _page(client, event), re.S)[0]
    assert '<td data-label="Car call" class="time">11:40</td>' in row
    assert "Main Lobby (大堂)" in row and "East gate, lay-by 2" in row
    assert 'href="tel:+85291234567"' in row and "Contact: Ms Lai, +852 9876 5432" in row


def test_staff_edit_a_car_and_take_a_passenger_out(client, officer, event, party):
    minister, aide = _person(event, "Sun Dong"), _person(event, "Winnie Lai")
    car = vehicle_create(delegation_id=party.pk, plate="AM 1", passengers=[minister, aide])
    client.force_login(officer)

    page = _page(client, event)
    response = client.post(
        _url("vehicle-edit", event.pk, car.pk),
        _car(f"car{car.pk}", plate="AM 1", driver="Mr Lee", passengers=[minister.pk]),
        follow=True,
    )

    assert f'value="{aide.pk}" id="id_car{car.pk}-passengers_1" checked' in page
    car.refresh_from_db()
    assert car.driver == "Mr Lee" and list(car.passengers.all()) == [minister]
    assert "Car 1: AM 1 is saved." in _messages(response)


def test_a_plate_the_party_has_already_is_refused_and_the_form_keeps_what_was_typed(
    client, officer, event, party
):
    vehicle_create(delegation_id=party.pk, plate="AM 1")
    client.force_login(officer)

    response = client.post(
        _url("vehicle-add", event.pk, party.pk),
        _car(f"d{party.pk}-car", plate="am  1", driver="Mr Chan", car_call_at="2030-03-04T11:45"),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "This delegation already has a car with this plate." in page
    assert f'<details class="workbench no-print" id="delegation-{party.pk}-car-add" open>' in page
    assert 'value="am  1"' in page and 'value="Mr Chan"' in page
    assert 'value="2030-03-04T11:45"' in page
    assert Vehicle.objects.count() == 1


def test_a_facility_and_a_named_point_together_are_refused_beside_the_point(
    client, officer, event, party
):
    lobby = event.site.facilities.get()
    client.force_login(officer)

    response = client.post(
        _url("vehicle-add", event.pk, party.pk),
        _car(f"d{party.pk}-car", plate="AM 2", drop_off_facility=lobby.pk, drop_off_point="Gate"),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert _errors(page, f"d{party.pk}-car-drop_off_point") == [
        "Give a facility or a named point, not both."
    ]
    assert not Vehicle.objects.exists()


def test_a_car_call_at_a_time_the_clocks_skip_is_refused(client, officer, event, party):
    client.force_login(officer)

    response = client.post(
        _url("vehicle-add", event.pk, party.pk),
        _car(f"d{party.pk}-car", plate="AM 2", car_call_at="2030-03-31T01:30"),  # BST begins
    )

    assert response.status_code == 400
    assert _errors(response.content.decode(), f"d{party.pk}-car-car_call_at")
    assert not Vehicle.objects.exists()


def test_staff_remove_a_car(client, officer, event, party):
    car = vehicle_create(delegation_id=party.pk, plate="AM 1")
    client.force_login(officer)

    response = client.post(_url("vehicle-delete", event.pk, car.pk), follow=True)

    assert not Vehicle.objects.exists()
    assert "Car 1: AM 1 is removed." in _messages(response)


# --- Passes ---------------------------------------------------------------------------------------


def test_staff_issue_a_pass_with_its_number_to_a_member(client, officer, event, party):
    aide = _person(event, "Winnie Lai")
    client.force_login(officer)

    response = client.post(
        _url("pass-add", event.pk, party.pk),
        _pass(
            f"d{party.pk}-pass",
            kind="cleanroom",
            number="CR-0042",
            status="issued",
            holder=f"person-{aide.pk}",
        ),
        follow=True,
    )

    entry = Pass.objects.get()
    assert (entry.kind, entry.number, entry.status, entry.person) == (
        "cleanroom",
        "CR-0042",
        "issued",
        aide,
    )
    assert "Cleanroom access CR-0042 for Ms Winnie Lai is added." in _messages(response)
    row = re.search(rf'<tr id="pass-{entry.pk}">.*?</tr>', response.content.decode(), re.S)[0]
    assert "CR-0042" in row and "Issued" in row and "Ms Winnie Lai" in row


def test_a_permit_is_issued_for_a_car(client, officer, event, party):
    car = vehicle_create(delegation_id=party.pk, plate="AM 1")
    entry = pass_create(delegation_id=party.pk, kind=Pass.Kind.VEHICLE, vehicle=car)
    client.force_login(officer)

    client.post(
        _url("pass-edit", event.pk, entry.pk),
        _pass(
            f"pass{entry.pk}",
            kind="vehicle",
            number="VP-7",
            status="issued",
            holder=f"car-{car.pk}",
        ),
    )

    entry.refresh_from_db()
    assert (entry.number, entry.status, entry.vehicle) == ("VP-7", "issued", car)


def test_an_issued_pass_without_a_number_is_refused_and_the_form_keeps_what_was_typed(
    client, officer, event, party
):
    aide = _person(event, "Winnie Lai")
    client.force_login(officer)

    response = client.post(
        _url("pass-add", event.pk, party.pk),
        _pass(
            f"d{party.pk}-pass",
            status="issued",
            holder=f"person-{aide.pk}",
            notes="Collect at the desk",
        ),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert _errors(page, f"d{party.pk}-pass-number") == ["An issued pass has a number."]
    assert 'value="Collect at the desk"' in page
    assert f'<option value="person-{aide.pk}" selected>' in page
    assert not Pass.objects.exists()


def test_staff_remove_a_pass(client, officer, event, party):
    entry = pass_create(delegation_id=party.pk, person=_person(event, "Winnie Lai"))
    client.force_login(officer)

    client.post(_url("pass-delete", event.pk, entry.pk))

    assert not Pass.objects.exists()


# --- Arrival and departure -----------------------------------------------------------------------


def test_movements_put_arrival_and_departure_on_the_run_of_show_and_link_the_cars(
    client, officer, event, party
):
    first = vehicle_create(delegation_id=party.pk, plate="AM 1")
    second = vehicle_create(delegation_id=party.pk, plate="AM 2")
    client.force_login(officer)

    response = client.post(
        _url("delegation-movements", event.pk, party.pk),
        {
            f"d{party.pk}-moves-arrive_at": "2030-03-04T10:00",
            f"d{party.pk}-moves-depart_at": "2030-03-04T11:45",
            f"d{party.pk}-moves-minutes": "15",
        },
        follow=True,
    )

    arrival = event.programme.get(kind=ProgrammeItem.Kind.ARRIVAL)
    departure = event.programme.get(kind=ProgrammeItem.Kind.DEPARTURE)
    assert (arrival.title, arrival.start, arrival.end) == (
        "Arrival of ITIB",
        dt.datetime(2030, 3, 4, 10, tzinfo=LONDON),
        dt.datetime(2030, 3, 4, 10, 15, tzinfo=LONDON),
    )
    assert departure.start == dt.datetime(2030, 3, 4, 11, 45, tzinfo=LONDON)
    for car in (first, second):
        car.refresh_from_db()
        assert (car.arrival_item, car.departure_item) == (arrival, departure)
    assert "The arrival and departure of ITIB are on the run-of-show." in _messages(response)
    row = re.search(rf'<tr id="car-{first.pk}">.*?</tr>', response.content.decode(), re.S)[0]
    assert "Arrival: 10:00 Arrival of ITIB<br>Departure: 11:45 Departure of ITIB" in row


def test_movements_outside_the_event_are_refused_with_the_times_kept(client, officer, event, party):
    client.force_login(officer)

    response = client.post(
        _url("delegation-movements", event.pk, party.pk),
        {
            f"d{party.pk}-moves-arrive_at": "2030-03-04T09:00",
            f"d{party.pk}-moves-depart_at": "2030-03-04T11:45",
            f"d{party.pk}-moves-minutes": "10",
        },
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "A programme item must fall inside its event&#x27;s time." in page
    assert 'value="2030-03-04T09:00"' in page
    assert not event.programme.exists()


def test_a_departure_before_the_arrival_is_refused(client, officer, event, party):
    client.force_login(officer)

    response = client.post(
        _url("delegation-movements", event.pk, party.pk),
        {
            f"d{party.pk}-moves-arrive_at": "2030-03-04T11:00",
            f"d{party.pk}-moves-depart_at": "2030-03-04T10:00",
            f"d{party.pk}-moves-minutes": "10",
        },
    )

    assert _errors(response.content.decode(), f"d{party.pk}-moves-depart_at") == [
        "The departure must be after the arrival."
    ]
    assert not event.programme.exists()


# --- Who may ------------------------------------------------------------------------------------


def _writes(event, party, car, entry) -> list[tuple[str, dict]]:
    return [
        (_url("delegation-add", event.pk), {"new-name": "Press"}),
        (_url("delegation-edit", event.pk, party.pk), {f"d{party.pk}-name": "Renamed"}),
        (_url("delegation-delete", event.pk, party.pk), {}),
        (
            _url("delegation-movements", event.pk, party.pk),
            {
                f"d{party.pk}-moves-arrive_at": "2030-03-04T10:00",
                f"d{party.pk}-moves-depart_at": "2030-03-04T11:00",
                f"d{party.pk}-moves-minutes": "10",
            },
        ),
        (_url("vehicle-add", event.pk, party.pk), _car(f"d{party.pk}-car", plate="AM 9")),
        (_url("vehicle-edit", event.pk, car.pk), _car(f"car{car.pk}", plate="AM 8")),
        (_url("vehicle-delete", event.pk, car.pk), {}),
        (_url("pass-add", event.pk, party.pk), _pass(f"d{party.pk}-pass", holder=f"car-{car.pk}")),
        (_url("pass-edit", event.pk, entry.pk), _pass(f"pass{entry.pk}", holder=f"car-{car.pk}")),
        (_url("pass-delete", event.pk, entry.pk), {}),
    ]


def _state() -> tuple:
    return (
        list(Delegation.objects.values_list("name", flat=True)),
        list(Vehicle.objects.values_list("plate", flat=True)),
        list(Pass.objects.values_list("kind", "vehicle_id")),
        ProgrammeItem.objects.count(),
    )


def test_a_viewer_reads_the_page_without_forms_and_changes_nothing(client, viewer, event, party):
    car = vehicle_create(delegation_id=party.pk, plate="AM 1")
    entry = pass_create(delegation_id=party.pk, kind=Pass.Kind.VEHICLE, vehicle=car)
    client.force_login(viewer)
    before = _state()

    page = _page(client, event)
    answers = [
        client.post(url, data).status_code for url, data in _writes(event, party, car, entry)
    ]

    assert "AM 1" in page and "Vehicle permit" in page
    assert "<form" not in page[page.index("<main") :]
    assert answers == [403] * len(answers)
    assert _state() == before


def test_anonymous_users_are_sent_to_the_login_and_change_nothing(client, event, party):
    car = vehicle_create(delegation_id=party.pk, plate="AM 1")
    entry = pass_create(delegation_id=party.pk, kind=Pass.Kind.VEHICLE, vehicle=car)
    before = _state()

    answers = [client.get(_url("delegations", event.pk))] + [
        client.post(url, data) for url, data in _writes(event, party, car, entry)
    ]

    assert all(a.status_code == 302 and "/staff/login/" in a["Location"] for a in answers)
    assert _state() == before


def test_a_car_or_pass_of_another_events_party_is_not_found(client, officer, event, party):
    other = EventFactory(status=Event.Status.TENTATIVE)
    theirs = delegation_create(event_id=other.pk, name="Press")
    car = vehicle_create(delegation_id=theirs.pk, plate="PR 1")
    entry = pass_create(delegation_id=theirs.pk, kind=Pass.Kind.VEHICLE, vehicle=car)
    client.force_login(officer)
    before = _state()

    answers = [
        client.post(url, data).status_code
        for url, data in _writes(event, theirs, car, entry)[1:]  # its party's, on our event's URL
    ]

    assert answers == [404] * len(answers)
    assert _state() == before


def test_the_writes_refuse_get(client, officer, event, party):
    car = vehicle_create(delegation_id=party.pk, plate="AM 1")
    entry = pass_create(delegation_id=party.pk, kind=Pass.Kind.VEHICLE, vehicle=car)
    client.force_login(officer)

    answers = {client.get(url).status_code for url, _data in _writes(event, party, car, entry)}

    assert answers == {405}


def test_a_final_event_shows_its_delegations_without_forms(client, officer, event, party):
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    client.force_login(officer)

    page = _page(client, event)

    assert "ITIB" in page and "This event is Cancelled: it can no longer change." in page
    assert "delegation-add-form" not in page and "Add a car" not in page


def _busy(party, event, cars: int, first: int = 0) -> None:
    lobby = event.site.facilities.get()
    item = ProgrammeItemFactory(event=event, kind=ProgrammeItem.Kind.DEPARTURE, start=event.start)
    for n in range(first, first + cars):
        rider = PersonFactory()
        car = vehicle_create(
            delegation_id=party.pk,
            plate=f"AM {n}",
            passengers=[rider, party.lead],
            drop_off_facility=lobby,
            departure_item=item,
            car_call_at=event.end,
        )
        pass_create(delegation_id=party.pk, person=rider, number=f"S{n}", status="issued")
        pass_create(delegation_id=party.pk, kind=Pass.Kind.VEHICLE, vehicle=car)


def test_the_page_costs_the_same_queries_with_many_cars(client, officer, event, party):
    _busy(party, event, 1)
    client.force_login(officer)
    with CaptureQueriesContext(connection) as few:
        _page(client, event)
    _busy(delegation_create(event_id=event.pk, name="Press"), event, 0)
    _busy(party, event, 12, first=1)

    with CaptureQueriesContext(connection) as many:
        page = _page(client, event)

    assert page.count('<tr id="car-') == 13
    assert "is a passenger in" in page and "is after the departure" in page
    assert len(many) == len(few)


def test_the_page_reads_in_chinese(client, officer, event, party):
    vehicle_create(delegation_id=party.pk, plate="AM 1")
    client.force_login(officer)
    client.post(reverse("staff:language"), {"language": "zh-hant"})

    page = _page(client, event)

    assert "日曆" in page
    assert re.search(r"[\u4e00-\u9fff]", page[page.index("<h1") : page.index("</h1>")])


# --- The event page ------------------------------------------------------------------------------


def test_the_event_page_sums_up_each_delegation_and_links_to_the_page(
    client, officer, event, party
):
    vehicle_create(delegation_id=party.pk, plate="AM 1")
    vehicle_create(delegation_id=party.pk, plate="AM 2")
    client.force_login(officer)

    page = client.get(_url("event", event.pk)).content.decode()

    listed = re.search(r'<ul class="delegations" id="event-delegations">(.*?)</ul>', page, re.S)[1]
    assert f'href="{_url("delegations", event.pk)}#delegation-{party.pk}">ITIB</a>' in listed
    assert "led by Ms Sun Dong (孫東) · 2 members · 2 cars" in " ".join(listed.split())
    assert 'id="delegations-link"' in page


def test_the_event_page_offers_to_add_a_delegation_when_there_is_none(
    client, officer, viewer, event
):
    client.force_login(officer)
    page = client.get(_url("event", event.pk)).content.decode()
    client.force_login(viewer)
    read_only = client.get(_url("event", event.pk)).content.decode()

    assert "No delegation yet." in page
    assert f'href="{_url("delegations", event.pk)}#delegation-add"' in page
    assert "No delegation yet." in read_only and 'id="delegation-add-link"' not in read_only


def test_the_event_page_shows_the_delegation_warnings(client, officer, event, party):
    minister = _person(event, "Sun Dong")
    departure = ProgrammeItemFactory(
        event=event,
        kind=ProgrammeItem.Kind.DEPARTURE,
        title="Departure",
        start=dt.datetime(2030, 3, 4, 11, 30, tzinfo=LONDON),
        end=dt.datetime(2030, 3, 4, 11, 40, tzinfo=LONDON),
    )
    vehicle_create(
        delegation_id=party.pk,
        plate="AM 1",
        driver="Mr Lee",
        passengers=[minister],
        departure_item=departure,
        car_call_at=dt.datetime(2030, 3, 4, 11, 45, tzinfo=LONDON),
    )
    vehicle_create(delegation_id=party.pk, plate="AM 2", passengers=[minister])
    client.force_login(officer)

    page = client.get(_url("event", event.pk)).content.decode()

    listed = re.search(r'<ul class="warnings" id="event-warnings">(.*?)</ul>', page, re.S)[1]
    assert [html.unescape(text) for text in re.findall(r"<li>(.*?)</li>", listed)] == [
        "The car call for car 1 (AM 1) of ITIB (11:45) is after the departure “Departure” (11:30).",
        "No driver is named for car 2 (AM 2) of ITIB.",
        "Ms Sun Dong (孫東) is a passenger in car 1 (AM 1) of ITIB and car 2 (AM 2) of ITIB.",
    ]
