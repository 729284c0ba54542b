"""ETag and Last-Modified on details, lists and ICS; 304 without rendering; 401 before 304."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from api.models import ApiKey
from api.services import api_key_revoke
from scheduling import services
from tests.factories import PersonFactory
from visitors import services as visitor_services

pytestmark = pytest.mark.django_db


def _paths(world):
    event = world["events"]["public"]
    return {
        "detail": f"/api/v1/events/{event.pk}/",
        "list": "/api/v1/events/",
        "ics": f"/api/v1/events/{event.pk}/ics/",
        "booking": f"/api/v1/bookings/{event.bookings.get().pk}/",
        "site": f"/api/v1/sites/{world['site'].pk}/",
    }


def test_unchanged_answers_304_and_a_change_gives_a_new_etag(world, staff_api):
    paths = _paths(world)
    first = {name: staff_api.get(path) for name, path in paths.items()}

    again = {
        name: staff_api.get(path, headers={"If-None-Match": first[name]["ETag"]})
        for name, path in paths.items()
    }
    by_date = staff_api.get(
        paths["detail"], headers={"If-Modified-Since": first["detail"]["Last-Modified"]}
    )
    services.event_update(event_id=world["events"]["public"].pk, title="Renamed")
    changed = {
        name: staff_api.get(path, headers={"If-None-Match": first[name]["ETag"]})
        for name, path in paths.items()
    }

    assert {name: a.status_code for name, a in again.items()} == dict.fromkeys(paths, 304)
    assert {name: a["ETag"] for name, a in again.items()} == {
        name: a["ETag"] for name, a in first.items()
    }
    assert again["detail"].content == b""
    assert by_date.status_code == 304
    assert changed["detail"].status_code == changed["list"].status_code == 200
    assert changed["ics"].status_code == 200
    assert changed["detail"].json()["title"] == "Renamed"
    assert changed["detail"]["ETag"] != first["detail"]["ETag"]
    assert changed["site"].status_code == 304  # the site itself did not change


def test_304_is_answered_without_loading_the_object(world, staff_api):
    path = _paths(world)["detail"]
    etag = staff_api.get(path)["ETag"]

    with CaptureQueriesContext(connection) as queries:
        answer = staff_api.get(path, headers={"If-None-Match": etag})

    assert answer.status_code == 304
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert 'FROM "scheduling_programmeitem"' not in sql
    assert 'FROM "scheduling_booking"' not in sql
    assert len(queries.captured_queries) <= 3  # the key, visibility, the change log


def test_a_bad_or_missing_key_answers_401_before_any_304(world, staff_api, api_for):
    paths = _paths(world)
    etags = {name: staff_api.get(path)["ETag"] for name, path in paths.items()}
    revoked = api_for(organisation=world["host"])
    api_key_revoke(key_id=ApiKey.objects.get(organisation=world["host"]).pk)

    for name, path in paths.items():
        headers = {"If-None-Match": etags[name]}
        missing = staff_api.client.get(path, headers=headers)
        wrong = staff_api.client.get(path, headers={**headers, "Authorization": "Bearer pdk_x_y"})
        gone = revoked.get(path, headers=headers)

        assert (missing.status_code, wrong.status_code, gone.status_code) == (401, 401, 401)
        assert missing["WWW-Authenticate"] == 'Bearer realm="api"'
        assert missing.json()["code"] == "not_authenticated"


def test_another_key_never_gets_a_304_for_what_it_may_not_see(world, staff_api, api_for):
    path = f"/api/v1/events/{world['events']['internal'].pk}/"
    etag = staff_api.get(path)["ETag"]

    answer = api_for(organisation=world["host"]).get(path, headers={"If-None-Match": etag})

    assert answer.status_code == 404


def test_ics_is_a_publish_object_without_attendees(world, staff_api):
    event = world["events"]["public"]
    visitor_services.attendance_add(event_id=event.pk, person_id=PersonFactory().pk)
    services.event_update(event_id=event.pk, internal_notes="Security: side entrance")

    answer = staff_api.get(f"/api/v1/events/{event.pk}/ics/")

    calendar = Calendar.from_ical(answer.content)
    [vevent] = calendar.walk("VEVENT")
    assert answer["Content-Type"] == "text/calendar; charset=utf-8"
    assert calendar["METHOD"] == "PUBLISH"
    assert "ATTENDEE" not in vevent and "ORGANIZER" not in vevent
    assert str(vevent["UID"]) != event.uid and event.uid in str(vevent["UID"])
    assert vevent["DTSTART"].dt == event.start
    assert "side entrance" not in answer.content.decode()
    assert answer["ETag"] and answer["Last-Modified"]
