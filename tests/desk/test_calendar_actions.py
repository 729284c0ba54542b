"""Holding a slot and moving a booking from the calendar: JSON through the booking services,
refusals with the clash's explanation and suggestions, permissions and bad input."""

import json

import pytest
from django.urls import reverse

from scheduling.models import Booking, Event
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    SiteFactory,
    hk,
)
from visitors import invitations
from visitors.models import Delivery

pytestmark = pytest.mark.django_db

HOLD = reverse("staff:calendar-hold")
CANDIDATES = reverse("staff:calendar-candidates")


def _move_url(booking) -> str:
    return reverse("staff:calendar-move", args=[booking.pk])


@pytest.fixture
def site():
    site = SiteFactory(name="InnoPark Tai Po", slug="tai-po")
    FacilityFactory(site=site, name="Auditorium", setup_minutes=30, teardown_minutes=15)
    FacilityFactory(site=site, name="VIP Room", setup_minutes=0, teardown_minutes=0)
    return site


def _facility(site, name):
    return site.facilities.get(name=name)


def _post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_hold_creates_a_held_booking_through_the_service(client, officer, site):
    event = EventFactory(title="Forum", site=site)  # 10:00–12:00 HKT
    vip = _facility(site, "VIP Room")
    client.force_login(officer)

    response = _post(
        client,
        HOLD,
        {
            "event": event.pk,
            "facility": vip.pk,
            "start": "2030-03-04T10:00",
            "end": "2030-03-04T11:00",
        },
    )

    assert response.status_code == 201, response.content
    booking = Booking.objects.get(pk=response.json()["booking"])
    assert (booking.status, booking.facility, booking.created_by) == ("held", vip, officer)
    assert (booking.start, booking.end) == (hk(2030, 3, 4, 10), hk(2030, 3, 4, 11))
    assert booking.hold_expires_at is not None
    assert booking.history.latest().history_change_reason == "Held"
    assert response.json()["message"] == "VIP Room is held for “Forum”."


def test_hold_on_a_clash_is_refused_with_the_explanation_and_suggestions(client, officer, site):
    vip = _facility(site, "VIP Room")
    BookingFactory(event=EventFactory(title="Board briefing", site=site), facility=vip)
    event = EventFactory(title="Forum", site=site, end=hk(2030, 3, 4, 16))
    client.force_login(officer)

    response = _post(
        client,
        HOLD,
        {
            "event": event.pk,
            "facility": vip.pk,
            "start": "2030-03-04T10:30",
            "end": "2030-03-04T11:30",
        },
    )

    assert response.status_code == 409
    answer = response.json()
    assert "VIP Room is not free" in answer["message"] and "Board briefing" in answer["message"]
    assert 'class="clash" role="alert"' in answer["html"]  # staff/_clash.html, reused
    assert "Board briefing" in answer["html"] and "confirmed booking" in answer["html"]
    assert 'data-start="2030-03-04T12:00:00" data-end="2030-03-04T13:00:00"' in answer["html"]
    assert "Hold Mon 4 Mar, 12:00–13:00" in answer["html"]
    assert "Hold Auditorium instead (200 people)" in answer["html"]
    assert Booking.objects.filter(event=event).count() == 0


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"event": None, "start": "2030-03-04T10:00"}, "event", "Choose the event"),
        ({"event": 0, "start": "2030-03-04T10:00", "end": "2030-03-04T11:00"}, "event", "greater"),
        ({"event": "x", "start": "2030-03-04T10:00", "end": "2030-03-04T11:00"}, "event", "number"),
        ({"start": "tomorrow", "end": "2030-03-04T11:00"}, "start", "valid date/time"),
        ({"start": "2030-03-04T11:00", "end": "2030-03-04T10:00"}, "end", "after the start"),
        ({"start": "1000-03-04T10:00", "end": "1000-03-04T11:00"}, "start", "between the years"),
        ({"start": "2030-03-04T15:00", "end": "2030-03-04T16:00"}, "start", "within its event"),
        ({"facility": "999999999", "start": "2030-03-04T10:00"}, "facility", "Choose a facility"),
        ({"facility": True, "start": "2030-03-04T10:00"}, "facility", "Choose a facility"),
    ],
)
def test_hold_refuses_bad_input_naming_the_field(client, officer, site, body, field, message):
    event = EventFactory(site=site)
    client.force_login(officer)
    body = {"event": event.pk, "facility": _facility(site, "VIP Room").pk, **body}

    response = _post(client, HOLD, body)

    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])
    assert 'role="alert"' in response.json()["html"]
    assert not Booking.objects.exists()


@pytest.mark.parametrize("raw", ["", "not json", "[1, 2]", '"text"'])
def test_hold_refuses_a_body_that_is_no_json_object(client, officer, site, raw):
    client.force_login(officer)

    response = client.post(HOLD, raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["message"] == "Send a JSON object."


def test_hold_and_move_are_post_only_with_csrf_and_permissions(client, viewer, officer, site):
    booking = BookingFactory(event=EventFactory(site=site), facility=_facility(site, "VIP Room"))
    body = {"start": "2030-03-04T10:30", "end": "2030-03-04T11:30"}
    client.force_login(officer)
    read = client.get(HOLD)
    client.force_login(viewer)
    refused = [_post(client, HOLD, body), _post(client, _move_url(booking), body)]
    checked = type(client)(enforce_csrf_checks=True)
    checked.force_login(officer)
    without_token = _post(checked, _move_url(booking), body)

    assert read.status_code == 405
    assert [r.status_code for r in refused] == [403, 403]
    assert without_token.status_code == 403
    booking.refresh_from_db()
    assert booking.start == hk(2030, 3, 4, 10)


def test_move_accepts_the_csrf_token_in_its_header(client, officer, site):
    booking = BookingFactory(event=EventFactory(site=site), facility=_facility(site, "VIP Room"))
    checked = type(client)(enforce_csrf_checks=True)
    checked.force_login(officer)
    checked.get(reverse("staff:calendar"), {"site": "tai-po", "date": "2030-03-04"})
    token = checked.cookies["csrftoken"].value

    response = _post(
        checked,
        _move_url(booking),
        {"start": "2030-03-04T10:30", "end": "2030-03-04T11:30"},
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 200, response.content
    booking.refresh_from_db()
    assert (booking.start, booking.end) == (hk(2030, 3, 4, 10, 30), hk(2030, 3, 4, 11, 30))


def test_move_to_a_clash_is_refused_with_suggestions_and_changes_nothing(client, officer, site):
    vip = _facility(site, "VIP Room")
    BookingFactory(
        event=EventFactory(title="Board briefing", site=site, start=hk(2030, 3, 4, 13)),
        facility=vip,
    )
    event = EventFactory(title="Forum", site=site, end=hk(2030, 3, 4, 15))
    booking = BookingFactory(event=event, facility=vip, end=hk(2030, 3, 4, 11))
    client.force_login(officer)

    response = _post(
        client, _move_url(booking), {"start": "2030-03-04T12:30", "end": "2030-03-04T13:30"}
    )

    assert response.status_code == 409
    answer = response.json()
    assert "Board briefing" in answer["message"]
    assert "Move to Mon 4 Mar, 12:00–13:00" in answer["html"]
    assert "Move to Auditorium (200 people)" in answer["html"]
    booking.refresh_from_db()
    assert (booking.start, booking.end) == (hk(2030, 3, 4, 10), hk(2030, 3, 4, 11))


def test_move_of_a_released_or_missing_booking_is_refused(client, officer, site):
    booking = BookingFactory(
        event=EventFactory(site=site), facility=_facility(site, "VIP Room"), status="released"
    )
    client.force_login(officer)
    body = {"start": "2030-03-04T10:30", "end": "2030-03-04T11:30"}

    released = _post(client, _move_url(booking), body)
    missing = _post(client, reverse("staff:calendar-move", args=[booking.pk + 1]), body)

    assert released.status_code == 400
    assert released.json()["errors"]["status"] == [
        "This booking was released; book the facility again."
    ]
    assert missing.status_code == 404


def test_move_of_a_confirmed_events_booking_to_another_facility_queues_an_update(
    client, officer, site, settings, django_capture_on_commit_callbacks
):
    settings.INVITE_COALESCE_SECONDS = 0
    event = EventFactory(title="Opening", site=site, status=Event.Status.CONFIRMED)
    booking = BookingFactory(event=event, facility=_facility(site, "VIP Room"))
    AttendanceFactory(event=event)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invites_send(event_id=event.pk)
    client.force_login(officer)
    auditorium = _facility(site, "Auditorium")

    with django_capture_on_commit_callbacks(execute=False):
        response = _post(
            client,
            _move_url(booking),
            {"facility": auditorium.pk, "start": "2030-03-04T10:00", "end": "2030-03-04T12:00"},
        )

    assert response.status_code == 200, response.content
    assert response.json()["message"] == "“Opening” is now in Auditorium, Mon 4 Mar, 10:00–12:00."
    booking.refresh_from_db()
    assert (booking.facility, booking.setup_minutes, booking.teardown_minutes) == (
        auditorium,
        30,
        15,
    )
    [update] = Delivery.objects.filter(event=event, method=Delivery.Method.REQUEST).exclude(
        state=Delivery.State.SENT
    )
    assert update.sequence > 0
    assert "Auditorium" in update.changes["en"][0], update.changes


def test_candidates_are_the_open_events_at_the_site_around_the_day(client, officer, site):
    EventFactory(title="Forum", site=site, title_zh="論壇")
    EventFactory(title="Day before", site=site, start=hk(2030, 3, 3, 10))
    EventFactory(title="Cancelled", site=site, status=Event.Status.CANCELLED)
    EventFactory(title="Completed", site=site, status=Event.Status.COMPLETED)
    EventFactory(title="Next week", site=site, start=hk(2030, 3, 11, 10))
    EventFactory(title="Elsewhere")
    visiting = EventFactory(title="Visit with a stop here")
    BookingFactory(event=visiting, facility=_facility(site, "Auditorium"))
    client.force_login(officer)

    response = client.get(
        CANDIDATES, {"facility": _facility(site, "VIP Room").pk, "date": "2030-03-04"}
    )

    listed = response.json()["events"]
    assert [e["title"] for e in listed] == ["Day before", "Forum", "Visit with a stop here"]
    forum = listed[1]
    assert (forum["title_zh"], forum["status"], forum["when"]) == (
        "論壇",
        "Draft",
        "Mon 4 Mar, 10:00–12:00",
    )
    assert (forum["start"], forum["end"]) == ("2030-03-04T10:00:00", "2030-03-04T12:00:00")


def test_candidates_refuse_what_they_cannot_use(client, officer, viewer, site):
    client.force_login(officer)
    vip = _facility(site, "VIP Room")

    bad_date = client.get(CANDIDATES, {"facility": vip.pk, "date": "4 March"})
    bad_facility = client.get(CANDIDATES, {"facility": "-1", "date": "2030-03-04"})
    huge_facility = client.get(CANDIDATES, {"facility": "9" * 5000, "date": "2030-03-04"})
    client.force_login(viewer)
    viewer_asks = client.get(CANDIDATES, {"facility": vip.pk, "date": "2030-03-04"})

    assert bad_date.status_code == bad_facility.status_code == huge_facility.status_code == 400
    assert bad_facility.json()["errors"] == {"facility": ["No such facility."]}
    assert huge_facility.json()["errors"] == {"facility": ["No such facility."]}
    assert viewer_asks.status_code == 403
