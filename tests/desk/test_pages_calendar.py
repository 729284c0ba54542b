"""The staff calendar: the page (timeline settings, agenda, the phone's day list), the JSON the
timeline fetches, and its bounded queries. Holding and moving: test_calendar_actions.py."""

import datetime as dt
import html
import json
import re

import pytest
from django.urls import reverse

from desk.views.calendar import EVENT_CALENDAR_VERSION
from scheduling.models import Booking, Closure, Event, TravelTime
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    ClosureFactory,
    EventFactory,
    FacilityFactory,
    PersonFactory,
    SiteFactory,
    hk,
)

pytestmark = pytest.mark.django_db

URL = reverse("staff:calendar")
DATA = reverse("staff:calendar-data")
WEEK = {"site": "tai-po", "start": "2030-03-04", "end": "2030-03-11"}


@pytest.fixture
def site():
    site = SiteFactory(name="InnoPark Tai Po", name_zh="大埔創新園", slug="tai-po")
    FacilityFactory(site=site, name="Auditorium", setup_minutes=30, teardown_minutes=15)
    FacilityFactory(site=site, name="VIP Room")
    return site


def _facility(site, name):
    return site.facilities.get(name=name)


def _page(client, **params) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def _data(client, **params) -> dict:
    response = client.get(DATA, params)
    assert response.status_code == 200, response.content
    return response.json()


def _config(page: str) -> dict:
    found = re.search(r'<script id="calendar-config" type="application/json">(.*?)</script>', page)
    return json.loads(found[1])


def _of(data: dict, kind: str) -> list[dict]:
    return [e for e in data["events"] if kind in e["classNames"]]


def test_calendar_page_loads_the_vendored_timeline_with_its_settings(client, officer, site):
    client.force_login(officer)

    page = _page(client, site="tai-po", date="2030-03-06", view="day")

    assert f"/static/vendor/event-calendar/{EVENT_CALENDAR_VERSION}/event-calendar.min.js" in page
    assert "/static/staff/calendar.js" in page and "/static/staff/calendar.css" in page
    config = _config(page)
    assert config["view"] == "resourceTimelineDay" and config["date"] == "2030-03-06"
    assert config["site"] == "tai-po" and config["canHold"] and config["canMove"]
    assert config["urls"]["data"] == DATA
    assert "times in HKT, Asia/Hong_Kong" in page
    assert "Held booking (not yet confirmed)" in page  # the legend says it in words


def test_calendar_page_tells_a_viewer_it_can_read_only(client, viewer, site):
    client.force_login(viewer)

    config = _config(_page(client, site="tai-po", date="2030-03-06"))

    assert (config["canHold"], config["canMove"]) == (False, False)


def test_calendar_data_draws_confirmed_held_closed_and_buffers_distinctly(client, viewer, site):
    confirmed = EventFactory(title="MARS Centre opening", site=site, status="confirmed")
    auditorium = _facility(site, "Auditorium")
    booking = BookingFactory(event=confirmed, facility=auditorium)  # 10:00–12:00, 30 + 15 min
    held = EventFactory(title="Board briefing", site=site, start=hk(2030, 3, 5, 14))
    BookingFactory(
        event=held,
        facility=_facility(site, "VIP Room"),
        status=Booking.Status.HELD,
        hold_expires_at=hk(2030, 3, 1),
    )
    ClosureFactory(facility=_facility(site, "VIP Room"), start=hk(2030, 3, 7), note="Repainting")
    client.force_login(viewer)

    data = _data(client, **WEEK)

    assert [r["title"] for r in data["resources"]] == ["Auditorium", "VIP Room"]
    [shown] = _of(data, "confirmed")
    assert shown["classNames"] == ["booking", "confirmed"] and shown["title"] == confirmed.title
    assert shown["resourceId"] == str(auditorium.pk)
    # Drawn over its occupied time, in the site's wall clock; the booking proper inside.
    assert (shown["start"], shown["end"]) == ("2030-03-04T09:30:00", "2030-03-04T12:15:00")
    props = shown["extendedProps"]
    assert (props["booking"], props["event"], props["status"]) == (
        booking.pk,
        confirmed.pk,
        "confirmed",
    )
    assert (props["setup"], props["teardown"]) == (30, 15)
    assert props["when"] == "Mon 4 Mar, 10:00–12:00"
    [shown] = _of(data, "held")
    assert shown["title"] == "Board briefing" and shown["extendedProps"]["status"] == "held"
    [closed] = _of(data, "closure")
    assert closed["display"] == "background"
    assert closed["title"] == "Closed: Maintenance: Repainting"
    assert (closed["start"], closed["end"]) == ("2030-03-07T00:00:00", "2030-03-08T00:00:00")


def test_calendar_data_zooms_to_bookable_hours_and_shades_narrower_ones(client, viewer, site):
    auditorium = _facility(site, "Auditorium")
    auditorium.bookable_from, auditorium.bookable_until = dt.time(8), dt.time(20)
    auditorium.save()
    vip = _facility(site, "VIP Room")
    vip.bookable_from, vip.bookable_until = dt.time(9), dt.time(18)
    vip.save()
    FacilityFactory(site=site, name="Cleanroom", is_bookable=False)
    client.force_login(viewer)

    data = _data(client, site="tai-po", start="2030-03-04", end="2030-03-05")

    assert (data["slotMinTime"], data["slotMaxTime"]) == ("08:00", "20:00")
    hours = _of(data, "hours")
    assert {(e["resourceId"], e["start"], e["end"]) for e in hours} == {
        (str(vip.pk), "2030-03-04T08:00:00", "2030-03-04T09:00:00"),
        (str(vip.pk), "2030-03-04T18:00:00", "2030-03-04T20:00:00"),
    }
    [unbookable] = _of(data, "unbookable")
    assert unbookable["title"] == "Not bookable"
    labels = {r["title"]: r["extendedProps"]["hours"] for r in data["resources"]}
    assert labels == {
        "Auditorium": "bookable 08:00–20:00",
        "Cleanroom": "not bookable",
        "VIP Room": "bookable 09:00–18:00",
    }


def test_calendar_data_widens_the_hours_to_a_booking_outside_them(client, viewer, site):
    event = EventFactory(site=site, start=hk(2030, 3, 4, 21), end=hk(2030, 3, 4, 22, 30))
    BookingFactory(event=event, facility=_facility(site, "VIP Room"))  # occupied to 22:45
    client.force_login(viewer)

    data = _data(client, site="tai-po", start="2030-03-04", end="2030-03-05")

    assert (data["slotMinTime"], data["slotMaxTime"]) == ("07:00", "23:00")


def test_calendar_data_uses_the_sites_own_zone(client, viewer):
    london = SiteFactory(name="London office", slug="london", timezone="Europe/London")
    hall = FacilityFactory(site=london, name="Hall", setup_minutes=0, teardown_minutes=0)
    summer = dt.datetime(2030, 7, 1, 12, tzinfo=dt.UTC)  # 13:00 BST
    event = EventFactory(site=london, timezone="Europe/London", start=summer)
    BookingFactory(event=event, facility=hall)
    client.force_login(viewer)

    data = _data(client, site="london", start="2030-07-01", end="2030-07-02")
    page = _page(client, site="london", date="2030-07-01", view="day")

    [shown] = _of(data, "confirmed")
    assert (shown["start"], shown["end"]) == ("2030-07-01T13:00:00", "2030-07-01T15:00:00")
    assert "times in BST, Europe/London" in page


def test_calendar_data_for_all_sites_groups_facilities_by_site(client, viewer, site):
    london = SiteFactory(name="London office", slug="london", timezone="Europe/London")
    hall = FacilityFactory(site=london, name="Hall", setup_minutes=0, teardown_minutes=0)
    BookingFactory(
        event=EventFactory(site=london, timezone="Europe/London", start=hk(2030, 3, 4, 18)),
        facility=hall,
    )
    BookingFactory(event=EventFactory(site=site), facility=_facility(site, "VIP Room"))
    client.force_login(viewer)

    data = _data(client, site="all", start="2030-03-04", end="2030-03-05")
    page = _page(client, site="all", date="2030-03-04")

    assert [(r["title"], [c["title"] for c in r["children"]]) for r in data["resources"]] == [
        ("InnoPark Tai Po (HKT, Asia/Hong_Kong)", ["Auditorium", "VIP Room"]),
        ("London office (GMT, Europe/London)", ["Hall"]),
    ]
    starts = sorted(e["start"] for e in _of(data, "booking"))
    assert starts == ["2030-03-04T09:30:00", "2030-03-04T10:00:00"]  # 18:00 HKT is 10:00 GMT
    assert _config(page)["site"] == "all"
    assert '<option value="all" selected>All sites</option>' in page


def test_calendar_data_filters_by_kind_and_leaves_other_sites_out(client, viewer, site):
    forum = EventFactory(title="Innovation forum", site=site, kind=Event.Kind.FORUM)
    BookingFactory(event=forum, facility=_facility(site, "Auditorium"))
    visit = EventFactory(title="Minister tours", site=site, kind=Event.Kind.MINISTERIAL_VISIT)
    BookingFactory(event=visit, facility=_facility(site, "VIP Room"))
    BookingFactory(event=EventFactory(title="Elsewhere"))
    client.force_login(viewer)

    everything = _data(client, **WEEK)
    forums = _data(client, **WEEK, kind="forum")

    assert sorted(e["title"] for e in _of(everything, "booking")) == [
        "Innovation forum",
        "Minister tours",
    ]
    assert [e["title"] for e in _of(forums, "booking")] == ["Innovation forum"]


def test_calendar_data_carries_the_warnings_of_each_bookings_event(client, viewer, site):
    auditorium = _facility(site, "Auditorium")
    event = EventFactory(title="MARS Centre opening", site=site, status="confirmed")
    BookingFactory(event=event, facility=auditorium)
    quiet = EventFactory(title="Quiet one", site=site, start=hk(2030, 3, 5, 10))
    BookingFactory(event=quiet, facility=auditorium)
    ClosureFactory(
        facility=auditorium,
        start=hk(2030, 3, 4, 11),
        end=hk(2030, 3, 4, 14),
        reason=Closure.Reason.OTHER,
        note="Typhoon signal 8",
    )
    client.force_login(viewer)

    data = _data(client, **WEEK)

    assert data["warnings"] == {
        str(event.pk): [
            "Auditorium is closed Mon 4 Mar 2030 11:00–14:00 HKT (Typhoon signal 8) over this "
            "event's booking 10:00–12:00."
        ]
    }


@pytest.mark.parametrize(
    "params",
    [
        {"site": "tai-po"},
        {"site": "tai-po", "start": "2030-03-04"},
        {"site": "tai-po", "start": "not-a-date", "end": "2030-03-05"},
        {"site": "tai-po", "start": "2030-03-05", "end": "2030-03-04"},
        {"site": "tai-po", "start": "2030-01-01", "end": "2030-06-01"},
        {"site": "tai-po", "start": "1000-01-01", "end": "1000-01-02"},
        {"site": "tai-po", "start": "2030-03-0４", "end": "2030-03-05"},
    ],
)
def test_calendar_data_refuses_a_range_it_cannot_use(client, viewer, site, params):
    client.force_login(viewer)

    response = client.get(DATA, params)

    assert response.status_code == 400
    assert response.json()["message"]


def test_calendar_data_needs_a_login_and_the_view_permission(client, site, django_user_model):
    anonymous = client.get(DATA, WEEK)
    client.force_login(django_user_model.objects.create_user("nobody"))
    stranger = client.get(DATA, WEEK)

    assert anonymous.status_code == 302 and "/staff/login/" in anonymous["Location"]
    assert stranger.status_code == 403


@pytest.mark.parametrize("size", [5, 50])
def test_calendar_data_costs_the_same_queries_for_5_or_50_bookings(
    client, viewer, site, size, django_assert_num_queries
):
    auditorium, vip_room = _facility(site, "Auditorium"), _facility(site, "VIP Room")
    science_park = SiteFactory(name="Science Park")
    for n in range(size):
        day = hk(2030, 3, 4 + n % 7, 7 + n // 7 * 2 // 3)
        start = day + dt.timedelta(minutes=n // 7 * 80)
        event = EventFactory(
            site=site, status="confirmed", start=start, end=start + dt.timedelta(minutes=30)
        )
        BookingFactory(
            event=event,
            facility=auditorium if n % 2 else vip_room,
            setup_minutes=0,
            teardown_minutes=0,
            capacity_override_reason="x",
        )
        person = PersonFactory()
        AttendanceFactory(event=event, person=person, guests=300)
        AttendanceFactory(event=EventFactory(site=science_park, start=event.end), person=person)
        ClosureFactory(facility=auditorium, start=start, end=start + dt.timedelta(minutes=10))
    client.force_login(viewer)

    # Session and user, the sites, facilities, closures and bookings, then desk.warnings'.
    with django_assert_num_queries(19):
        data = _data(client, **WEEK)

    assert len(_of(data, "booking")) == size
    assert len(data["warnings"]) == size


def test_calendar_phone_list_shows_the_day_per_facility_in_words(client, viewer, site):
    event = EventFactory(title="Forum", site=site)
    BookingFactory(event=event, facility=_facility(site, "Auditorium"))
    held = EventFactory(title="Board briefing", site=site, start=hk(2030, 3, 4, 14))
    BookingFactory(
        event=held,
        facility=_facility(site, "VIP Room"),
        status=Booking.Status.HELD,
        hold_expires_at=hk(2030, 3, 1),
    )
    BookingFactory(event=EventFactory(title="Tomorrow", site=site, start=hk(2030, 3, 5, 10)))
    client.force_login(viewer)

    page = _page(client, site="tai-po", date="2030-03-04")

    day = re.search(r'<section id="day-list".*?</section>', page, re.S)[0]
    items = [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
        for item in re.findall(r'<li class="day-item[^"]*">(.*?)</li>', day, re.S)
    ]
    assert items == ["10:00–12:00 Confirmed: Forum", "14:00–16:00 Held: Board briefing"]
    assert "Monday 4 March 2030" in day
    assert 'href="?site=tai-po&amp;view=week&amp;date=2030-03-05"' in day


def test_calendar_agenda_lists_the_weeks_events_in_order_by_local_day(client, viewer, site):
    EventFactory(title="Tuesday lunch", site=site, start=hk(2030, 3, 5, 12))
    EventFactory(title="Monday ceremony", site=site, start=hk(2030, 3, 4, 10))
    EventFactory(title="Late Sunday", site=site, start=hk(2030, 3, 10, 23, 30))
    EventFactory(title="Following Monday", site=site, start=hk(2030, 3, 11, 10))
    forum = EventFactory(title="A forum", site=site, kind=Event.Kind.FORUM)
    client.force_login(viewer)

    page = _page(client, site="tai-po", date="2030-03-07", view="agenda")
    forums = _page(client, site="tai-po", date="2030-03-07", view="agenda", kind="forum")

    assert page.index("Monday ceremony") < page.index("Tuesday lunch") < page.index("Late Sunday")
    assert "Following Monday" not in page
    assert "Sunday 10 March" in page  # 23:30 HKT is 15:30 UTC the same day: grouped locally
    assert forum.title in forums and "Monday ceremony" not in forums
    assert 'href="?site=tai-po&amp;view=agenda&amp;date=2030-02-28"' in page


def test_calendar_agenda_lists_warnings_of_a_person_without_time_to_travel(client, viewer, site):
    science_park = SiteFactory(name="Science Park", slug="science-park")
    TravelTime.objects.create(from_site=site, to_site=science_park, minutes=25)
    secretary = PersonFactory(honorific="", name="Secretary for Innovation")
    visit = EventFactory(title="Robotics lab visit", site=site, end=hk(2030, 3, 4, 11, 45))
    forum = EventFactory(title="Biotech forum", site=science_park, start=hk(2030, 3, 4, 12))
    AttendanceFactory(event=visit, person=secretary)
    AttendanceFactory(event=forum, person=secretary, call_time=hk(2030, 3, 4, 11, 50))
    client.force_login(viewer)

    here = _page(client, site="tai-po", date="2030-03-04", view="agenda")
    everywhere = _page(client, site="all", date="2030-03-04", view="agenda")

    expected = (
        "Secretary for Innovation leaves “Robotics lab visit” at InnoPark Tai Po at 11:45 and is "
        "due at “Biotech forum” at Science Park at 11:50; travel takes 25 min."
    )
    listed = re.findall(r'<ul class="warnings">(.*?)</ul>', here, re.S)
    assert [html.unescape(t) for t in re.findall(r"<li>(.*?)</li>", listed[0])] == [expected]
    assert "Robotics lab visit" in everywhere and "Biotech forum" in everywhere


def test_calendar_refuses_a_malformed_date_and_falls_back_on_unknown_views(client, viewer, site):
    client.force_login(viewer)

    fallback = _page(client, site="tai-po", view="nonsense")
    malformed = client.get(URL, {"site": "tai-po", "date": "not-a-date"})

    assert _config(fallback)["view"] == "resourceTimelineWeek"
    assert malformed.status_code == 400
    assert "Give the date as YYYY-MM-DD." in malformed.content.decode()
