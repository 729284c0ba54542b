"""Delegations, their cars and passes: the lead and every passenger or pass holder is a member,
a member who rides or holds a pass is not taken off, a car's arrival and departure items are of
its event and of those kinds, plates are written one way and once per party, an issued pass has
its number, and the movements plan puts two items on the run-of-show and links the cars."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from scheduling.models import Event, ProgrammeItem
from tests.factories import EventFactory, FacilityFactory, PersonFactory, ProgrammeItemFactory, hk
from visitors.delegations.services import (
    delegation_create,
    delegation_delete,
    delegation_movements_plan,
    delegation_update,
    pass_create,
    pass_update,
    vehicle_create,
    vehicle_delete,
    vehicle_update,
)
from visitors.models import Delegation, Pass, Vehicle

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return EventFactory(title="MARS Centre opening", start=hk(2030, 3, 4, 10))


@pytest.fixture
def party(event):
    minister = PersonFactory(name="Sun Dong", name_zh="孫東")
    aide = PersonFactory(name="Winnie Lai")
    return delegation_create(
        event_id=event.pk, name=" ITIB ", name_zh="創新科技及工業局", lead=minister, members=[aide]
    )


def _members(delegation: Delegation) -> set[str]:
    return {person.name for person in delegation.members.all()}


def _code(error: pytest.ExceptionInfo) -> str:
    refusal = error.value
    return (
        refusal.error_list[0].code
        if not hasattr(refusal, "error_dict")
        else next(iter(refusal.error_dict.values()))[0].code
    )


def _refusal(error: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return error.value.message_dict


def test_the_lead_becomes_a_member(party):
    assert party.name == "ITIB"
    assert party.lead.name == "Sun Dong"
    assert _members(party) == {"Sun Dong", "Winnie Lai"}


def test_a_new_lead_joins_the_members_on_update(party):
    driver_liaison = PersonFactory(name="Chan Tai-man")

    delegation_update(delegation_id=party.pk, lead=driver_liaison)

    assert _members(party) == {"Sun Dong", "Winnie Lai", "Chan Tai-man"}
    party.refresh_from_db()
    assert party.lead == driver_liaison


def test_members_given_replace_the_members_and_keep_the_lead(party):
    newcomer = PersonFactory(name="Alfred Sit")

    delegation_update(delegation_id=party.pk, members=[newcomer])

    assert _members(party) == {"Sun Dong", "Alfred Sit"}


def test_the_same_name_twice_in_an_event_is_refused(party, event):
    with pytest.raises(ValidationError):
        delegation_create(event_id=event.pk, name="ITIB")

    assert Delegation.objects.filter(event=event).count() == 1


def test_a_passenger_becomes_a_member(party):
    protocol_officer = PersonFactory(name="Ho Ka-yan")

    car = vehicle_create(delegation_id=party.pk, plate="am 1", passengers=[protocol_officer])

    assert set(car.passengers.all()) == {protocol_officer}
    assert "Ho Ka-yan" in _members(party)


def test_a_member_who_rides_in_a_car_is_not_taken_off(party):
    aide = party.members.get(name="Winnie Lai")
    vehicle_create(delegation_id=party.pk, plate="AM 1", passengers=[aide])

    with pytest.raises(ValidationError) as refused:
        delegation_update(delegation_id=party.pk, members=[])

    assert "Winnie Lai" in _refusal(refused)["members"][0]
    assert "ride in a car or hold a pass" in _refusal(refused)["members"][0]
    assert _members(party) == {"Sun Dong", "Winnie Lai"}


def test_a_member_who_holds_a_pass_is_not_taken_off(party):
    aide = party.members.get(name="Winnie Lai")
    pass_create(delegation_id=party.pk, person=aide)

    with pytest.raises(ValidationError) as refused:
        delegation_update(delegation_id=party.pk, members=[])

    assert list(_refusal(refused)) == ["members"]
    assert _members(party) == {"Sun Dong", "Winnie Lai"}


def test_a_member_out_of_the_car_may_then_be_taken_off(party):
    aide = party.members.get(name="Winnie Lai")
    car = vehicle_create(delegation_id=party.pk, plate="AM 1", passengers=[aide])

    vehicle_update(vehicle_id=car.pk, passengers=[])
    delegation_update(delegation_id=party.pk, members=[])

    assert _members(party) == {"Sun Dong"}


def test_a_pass_holder_must_be_a_member(party):
    stranger = PersonFactory(name="Stranger")

    with pytest.raises(ValidationError) as refused:
        pass_create(delegation_id=party.pk, person=stranger)

    assert _refusal(refused) == {"person": ["Ms Stranger is not a member of the delegation."]}
    assert not Pass.objects.exists()


def test_a_pass_is_for_a_person_or_a_car(party):
    with pytest.raises(ValidationError) as refused:
        pass_create(delegation_id=party.pk)

    assert "A pass is for one person or for one car." in refused.value.messages


def test_a_car_of_another_party_gets_no_pass_here(party, event):
    other = delegation_create(event_id=event.pk, name="Press")
    their_car = vehicle_create(delegation_id=other.pk, plate="PR 1")

    with pytest.raises(ValidationError) as refused:
        pass_create(delegation_id=party.pk, kind=Pass.Kind.VEHICLE, vehicle=their_car)

    assert _refusal(refused) == {"vehicle": ["That car is of another delegation."]}


def test_an_issued_pass_needs_its_number(party):
    aide = party.members.get(name="Winnie Lai")

    with pytest.raises(ValidationError) as refused:
        pass_create(delegation_id=party.pk, person=aide, status=Pass.Status.ISSUED, number=" ")

    assert _refusal(refused)["number"] == ["An issued pass has a number."]
    assert not Pass.objects.exists()


def test_a_pass_is_issued_with_its_number(party):
    aide = party.members.get(name="Winnie Lai")
    entry = pass_create(delegation_id=party.pk, person=aide)

    entry = pass_update(pass_id=entry.pk, status=Pass.Status.ISSUED, number=" SP-0042 ")

    entry.refresh_from_db()
    assert (entry.status, entry.number) == (Pass.Status.ISSUED, "SP-0042")
    with pytest.raises(ValidationError):
        pass_update(pass_id=entry.pk, number="")


def test_a_pass_number_is_given_once_per_kind(party):
    aide = party.members.get(name="Winnie Lai")
    lead = party.lead
    pass_create(delegation_id=party.pk, person=aide, number="SP-1", status=Pass.Status.ISSUED)

    with pytest.raises(ValidationError):
        pass_create(delegation_id=party.pk, person=lead, number="SP-1", status=Pass.Status.ISSUED)
    pass_create(delegation_id=party.pk, person=lead, number="SP-1", kind=Pass.Kind.CLEANROOM)

    assert Pass.objects.count() == 2


def test_the_plate_is_written_in_capitals_with_single_spaces(party):
    car = vehicle_create(delegation_id=party.pk, plate="  am   1234 ")

    assert car.plate == "AM 1234"
    car.refresh_from_db()
    assert car.plate == "AM 1234"


def test_a_plate_is_given_once_per_delegation(party, event):
    vehicle_create(delegation_id=party.pk, plate="AM 1234")

    with pytest.raises(ValidationError):
        vehicle_create(delegation_id=party.pk, plate="am 1234")
    other = delegation_create(event_id=event.pk, name="Press")
    vehicle_create(delegation_id=other.pk, plate="AM 1234")  # another party's car may share it

    assert list(party.vehicles.values_list("plate", flat=True)) == ["AM 1234"]


def test_a_car_without_a_plate_is_refused(party):
    with pytest.raises(ValidationError) as refused:
        vehicle_create(delegation_id=party.pk, plate="   ")

    assert "plate" in _refusal(refused)
    assert not Vehicle.objects.exists()


def test_cars_are_numbered_in_the_order_they_are_added(party):
    first = vehicle_create(delegation_id=party.pk, plate="AM 1")
    second = vehicle_create(delegation_id=party.pk, plate="AM 2")
    vehicle_delete(vehicle_id=first.pk)
    third = vehicle_create(delegation_id=party.pk, plate="AM 3")

    assert (second.position, third.position) == (2, 3)


def test_a_place_is_a_facility_or_a_named_point_not_both(party, event):
    lobby = FacilityFactory(site=event.site, name="Main Lobby")

    with pytest.raises(ValidationError) as refused:
        vehicle_create(
            delegation_id=party.pk, plate="AM 1", drop_off_facility=lobby, drop_off_point="Gate 2"
        )
    car = vehicle_create(
        delegation_id=party.pk, plate="AM 1", drop_off_facility=lobby, pick_up_point=" Gate 2 "
    )

    assert list(_refusal(refused)) == ["drop_off_point"]
    assert (car.drop_off, car.pick_up) == ("Main Lobby", "Gate 2")


def test_an_arrival_item_of_another_kind_is_refused(party, event):
    remarks = ProgrammeItemFactory(event=event, kind=ProgrammeItem.Kind.REMARKS)

    with pytest.raises(ValidationError) as refused:
        vehicle_create(delegation_id=party.pk, plate="AM 1", arrival_item=remarks)

    assert _refusal(refused) == {"arrival_item": ["Choose an item of the kind “Arrival”."]}
    assert not Vehicle.objects.exists()


def test_an_arrival_item_of_another_event_is_refused(party):
    elsewhere = ProgrammeItemFactory(kind=ProgrammeItem.Kind.ARRIVAL)

    with pytest.raises(ValidationError) as refused:
        vehicle_create(delegation_id=party.pk, plate="AM 1", arrival_item=elsewhere)

    assert _refusal(refused) == {"arrival_item": ["That item is of another event."]}


def test_a_departure_item_of_another_kind_is_refused_on_update(party, event):
    car = vehicle_create(delegation_id=party.pk, plate="AM 1")
    arrival = ProgrammeItemFactory(event=event, kind=ProgrammeItem.Kind.ARRIVAL)

    with pytest.raises(ValidationError) as refused:
        vehicle_update(vehicle_id=car.pk, departure_item=arrival)

    assert list(_refusal(refused)) == ["departure_item"]
    car.refresh_from_db()
    assert car.departure_item is None


def test_the_movements_plan_puts_arrival_and_departure_on_the_run_of_show(party, event):
    lobby = FacilityFactory(site=event.site, name="Main Lobby")
    gate = FacilityFactory(site=event.site, name="East gate")
    first = vehicle_create(
        delegation_id=party.pk, plate="AM 1", drop_off_facility=lobby, pick_up_facility=gate
    )
    second = vehicle_create(delegation_id=party.pk, plate="AM 2")

    arrival, departure = delegation_movements_plan(
        delegation_id=party.pk,
        arrive_at=hk(2030, 3, 4, 10),
        depart_at=hk(2030, 3, 4, 11, 45),
        minutes=15,
    )

    assert (arrival.kind, arrival.title, arrival.title_zh) == (
        ProgrammeItem.Kind.ARRIVAL,
        "Arrival of ITIB",
        "創新科技及工業局抵達",
    )
    assert (arrival.start, arrival.end - arrival.start) == (
        hk(2030, 3, 4, 10),
        dt.timedelta(minutes=15),
    )
    assert (departure.kind, departure.title, departure.facility) == (
        ProgrammeItem.Kind.DEPARTURE,
        "Departure of ITIB",
        gate,
    )
    assert arrival.facility == lobby
    assert set(event.programme.values_list("kind", flat=True)) == {"arrival", "departure"}
    for car in (first, second):
        car.refresh_from_db()
        assert (car.arrival_item, car.departure_item) == (arrival, departure)


def test_the_movements_plan_keeps_a_cars_own_items(party, event):
    own = ProgrammeItemFactory(event=event, kind=ProgrammeItem.Kind.ARRIVAL)
    car = vehicle_create(delegation_id=party.pk, plate="AM 1", arrival_item=own)

    arrival, departure = delegation_movements_plan(
        delegation_id=party.pk, arrive_at=hk(2030, 3, 4, 10), depart_at=hk(2030, 3, 4, 11)
    )

    car.refresh_from_db()
    assert (car.arrival_item, car.departure_item) == (own, departure)
    assert arrival.end - arrival.start == dt.timedelta(minutes=10)


def test_deleting_a_party_removes_its_cars_and_passes_but_not_its_items(party, event):
    car = vehicle_create(delegation_id=party.pk, plate="AM 1")
    pass_create(delegation_id=party.pk, kind=Pass.Kind.VEHICLE, vehicle=car)
    delegation_movements_plan(
        delegation_id=party.pk, arrive_at=hk(2030, 3, 4, 10), depart_at=hk(2030, 3, 4, 11)
    )

    delegation_delete(delegation_id=party.pk)

    assert not Delegation.objects.exists()
    assert not Vehicle.objects.exists() and not Pass.objects.exists()
    assert event.programme.count() == 2


def test_a_party_gone_meanwhile_is_a_refusal_not_an_error():
    with pytest.raises(ValidationError) as refused:
        vehicle_create(delegation_id=987654, plate="AM 1")

    assert refused.value.messages == ["No such delegation."]


def test_a_duplicate_plate_or_pass_number_is_refused_in_words(party):
    aide = party.members.get(name="Winnie Lai")
    vehicle_create(delegation_id=party.pk, plate="AM 1234")
    pass_create(delegation_id=party.pk, person=aide, number="SP-1", status=Pass.Status.ISSUED)

    with pytest.raises(ValidationError) as plate:
        vehicle_create(delegation_id=party.pk, plate="am 1234")
    with pytest.raises(ValidationError) as number:
        pass_create(delegation_id=party.pk, person=party.lead, number="SP-1")

    assert plate.value.messages == ["This delegation already has a car with this plate."]
    assert number.value.messages == ["This delegation already has a pass of this kind and number."]


def test_the_movements_plan_twice_is_refused_and_adds_nothing(party, event):
    vehicle_create(delegation_id=party.pk, plate="AM 1")
    when = {"arrive_at": hk(2030, 3, 4, 10), "depart_at": hk(2030, 3, 4, 11, 45)}
    delegation_movements_plan(delegation_id=party.pk, **when)

    with pytest.raises(ValidationError) as refused:
        delegation_movements_plan(delegation_id=party.pk, **when)

    assert _code(refused) == "already_planned"
    assert event.programme.count() == 2


@pytest.mark.parametrize("status", ["cancelled", "completed"])
def test_a_final_events_delegations_are_closed(party, event, status):
    car = vehicle_create(delegation_id=party.pk, plate="AM 1")
    Event.objects.filter(pk=event.pk).update(status=status)

    for write in (
        lambda: delegation_create(event_id=event.pk, name="Press"),
        lambda: delegation_update(delegation_id=party.pk, name="Renamed"),
        lambda: vehicle_update(vehicle_id=car.pk, driver="Chan"),
        lambda: pass_create(delegation_id=party.pk, person=party.lead),
        lambda: vehicle_delete(vehicle_id=car.pk),
    ):
        with pytest.raises(ValidationError) as refused:
            write()
        assert refused.value.messages == [f"The event is {status}; its delegations are closed."]
    party.refresh_from_db()
    assert party.name == "ITIB" and Vehicle.objects.filter(pk=car.pk).exists()
