"""The staff calendar: timeline per site, agenda, filters, navigation, zones, bounded queries."""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

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

# The page's own queries and desk.warnings' (tests/desk/test_warnings.py counts those).
CALENDAR_QUERIES = 18

URL = reverse("staff:calendar")


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


def _blocks(page: str, kind: str) -> list[str]:
    return re.findall(rf'<li class="tl-block {kind}"[^>]*>.*?</li>', page, re.S)


def test_calendar_week_shows_confirmed_held_and_closed_distinctly_in_words(client, viewer, site):
    confirmed = EventFactory(title="MARS Centre opening", site=site, status="confirmed")
    BookingFactory(event=confirmed, facility=_facility(site, "Auditorium"))
    held = EventFactory(title="Board briefing", site=site, start=hk(2030, 3, 5, 14))
    BookingFactory(
        event=held,
        facility=_facility(site, "VIP Room"),
        status=Booking.Status.HELD,
        hold_expires_at=hk(2030, 3, 1),
    )
    ClosureFactory(facility=_facility(site, "VIP Room"), start=hk(2030, 3, 7), note="Repainting")
    client.force_login(viewer)

    page = _page(client, site="tai-po", date="2030-03-06")

    assert "4 Mar – 10 Mar 2030" in page
    assert "times in HKT, Asia/Hong_Kong" in page
    [shown] = _blocks(page, "confirmed")
    assert "<strong>Confirmed:</strong> <span>MARS Centre opening</span>" in shown
    assert f'href="{reverse("staff:event", args=[confirmed.pk])}"' in shown
    [shown] = _blocks(page, "held")
    assert "<strong>Held:</strong> <span>Board briefing</span>" in shown
    [shown] = _blocks(page, "closure")
    assert "<strong>Closed:</strong> <span>Maintenance: Repainting</span>" in shown
    assert "Thu 7 Mar, 00:00–00:00" not in shown  # a whole day is written with both dates
    assert "Held booking (not yet confirmed)" in page  # the legend says it in words


def test_calendar_day_places_bookings_by_local_time_with_setup_and_teardown(client, viewer, site):
    event = EventFactory(title="Forum", site=site)  # 10:00–12:00 HKT
    BookingFactory(event=event, facility=_facility(site, "Auditorium"))  # occupied 09:30–12:15
    client.force_login(viewer)

    page = _page(client, site="tai-po", date="2030-03-04", view="day")

    [shown] = _blocks(page, "confirmed")
    # 09:30 is 39.583% of the day; 2 h 45 min is 11.458% of it.
    assert 'style="left: 39.583%; width: 11.458%"' in shown
    # The booking proper (10:00–12:00) inside its buffers.
    assert 'style="left: 18.182%; width: 72.727%"' in shown
    assert "Mon 4 Mar, 10:00–12:00" in shown
    assert ">10:00<" in page and ">22:00<" in page


def test_calendar_uses_the_sites_own_zone(client, viewer):
    london = SiteFactory(name="London office", slug="london", timezone="Europe/London")
    hall = FacilityFactory(site=london, name="Hall", setup_minutes=0, teardown_minutes=0)
    summer = dt.datetime(2030, 7, 1, 12, tzinfo=dt.UTC)  # 13:00 BST
    event = EventFactory(site=london, timezone="Europe/London", start=summer)
    BookingFactory(event=event, facility=hall)
    client.force_login(viewer)

    page = _page(client, site="london", date="2030-07-01", view="day")

    assert "times in BST, Europe/London" in page
    [shown] = _blocks(page, "confirmed")
    assert "Mon 1 Jul, 13:00–15:00" in shown
    assert 'style="left: 54.167%;' in shown


def test_calendar_shows_hours_outside_bookable_hours_and_unbookable_facilities(
    client, viewer, site
):
    auditorium = _facility(site, "Auditorium")
    auditorium.bookable_from, auditorium.bookable_until = dt.time(8), dt.time(20)
    auditorium.save()
    FacilityFactory(site=site, name="Cleanroom", is_bookable=False)
    client.force_login(viewer)

    page = _page(client, site="tai-po", date="2030-03-04", view="day")

    hours = _blocks(page, "hours")
    assert [re.search(r'style="([^"]+)"', b)[1] for b in hours] == [
        "left: 0.000%; width: 33.333%",
        "left: 83.333%; width: 16.667%",
    ]
    assert "bookable 08:00–20:00" in page
    assert len(_blocks(page, "unbookable")) == 1 and "not bookable" in page


def test_calendar_filters_by_site_and_kind(client, viewer, site):
    other_site = SiteFactory(name="Science Park", slug="science-park")
    forum = EventFactory(title="Innovation forum", site=site, kind=Event.Kind.FORUM)
    BookingFactory(event=forum, facility=_facility(site, "Auditorium"))
    visit = EventFactory(
        title="Minister tours the park",
        site=site,
        kind=Event.Kind.MINISTERIAL_VISIT,
        start=hk(2030, 3, 5, 10),
    )
    BookingFactory(event=visit, facility=_facility(site, "VIP Room"))
    elsewhere = EventFactory(title="Elsewhere", site=other_site)
    BookingFactory(event=elsewhere)
    client.force_login(viewer)

    everything = _page(client, site="tai-po", date="2030-03-04")
    forums = _page(client, site="tai-po", date="2030-03-04", kind="forum")
    agenda = _page(client, site="tai-po", date="2030-03-04", kind="forum", view="agenda")

    assert "Innovation forum" in everything and "Minister tours the park" in everything
    assert "Elsewhere" not in everything
    assert "Innovation forum" in forums and "Minister tours the park" not in forums
    assert "Innovation forum" in agenda and "Minister tours the park" not in agenda
    assert '<option value="forum" selected>' in forums


def test_calendar_agenda_lists_the_weeks_events_in_order_by_local_day(client, viewer, site):
    EventFactory(title="Tuesday lunch", site=site, start=hk(2030, 3, 5, 12))
    EventFactory(title="Monday ceremony", site=site, start=hk(2030, 3, 4, 10))
    EventFactory(title="Late Sunday", site=site, start=hk(2030, 3, 10, 23, 30))
    EventFactory(title="Following Monday", site=site, start=hk(2030, 3, 11, 10))
    client.force_login(viewer)

    page = _page(client, site="tai-po", date="2030-03-07", view="agenda")

    assert page.index("Monday ceremony") < page.index("Tuesday lunch") < page.index("Late Sunday")
    assert "Following Monday" not in page
    assert "Sunday 10 March" in page  # 23:30 HKT is 15:30 UTC the same day: grouped locally


def test_calendar_navigates_by_week_and_day(client, viewer, site):
    client.force_login(viewer)

    week = _page(client, site="tai-po", date="2030-03-06")
    day = _page(client, site="tai-po", date="2030-03-06", view="day")
    fallback = _page(client, site="tai-po", view="nonsense")
    malformed = client.get("/staff/calendar/", {"site": "tai-po", "date": "not-a-date"})

    assert 'href="?site=tai-po&amp;view=week&amp;date=2030-02-27"' in week
    assert 'href="?site=tai-po&amp;view=week&amp;date=2030-03-13"' in week
    assert 'href="?site=tai-po&amp;view=day&amp;date=2030-03-05"' in day
    assert 'href="?site=tai-po&amp;view=day&amp;date=2030-03-07"' in day
    assert "Wednesday 6 March 2030" in day
    assert 'class="tl-row"' in fallback  # an unknown view is the week, of this week
    assert malformed.status_code == 400
    assert "Give the date as YYYY-MM-DD." in malformed.content.decode()


def test_calendar_costs_the_same_queries_for_one_booking_or_many(client, viewer, site):
    client.force_login(viewer)
    auditorium = _facility(site, "Auditorium")
    BookingFactory(event=EventFactory(site=site), facility=auditorium)
    with CaptureQueriesContext(connection) as few:
        _page(client, site="tai-po", date="2030-03-04")
    for day in range(5, 11):
        event = EventFactory(site=site, start=hk(2030, 3, day, 10))
        BookingFactory(event=event, facility=auditorium)
        ClosureFactory(facility=FacilityFactory(site=site), start=hk(2030, 3, day))
    Closure.objects.create(site=site, start=hk(2030, 3, 9), end=hk(2030, 3, 10))

    with CaptureQueriesContext(connection) as many:
        page = _page(client, site="tai-po", date="2030-03-04")

    assert page.count('class="tl-block confirmed"') == 7
    assert len(many) == len(few) <= CALENDAR_QUERIES


def _warnings_shown(block: str) -> list[str]:
    """The warnings a booking block carries, as its tooltip lists them."""
    title = html.unescape(re.search(r' title="([^"]*)"', block)[1])
    return [line.removeprefix("⚠ ") for line in title.splitlines()[1:]]


def test_calendar_marks_a_booking_with_a_closure_laid_over_it(client, viewer, site):
    auditorium = _facility(site, "Auditorium")
    event = EventFactory(title="MARS Centre opening", site=site, status="confirmed")
    BookingFactory(event=event, facility=auditorium)
    BookingFactory(event=EventFactory(title="Quiet one", site=site, start=hk(2030, 3, 5, 10)))
    ClosureFactory(
        facility=auditorium,
        start=hk(2030, 3, 4, 11),
        end=hk(2030, 3, 4, 14),
        reason=Closure.Reason.OTHER,
        note="Typhoon signal 8",
    )
    client.force_login(viewer)

    page = _page(client, site="tai-po", date="2030-03-04")

    marked, quiet = _blocks(page, "confirmed")
    assert 'data-warnings="1"' in marked and "data-warnings" not in quiet
    assert _warnings_shown(marked) == [
        "Auditorium is closed Mon 4 Mar 2030 11:00–14:00 HKT (Typhoon signal 8) over this "
        "event's booking 10:00–12:00."
    ]
    assert "1 warning: Auditorium is closed" in html.unescape(marked)  # in words, not only ⚠
    assert "Has warnings" in page  # the legend explains the mark


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
    there = _page(client, site="science-park", date="2030-03-04", view="agenda")

    expected = (
        "Secretary for Innovation leaves “Robotics lab visit” at InnoPark Tai Po at 11:45 and is "
        "due at “Biotech forum” at Science Park at 11:50; travel takes 25 min."
    )
    for page in (here, there):
        listed = re.findall(r'<ul class="warnings">(.*?)</ul>', page, re.S)
        assert [html.unescape(t) for t in re.findall(r"<li>(.*?)</li>", listed[0])] == [expected]


@pytest.mark.parametrize("size", [3, 30])
def test_calendar_week_with_warnings_costs_a_fixed_number_of_queries(
    client, viewer, site, size, django_assert_max_num_queries
):
    auditorium, vip_room = _facility(site, "Auditorium"), _facility(site, "VIP Room")
    science_park = SiteFactory(name="Science Park")
    for n in range(size):
        day = hk(2030, 3, 4 + n % 7, 8 + 2 * (n // 7))
        event = EventFactory(
            site=site, status="confirmed", start=day, end=day + dt.timedelta(hours=1)
        )
        BookingFactory(
            event=event, facility=auditorium if n % 2 else vip_room, capacity_override_reason="x"
        )
        person = PersonFactory()
        AttendanceFactory(event=event, person=person, guests=300)
        later = EventFactory(site=science_park, start=event.end)
        AttendanceFactory(event=later, person=person)
        ClosureFactory(facility=auditorium, start=day, end=day + dt.timedelta(minutes=30))
    client.force_login(viewer)

    with django_assert_max_num_queries(CALENDAR_QUERIES):
        week = _page(client, site="tai-po", date="2030-03-04")
    with django_assert_max_num_queries(CALENDAR_QUERIES):
        agenda = _page(client, site="tai-po", date="2030-03-04", view="agenda")

    assert week.count("data-warnings=") == size
    assert agenda.count("travel takes 45 min") == size
