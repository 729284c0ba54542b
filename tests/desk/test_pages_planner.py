"""The visit planner page: check before saving, clashes with suggestions, all-or-nothing save."""

import html
import re

import pytest
from django.urls import reverse

from scheduling.models import Booking, Event, ProgrammeItem, ProgrammeRole, TravelTime
from tests.factories import (
    BookingFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)
from visitors.models import Attendance

pytestmark = pytest.mark.django_db

URL = reverse("staff:planner")


@pytest.fixture
def world():
    tai_po = SiteFactory(name="InnoPark Tai Po", slug="tai-po", internal_travel_minutes=5)
    science_park = SiteFactory(name="Science Park", slug="science-park")
    TravelTime.objects.create(from_site=tai_po, to_site=science_park, minutes=20)
    return {
        "site": tai_po,
        "hall": FacilityFactory(site=tai_po, name="MARS Hall"),
        "lab": FacilityFactory(site=tai_po, name="Cleanroom gallery"),
        "spare": FacilityFactory(site=science_park, name="Spare lab"),
        "tenant": FacilityFactory(site=science_park, name="Time Medical premises"),
        "tenant_org": OrganisationFactory(name="Time Medical Systems"),
        "minister": PersonFactory(honorific="Prof", name="Sun Dong", name_zh="孫東"),
        "escort": PersonFactory(name="Winnie Lai", name_zh="黎慧"),
    }


def _data(world, action="check", **overrides) -> dict:
    data = {
        "title": "Secretary visits the MARS Centre",
        "title_zh": "局長參觀火星中心",
        "site": world["site"].pk,
        "visibility": "restricted",
        "date": "2030-03-04",
        "start_time": "10:00",
        "dignitaries": [world["minister"].pk],
        "party": [world["escort"].pk],
        "stops-TOTAL_FORMS": "4",
        "stops-INITIAL_FORMS": "0",
        "stops-0-facility": world["hall"].pk,
        "stops-0-minutes": "30",
        "stops-1-facility": world["lab"].pk,
        "stops-1-minutes": "20",
        "stops-2-facility": world["tenant"].pk,
        "stops-2-host": world["tenant_org"].pk,
        "stops-2-minutes": "25",
        "action": action,
    }
    data.update(overrides)
    return data


def test_planner_form_has_labelled_fields_and_blank_stop_rows(client, officer, world):
    client.force_login(officer)

    page = client.get(URL).content.decode()

    for field in ("id_title", "id_site", "id_date", "id_start_time", "id_dignitaries", "id_party"):
        assert f'<label for="{field}">' in page
    assert page.count('<tr id="stop-row-') == 4
    assert (
        '<label class="visually-hidden" for="id_stops-0-facility">Stop 1: facility</label>' in page
    )
    assert "Prof Sun Dong (孫東)" in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_planner_check_proposes_times_with_travel_and_saves_nothing(client, officer, world):
    client.force_login(officer)

    response = client.post(URL, _data(world))

    page = response.content.decode()
    assert response.status_code == 200
    assert "From Monday 4 March 2030, 10:00 to 11:40." in page
    assert "No clashes: it can be saved." in page
    stops = re.findall(r"<h3>(\d)\. (\d\d:\d\d–\d\d:\d\d) ([^<]+)<", page)
    assert [(n, times, place.strip()) for n, times, place in stops] == [
        ("1", "10:00–10:30", "MARS Hall"),
        ("2", "10:35–10:55", "Cleanroom gallery"),
        ("3", "11:15–11:40", "Time Medical premises"),
    ]
    assert "10:55: transfer, 20 min" in page
    assert "times in HKT, Asia/Hong_Kong" in page
    assert not Event.objects.exists() and not Booking.objects.exists()


def test_planner_check_shows_the_clash_and_its_suggestions(client, officer, world):
    other = EventFactory(title="Board meeting", site=world["tenant"].site, start=hk(2030, 3, 4, 11))
    BookingFactory(event=other, facility=world["tenant"])
    client.force_login(officer)

    response = client.post(URL, _data(world))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Saving is not possible until the clashes below are solved." in page
    assert "Time Medical premises is not free" in page and "Board meeting" in page
    assert f'value="facility:2:{world["spare"].pk}"' in page
    assert re.search(r'value="shift:\d+">Move the visit so this stop is', page)
    assert not Event.objects.filter(kind=Event.Kind.SITE_INSPECTION).exists()


def test_planner_takes_a_suggested_facility_and_checks_again(client, officer, world):
    other = EventFactory(title="Board meeting", site=world["tenant"].site, start=hk(2030, 3, 4, 11))
    BookingFactory(event=other, facility=world["tenant"])
    client.force_login(officer)

    response = client.post(URL, _data(world, action=f"facility:2:{world['spare'].pk}"))

    page = response.content.decode()
    assert "No clashes: it can be saved." in page
    assert re.search(rf'<option value="{world["spare"].pk}" selected>', page)


def test_planner_takes_a_suggested_time_by_moving_the_whole_visit(client, officer, world):
    other = EventFactory(title="Board meeting", site=world["tenant"].site, start=hk(2030, 3, 4, 11))
    BookingFactory(event=other, facility=world["tenant"])
    client.force_login(officer)
    first = client.post(URL, _data(world)).content.decode()
    shift = re.search(r'value="(shift:\d+)"', first)[1]

    response = client.post(URL, _data(world, action=shift))

    page = response.content.decode()
    assert "No clashes: it can be saved." in page
    start = re.search(r'name="start_time" value="(\d\d:\d\d)"', page)[1]
    assert start != "10:00"


def test_planner_save_creates_the_visit_and_opens_its_page(client, officer, world):
    client.force_login(officer)

    response = client.post(URL, _data(world, action="save"))

    event = Event.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "staff:event", args=[event.pk]
    )
    assert (event.title_zh, event.visibility, event.status) == (
        "局長參觀火星中心",
        "restricted",
        Event.Status.TENTATIVE,
    )
    assert list(event.bookings.values_list("status", flat=True)) == ["held"] * 3
    assert event.programme.filter(kind=ProgrammeItem.Kind.TRANSFER).count() == 2
    assert event.attendances.get(person=world["escort"]).role == Attendance.Role.ESCORT
    assert "The visit is planned" in client.get(response["Location"]).content.decode()


def test_planner_save_with_a_clash_keeps_nothing_and_shows_every_clash(client, officer, world):
    other = EventFactory(title="Board meeting", site=world["tenant"].site, start=hk(2030, 3, 4, 11))
    BookingFactory(event=other, facility=world["tenant"])
    client.force_login(officer)

    response = client.post(URL, _data(world, action="save"))

    assert response.status_code == 409
    assert "Board meeting" in response.content.decode()
    assert Event.objects.count() == 1 and Booking.objects.count() == 1
    assert not Attendance.objects.exists() and not ProgrammeItem.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"dignitaries": []}, "dignitaries", "This field is required."),
        ({"stops-1-minutes": ""}, "stops-1-minutes", "Give the stop&#x27;s length in minutes."),
        ({"stops-1-minutes": "2"}, "stops-1-minutes", "greater than or equal to 5"),
        ({"stops-3-host": "999999"}, "stops-3-host", "Select a valid choice."),
        ({"start_time": "25:00"}, "start_time", "Enter a valid time."),
    ],
)
def test_planner_errors_appear_next_to_the_field(client, officer, world, overrides, field, message):
    client.force_login(officer)

    response = client.post(URL, _data(world, **overrides))

    page = response.content.decode()
    assert response.status_code == 400
    errors = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert errors and message in errors[1]
    assert not Event.objects.exists()


def test_planner_refuses_a_person_in_both_lists_next_to_the_party(client, officer, world):
    client.force_login(officer)

    response = client.post(URL, _data(world, party=[world["minister"].pk]))

    page = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'id="id_party_error">.*Listed as visitor and in the party', page, re.S)


def test_planner_needs_at_least_one_stop(client, officer, world):
    client.force_login(officer)
    empty = {f"stops-{n}-{name}": "" for n in range(3) for name in ("facility", "minutes", "host")}

    response = client.post(URL, _data(world, **empty))

    assert response.status_code == 400
    assert "Give at least one stop." in response.content.decode()


def test_planner_adds_a_stop_row_without_saving(client, officer, world):
    client.force_login(officer)

    response = client.post(URL, _data(world, action="add_stop"))

    page = response.content.decode()
    assert page.count('<tr id="stop-row-') == 5
    assert 'value="Secretary visits the MARS Centre"' in page
    assert not Event.objects.exists()


def test_planner_save_shows_a_refusal_at_its_stop(client, officer, world):
    world["lab"].capacity = 1
    world["lab"].save()
    client.force_login(officer)

    response = client.post(URL, _data(world, action="save"))

    page = response.content.decode()
    assert response.status_code == 409
    result = re.search(r'id="stop-result-1">.*?</div>', page, re.S)[0]
    assert "holds 1 people and 2 are expected" in result
    assert not Event.objects.exists()


def test_planner_check_warns_that_a_visitor_is_taking_part_elsewhere_and_saves_nothing(
    client, officer, world
):
    forum = EventFactory(
        title="Innovation forum", status=Event.Status.CONFIRMED, start=hk(2030, 3, 4, 10)
    )
    keynote = ProgrammeItemFactory(
        event=forum, title="Keynote", start=hk(2030, 3, 4, 10, 0), end=hk(2030, 3, 4, 10, 30)
    )
    ProgrammeRole.objects.create(
        item=keynote, person=world["minister"], part=ProgrammeRole.Part.SPEAKER
    )
    client.force_login(officer)

    response = client.post(URL, _data(world, action="check"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "No clashes: it can be saved." in page  # a warning does not stop the save
    listed = re.search(r'<ul class="warnings" id="proposal-warnings">(.*?)</ul>', page, re.S)
    assert [html.unescape(text) for text in re.findall(r"<li>(.*?)</li>", listed[1])] == [
        "Prof Sun Dong (孫東) takes part in “Tour stop: MARS Hall” (Mon 4 Mar 2030 "
        "10:00–10:30 HKT) and in “Keynote” (Mon 4 Mar 2030 10:00–10:30 HKT, in “Innovation "
        "forum”), which overlap."
    ]
    assert list(Event.objects.all()) == [forum]
    assert list(ProgrammeItem.objects.all()) == [keynote]
    assert not Booking.objects.exists() and not Attendance.objects.exists()
