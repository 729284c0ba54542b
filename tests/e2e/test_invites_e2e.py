"""End to end: invites through the real queue (a ``qcluster`` subprocess with two workers) to a
real SMTP server (aiosmtpd on 127.0.0.1), including a server that is down and a cluster killed
with SIGKILL in the middle of a batch.
"""

import datetime as dt
import os
import signal

import pytest
from django.utils import timezone

from scheduling import services as scheduling_services
from scheduling.models import Booking, Event
from tests.e2e.cluster import QCluster, use_cluster_broker, wait_until
from tests.e2e.sink import Received, Sink
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    OrganisationFactory,
    PersonFactory,
)
from tests.interop.headers import mailboxes
from tests.interop.test_invite_parsers import icaljs_read, vobject_read
from visitors import invitations
from visitors.models import Attendance, Delivery

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

INVITE_SETTINGS = {
    "INVITE_COALESCE_SECONDS": 0,
    "INVITE_SEND_BATCH": 25,
    "INVITE_RETRY_BASE_SECONDS": 1,
    "INVITE_MAX_ATTEMPTS": 10,
    "INVITE_STUCK_SECONDS": 2,
}


@pytest.fixture
def invite_settings(settings):
    """The same small INVITE_* values here (where rows are queued) and in the cluster."""
    for name, value in INVITE_SETTINGS.items():
        setattr(settings, name, value)
    return {name: str(value) for name, value in INVITE_SETTINGS.items()}


def event_with(attendees: int) -> tuple[Event, list[Attendance]]:
    start = (timezone.now() + dt.timedelta(days=20)).replace(microsecond=0)
    event = EventFactory(
        status=Event.Status.CONFIRMED,
        start=start,
        end=start + dt.timedelta(hours=2),
        timezone="Europe/London",
    )
    BookingFactory(event=event, status=Booking.Status.CONFIRMED)
    organisation = OrganisationFactory()
    return event, AttendanceFactory.create_batch(
        attendees, event=event, person__organisation=organisation
    )


def sent_count(event: Event) -> int:
    return Delivery.objects.filter(event=event, state=Delivery.State.SENT).count()


def sweep() -> None:
    """What the periodic schedule does once a minute, through the broker, right now."""
    from django_q.tasks import async_task

    async_task("visitors.tasks.deliveries_sweep")


def check_calendar(message: Received, *, method: str, uid: str, sequence: int) -> dict:
    mime_method, _body = message.calendar_part()
    found = message.ical()
    assert mime_method == found["METHOD"] == method
    assert (found["UID"], int(found["SEQUENCE"])) == (uid, sequence)
    return found


def test_invites_update_and_cancel_arrive_once_each_over_smtp(
    monkeypatch, invite_settings, tmp_path
):
    event, attendances = event_with(50)
    emails = sorted(a.person.email for a in attendances)
    sink = Sink()
    cluster = QCluster(email_url=sink.url, **invite_settings)
    use_cluster_broker(monkeypatch, cluster)
    try:
        sink.start()
        cluster.start()

        invitations.invites_send(event_id=event.pk)
        wait_until(lambda: sent_count(event) == 50, timeout=60, what="50 invites", cluster=cluster)
        invited_at = Event.objects.get(pk=event.pk).sequence
        scheduling_services.event_reschedule(
            event_id=event.pk,
            start=event.start + dt.timedelta(days=1),
            end=event.end + dt.timedelta(days=1),
        )
        wait_until(lambda: sent_count(event) == 100, timeout=15, what="50 updates", cluster=cluster)
        scheduling_services.event_cancel(event_id=event.pk, reason="Typhoon signal no. 8")
        wait_until(lambda: sent_count(event) == 150, timeout=15, what="50 cancels", cluster=cluster)
    finally:
        cluster.stop()
        sink.stop()

    received = sink.by_recipient()
    assert sorted(received) == emails
    for email in emails:
        invite, update, cancel = received[email]
        check_calendar(invite, method="REQUEST", uid=event.uid, sequence=invited_at)
        check_calendar(update, method="REQUEST", uid=event.uid, sequence=invited_at + 1)
        found = check_calendar(cancel, method="CANCEL", uid=event.uid, sequence=invited_at + 2)
        assert found["STATUS"] == "CANCELLED"
    assert sink.count() == 150
    assert {row.message_id for row in Delivery.objects.all()} == {
        m.message["Message-ID"] for m in sink.received
    }
    # What the server received, as calendar clients read it: vobject (validating) and ical.js.
    day = dt.timedelta(days=1)
    versions = [  # invite, update, cancel: METHOD and UTC instants
        ("REQUEST", event.start.timestamp(), event.end.timestamp()),
        ("REQUEST", (event.start + day).timestamp(), (event.end + day).timestamp()),
        ("CANCEL", (event.start + day).timestamp(), (event.end + day).timestamp()),
    ]
    expected = {}
    for email in emails[:3]:
        for n, message in enumerate(received[email]):
            path = tmp_path / f"{email}-{n}.ics"
            path.write_text(message.calendar_part()[1], encoding="utf-8", newline="")
            expected[str(path)] = versions[n]
    by_icaljs = icaljs_read(list(expected))
    for path, version in expected.items():
        by_vobject = vobject_read(path)
        [vevent] = by_icaljs[path]
        assert (by_vobject["method"], by_vobject["start"], by_vobject["end"]) == version
        assert (vevent["method"], vevent["start"], vevent["end"]) == version
        assert vevent["uid"] == event.uid and vevent["attendees"] == 1


# Issue 11: names like these never got an invite (their To header was refused, and retried).
LONG_NAMES = [
    {
        "honorific": "Professor the Honourable",
        "name": "Sun Dong",
        "post_nominals": "GBS, JP",
        "name_zh": "孫東",
    },
    {
        "honorific": "Dr the Honourable Sir",
        "name": "Lee Kwok-ming",
        "post_nominals": "GBS, JP",
        "name_zh": "李國明",
    },
    {"honorific": "Excma. Sra.", "name": "María José Fernández-Castellanos Villanueva"},
    # 42 characters are enough when a Chinese name ends them.
    {"honorific": "Mr", "name": "Chan Tai-man, Peter Alexander Lam", "name_zh": "陳大文"},
]


def test_invites_reach_attendees_whatever_their_names_over_smtp(monkeypatch, invite_settings):
    event, _ = event_with(0)
    organisation = OrganisationFactory()
    people = [PersonFactory(organisation=organisation, **fields) for fields in LONG_NAMES]
    for person in people:
        AttendanceFactory(event=event, person=person)
    sink = Sink()
    cluster = QCluster(email_url=sink.url, **invite_settings)
    use_cluster_broker(monkeypatch, cluster)
    try:
        sink.start()
        cluster.start()

        invitations.invites_send(event_id=event.pk)
        wait_until(
            lambda: sent_count(event) == len(people),
            timeout=30,
            what="an invite to every attendee",
            cluster=cluster,
        )
    finally:
        cluster.stop()
        sink.stop()

    received = sink.by_recipient()
    assert sorted(received) == sorted(person.email for person in people)
    for person in people:
        [message] = received[person.email]
        assert message.content.isascii()  # 7-bit: no relay needs 8BITMIME for it
        assert mailboxes(message.content) == [(person.display_name, person.email)]
        check_calendar(message, method="REQUEST", uid=event.uid, sequence=event.sequence)
    assert Delivery.objects.filter(event=event).exclude(state=Delivery.State.SENT).count() == 0


def test_messages_wait_for_a_server_that_is_down_and_then_arrive_once_each(
    monkeypatch, invite_settings
):
    event, attendances = event_with(20)
    sink = Sink()  # its port is chosen, nothing listens there yet
    cluster = QCluster(email_url=sink.url, **invite_settings)
    use_cluster_broker(monkeypatch, cluster)
    rows = Delivery.objects.filter(event=event)
    try:
        cluster.start()

        invitations.invites_send(event_id=event.pk)
        wait_until(
            lambda: rows.filter(state=Delivery.State.RETRYING, attempts__gte=2).count() == 20,
            timeout=20,
            what="two refused attempts for every invite",
            cluster=cluster,
            meanwhile=sweep,
        )
        sink.start()
        wait_until(
            lambda: sent_count(event) == 20,
            timeout=20,
            what="every invite once the server is back",
            cluster=cluster,
            meanwhile=sweep,
        )
    finally:
        cluster.stop()
        sink.stop()

    received = sink.by_recipient()
    assert sorted(received) == sorted(a.person.email for a in attendances)
    assert all(len(messages) == 1 for messages in received.values())
    assert min(rows.values_list("attempts", flat=True)) >= 3
    assert not any(rows.values_list("last_error", flat=True))  # cleared on success


def test_a_cluster_killed_in_the_middle_of_a_batch_loses_nothing(monkeypatch, invite_settings):
    event, attendances = event_with(200)
    sink = Sink(delay=0.01)  # ~10 ms a message, so there is a middle to kill in
    cluster = QCluster(email_url=sink.url, **invite_settings)
    use_cluster_broker(monkeypatch, cluster)
    rows = Delivery.objects.filter(event=event)
    try:
        sink.start()
        cluster.start()

        invitations.invites_send(event_id=event.pk)
        wait_until(lambda: sent_count(event) >= 40, timeout=60, what="40 invites", cluster=cluster)
        cluster.kill()
        sending_at_kill = set(
            rows.filter(state=Delivery.State.SENDING).values_list("person__email", flat=True)
        )
        sent_at_kill = sent_count(event)

        cluster.start()  # restarted: the sweeper finds what the dead one left
        wait_until(
            lambda: sent_count(event) == 200,
            timeout=30,
            what="all 200 invites after the restart",
            cluster=cluster,
            meanwhile=sweep,
        )
    finally:
        cluster.stop()
        sink.stop()

    assert sent_at_kill < 200
    # Only a message in flight when its worker died can go twice: at most one per worker.
    assert_each_arrived(sink, attendances, in_flight=sending_at_kill, twice_at_most=2)


def test_a_worker_killed_in_the_middle_of_its_batch_loses_nothing(monkeypatch, invite_settings):
    event, attendances = event_with(200)
    sink = Sink(delay=0.01)
    cluster = QCluster(email_url=sink.url, **invite_settings)
    use_cluster_broker(monkeypatch, cluster)
    rows = Delivery.objects.filter(event=event)
    try:
        sink.start()
        cluster.start()

        invitations.invites_send(event_id=event.pk)
        wait_until(lambda: sent_count(event) >= 40, timeout=60, what="40 invites", cluster=cluster)
        victims: list[int] = []
        wait_until(
            lambda: victims.extend(cluster.pids_talking_to(sink.port)) or victims,
            timeout=10,
            what="a worker in the middle of an SMTP conversation",
            every=0.005,
        )
        os.kill(victims[0], signal.SIGKILL)  # one worker; the cluster lives on and replaces it
        wait_until(
            lambda: rows.filter(state=Delivery.State.SENDING).exists(),
            timeout=5,
            what="rows left in sending by the dead worker",
        )
        sending_at_kill = set(
            rows.filter(state=Delivery.State.SENDING).values_list("person__email", flat=True)
        )
        wait_until(
            lambda: sent_count(event) == 200,
            timeout=60,
            what="all 200 invites after the worker died",
            cluster=cluster,
            meanwhile=sweep,
        )
        still_running = cluster.process.poll() is None
    finally:
        cluster.stop()
        sink.stop()

    assert still_running
    # Only the message the worker was sending when it died can go twice.
    assert_each_arrived(sink, attendances, in_flight=sending_at_kill, twice_at_most=1)


def assert_each_arrived(
    sink: Sink, attendances: list[Attendance], *, in_flight: set[str], twice_at_most: int
) -> None:
    """Every attendee got the invite; a few of those in flight at a kill may have got it
    twice, and then as the same version (UID and SEQUENCE), which calendars collapse."""
    received = sink.by_recipient()
    assert sorted(received) == sorted(a.person.email for a in attendances)
    duplicated = {email: messages for email, messages in received.items() if len(messages) > 1}
    assert set(duplicated) <= in_flight
    assert len(duplicated) <= twice_at_most
    for messages in duplicated.values():
        assert len({(m.ical()["UID"], m.ical()["SEQUENCE"]) for m in messages}) == 1


def test_two_workers_together_keep_under_the_relays_limit(monkeypatch, invite_settings):
    event, _attendances = event_with(12)
    sink = Sink()
    # 121 a minute: a slot every half second, so the test is quick; two workers, small batches.
    limits = {**invite_settings, "INVITE_RATE_PER_MINUTE": "121", "INVITE_SEND_BATCH": "3"}
    cluster = QCluster(email_url=sink.url, **limits)
    use_cluster_broker(monkeypatch, cluster)
    try:
        sink.start()
        cluster.start()

        invitations.invites_send(event_id=event.pk)
        wait_until(lambda: sent_count(event) == 12, timeout=60, what="12 invites", cluster=cluster)
    finally:
        cluster.stop()
        sink.stop()

    arrived = sorted(message.at for message in sink.received)
    assert len(arrived) == 12
    # One message per half-second slot, whichever worker sends it: twelve take 5.5 s (two
    # workers each keeping the pace alone would take 2.75 s; no limit, a fraction of one).
    assert arrived[-1] - arrived[0] >= 11 * 0.5 - 1.0
