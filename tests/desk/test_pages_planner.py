"""The visit planner page: check before saving, clashes with suggestions, all-or-nothing save."""

import html
import json
import re

import pytest
from django.urls import reverse

from desk.people import person_label
from scheduling.models import Booking, Event, Facility, ProgrammeItem, ProgrammeRole, TravelTime
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
from visitors.models import Attendance, Organisation

pytestmark = pytest.mark.django_db

URL = reverse("staff:planner")


@pytest.fixture
def world():
    tai_po = SiteFactory(name="InnoPark Tai Po", slug="tai-po", internal_travel_minutes=5)
    science_park = SiteFactory(name="Science Park", slug="science-park")
    TravelTime.objects.create(from_site=tai_po, to_site=science_park, minutes=20)
    tenant_org = OrganisationFactory(name="Time Medical Systems", kind=Organisation.Kind.TENANT)
    return {
        "site": tai_po,
        "hall": FacilityFactory(site=tai_po, name="MARS Hall"),
        "lab": FacilityFactory(site=tai_po, name="Cleanroom gallery", kind=Facility.Kind.LAB),
        "spare": FacilityFactory(site=tai_po, name="Spare hall"),
        "auditorium": FacilityFactory(site=science_park, name="Auditorium"),
        "tenant": FacilityFactory(
            site=science_park, name="Time Medical premises", kind=Facility.Kind.TENANT_PREMISES
        ),
        "tenant_org": tenant_org,
        "ceo": PersonFactory(name="Winnie Cheung", organisation=tenant_org),
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
        "party-TOTAL_FORMS": "3",
        "party-INITIAL_FORMS": "0",
        "party-0-person": person_label(world["minister"]),
        "party-0-role": "guest_of_honour",
        "party-1-person": "黎慧",  # typed without the picker: looked up by name
        "party-1-role": "escort",
        "party-2-person": "",
        "party-2-role": "guest",
        "stops-TOTAL_FORMS": "4",
        "stops-INITIAL_FORMS": "0",
        "stops-0-kind": "tour_stop",
        "stops-0-facility": world["hall"].pk,
        "stops-0-minutes": "30",
        "stops-1-kind": "tour_stop",
        "stops-1-facility": world["lab"].pk,
        "stops-1-minutes": "20",
        "stops-2-kind": "tour_stop",
        "stops-2-facility": world["tenant"].pk,
        "stops-2-host": world["tenant_org"].pk,
        "stops-2-minutes": "25",
        "stops-3-kind": "tour_stop",
        "action": action,
    }
    data.update(overrides)
    return data


def _options(page: str, select_id: str) -> list[str]:
    select = re.search(rf'<select name="[^"]*" id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    return [html.unescape(text) for text in re.findall(r"<option[^>]*>([^<]*)<", select[1])]


def _headings(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r"<h3>(\d+\. [^<]+)</h3>", page)]


def test_planner_form_has_labelled_fields_type_ahead_pickers_and_blank_rows(client, officer, world):
    client.force_login(officer)

    page = client.get(URL).content.decode()

    for field in ("id_title", "id_site", "id_date", "id_start_time", "id_stops-0-kind"):
        assert f'<label for="{field}">' in page
    assert '<label for="id_party-0-person">Person 1</label>' in page
    assert '<label for="id_party-0-role">Role of person 1</label>' in page
    assert page.count('<li class="party-row"') == 4
    assert page.count('<fieldset class="stop-row" id="stop-row-') == 4
    # People are typed with suggestions, not picked from Ctrl-click lists.
    assert "multiple" not in page
    assert re.search(r'<input type="text" name="party-0-person"[^>]*data-people-search=', page)
    assert re.search(r'<input type="text" name="stops-0-host_person"[^>]*data-people-search=', page)
    assert '<option value="guest_of_honour" selected>' in page  # the first row's role
    assert _options(page, "id_stops-0-kind") == [
        "Arrival",
        "Remarks",
        "Tour stop",
        "Transfer",
        "Photo call",
        "Departure",
    ]
    assert "/static/staff/planner.css" in page and "/static/staff/planner.js" in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_planner_offers_the_chosen_sites_facilities_and_tenants_within_reach(
    client, officer, world
):
    """The defect: every facility of every site was offered whatever the site."""
    client.force_login(officer)

    chosen = client.get(URL, {"site": world["site"].pk}).content.decode()
    posted = client.post(URL, _data(world, action="site")).content.decode()

    expected = [
        "---------",
        "InnoPark Tai Po: Cleanroom gallery [Laboratory]",
        "InnoPark Tai Po: MARS Hall [Hall / auditorium]",
        "InnoPark Tai Po: Spare hall [Hall / auditorium]",
        "Science Park: Time Medical premises [Tenant premises]",
    ]
    assert _options(chosen, "id_stops-0-facility") == expected
    assert _options(posted, "id_stops-3-facility") == expected
    # What the script offers when the site changes: the same rule, for every site.
    places = json.loads(re.search(r'id="stop-places"[^>]*>(.*?)</script>', chosen, re.S)[1])
    science_park = world["tenant"].site_id
    assert [name for _pk, name in places[str(science_park)]] == [
        "Science Park: Auditorium [Hall / auditorium]",
        "Science Park: Time Medical premises [Tenant premises]",
    ]


def test_planner_refuses_a_facility_of_another_site_next_to_it(client, officer, world):
    client.force_login(officer)

    response = client.post(URL, _data(world, **{"stops-1-facility": world["auditorium"].pk}))

    page = response.content.decode()
    assert response.status_code == 400
    errors = re.search(
        r'<ul class="errorlist" id="id_stops-1-facility_error">(.*?)</ul>', page, re.S
    )
    assert "Choose one of the site&#x27;s facilities" in errors[1]
    assert not Event.objects.exists()


def test_planner_check_proposes_times_with_travel_and_saves_nothing(client, officer, world):
    client.force_login(officer)

    response = client.post(URL, _data(world))

    page = response.content.decode()
    assert response.status_code == 200
    assert "From Monday 4 March 2030, 10:00 to 11:40." in page
    assert "No clashes: it can be saved." in page
    assert _headings(page) == [
        "1. 10:00–10:30 Tour stop: MARS Hall",
        "2. 10:35–10:55 Tour stop: Cleanroom gallery",
        "3. 11:15–11:40 Tour stop: Time Medical Systems",
    ]
    assert "10:55: transfer, 20 min" in page
    assert "times in HKT, Asia/Hong_Kong" in page
    assert not Event.objects.exists() and not Booking.objects.exists()


def test_planner_draws_the_itinerary_as_a_strip_with_travel_between_stops(client, officer, world):
    client.force_login(officer)

    page = client.post(URL, _data(world)).content.decode()

    strip = re.search(r'<figure class="timeline-strip".*?</figure>', page, re.S)[0]
    blocks = re.findall(
        r'<rect class="strip-stop ok kind-tour_stop" x="([\d.]+)%" width="([\d.]+)%"', strip
    )
    # 100 minutes from 10:00 to 11:40: each stop placed and sized by its minutes.
    assert blocks == [("0.00", "30.00"), ("35.00", "20.00"), ("75.00", "25.00")]
    travel = re.findall(r'<line class="strip-travel" x1="([\d.]+)%" x2="([\d.]+)%"', strip)
    assert travel == [("30.00", "35.00"), ("55.00", "75.00")]
    assert re.findall(r'<text class="strip-hour"[^>]*>(\d\d:\d\d)<', strip) == [
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]
    assert "style=" not in strip  # the CSP allows attributes, not inline styles


def test_planner_gives_stops_their_kinds_titles_and_hosts(client, officer, world):
    """The defects: every stop was "Tour stop: <facility>", with no arrival, photo call or
    departure, and nobody on a tenant's stop to receive the party."""
    client.force_login(officer)
    stops = {
        "stops-TOTAL_FORMS": "5",
        "stops-0-kind": "arrival",
        "stops-0-minutes": "10",
        "stops-1-kind": "remarks",
        "stops-1-title": "Welcome by the Chairman",
        "stops-1-facility": world["hall"].pk,
        "stops-1-minutes": "10",
        "stops-2-host_person": person_label(world["ceo"]),
        "stops-3-kind": "photo_call",
        "stops-3-facility": world["tenant"].pk,
        "stops-3-minutes": "5",
        "stops-4-kind": "departure",
        "stops-4-facility": world["tenant"].pk,
        "stops-4-minutes": "5",
    }
    stops["stops-0-facility"] = world["hall"].pk

    response = client.post(URL, _data(world, action="save", **stops))

    event = Event.objects.get()
    assert response.status_code == 302
    items = event.programme.exclude(kind="transfer").order_by("start", "position")
    assert [(i.kind, i.title) for i in items] == [
        ("arrival", "Arrival at MARS Hall"),
        ("remarks", "Welcome by the Chairman"),
        ("tour_stop", "Tour stop: Time Medical Systems"),
        ("photo_call", "Photo call at Time Medical premises"),
        ("departure", "Departure from Time Medical premises"),
    ]
    # Stops that follow each other in one place are held by one booking.
    spans = [(b.facility, b.start, b.end) for b in event.bookings.order_by("start")]
    assert spans == [
        (world["hall"], hk(2030, 3, 4, 10), hk(2030, 3, 4, 10, 20)),
        (world["tenant"], hk(2030, 3, 4, 10, 40), hk(2030, 3, 4, 11, 15)),
    ]
    printed = client.get(reverse("staff:print", args=[event.pk, "itinerary"])).content.decode()
    row = re.search(r"<tr>\s*<td class=\"time\">10:40–11:05</td>.*?</tr>", printed, re.S)[0]
    received_by = re.findall(r"<td>(.*?)</td>", row, re.S)[-1]
    assert "Ms Winnie Cheung" in received_by


def test_planner_gives_each_person_the_role_chosen(client, officer, world):
    """The defect: both visitors became guest of honour and the chairman an escort."""
    chairman = PersonFactory(name="Sunny Chai")
    client.force_login(officer)
    people = {
        "party-TOTAL_FORMS": "4",
        "party-2-person": person_label(chairman),
        "party-2-role": "host",
        "party-3-person": "",
        "party-3-role": "guest",
    }

    response = client.post(URL, _data(world, action="save", **people))

    event = Event.objects.get()
    assert response.status_code == 302
    assert dict(event.attendances.values_list("person__name", "role")) == {
        "Sun Dong": "guest_of_honour",
        "Winnie Lai": "escort",
        "Sunny Chai": "host",
    }


def test_planner_refuses_two_guests_of_honour_above_the_people(client, officer, world):
    client.force_login(officer)

    response = client.post(URL, _data(world, **{"party-1-role": "guest_of_honour"}))

    page = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'id="party-errors">\s*<p>Choose one guest of honour', page)
    assert not Event.objects.exists()


def test_planner_check_shows_the_clash_and_its_suggestions(client, officer, world):
    other = EventFactory(title="Board meeting", site=world["site"], start=hk(2030, 3, 4, 10))
    BookingFactory(event=other, facility=world["hall"])
    client.force_login(officer)

    response = client.post(URL, _data(world))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Saving is not possible until the clashes below are solved." in page
    assert "MARS Hall is not free" in page and "Board meeting" in page
    assert f'value="facility:0:{world["spare"].pk}"' in page
    assert re.search(r'value="shift:\d+">Move the visit so this stop is', page)
    assert not Event.objects.filter(kind=Event.Kind.SITE_INSPECTION).exists()


def test_planner_takes_a_suggested_facility_and_checks_again(client, officer, world):
    other = EventFactory(title="Board meeting", site=world["site"], start=hk(2030, 3, 4, 10))
    BookingFactory(event=other, facility=world["hall"])
    client.force_login(officer)

    response = client.post(URL, _data(world, action=f"facility:0:{world['spare'].pk}"))

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
        ({"party-0-person": "Nobody"}, "party-0-person", "No one on file is called “Nobody”"),
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


def test_planner_refuses_a_person_listed_twice(client, officer, world):
    client.force_login(officer)

    response = client.post(URL, _data(world, **{"party-1-person": "Sun Dong"}))

    page = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'id="party-errors">\s*<p>Someone is listed twice.', page)


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
    assert page.count('<fieldset class="stop-row" id="stop-row-') == 5
    assert 'value="Secretary visits the MARS Centre"' in page
    assert not Event.objects.exists()


def test_planner_adds_a_person_row_without_saving(client, officer, world):
    client.force_login(officer)

    response = client.post(URL, _data(world, action="add_person"))

    page = response.content.decode()
    assert page.count('<li class="party-row"') == 4
    assert f'value="{person_label(world["minister"])}"' in html.unescape(page)
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


def test_planner_says_a_hosted_stops_host_is_asked_once_saved_and_its_rules(client, officer, world):
    world["tenant"].cleanroom = True
    world["tenant"].save()
    client.force_login(officer)

    page = client.post(URL, _data(world, action="check")).content.decode()

    hosted = page[page.index('id="stop-result-2"') :]
    assert "Host's consent: not asked" in hosted[:2000]
    assert "Cleanroom: gowning and the entry procedure are required." in hosted[:2000]
    assert (
        "Host's consent"
        not in page[page.index('id="stop-result-0"') : page.index('id="stop-result-1"')]
    )
