"""Back office for delegations: a party with its cars and passes on one page, saved through the
services (the lead and passengers become members, refusals come back on the form, nothing
half-saved), offering only the event's facilities and items."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Event, ProgrammeItem
from tests.factories import EventFactory, FacilityFactory, PersonFactory, ProgrammeItemFactory
from tests.scheduling.test_admin import form_data, messages_of
from visitors.delegations.services import delegation_create, pass_create, vehicle_create
from visitors.models import Delegation, Pass, Vehicle

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def party():
    event = EventFactory(
        title="MARS Centre opening",
        timezone="Europe/London",
        site__timezone="Europe/London",
        start=dt.datetime(2030, 3, 4, 10, tzinfo=LONDON),
        end=dt.datetime(2030, 3, 4, 12, tzinfo=LONDON),
    )
    FacilityFactory(site=event.site, name="Main Lobby")
    lead = PersonFactory(name="Sun Dong", name_zh="孫東")
    return delegation_create(event_id=event.pk, name="ITIB", lead=lead)


def _change(party) -> str:
    return reverse("admin:visitors_delegation_change", args=[party.pk])


def _form(client, party) -> dict:
    """The change form as a browser posts it back, times as shown (in the event's zone)."""
    with timezone.override(party.event.zone):
        return form_data(client.get(_change(party)))


def test_a_delegation_added_in_the_back_office_has_its_lead_as_a_member(client, officer):
    event = EventFactory()
    lead = PersonFactory(name="Sun Dong")
    aide = PersonFactory(name="Winnie Lai")
    client.force_login(officer)

    response = client.post(
        reverse("admin:visitors_delegation_add"),
        {"event": event.pk, "name": " ITIB ", "lead": lead.pk, "members": [aide.pk], "notes": ""},
    )

    party = Delegation.objects.get()
    assert response.status_code == 302
    assert party.name == "ITIB"
    assert set(party.members.all()) == {lead, aide}


def test_cars_and_passes_come_once_the_party_is_saved(client, officer, party):
    client.force_login(officer)

    adding = client.get(reverse("admin:visitors_delegation_add"))
    changing = client.get(_change(party))

    assert adding.context["inline_admin_formsets"] == []
    assert [inline.formset.prefix for inline in changing.context["inline_admin_formsets"]] == [
        "vehicles",
        "passes",
    ]


def test_a_car_added_in_the_back_office_seats_members_and_calls_in_the_events_zone(
    client, officer, party
):
    rider = PersonFactory(name="Ho Ka-yan")
    party.members.add(rider)
    outsider = PersonFactory(name="Not in the party")
    lobby = party.event.site.facilities.get()
    client.force_login(officer)
    data = _form(client, party)
    data.update(
        {
            "vehicles-TOTAL_FORMS": "1",
            "vehicles-0-plate": "am 1234",
            "vehicles-0-driver": "Mr Lee",
            "vehicles-0-passengers": [rider.pk],
            "vehicles-0-car_call_at_0": "2030-03-04",
            "vehicles-0-car_call_at_1": "11:40:00",
            "vehicles-0-drop_off_facility": lobby.pk,
        }
    )

    response = client.post(_change(party), data)

    assert response.status_code == 302, messages_of(response)
    car = Vehicle.objects.get()
    assert (car.plate, car.driver, car.drop_off_facility) == ("AM 1234", "Mr Lee", lobby)
    assert car.car_call_at == dt.datetime(2030, 3, 4, 11, 40, tzinfo=LONDON)
    assert list(car.passengers.all()) == [rider]
    data.update({"vehicles-0-plate": "AM 2", "vehicles-0-passengers": [outsider.pk]})
    refused = client.post(_change(party), data)  # passengers are chosen from the members
    assert f"{outsider.pk} is not one of the available choices" in refused.content.decode()
    assert Vehicle.objects.count() == 1


def test_an_issued_pass_without_a_number_is_refused_and_nothing_is_saved(client, officer, party):
    client.force_login(officer)
    data = _form(client, party)
    data.update(
        {
            "name": "ITIB renamed",
            "passes-TOTAL_FORMS": "1",
            "passes-0-kind": Pass.Kind.SITE,
            "passes-0-status": Pass.Status.ISSUED,
            "passes-0-person": party.lead.pk,
        }
    )

    response = client.post(_change(party), data)

    assert response.status_code == 200
    assert "An issued pass has a number." in response.content.decode()
    assert not Pass.objects.exists()
    party.refresh_from_db()
    assert party.name == "ITIB"


def test_a_pass_holder_not_in_the_party_is_refused_by_the_service(client, officer, party):
    stranger = PersonFactory(name="Stranger")
    client.force_login(officer)
    data = _form(client, party)
    data.update(
        {
            "passes-TOTAL_FORMS": "1",
            "passes-0-kind": Pass.Kind.SITE,
            "passes-0-status": Pass.Status.REQUESTED,
            "passes-0-person": stranger.pk,
        }
    )

    response = client.post(_change(party), data)

    assert response.status_code == 200
    assert "Ms Stranger is not a member of the delegation." in response.content.decode()
    assert not Pass.objects.exists()


def test_the_cars_offer_only_the_sites_facilities_and_the_events_items(client, officer, party):
    event = party.event
    FacilityFactory(name="Elsewhere")
    arrival = ProgrammeItemFactory(event=event, kind=ProgrammeItem.Kind.ARRIVAL, start=event.start)
    ProgrammeItemFactory(kind=ProgrammeItem.Kind.ARRIVAL)  # another event's
    ProgrammeItemFactory(event=event, kind=ProgrammeItem.Kind.REMARKS, start=event.start)
    vehicle_create(delegation_id=party.pk, plate="AM 1")
    client.force_login(officer)

    form = client.get(_change(party)).context["inline_admin_formsets"][0].formset.forms[0]

    assert [f.name for f in form.fields["drop_off_facility"].queryset] == ["Main Lobby"]
    assert list(form.fields["arrival_item"].queryset) == [arrival]
    assert not form.fields["departure_item"].queryset.exists()


def test_a_delegation_deleted_in_the_back_office_goes_with_its_cars(client, officer, party):
    car = vehicle_create(delegation_id=party.pk, plate="AM 1")
    pass_create(delegation_id=party.pk, kind=Pass.Kind.VEHICLE, vehicle=car)
    client.force_login(officer)

    response = client.post(
        reverse("admin:visitors_delegation_delete", args=[party.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Delegation.objects.exists() and not Vehicle.objects.exists()


def test_a_final_events_delegation_is_read_only(client, officer, viewer, party):
    Event.objects.filter(pk=party.event_id).update(status=Event.Status.CANCELLED)
    client.force_login(officer)

    response = client.get(_change(party))

    assert response.status_code == 200
    assert not response.context["has_change_permission"]


def test_a_viewer_reads_delegations_but_changes_nothing(client, viewer, party):
    client.force_login(viewer)

    listing = client.get(reverse("admin:visitors_delegation_changelist"), {"q": "ITIB"})
    adding = client.get(reverse("admin:visitors_delegation_add"))

    assert list(listing.context["cl"].result_list) == [party]
    assert adding.status_code == 403


def test_a_delegations_history_page_lists_the_back_office_changes(client, officer, party):
    client.force_login(officer)
    data = _form(client, party)
    data["notes"] = "Arrives from Central"
    client.post(_change(party), data)

    response = client.get(reverse("admin:visitors_delegation_history", args=[party.pk]))

    assert response.status_code == 200
    assert "Changed Notes." in response.content.decode()
