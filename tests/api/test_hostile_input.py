"""Hostile and broken input: every answer under /api/ is JSON with its request id, and the API
refuses what it cannot read exactly (issue 10, items 6, 7, 9 and 10)."""

import datetime as dt
import json
import sqlite3

import pytest
from django.db import connection
from django.test import Client

from scheduling.models import Booking, Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def raw(staff_api):
    """A client that returns server errors as answers instead of raising them."""
    client = Client(raise_request_exception=False)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {staff_api.token}"
    return client


def _json_error(answer, status):
    assert answer.status_code == status, answer.content[:300]
    assert answer["Content-Type"] == "application/json", answer.content[:300]
    body = answer.json()
    assert body["request_id"] == answer["X-Request-ID"]
    assert body["code"] and body["detail"]
    return body


def _event(world, **extra):
    return {
        "title": "Groundbreaking",
        "site": world["site"].pk,
        "start": "2030-05-01T10:00:00+08:00",
        "end": "2030-05-01T11:00:00+08:00",
        **extra,
    }


NESTED = {
    "arrays-2000": "[" * 2000 + "]" * 2000,
    "objects-2000": '{"a":' * 2000 + "1" + "}" * 2000,
    "arrays-40": '{"title":' + "[" * 40 + "]" * 40 + "}",
}


@pytest.mark.parametrize("body", NESTED.values(), ids=NESTED.keys())
def test_deeply_nested_json_is_refused_with_400(world, raw, body):
    for method in ("post", "patch"):
        path = (
            "/api/v1/events/"
            if method == "post"
            else f"/api/v1/events/{world['events']['public'].pk}/"
        )

        answer = getattr(raw, method)(path, body, "application/json")

        assert "nested deeper" in _json_error(answer, 400)["detail"]
    assert Event.objects.count() == 4


def test_every_error_under_the_api_is_json_with_its_request_id(raw, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    unknown = raw.get("/api/v1/no-such-list/")
    outside_v1 = raw.get("/api/nothing")
    not_allowed = raw.put("/api/v1/events/", "{}", "application/json")
    form = raw.post("/api/v1/events/", "a=b", "application/x-www-form-urlencoded")
    big = raw.post("/api/v1/events/", json.dumps({"title": "x" * 5000}), "application/json")
    big_idempotent = raw.post(
        "/api/v1/events/",
        json.dumps({"title": "x" * 5000}),
        "application/json",
        headers={"Idempotency-Key": "k1"},
    )
    trace = raw.generic("TRACE", "/api/v1/events/")

    _json_error(unknown, 404)
    _json_error(outside_v1, 404)
    _json_error(not_allowed, 405)
    _json_error(form, 415)
    _json_error(big, 413)
    _json_error(big_idempotent, 413)
    _json_error(trace, 405)
    assert "GET" in trace["Allow"] and "TRACE" not in trace["Allow"]


def test_an_unexpected_fault_is_a_json_500(raw, monkeypatch):
    from api.views import events

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(events.EventViewSet, "list", broken)

    answer = raw.get("/api/v1/events/")

    body = _json_error(answer, 500)
    assert "boom" not in json.dumps(body)


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_answers_503_with_retry_after(raw, officer, client):
    client.raise_request_exception = False
    client.force_login(officer)
    settings_dict = connection.settings_dict
    saved = dict(settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = "/nonexistent/directory/protocol-desk.sqlite3"
    else:
        settings_dict["PORT"] = 1  # nothing listens there
    try:
        api = raw.get("/api/v1/events/")
        page = client.get("/staff/calendar/")
    finally:
        connection.close()
        settings_dict.update(saved)

    _json_error(api, 503)
    assert int(api["Retry-After"]) > 0
    assert page.status_code == 503 and int(page["Retry-After"]) > 0
    assert "Busy, try again" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_write_that_cannot_get_the_sqlite_lock_answers_503_soon(world, raw, officer, client):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock")
    client.raise_request_exception = False
    client.force_login(officer)
    event = world["events"]["public"]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 200")  # the setting is 10 s: no need to wait here
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the timeout
    try:
        api = raw.patch(
            f"/api/v1/events/{event.pk}/", json.dumps({"title": "Moved"}), "application/json"
        )
        page = client.post(f"/staff/events/{event.pk}/status/", {"to": "tentative"})
    finally:
        holder.rollback()
        holder.close()

    body = _json_error(api, 503)
    assert "busy" in body["detail"]
    assert api["Retry-After"] == "5"
    assert page.status_code == 503 and "Busy, try again" in page.content.decode()
    assert Event.objects.get(pk=event.pk).title == event.title


def test_sqlite_busy_timeout_stays_below_the_request_timeout(settings):
    from config import settings as project

    if connection.vendor == "sqlite":
        assert connection.settings_dict["OPTIONS"]["timeout"] * 2 <= 30
    assert project.env_int("GUNICORN_TIMEOUT", 30) == 30


@pytest.mark.parametrize(
    "change",
    [
        {"start": "２０３０-05-01T10:00:00+08:00"},
        {"start": "2030-05-01T1０:00:00+08:00"},
        {"site": "site"},
        {"site": True},
    ],
    ids=["fullwidth-year", "fullwidth-hour", "word", "boolean"],
)
def test_the_api_refuses_what_it_cannot_read_exactly(world, staff_api, change):
    answer = staff_api.post("/api/v1/events/", _event(world, **change))

    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == list(change)
    assert not Event.objects.filter(title="Groundbreaking").exists()


def test_a_fractional_id_is_not_rounded_to_another_object(world, staff_api):
    answer = staff_api.post("/api/v1/events/", _event(world, site=world["site"].pk + 0.5))
    whole = staff_api.post("/api/v1/events/", _event(world, site=float(world["site"].pk)))
    count = staff_api.post(
        f"/api/v1/events/{world['events']['public'].pk}/attendees/",
        {"name": "Ada", "email": "ada@x.example", "guests": "２"},
    )

    assert answer.status_code == 400 and list(answer.json()["errors"]) == ["site"]
    assert whole.status_code == 201
    assert count.status_code == 400 and list(count.json()["errors"]) == ["guests"]


def test_times_before_standard_time_come_back_as_valid_rfc3339(
    world, public_event_spans_days, staff_api
):
    event = world["events"]["public"]
    booking = staff_api.post(
        "/api/v1/bookings/hold/",
        {
            "event": event.pk,
            "facility": world["hall"].pk,
            "start": "2030-03-06T10:00:00+08:00",
            "end": "2030-03-06T11:00:00+08:00",
            "hold_expires_at": "1900-01-01T00:00:00+08:00",
        },
    )

    expires = booking.json()["hold_expires_at"]
    assert booking.status_code == 201
    # Hong Kong kept local mean time (+07:36:42) until 1904: RFC 3339 offsets are whole minutes.
    assert expires == "1899-12-31T16:00:00+00:00"
    stored = Booking.objects.get(pk=booking.json()["id"]).hold_expires_at
    assert stored == dt.datetime(1899, 12, 31, 16, tzinfo=dt.UTC)


def test_conditional_get_validates_the_query_first(world, staff_api):
    bad_filter = staff_api.get("/api/v1/events/", headers={"If-None-Match": "*"}, start="soon")
    bad_size = staff_api.get("/api/v1/events/", headers={"If-None-Match": "*"}, page_size="0")
    bad_order = staff_api.get("/api/v1/events/", headers={"If-None-Match": "*"}, ordering="x")
    bad_token = staff_api.get("/api/v1/events/", headers={"If-None-Match": "*"}, sync_token="x")
    star = staff_api.get("/api/v1/events/", headers={"If-None-Match": "*"})

    assert bad_filter.status_code == 400 and list(bad_filter.json()["errors"]) == ["start"]
    assert bad_size.status_code == 400 and list(bad_size.json()["errors"]) == ["page_size"]
    assert bad_order.status_code == 400 and list(bad_order.json()["errors"]) == ["ordering"]
    assert bad_token.status_code == 410
    assert star.status_code == 304
