"""Several processes behave as one system: two gunicorn workers and two qcluster processes on one
PostgreSQL and one Redis, driven over HTTP through the partner API.

No clash (the exclusion constraint decides races between web workers), no lost or duplicated
invite (the outbox and its claims), no server error.
"""

import datetime as dt
import os
import tempfile
import threading
import time
from collections import Counter

import pytest
from django.conf import settings

from api.services import api_key_create
from scheduling.models import Booking
from tests.e2e.cluster import QCluster, database_url, wait_until
from tests.e2e.sink import Sink
from tests.e2e.web import Client, Gunicorn
from tests.factories import FacilityFactory, OrganisationFactory, SiteFactory, hk
from visitors.models import Delivery

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ATTENDEES = 30
RACERS = 20


@pytest.fixture
def system(django_user_model):
    """Sink, two qclusters sharing one Redis queue, and gunicorn with two workers."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the processes share a Redis broker")
    sink = Sink().start()
    shared = {
        "INVITE_COALESCE_SECONDS": "0",
        "INVITE_RETRY_BASE_SECONDS": "1",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "false",
    }
    clusters = [QCluster(email_url=sink.url, workers=1, **shared) for _ in range(2)]
    name = clusters[0].name
    for cluster in clusters:  # one queue for both clusters and the web workers
        cluster.name = cluster.env["Q_CLUSTER_NAME"] = name
    web = Gunicorn(
        env={
            **os.environ,
            **shared,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "Q_CLUSTER_NAME": name,
            "EMAIL_URL": sink.url,
            "DEBUG": "false",
            "VAR_DIR": tempfile.mkdtemp(prefix="pd-web-"),
        }
    )
    staff = django_user_model.objects.create_user("desk", is_staff=True, is_superuser=True)
    _key, token = api_key_create(
        name="multi-process test",
        user=staff,
        scopes=[
            "events:read",
            "events:write",
            "attendees:read",
            "attendees:write",
            "bookings:write",
        ],
        rate_per_minute=100_000,
    )
    try:
        for cluster in clusters:
            cluster.start()
        web.start()
        yield Client(web.url, token), sink
    finally:
        web.stop()
        for cluster in clusters:
            cluster.stop()
        sink.stop()


def _event(client: Client, site_id: int, title: str, start: dt.datetime) -> dict:
    status, event = client.call(
        "POST",
        "events/",
        {
            "title": title,
            "site": site_id,
            "kind": "ceremony",
            "status": "confirmed",
            "visibility": "partners",
            "start": start.isoformat(),
            "end": (start + dt.timedelta(hours=2)).isoformat(),
        },
    )
    assert status == 201, event
    return event


def test_two_web_and_two_worker_processes_behave_as_one_system(system):
    client, sink = system
    site = SiteFactory()
    hall, annex = FacilityFactory(site=site, capacity=500), FacilityFactory(site=site, capacity=500)
    start = hk(2031, 3, 4, 10)

    # Twenty requests race for one hall at one time, spread over both web workers.
    contested = _event(client, site.pk, "Contested ceremony", start)
    barrier, answers = threading.Barrier(RACERS), []

    def race() -> None:
        barrier.wait()
        answers.append(
            client.call(
                "POST",
                "bookings/",
                {
                    "event": contested["id"],
                    "facility": hall.pk,
                    "start": start.isoformat(),
                    "end": (start + dt.timedelta(hours=2)).isoformat(),
                    "status": "confirmed",
                },
            )
        )

    racers = [threading.Thread(target=race) for _ in range(RACERS)]
    for thread in racers:
        thread.start()
    for thread in racers:
        thread.join()

    # Thirty invites, then a reschedule: each arrives once, the update at SEQUENCE + 1.
    gala = _event(client, site.pk, "Gala 晚宴", start + dt.timedelta(days=1))
    booked, _ = client.call(
        "POST",
        "bookings/",
        {
            "event": gala["id"],
            "facility": annex.pk,
            "start": gala["start"],
            "end": gala["end"],
            "status": "confirmed",
        },
    )
    for n in range(ATTENDEES):
        status, body = client.call(
            "POST",
            f"events/{gala['id']}/attendees/",
            {
                "name": f"Guest {n} 嘉賓",
                "email": f"guest{n}@example.org",
                "role": "guest",
            },
        )
        assert status == 201, body
    sent, body = client.call("POST", f"events/{gala['id']}/send-invites/", {})
    wait_until(lambda: sink.count() >= ATTENDEES, timeout=60, what="the invites")
    moved = start + dt.timedelta(days=2)
    rescheduled, _ = client.call(
        "POST",
        f"events/{gala['id']}/reschedule/",
        {
            "start": moved.isoformat(),
            "end": (moved + dt.timedelta(hours=2)).isoformat(),
        },
    )
    wait_until(lambda: sink.count() >= 2 * ATTENDEES, timeout=60, what="the updates")

    codes = Counter(code for code, _body in answers)
    assert codes == {201: 1, 409: RACERS - 1}, codes
    assert booked == 201 and sent == 200 and rescheduled == 200, body
    active = list(Booking.objects.active().filter(facility=hall))
    assert len(active) == 1
    versions = {
        address: sorted((m.ical()["METHOD"], int(m.ical()["SEQUENCE"])) for m in messages)
        for address, messages in sink.by_recipient().items()
    }
    assert len(versions) == ATTENDEES
    sequences = {tuple(v) for v in versions.values()}
    assert len(sequences) == 1
    ((first, second),) = sequences
    assert first[0] == second[0] == "REQUEST" and second[1] == first[1] + 1
    assert not Delivery.objects.exclude(state=Delivery.State.SENT).exists()


def test_a_keys_rate_limit_holds_across_web_workers(system):
    client, _sink = system
    _key, token = api_key_create(
        name="busy partner", organisation=OrganisationFactory(), rate_per_minute=20
    )
    partner = Client(client.base, token)
    barrier, answers = threading.Barrier(8), []
    if time.time() % 60 > 50:  # the burst stays inside one minute of the throttle's window
        time.sleep(61 - time.time() % 60)

    def burst() -> None:
        barrier.wait()
        for _ in range(5):
            answers.append(partner.call("GET", "sites/")[0])

    threads = [threading.Thread(target=burst) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Forty requests over two processes: the counter lives in Redis, so twenty pass, not forty.
    assert Counter(answers) == {200: 20, 429: 20}
