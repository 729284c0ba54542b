"""Idempotent POSTs, throttling, and errors that are JSON with field-level messages."""

import threading

import pytest
from django.db import connection

from api.models import IdempotencyRecord
from core import ratelimit
from scheduling import services
from scheduling.models import Booking, Event
from tests.factories import hk

pytestmark = pytest.mark.django_db


def _event_body(world, **extra):
    return {
        "title": "Groundbreaking",
        "site": world["site"].pk,
        "start": "2030-05-01T10:00:00+08:00",
        "end": "2030-05-01T11:00:00+08:00",
        "visibility": "partners",
        **extra,
    }


def test_a_replayed_post_answers_the_first_answer_and_writes_once(world, staff_api):
    headers = {"Idempotency-Key": "create-groundbreaking-1"}

    first = staff_api.post("/api/v1/events/", _event_body(world), headers=headers)
    replay = staff_api.post("/api/v1/events/", _event_body(world), headers=headers)

    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["Location"] == first["Location"]
    assert Event.objects.filter(title="Groundbreaking").count() == 1


def test_the_same_key_with_another_body_answers_422(world, staff_api):
    headers = {"Idempotency-Key": "abc"}
    staff_api.post("/api/v1/events/", _event_body(world), headers=headers)

    other = staff_api.post("/api/v1/events/", _event_body(world, title="Other"), headers=headers)

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert not Event.objects.filter(title="Other").exists()


def test_idempotency_keys_belong_to_one_api_key_and_errors_replay_too(world, staff_api, api_for):
    host = api_for(organisation=world["host"])
    headers = {"Idempotency-Key": "same-string"}
    bad = {**_event_body(world), "end": "2030-05-01T09:00:00+08:00"}

    refused = host.post("/api/v1/events/", bad, headers=headers)
    refused_again = host.post("/api/v1/events/", bad, headers=headers)
    staff = staff_api.post("/api/v1/events/", _event_body(world), headers=headers)

    assert refused.status_code == refused_again.status_code == 400
    assert refused_again.json() == refused.json()
    assert staff.status_code == 201
    assert IdempotencyRecord.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_book_once(api_for, django_user_model):
    from tests.factories import EventFactory, FacilityFactory

    event = EventFactory(visibility="public")
    hall = FacilityFactory(site=event.site)
    user = django_user_model.objects.create_user("desk", is_staff=True, is_superuser=True)
    api = api_for(user=user)
    body = {"event": event.pk, "facility": hall.pk, "start": "2030-03-04T10:00:00+08:00"}
    body["end"] = "2030-03-04T11:00:00+08:00"
    answers = []

    def post():
        try:
            answers.append(
                api.post("/api/v1/bookings/", body, headers={"Idempotency-Key": "booking-1"})
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["id"] for a in answers}) == 1
    assert Booking.objects.filter(event=event).count() == 1


class _Clock:
    """Stands in for the time module in core.ratelimit: minutes that turn when a test says."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = _Clock(now=1_800_000_000.0)  # the start of a minute
    monkeypatch.setattr(ratelimit, "time", clock)
    return clock


def test_throttling_answers_429_with_retry_after_per_key(world, api_for, settings, clock):
    settings.API_RATE_PER_MINUTE = 3
    busy = api_for(organisation=world["host"])
    calm = api_for(organisation=world["other"], rate_per_minute=10)
    clock.now += 15

    statuses = [busy.get("/api/v1/sites/").status_code for _ in range(4)]
    refused = busy.get("/api/v1/sites/")
    others = [calm.get("/api/v1/sites/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    # Three this minute, 45 s of it left; in the next, room for one once these three weigh
    # at most two: 20 s in.
    assert refused["Retry-After"] == "65"
    assert refused.json()["code"] == "throttled"
    assert others == [200] * 4


def test_throttling_slides_over_the_turn_of_a_minute(world, api_for, settings, clock):
    settings.API_RATE_PER_MINUTE = 4
    api = api_for(organisation=world["host"])
    clock.now += 50

    before_turn = [api.get("/api/v1/sites/").status_code for _ in range(4)]
    clock.now += 15  # 5 s into the next minute: the last 55 s still hold those four
    after_turn = api.get("/api/v1/sites/")
    clock.now += 30  # 35 s in: they weigh 4 × 25/60 ≈ 1.7, room for two more
    later = [api.get("/api/v1/sites/").status_code for _ in range(3)]

    assert before_turn == [200] * 4
    assert after_turn.status_code == 429
    assert 1 <= int(after_turn["Retry-After"]) <= 60
    assert later == [200, 200, 429]


def test_bad_input_answers_400_with_field_messages(world, staff_api):
    cases = {
        "naive": _event_body(world, start="2030-05-01T10:00:00"),
        "order": _event_body(world, end="2030-05-01T09:00:00+08:00"),
        "unknown_site": _event_body(world, site=999999),
        "zone": _event_body(world, timezone="Mars/Olympus"),
        "unknown_field": _event_body(world, colour="red"),
        "far_future": _event_body(world, end="9999-12-31T23:59:59+14:00"),
    }

    answers = {name: staff_api.post("/api/v1/events/", body) for name, body in cases.items()}
    patch = staff_api.patch(
        f"/api/v1/events/{world['events']['public'].pk}/", {"start": "2030-01-01T00:00:00Z"}
    )
    not_json = staff_api.client.post(
        "/api/v1/events/", "title=x", "application/x-www-form-urlencoded",
        headers=staff_api._headers(None),
    )  # fmt: skip

    fields = {name: set(a.json()["errors"]) for name, a in answers.items()}
    assert {a.status_code for a in answers.values()} == {400}
    assert fields == {
        "naive": {"start"},
        "order": {"end"},
        "unknown_site": {"site"},
        "zone": {"timezone"},
        "unknown_field": {"colour"},
        "far_future": {"end"},
    }
    assert "offset" in answers["naive"].json()["errors"]["start"][0]
    assert patch.status_code == 400 and "reschedule" in patch.json()["errors"]["start"][0]
    assert not_json.status_code == 415 and not_json.json()["code"] == "unsupported_media_type"


def test_list_parameters_are_checked(staff_api):
    answers = {
        "page_size": staff_api.get("/api/v1/events/", page_size=500),
        "ordering": staff_api.get("/api/v1/events/", ordering="colour"),
        "cursor": staff_api.get("/api/v1/events/", cursor="bm90IGEgY3Vyc29y"),
        "start": staff_api.get("/api/v1/events/", start="yesterday"),
        "site": staff_api.get("/api/v1/events/", site="99999999999999999999999"),
        "status": staff_api.get("/api/v1/events/", status="lost"),
    }

    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 400)
    assert {name: list(a.json()["errors"]) for name, a in answers.items()} == {
        name: [name] for name in answers
    }


def test_partner_keys_write_only_their_own_events(world, api_for):
    host = api_for(organisation=world["host"])
    other = api_for(organisation=world["other"])
    event = world["events"]["partners"]

    created = other.post("/api/v1/events/", _event_body(world))
    disguised = other.post(
        "/api/v1/events/", _event_body(world, host_organisation=world["host"].pk)
    )
    internal = other.post("/api/v1/events/", _event_body(world, visibility="internal"))
    foreign = other.patch(f"/api/v1/events/{event.pk}/", {"title": "Mine now"})
    own = host.patch(f"/api/v1/events/{event.pk}/", {"title": "Renamed by the host"})

    assert created.status_code == 201
    assert created.json()["host_organisation"] == world["other"].pk
    assert disguised.status_code == 400 and "host_organisation" in disguised.json()["errors"]
    assert internal.status_code == 400 and "visibility" in internal.json()["errors"]
    assert foreign.status_code == 403
    assert own.status_code == 200 and own.json()["title"] == "Renamed by the host"
    assert Event.objects.get(pk=event.pk).start == hk(2030, 3, 4, 10)


def test_numbers_no_id_can_be_are_refused_not_sent_to_the_database(world, staff_api):
    event = world["events"]["public"]
    item = services.programme_item_create(
        event_id=event.pk, title="Remarks", start=event.start, end=event.end
    )
    huge = 2**70
    path = f"/api/v1/events/{event.pk}/"

    answers = {
        "facility": staff_api.patch(f"{path}programme/{item.pk}/", {"facility": huge}),
        "roles.0.person": staff_api.patch(
            f"{path}programme/{item.pk}/", {"roles": [{"person": huge, "part": "speaker"}]}
        ),
        "site": staff_api.post("/api/v1/events/", _event_body(world, site=huge)),
        "attendance_ids.0": staff_api.post(f"{path}send-invites/", {"attendance_ids": [huge]}),
        "event": staff_api.post("/api/v1/bookings/", {"event": huge, "facility": 1}),
        "organisation": staff_api.get("/api/v1/events/", organisation=huge),
    }
    in_path = staff_api.get(f"/api/v1/events/{huge}/")

    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 400)
    assert {name: name in a.json()["errors"] for name, a in answers.items()} == dict.fromkeys(
        answers, True
    )
    assert in_path.status_code == 404
