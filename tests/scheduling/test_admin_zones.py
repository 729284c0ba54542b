"""The back office shows and reads an event's times in the event's own zone, a booking's in its
facility's site's, and says which zone that is beside the fields, whatever the server's zone."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from scheduling.models import Event
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    ProgrammeItemFactory,
    SiteFactory,
)
from tests.scheduling.test_admin import admin_url, form_data

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def server_in_new_york(settings):
    """A server whose zone is neither the events' nor the staff's."""
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def tokyo_event():
    site = SiteFactory(timezone="Asia/Tokyo")
    event = EventFactory(
        site=site,
        timezone="Asia/Tokyo",
        status=Event.Status.TENTATIVE,
        start=dt.datetime(2030, 3, 4, 10, tzinfo=TOKYO),
        end=dt.datetime(2030, 3, 4, 12, tzinfo=TOKYO),
    )
    ProgrammeItemFactory(event=event, start=dt.datetime(2030, 3, 4, 10, 30, tzinfo=TOKYO))
    AttendanceFactory(event=event, call_time=dt.datetime(2030, 3, 4, 9, 15, tzinfo=TOKYO))
    BookingFactory(event=event, facility=FacilityFactory(site=site))
    return event


def _times(event: Event) -> list[dt.datetime]:
    event.refresh_from_db()
    return [
        event.start,
        event.end,
        *event.programme.values_list("start", flat=True),
        *event.programme.values_list("end", flat=True),
        *event.attendances.values_list("call_time", flat=True),
        *event.bookings.values_list("start", flat=True),
    ]


def test_event_admin_shows_its_times_in_the_events_zone_and_says_so(client, officer, tokyo_event):
    client.force_login(officer)

    page = client.get(admin_url("scheduling.event", "change", tokyo_event.pk)).content.decode()

    assert 'name="start_0" value="2030-03-04"' in page
    assert 'name="start_1" value="10:00:00"' in page
    assert 'name="programme-0-start_1" value="10:30:00"' in page
    assert 'name="attendances-0-call_time_1" value="09:15:00"' in page
    # Start, end, the release time, the item's start and end, the call time, and the three in
    # the rows to copy.
    assert page.count("Times in JST, Asia/Tokyo") == 9
    assert "New_York" not in page


def test_event_saved_unchanged_in_admin_moves_nothing(client, officer, tokyo_event):
    before = _times(tokyo_event)
    history = tokyo_event.history.count()
    client.force_login(officer)
    url = admin_url("scheduling.event", "change", tokyo_event.pk)
    response = client.get(url)
    with timezone.override("Asia/Tokyo"):  # posted back as the page showed them
        data = form_data(response)

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _times(tokyo_event) == before
    assert tokyo_event.history.count() == history


def test_event_admin_reads_a_changed_start_in_the_events_zone(client, officer, tokyo_event):
    client.force_login(officer)
    url = admin_url("scheduling.event", "change", tokyo_event.pk)
    with timezone.override("Asia/Tokyo"):
        data = form_data(client.get(url))
    data.update(start_1="11:00:00", end_1="13:00:00", times_change="move")

    response = client.post(url, data)

    assert response.status_code == 302
    tokyo_event.refresh_from_db()
    assert tokyo_event.start == dt.datetime(2030, 3, 4, 11, tzinfo=TOKYO)
    assert tokyo_event.programme.get().start == dt.datetime(2030, 3, 4, 11, 30, tzinfo=TOKYO)


def test_new_event_times_are_read_in_its_sites_zone(client, officer):
    site = SiteFactory(timezone="Europe/London")
    client.force_login(officer)
    data = {
        "title": "Opening of the London innovation office",
        "kind": Event.Kind.CEREMONY,
        "status": Event.Status.DRAFT,
        "visibility": Event.Visibility.INTERNAL,
        "site": site.pk,
        "timezone": "",
        "start_0": "2030-06-01",
        "start_1": "10:00:00",
        "end_0": "2030-06-01",
        "end_1": "12:00:00",
        **{
            f"{inline}-{count}_FORMS": "0"
            for inline in ("programme", "bookings", "attendances")
            for count in ("TOTAL", "INITIAL")
        },
    }

    response = client.post(admin_url("scheduling.event", "add"), data)

    assert response.status_code == 302
    event = Event.objects.get()
    assert event.timezone == "Europe/London"
    assert (event.start, event.end) == (
        dt.datetime(2030, 6, 1, 10, tzinfo=LONDON),
        dt.datetime(2030, 6, 1, 12, tzinfo=LONDON),
    )


def test_booking_admin_shows_and_reads_times_in_its_facilitys_site_zone(client, officer):
    site = SiteFactory(timezone="Europe/London")
    event = EventFactory(
        site=site,
        timezone="Europe/London",
        start=dt.datetime(2030, 6, 1, 10, tzinfo=LONDON),
        end=dt.datetime(2030, 6, 1, 12, tzinfo=LONDON),
    )
    booking = BookingFactory(event=event, facility=FacilityFactory(site=site))
    client.force_login(officer)
    url = admin_url("scheduling.booking", "change", booking.pk)

    response = client.get(url)
    page = response.content.decode()
    with timezone.override("Europe/London"):
        data = form_data(response)
    data["start_1"] = "10:30:00"
    moved = client.post(url, data)

    assert 'name="start_1" value="10:00:00"' in page
    assert "Times in BST, Europe/London" in page
    assert moved.status_code == 302
    booking.refresh_from_db()
    assert booking.start == dt.datetime(2030, 6, 1, 10, 30, tzinfo=LONDON)
    assert booking.end == dt.datetime(2030, 6, 1, 12, tzinfo=LONDON)
