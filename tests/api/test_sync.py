"""Incremental sync: tokens, deltas with tombstones, expiry, paging; convergence under
concurrent writers."""

import datetime as dt
import random
import threading
import time
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core import signing
from django.db import connection, transaction

from api.sync import SALT, token_for
from core.models import Change
from scheduling import services
from scheduling.models import Event
from tests.api.conftest import secretary_visit
from tests.e2e.cluster import wait_until
from tests.factories import (
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
    event_created,
    hk,
)
from visitors import invitations
from visitors import services as visitor_services

pytestmark = pytest.mark.django_db


def _event(site, n: int, **fields):
    """The nth of a run of daily partner events (event_created, one day apart)."""
    fields.setdefault("visibility", "partners")
    start = hk(2030, 4, 1, 9) + dt.timedelta(days=n)
    return event_created(title=f"Event {n}", site=site, start=start, **fields)


def test_sync_sends_changes_and_tombstones(api_for):
    org = OrganisationFactory()
    site = SiteFactory()
    kept, moved, cancelled, hidden, untouched = (_event(site, n) for n in range(5))
    api = api_for(organisation=org)
    token = api.get("/api/v1/events/").json()["sync_token"]
    services.event_update(event_id=kept.pk, title="Renamed")
    services.event_reschedule(
        event_id=moved.pk, start=moved.start + dt.timedelta(hours=1), end=moved.end
    )
    services.event_cancel(event_id=cancelled.pk)
    services.event_update(event_id=hidden.pk, visibility="internal")
    new = _event(site, 9)
    never_seen = _event(site, 10, visibility="internal")
    services.event_update(event_id=never_seen.pk, title="Secret")

    delta = api.get("/api/v1/events/", sync_token=token).json()

    assert [(e["id"], e["title"]) for e in delta["results"]] == [
        (kept.pk, "Renamed"),
        (moved.pk, "Event 1"),
        (new.pk, "Event 9"),
    ]
    assert delta["deleted"] == [
        {"id": cancelled.pk, "reason": "cancelled"},
        {"id": hidden.pk, "reason": "removed"},
    ]
    assert delta["next"] is None
    assert untouched.pk not in {e["id"] for e in delta["results"]}
    again = api.get("/api/v1/events/", sync_token=delta["sync_token"]).json()
    assert (again["results"], again["deleted"]) == ([], [])


def test_sync_reports_deleted_events_and_their_bookings(api_for, staff_api):
    site = SiteFactory()
    hall = FacilityFactory(site=site)
    event = _event(site, 0)
    booking = services.booking_create(
        event_id=event.pk, facility_id=hall.pk, start=event.start, end=event.end
    )
    partner = api_for(organisation=OrganisationFactory())
    tokens = {
        path: partner.get(path).json()["sync_token"]
        for path in ("/api/v1/events/", "/api/v1/bookings/")
    }

    Event.objects.get(pk=event.pk).delete()  # as the back office does

    events = partner.get("/api/v1/events/", sync_token=tokens["/api/v1/events/"]).json()
    bookings = partner.get("/api/v1/bookings/", sync_token=tokens["/api/v1/bookings/"]).json()
    assert events["deleted"] == [{"id": event.pk, "reason": "deleted"}]
    assert bookings["deleted"] == [{"id": booking.pk, "reason": "deleted"}]
    rows = Change.objects.filter(event_id=event.pk, deleted=True)
    assert sorted(rows.values_list("entity", flat=True)) == ["booking", "event"]


def test_sync_of_bookings_follows_their_event_out_of_sight(api_for):
    org = OrganisationFactory()
    site = SiteFactory()
    hall = FacilityFactory(site=site)
    event = _event(site, 0)
    booking = services.booking_create(
        event_id=event.pk, facility_id=hall.pk, start=event.start, end=event.end
    )
    api = api_for(organisation=org)
    token = api.get("/api/v1/bookings/").json()["sync_token"]

    services.event_update(event_id=event.pk, visibility="internal")

    delta = api.get("/api/v1/bookings/", sync_token=token).json()
    assert delta["results"] == []
    assert delta["deleted"] == [{"id": booking.pk, "reason": "removed"}]


def test_sync_in_pages_follows_next_until_done(staff_api):
    site = SiteFactory()
    token = staff_api.get("/api/v1/events/").json()["sync_token"]
    created = [_event(site, n).pk for n in range(7)]

    first = staff_api.get("/api/v1/events/", sync_token=token, page_size=3).json()
    seen, answer = list(first["results"]), first
    while answer["next"]:
        answer = staff_api.client.get(answer["next"], headers=staff_api._headers(None)).json()
        seen += answer["results"]

    assert len(first["results"]) == 3 and first["next"]
    assert [e["id"] for e in seen] == created
    last = staff_api.get("/api/v1/events/", sync_token=answer["sync_token"]).json()
    assert last["results"] == []


def test_expired_forged_or_foreign_tokens_answer_410(staff_api, settings):
    head = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0
    stale = signing.TimestampSigner(salt=SALT)
    stale.timestamp = lambda: signing.b62_encode(int(time.time()) - 40 * 86400)
    settings.API_SYNC_TOKEN_MAX_AGE_DAYS = 30

    answers = {
        "expired": staff_api.get("/api/v1/events/", sync_token=stale.sign(str(head))),
        "forged": staff_api.get("/api/v1/events/", sync_token=f"{head}:abc:def"),
        "future": staff_api.get("/api/v1/events/", sync_token=token_for(head + 1000)),
    }

    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 410)
    assert answers["expired"].json()["code"] == "sync_token_gone"
    assert "expired" in answers["expired"].json()["detail"]


def test_list_pages_are_stable_while_rows_are_inserted(staff_api):
    site = SiteFactory()
    originals = [_event(site, n * 2) for n in range(6)]

    first = staff_api.get("/api/v1/events/", page_size=2).json()
    _event(site, -1)  # before the first page
    _event(site, 5)  # between pages already read and pages to come
    rest, last = [], first
    while last["next"]:
        last = staff_api.client.get(last["next"], headers=staff_api._headers(None)).json()
        rest += last["results"]

    ids = [e["id"] for e in first["results"] + rest]
    assert len(ids) == len(set(ids))
    assert {e.pk for e in originals} <= set(ids)
    # Every page hands out the position read with the first page.
    assert _position(last["sync_token"]) == _position(first["sync_token"])


def _position(token: str) -> int:
    return int(signing.TimestampSigner(salt=SALT).unsign(token))


def _writer(hall_id: int, event_ids: list[int], seed: int, rounds: int):
    """Random service calls, each in its own transaction, from another connection."""
    rng = random.Random(seed)
    try:
        for n in range(rounds):
            event_id = rng.choice(event_ids)
            choice = rng.random()
            try:
                if choice < 0.3:
                    services.event_update(event_id=event_id, title=f"t{seed}-{n}")
                elif choice < 0.45:
                    visibility = rng.choice(["public", "partners", "internal"])
                    services.event_update(event_id=event_id, visibility=visibility)
                elif choice < 0.6:
                    event = Event.objects.get(pk=event_id)
                    services.programme_item_create(
                        event_id=event_id, title=f"i{seed}-{n}", start=event.start, end=event.end
                    )
                elif choice < 0.75:
                    event = Event.objects.get(pk=event_id)
                    shift = dt.timedelta(minutes=rng.choice([-30, 30]))
                    services.event_reschedule(
                        event_id=event_id, start=event.start + shift, end=event.end + shift
                    )
                elif choice < 0.8:
                    services.event_cancel(event_id=event_id)
                else:
                    event = Event.objects.get(pk=event_id)
                    services.booking_create(
                        event_id=event_id, facility_id=hall_id, start=event.start, end=event.end
                    )
            except Exception as error:  # refusals (final events, clashes) are fine
                if error.__class__.__name__ not in {"ValidationError", "BookingClash"}:
                    raise
    finally:
        connection.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sync_converges_under_concurrent_writers(api_for, django_user_model):
    org = OrganisationFactory()
    site = SiteFactory()
    hall = FacilityFactory(site=site)
    event_ids = [_event(site, n, visibility="partners").pk for n in range(12)]
    user = django_user_model.objects.create_user("desk", is_staff=True, is_superuser=True)
    clients = {"partner": api_for(organisation=org), "staff": api_for(user=user)}
    copies, tokens = {}, {}
    for who, api in clients.items():
        rows, answer = api.all_pages("/api/v1/events/", page_size=5)
        copies[who] = {e["id"]: e for e in rows}
        tokens[who] = answer["sync_token"]

    writers = [
        threading.Thread(target=_writer, args=(hall.pk, event_ids, seed, 25)) for seed in range(3)
    ]
    for thread in writers:
        thread.start()

    def sync(who):
        api = clients[who]
        answer = api.get("/api/v1/events/", sync_token=tokens[who], page_size=7).json()
        while True:
            for event in answer["results"]:
                copies[who][event["id"]] = event
            for gone in answer["deleted"]:
                copies[who].pop(gone["id"], None)
            tokens[who] = answer["sync_token"]
            if not answer["next"]:
                return
            answer = api.client.get(answer["next"], headers=api._headers(None)).json()

    syncs = 0
    while any(thread.is_alive() for thread in writers):
        for who in clients:
            sync(who)
        syncs += 1
        time.sleep(0.01)
    for thread in writers:
        thread.join()
    for who in clients:
        sync(who)

    for who, api in clients.items():
        server, _ = api.all_pages("/api/v1/events/", page_size=200)
        assert copies[who] == {e["id"]: e for e in server}, who
    assert syncs > 1
    assert Change.objects.filter(entity="event").count() > len(event_ids)


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_late_is_not_missed(api_for):
    """Writer A allocates its change first and commits last; B waits for A's commit, so a
    client that synced in between still receives both (updated_at ordering would skip A)."""
    site = SiteFactory()
    first, second = _event(site, 0), _event(site, 1)
    api = api_for(organisation=OrganisationFactory())
    token = api.get("/api/v1/events/").json()["sync_token"]
    inside, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                services.event_update(event_id=first.pk, title="A (committed late)")
                inside.set()
                release.wait(5)
        finally:
            connection.close()

    blocked, b_done = threading.Event(), []

    def announce(execute, sql, params, many, context):
        # The statement that must wait for A: SQLite's write lock (BEGIN IMMEDIATE) or, on
        # PostgreSQL, the change log's advisory lock.
        if sql.startswith("BEGIN") or "pg_advisory_xact_lock" in sql:
            blocked.set()
        return execute(sql, params, many, context)

    def quick_writer():
        try:
            with connection.execute_wrapper(announce):
                services.event_update(event_id=second.pk, title="B (quick)")
            b_done.append(time.monotonic())
        finally:
            connection.close()

    a = threading.Thread(target=slow_writer)
    a.start()
    inside.wait(5)
    b = threading.Thread(target=quick_writer)
    b.start()
    assert blocked.wait(5), "B never reached the lock A holds"
    if connection.vendor == "postgresql":
        wait_until(_someone_waits_for_an_advisory_lock, timeout=5, what="B waiting for A")
    during = api.get("/api/v1/events/", sync_token=token).json()
    released_at = time.monotonic()
    release.set()
    a.join()
    b.join()
    after = api.get("/api/v1/events/", sync_token=during["sync_token"]).json()

    assert b_done and b_done[0] > released_at  # B really waited for A's commit
    assert during["results"] == []  # B is queued behind A: nothing new is visible yet
    assert sorted(e["title"] for e in after["results"]) == ["A (committed late)", "B (quick)"]


def _someone_waits_for_an_advisory_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0] > 0


def test_an_attendee_taken_off_the_list_raises_the_invites_sequence_not_what_partners_see(
    api_for, django_capture_on_commit_callbacks
):
    """The CANCEL to the one removed is a new version of their invite; the event partners see
    (its feed entry, its API record) shows nothing new, so its revision stays."""
    org = OrganisationFactory()
    event = _event(SiteFactory(), 0, status="confirmed", host_organisation=org)
    attendances = [
        visitor_services.attendance_add(event_id=event.pk, person_id=PersonFactory().pk)
        for _ in range(2)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invites_send(event_id=event.pk)
    api = api_for(organisation=org)
    before = Event.objects.get(pk=event.pk)

    visitor_services.attendance_remove(attendance_id=attendances[0].pk)

    event.refresh_from_db()
    assert event.sequence == before.sequence + 1
    assert event.revision == before.revision
    detail = api.get(f"/api/v1/events/{event.pk}/")
    assert detail.json()["sequence"] == event.revision


def test_stop_hosts_hear_of_what_they_see_once_the_migration_ran(api_for):
    """scheduling.0008: a visit planned before stop hosts saw it reaches their syncs."""
    host, tenant, outsider = (OrganisationFactory() for _ in range(3))
    visit = EventFactory(visibility="restricted", host_organisation=host)  # no log rows
    ProgrammeItemFactory(event=visit, host_organisation=tenant)
    forum = EventFactory(visibility="partners", host_organisation=host)
    briefing = ProgrammeItemFactory(event=forum, host_organisation=tenant, visibility="internal")
    apis = {"tenant": api_for(organisation=tenant), "outsider": api_for(organisation=outsider)}
    tokens = {who: api.get("/api/v1/events/").json()["sync_token"] for who, api in apis.items()}
    programme = f"/api/v1/events/{forum.pk}/programme/"
    item_token = apis["tenant"].get(programme).json()["sync_token"]

    migration = import_module("scheduling.migrations.0008_stop_hosts_see_their_visits")
    migration.announce(apps, SimpleNamespace(connection=connection))

    synced = {
        who: api.get("/api/v1/events/", sync_token=tokens[who]).json() for who, api in apis.items()
    }
    items = apis["tenant"].get(programme, sync_token=item_token).json()
    assert [e["id"] for e in synced["tenant"]["results"]] == [visit.pk, forum.pk]
    assert visit.pk not in {e["id"] for e in synced["outsider"]["results"]}
    assert synced["outsider"]["deleted"] == []
    assert [i["id"] for i in items["results"]] == [briefing.pk]


def test_sync_brings_a_new_visit_to_every_stop_host_and_to_no_one_else(api_for, staff_api):
    tokens = {
        path: staff_api.get(path).json()["sync_token"]
        for path in ("/api/v1/events/", "/api/v1/bookings/")
    }  # a token is a position in the log, whoever's key read it

    visit = secretary_visit()

    booked = sorted(visit.event.bookings.values_list("pk", flat=True))
    for organisation in [visit.host, *visit.tenants, visit.outsider]:
        api = api_for(organisation=organisation)
        events, bookings = (api.get(path, sync_token=t).json() for path, t in tokens.items())
        sees = organisation != visit.outsider
        assert [e["id"] for e in events["results"]] == ([visit.event.pk] if sees else [])
        assert [b["id"] for b in bookings["results"]] == (booked if sees else [])
        assert events["deleted"] == bookings["deleted"] == []
        if not sees:
            assert "Secretary" not in str(events) + str(bookings)


def test_sync_takes_a_visit_back_from_a_stop_host_that_may_no_longer_see_it(api_for):
    visit = secretary_visit()
    first, second, third = visit.tenants
    apis = {org: api_for(organisation=org) for org in [*visit.tenants, visit.outsider]}
    paths = ("/api/v1/events/", "/api/v1/bookings/")
    tokens = {org: {p: api.get(p).json()["sync_token"] for p in paths} for org, api in apis.items()}
    booked = sorted(visit.event.bookings.values_list("pk", flat=True))

    def synced(org):
        answers = {p: apis[org].get(p, sync_token=tokens[org][p]).json() for p in paths}
        tokens[org] = {p: answer["sync_token"] for p, answer in answers.items()}
        return [
            ([r["id"] for r in answer["results"]], answer["deleted"]) for answer in answers.values()
        ]

    def removed(ids):
        return [{"id": pk, "reason": "removed"} for pk in ids]

    services.programme_item_delete(item_id=visit.stops[second.pk].pk)  # its stop is dropped
    services.programme_item_update(  # its stop goes to another tenant
        item_id=visit.stops[third.pk].pk, host_organisation=visit.outsider
    )
    assert synced(second) == [([], removed([visit.event.pk])), ([], removed(booked))]
    assert synced(third) == [([], removed([visit.event.pk])), ([], removed(booked))]
    assert synced(visit.outsider) == [([visit.event.pk], []), (booked, [])]
    assert synced(first) == [([visit.event.pk], []), (booked, [])]

    services.event_update(event_id=visit.event.pk, visibility="internal")  # the office's alone

    assert synced(first) == [([], removed([visit.event.pk])), ([], removed(booked))]
    assert synced(visit.outsider) == [([], removed([visit.event.pk])), ([], removed(booked))]
    assert synced(second) == synced(third) == [([], []), ([], [])]
