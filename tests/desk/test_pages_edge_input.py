"""Staff pages answer edge input (dates at datetime's ends, huge shifts, ids that are not
numbers) with a 400 page that says what is wrong, never a server error."""

import re

import pytest
from django.urls import reverse

from scheduling.models import Booking, Event
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    PersonFactory,
    SiteFactory,
    hk,
)

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = "Choose a date between the years 1900 and 2200."
EDGE_DATES = ["9999-12-31", "0001-01-01"]


@pytest.fixture
def site():
    site = SiteFactory(name="InnoPark Tai Po", slug="tai-po")
    FacilityFactory(site=site, name="MARS Hall")
    return site


@pytest.fixture
def event(site):
    event = EventFactory(title="MARS Centre opening", site=site, status=Event.Status.TENTATIVE)
    hall = site.facilities.get()
    BookingFactory(
        event=event, facility=hall, status=Booking.Status.HELD, hold_expires_at=hk(2030, 3, 1)
    )
    return event


def _field_errors(page: str, field: str) -> str:
    errors = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return errors[1] if errors else ""


def _visit(site, **overrides) -> dict:
    return {
        "title": "Secretary visits the MARS Centre",
        "site": site.pk,
        "visibility": "restricted",
        "date": "2030-03-04",
        "start_time": "10:00",
        "party-TOTAL_FORMS": "1",
        "party-INITIAL_FORMS": "0",
        "party-0-person": f"Sun Dong [#{PersonFactory(name='Sun Dong').pk}]",
        "party-0-role": "guest_of_honour",
        "stops-TOTAL_FORMS": "1",
        "stops-INITIAL_FORMS": "0",
        "stops-0-kind": "tour_stop",
        "stops-0-facility": site.facilities.get().pk,
        "stops-0-minutes": "30",
        **overrides,
    }


@pytest.mark.parametrize("view", ["week", "day", "agenda"])
@pytest.mark.parametrize("date", EDGE_DATES)
def test_calendar_refuses_a_date_outside_the_supported_years(client, viewer, site, view, date):
    client.force_login(viewer)

    response = client.get(reverse("staff:calendar"), {"site": "tai-po", "view": view, "date": date})

    assert response.status_code == 400
    assert OUT_OF_RANGE in response.content.decode()
    assert "staff/bad_request.html" in [t.name for t in response.templates]


@pytest.mark.parametrize("view", ["week", "day", "agenda"])
@pytest.mark.parametrize("date", ["1900-01-01", "2200-12-31"])
def test_calendar_shows_the_first_and_last_supported_days(client, viewer, site, view, date):
    client.force_login(viewer)

    response = client.get(reverse("staff:calendar"), {"site": "tai-po", "view": view, "date": date})

    assert response.status_code == 200
    assert f"date={date}" in response.content.decode()


@pytest.mark.parametrize("date", EDGE_DATES)
def test_checkin_refuses_a_date_outside_the_supported_years(client, viewer, site, date):
    client.force_login(viewer)

    response = client.get(reverse("staff:checkin"), {"site": "tai-po", "date": date})

    assert response.status_code == 400
    assert OUT_OF_RANGE in response.content.decode()


@pytest.mark.parametrize("date", EDGE_DATES)
@pytest.mark.parametrize("start_time", ["00:00", "23:59"])
def test_planner_refuses_a_date_outside_the_supported_years_next_to_the_field(
    client, officer, site, date, start_time
):
    client.force_login(officer)

    response = client.post(reverse("staff:planner"), _visit(site, date=date, start_time=start_time))

    page = response.content.decode()
    assert response.status_code == 400
    assert OUT_OF_RANGE in _field_errors(page, "date")
    assert 'value="Secretary visits the MARS Centre"' in page  # what was typed is kept
    assert not Event.objects.exists()


@pytest.mark.parametrize("minutes", ["99999999999", "-99999999999", "+99999999999"])
def test_planner_refuses_a_shift_beyond_the_supported_years(client, officer, site, minutes):
    client.force_login(officer)

    response = client.post(reverse("staff:planner"), _visit(site, action=f"shift:{minutes}"))

    page = response.content.decode()
    assert response.status_code == 400
    assert "That move would take the visit outside the years 1900 to 2200." in _field_errors(
        page, "date"
    )
    assert 'value="2030-03-04"' in page  # the date as typed, not moved
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T10:00", "0001-01-01T12:00"),
        ("0001-01-01T00:00", "2030-03-04T12:00"),
        ("9999-12-31T22:00", "9999-12-31T23:59"),
    ],
)
def test_reschedule_refuses_a_time_outside_the_supported_years(client, officer, event, start, end):
    client.force_login(officer)

    response = client.post(
        reverse("staff:event-reschedule", args=[event.pk]), {"start": start, "end": end}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert OUT_OF_RANGE in _field_errors(page, "start")
    assert f'value="{start}"' in page  # what was typed is kept
    event.refresh_from_db()
    assert (event.start, event.sequence) == (hk(2030, 3, 4, 10), 0)


@pytest.mark.parametrize(
    "booking",
    [
        "abc",
        "1.5",
        "²",
        "-1",
        " 1",
        "1\x00",
        "99999999999999999999999",
        pytest.param("9" * 5000, id="5000-digits"),
    ],
)
def test_bookings_confirm_refuses_a_booking_id_that_is_not_a_number(
    client, officer, event, booking
):
    client.force_login(officer)

    response = client.post(reverse("staff:bookings-confirm", args=[event.pk]), {"booking": booking})

    assert response.status_code == 400
    assert "The booking to confirm must be given by its number." in response.content.decode()
    assert list(event.bookings.values_list("status", flat=True)) == [Booking.Status.HELD]


def test_invitations_send_refuses_an_attendance_id_that_is_not_a_number(client, officer, event):
    client.force_login(officer)

    response = client.post(reverse("staff:invitations-send", args=[event.pk]), {"attendance": "²"})

    assert response.status_code == 400
    assert "The attendee to invite must be given by its number." in response.content.decode()
    assert not event.deliveries.exists()


def test_nul_characters_are_refused_by_forms_and_never_reach_the_database(
    client, officer, event, site
):
    client.force_login(officer)

    planner = client.post(reverse("staff:planner"), _visit(site, title="Opening\x00"))
    reschedule = client.post(
        reverse("staff:event-reschedule", args=[event.pk]),
        {"start": "2030-03-05T10:00", "end": "2030-03-05T12:00", "reason": "\x00"},
    )
    calendar = client.get(reverse("staff:calendar"), {"site": "\x00", "kind": "\x00"})
    checkin = client.get(reverse("staff:checkin"), {"site": "\x00", "q": "\x00"})

    assert planner.status_code == reschedule.status_code == 400
    assert "Null characters are not allowed." in _field_errors(planner.content.decode(), "title")
    assert "Null characters are not allowed." in _field_errors(
        reschedule.content.decode(), "reason"
    )
    assert calendar.status_code == checkin.status_code == 200  # unknown site: the first, or all
    assert not Event.objects.exclude(pk=event.pk).exists()
    event.refresh_from_db()
    assert event.start == hk(2030, 3, 4, 10)


def test_planner_refuses_a_visitor_id_past_64_bits_next_to_the_field(client, officer, site):
    client.force_login(officer)

    response = client.post(
        reverse("staff:planner"),
        _visit(site, **{"party-0-person": "Sun Dong [#99999999999999999999999]"}),
    )

    assert response.status_code == 400
    assert "No one on file is called" in _field_errors(response.content.decode(), "party-0-person")
    assert not Event.objects.exists()


@pytest.mark.parametrize("next_page", ["0", "calendar", "//evil.example/", "\x00"])
def test_checkin_arrival_goes_back_to_a_local_path_only(client, officer, event, next_page):
    attendance = AttendanceFactory(event=event)
    client.force_login(officer)

    response = client.post(
        reverse("staff:checkin-arrive", args=[attendance.pk]), {"next": next_page}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:checkin") + "?date=")
    attendance.refresh_from_db()
    assert attendance.checked_in_at is not None


@pytest.mark.parametrize("login", ["staff:login", "admin:login"])
def test_a_username_longer_than_any_account_is_refused_by_the_login_form(client, login):
    """Django's login form checks no length: a 300-character name reached authenticate(), and
    django-axes failed writing it into its 255-character column (a 500 on PostgreSQL)."""
    answer = client.post(reverse(login), {"username": "x" * 300, "password": "secret"})

    assert answer.status_code == 200
    assert "at most 150 characters" in answer.content.decode()
