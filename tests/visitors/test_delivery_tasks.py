"""How queued messages are sent: claims, supersede, one SMTP connection per batch, retries with
back-off, permanent failures, reconnects, the sweeper and the periodic schedules.

SMTP behaviour is tested against a real aiosmtpd server on 127.0.0.1 (tests/e2e/sink.py).
"""

import datetime as dt
from email.utils import parseaddr

import pytest
from django.core import mail
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from django_q.models import Schedule

from scheduling import services as scheduling_services
from scheduling.models import Booking, Event
from tests.e2e.sink import Sink
from tests.factories import AttendanceFactory, BookingFactory, EventFactory
from visitors import invitations, sending, tasks
from visitors.models import Attendance, Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    """Mail goes over SMTP to a real server on 127.0.0.1 (not started: tests start it)."""
    sink = Sink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_TIMEOUT = 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    sink.stop()


def event_with(attendees: int) -> tuple[Event, list[Attendance]]:
    start = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    event = EventFactory(
        status=Event.Status.CONFIRMED, start=start, end=start + dt.timedelta(hours=1)
    )
    BookingFactory(event=event, status=Booking.Status.CONFIRMED)
    return event, AttendanceFactory.create_batch(attendees, event=event)


def queued(event: Event, attendances: list[Attendance], **fields) -> list[Delivery]:
    """Outbox rows written directly: what a service would have queued, without its task."""
    defaults = {
        "method": Delivery.Method.REQUEST,
        "sequence": event.sequence,
        "next_attempt_at": timezone.now() - dt.timedelta(seconds=1),
    }
    return [
        Delivery.objects.create(
            event=event, person=a.person, attendance=a, **{**defaults, **fields}
        )
        for a in attendances
    ]


def ids(rows: list[Delivery]) -> list[int]:
    return [row.pk for row in rows]


def states(rows: list[Delivery]) -> list[str]:
    return [Delivery.objects.get(pk=row.pk).state for row in rows]


def recipients() -> list[str]:
    return sorted(parseaddr(m.to[0])[1] for m in mail.outbox)


# --- Claims and supersede -------------------------------------------------------------------------


def test_send_task_sends_each_row_once_however_often_it_runs():
    event, attendances = event_with(3)
    rows = queued(event, attendances)

    first = tasks.deliveries_send(ids(rows))
    second = tasks.deliveries_send(ids(rows))

    assert first == {Delivery.State.SENT: 3}
    assert second == {}
    assert recipients() == sorted(a.person.email for a in attendances)
    assert states(rows) == [Delivery.State.SENT] * 3


def test_send_task_leaves_rows_that_are_not_due_yet():
    event, attendances = event_with(1)
    (row,) = queued(event, attendances, next_attempt_at=timezone.now() + dt.timedelta(minutes=2))

    tasks.deliveries_send([row.pk])

    assert states([row]) == [Delivery.State.QUEUED]
    assert mail.outbox == []


def test_a_row_being_sent_by_another_worker_is_not_claimed_again():
    event, attendances = event_with(1)
    (row,) = queued(event, attendances)
    Delivery.objects.filter(pk=row.pk).update(state=Delivery.State.SENDING)

    tasks.deliveries_send([row.pk])

    assert states([row]) == [Delivery.State.SENDING]
    assert mail.outbox == []


def test_an_older_request_is_superseded_by_a_newer_one():
    event, (attendance,) = event_with(1)
    (old,) = queued(event, [attendance], sequence=3)
    (new,) = queued(event, [attendance], sequence=4)

    tasks.deliveries_send([old.pk, new.pk])

    assert states([old, new]) == [Delivery.State.SUPERSEDED, Delivery.State.SENT]
    assert "SEQUENCE 4" in Delivery.objects.get(pk=old.pk).last_error
    assert len(mail.outbox) == 1


def test_a_cancel_is_never_overtaken_by_an_older_request():
    event, (attendance,) = event_with(1)
    (request,) = queued(event, [attendance], sequence=3, state=Delivery.State.RETRYING)
    (cancel,) = queued(event, [attendance], sequence=4, method=Delivery.Method.CANCEL)

    tasks.deliveries_send([cancel.pk])
    tasks.deliveries_send([request.pk])

    assert states([request, cancel]) == [Delivery.State.SUPERSEDED, Delivery.State.SENT]
    (message,) = mail.outbox
    ics = next(c for c, kind in message.alternatives if kind.startswith("text/calendar"))
    assert "METHOD:CANCEL" in ics


def test_a_cancel_still_goes_out_for_a_cancelled_event_and_a_request_does_not():
    event, (stays, leaves) = event_with(2)
    (request,) = queued(event, [stays])
    (cancel,) = queued(event, [leaves], method=Delivery.Method.CANCEL, sequence=event.sequence + 1)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)

    tasks.deliveries_send([request.pk, cancel.pk])

    assert states([request, cancel]) == [Delivery.State.SUPERSEDED, Delivery.State.SENT]
    assert recipients() == [leaves.person.email]


def test_a_waiting_reminder_is_superseded_when_the_event_moved_out_of_range(settings):
    settings.REMINDER_HOURS_BEFORE = 24
    start = timezone.now() + dt.timedelta(days=8)
    event = EventFactory(
        status=Event.Status.CONFIRMED, start=start, end=start + dt.timedelta(hours=1)
    )
    attendance = AttendanceFactory(event=event, rsvp=Attendance.RSVP.ACCEPTED)
    (row,) = queued(
        event, [attendance], method=Delivery.Method.REMINDER, state=Delivery.State.RETRYING
    )

    tasks.deliveries_send([row.pk])

    row.refresh_from_db()
    assert row.state == Delivery.State.SUPERSEDED
    assert "reminder range" in row.last_error
    assert mail.outbox == []


def test_a_row_that_cannot_become_a_message_fails_at_once():
    event, (attendance,) = event_with(1)
    (row,) = queued(event, [attendance], method=Delivery.Method.CANCEL)
    attendance.person.email = ""
    attendance.person.save()

    tasks.deliveries_send([row.pk])

    row.refresh_from_db()
    assert (row.state, row.attempts) == (Delivery.State.FAILED, 1)
    assert "no e-mail address" in row.last_error


def test_a_batch_out_of_time_hands_the_rest_to_a_new_task(
    settings, django_capture_on_commit_callbacks
):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 0}  # no time for a second message
    event, attendances = event_with(3)
    rows = queued(event, attendances)

    with django_capture_on_commit_callbacks() as callbacks:
        counts = tasks.deliveries_send(ids(rows))

    assert counts == {Delivery.State.SENT: 1, Delivery.State.QUEUED: 2}
    assert states(rows) == [Delivery.State.SENT, Delivery.State.QUEUED, Delivery.State.QUEUED]
    assert [Delivery.objects.get(pk=row.pk).attempts for row in rows] == [1, 0, 0]
    assert len(callbacks) == 1  # one task for the two rows left
    assert len(mail.outbox) == 1


# --- SMTP: one connection, failures, retries ----------------------------------------------------


def test_a_batch_goes_over_one_smtp_connection_and_records_each_message_id(smtp):
    smtp.start()
    event, attendances = event_with(5)
    rows = queued(event, attendances)

    tasks.deliveries_send(ids(rows))

    assert smtp.sessions == 1
    assert smtp.count() == 5
    stored = {row.message_id for row in Delivery.objects.all()}
    assert stored == {m.message["Message-ID"] for m in smtp.received}
    assert all(row.sent_at is not None for row in Delivery.objects.all())


def test_a_refused_connection_is_retried_with_exponential_back_off_then_fails(smtp, settings):
    settings.INVITE_RETRY_BASE_SECONDS = 60
    settings.INVITE_MAX_ATTEMPTS = 3
    event, (attendance,) = event_with(1)
    (row,) = queued(event, [attendance])
    delays = []

    for _attempt in range(3):
        before = timezone.now()
        tasks.deliveries_send([row.pk])
        row.refresh_from_db()
        delays.append(
            (row.state, row.attempts, round((row.next_attempt_at - before).total_seconds()))
        )
        Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())

    assert delays[:2] == [
        (Delivery.State.RETRYING, 1, 60),
        (Delivery.State.RETRYING, 2, 120),
    ]
    assert delays[2][:2] == (Delivery.State.FAILED, 3)
    assert "Cannot connect to the mail server" in row.last_error


def test_a_5xx_refusal_fails_one_recipient_and_a_4xx_is_retried_the_rest_go(smtp):
    event, (unknown, busy, fine) = event_with(3)
    smtp.rcpt_replies = {
        unknown.person.email: "550 5.1.1 No such user",
        busy.person.email: "451 4.2.0 Mailbox busy, try later",
    }
    smtp.start()
    rows = queued(event, [unknown, busy, fine])

    tasks.deliveries_send(ids(rows))

    assert states(rows) == [Delivery.State.FAILED, Delivery.State.RETRYING, Delivery.State.SENT]
    failed, retrying = (Delivery.objects.get(pk=row.pk) for row in rows[:2])
    assert "550 5.1.1 No such user" in failed.last_error
    assert "451 4.2.0" in retrying.last_error
    assert retrying.next_attempt_at > timezone.now()
    assert [m.rcpt_tos for m in smtp.received] == [(fine.person.email,)]
    assert smtp.sessions == 1


def test_a_server_that_drops_the_connection_is_reconnected_for_the_rest(smtp):
    smtp.data_replies = ["250 OK", "421 4.3.0 Closing connection"]
    smtp.start()
    event, attendances = event_with(4)
    rows = queued(event, attendances)

    tasks.deliveries_send(ids(rows))

    assert states(rows) == [
        Delivery.State.SENT,
        Delivery.State.RETRYING,
        Delivery.State.SENT,
        Delivery.State.SENT,
    ]
    assert smtp.sessions == 2
    assert smtp.count() == 3


def test_a_server_that_comes_back_gets_every_message_once(smtp, settings):
    settings.INVITE_RETRY_BASE_SECONDS = 1
    event, attendances = event_with(4)
    rows = queued(event, attendances)
    tasks.deliveries_send(ids(rows))
    smtp.start()

    later = timezone.now() + dt.timedelta(seconds=2)
    tasks.deliveries_send(ids(rows))  # not due yet: nothing happens
    sending.deliveries_send(delivery_ids=ids(rows), now=later)

    assert states(rows) == [Delivery.State.SENT] * 4
    assert sorted(r for m in smtp.received for r in m.rcpt_tos) == sorted(
        a.person.email for a in attendances
    )
    assert {row.attempts for row in Delivery.objects.all()} == {2}


# --- The sweeper ---------------------------------------------------------------------------------


def test_sweeper_requeues_what_is_stuck_and_leaves_what_has_a_task_coming(
    settings, django_capture_on_commit_callbacks
):
    settings.INVITE_STUCK_SECONDS = 600
    now = timezone.now()
    event, attendances = event_with(6)
    a, b, c, d, e, f = attendances
    (stuck_sending,) = queued(event, [a], state=Delivery.State.SENDING, attempts=1)
    Delivery.objects.filter(pk=stuck_sending.pk).update(updated_at=now - dt.timedelta(minutes=11))
    (busy_sending,) = queued(event, [b], state=Delivery.State.SENDING, attempts=1)
    (retry_due,) = queued(event, [c], state=Delivery.State.RETRYING, attempts=1)
    (retry_later,) = queued(
        event, [d], state=Delivery.State.RETRYING, next_attempt_at=now + dt.timedelta(minutes=5)
    )
    (lost,) = queued(event, [e], next_attempt_at=now - dt.timedelta(minutes=11))
    (just_queued,) = queued(event, [f], next_attempt_at=now)  # its task is on the way

    with django_capture_on_commit_callbacks(execute=True):
        enqueued = sending.deliveries_sweep()

    assert sorted(enqueued) == sorted([stuck_sending.pk, retry_due.pk, lost.pk])
    assert states([stuck_sending, busy_sending, retry_due, retry_later, lost, just_queued]) == [
        Delivery.State.SENT,
        Delivery.State.SENDING,
        Delivery.State.SENT,
        Delivery.State.RETRYING,
        Delivery.State.SENT,
        # Not enqueued by the sweeper (its own task is on the way); the worker carrying on with
        # the event's due rows sent it meanwhile, once.
        Delivery.State.SENT,
    ]
    assert Delivery.objects.get(pk=stuck_sending.pk).attempts == 2
    assert Delivery.objects.get(pk=just_queued.pk).attempts == 1


def test_sweeper_fails_a_stuck_row_that_used_up_its_attempts(settings):
    settings.INVITE_MAX_ATTEMPTS = 2
    event, (attendance,) = event_with(1)
    (row,) = queued(event, [attendance], state=Delivery.State.SENDING, attempts=2)
    Delivery.objects.filter(pk=row.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))

    enqueued = sending.deliveries_sweep()

    row.refresh_from_db()
    assert enqueued == []
    assert row.state == Delivery.State.FAILED
    assert "worker stopped while sending" in row.last_error


def test_sweeper_sends_a_coalesced_update_when_its_window_closes(
    settings, django_capture_on_commit_callbacks
):
    settings.INVITE_COALESCE_SECONDS = 120
    event, (attendance,) = event_with(1)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invites_send(event_id=event.pk)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_reschedule(
            event_id=event.pk,
            start=event.start + dt.timedelta(hours=2),
            end=event.end + dt.timedelta(hours=2),
        )
    update = Delivery.objects.get(sequence=event.sequence + 1)
    sent_before_window = update.state

    with django_capture_on_commit_callbacks(execute=True):
        swept_early = tasks.deliveries_sweep()
    window_closes = update.next_attempt_at
    swept = sending.deliveries_sweep(now=window_closes)
    sending.deliveries_send(delivery_ids=swept, now=window_closes)  # the task it enqueued

    update.refresh_from_db()
    assert (sent_before_window, swept_early, swept) == (Delivery.State.QUEUED, 0, [update.pk])
    assert update.state == Delivery.State.SENT
    assert [parseaddr(m.to[0])[1] for m in mail.outbox] == [attendance.person.email] * 2


# --- Periodic schedules ---------------------------------------------------------------------------


def test_periodic_schedules_exist_after_migrate_and_stay_single():
    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)

    found = {
        s.func: (s.schedule_type, s.minutes, s.repeats)
        for s in Schedule.objects.filter(func__startswith="visitors.tasks.")
    }

    assert found == {
        "visitors.tasks.deliveries_sweep": (Schedule.MINUTES, 1, -1),
        "visitors.tasks.reminders_queue": (Schedule.MINUTES, 10, -1),
        "visitors.tasks.replies_read": (Schedule.MINUTES, 1, -1),
        "visitors.tasks.consent_messages_sweep": (Schedule.MINUTES, 5, -1),
        "visitors.tasks.arrival_notices_sweep": (Schedule.MINUTES, 1, -1),
    }


def test_reminder_task_queues_and_sends(settings, django_capture_on_commit_callbacks):
    settings.REMINDER_HOURS_BEFORE = 24
    start = timezone.now() + dt.timedelta(hours=3)
    event = EventFactory(
        status=Event.Status.CONFIRMED, start=start, end=start + dt.timedelta(hours=1)
    )
    attendance = AttendanceFactory(event=event, rsvp=Attendance.RSVP.ACCEPTED)

    with django_capture_on_commit_callbacks(execute=True):
        count = tasks.reminders_queue()

    assert count == 1
    assert recipients() == [attendance.person.email]
    assert Delivery.objects.get().method == Delivery.Method.REMINDER


def test_a_worker_with_time_left_carries_on_with_the_events_due_rows(settings):
    settings.INVITE_SEND_BATCH = 2
    event, attendances = event_with(5)
    rows = queued(event, attendances)
    other_event, others = event_with(1)
    (elsewhere,) = queued(other_event, others)

    sent = sending.deliveries_send(delivery_ids=ids(rows[:2]))  # one task's own two rows

    assert sorted(row.pk for row in sent) == sorted(ids(rows))
    assert states(rows) == [Delivery.State.SENT] * 5
    assert states([elsewhere]) == [Delivery.State.QUEUED]  # another event: its own task


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_marks_its_sends_without_waiting_for_the_disk_and_then_waits_again(
    smtp, monkeypatch
):
    """Each mark of a batch is one statement committed without a WAL flush (core.outbox's
    ``sending``); once the batch is over, the worker's connection commits as before."""
    from django.db import connection

    from core.outbox import Outbox

    def synchronous_commit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    seen = []
    record = Outbox.record

    def recording(self, row, **kwargs):
        seen.append(synchronous_commit())
        return record(self, row, **kwargs)

    monkeypatch.setattr(Outbox, "record", recording)
    smtp.start()
    event, attendances = event_with(2)
    rows = queued(event, attendances)
    assert synchronous_commit() == "on"

    sending.deliveries_send(delivery_ids=[row.pk for row in rows])

    assert seen == ["off", "off"]
    assert synchronous_commit() == "on"
    assert Delivery.objects.filter(state=Delivery.State.SENT).count() == 2


# --- On the wire -----------------------------------------------------------------------------


def test_a_relay_without_8bitmime_gets_seven_bit_messages_that_decode_intact(smtp):
    """Without BODY=8BITMIME (RFC 6152) a message must be 7-bit: every part with Chinese or
    accented text travels base64 and decodes to the same words."""
    smtp.eight_bit = False
    smtp.start()
    event, [attendance] = event_with(1)
    Event.objects.filter(pk=event.pk).update(title="開幕典禮 Opening", title_zh="")
    Attendance.objects.filter(pk=attendance.pk).update()
    attendance.person.name, attendance.person.name_zh = "María José Fernández", "李國明"
    attendance.person.save()
    rows = queued(event, [attendance])

    tasks.deliveries_send(ids(rows))

    [received] = smtp.received
    assert received.content.isascii()
    message = received.message
    assert str(message["Subject"]) == "Invitation: 開幕典禮 Opening"
    texts = {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if part.get_content_maintype() == "text"
    }
    assert set(texts) == {"text/plain", "text/html", "text/calendar"}
    assert all("開幕典禮 Opening" in text for text in texts.values())
    assert "María José Fernández" in texts["text/plain"]


def test_a_long_chinese_subject_decodes_without_a_leading_space():
    """The first encoded word starts on the Subject line itself: folded onto the next line,
    Python's parser (and some clients) read a leading space into the subject."""
    from email import message_from_bytes, policy

    from visitors.emails import delivery_message

    event, [attendance] = event_with(1)
    title = "創新科技及工業局局長視察香港科技園公司微電子中心暨參觀三間租戶公司 MARS Centre"
    Event.objects.filter(pk=event.pk).update(title=title, title_zh="")
    event.refresh_from_db()
    delivery = Delivery(
        event=event,
        person=attendance.person,
        attendance=attendance,
        method=Delivery.Method.REQUEST,
        sequence=event.sequence,
    )

    wire = delivery_message(delivery).message().as_bytes(linesep="\r\n")

    assert wire.split(b"Subject:", 1)[1].startswith(b" =?utf-8?")
    assert str(message_from_bytes(wire, policy=policy.default)["Subject"]) == (
        f"Invitation: {title}"
    )
