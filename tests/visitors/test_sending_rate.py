"""A relay's limit (INVITE_RATE_PER_MINUTE) holds for all workers together: a worker waits for
room within its task's time and hands the rest of its batch on."""

import pytest
from django.core import mail
from django.core.mail.backends import locmem

from core import ratelimit
from tests.factories import AttendanceFactory, BookingFactory, EventFactory
from visitors import invitations, sending

pytestmark = pytest.mark.django_db


class FakeTime:
    """time for core.ratelimit and visitors.sending: sleeping moves the clock, nothing waits."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0  # the start of a minute
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class ClockedBackend(locmem.EmailBackend):
    """The test outbox, noting the fake clock's time of each message."""

    clock: FakeTime
    sent_at: list[float] = []

    def send_messages(self, messages):
        self.sent_at.extend(self.clock.now for _ in messages)
        return super().send_messages(messages)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(ratelimit, "time", fake)
    monkeypatch.setattr(sending, "time", fake)
    return fake


def _queued(count: int) -> list[int]:
    event = EventFactory(status="confirmed")
    BookingFactory(event=event)
    AttendanceFactory.create_batch(count, event=event)
    return [row.pk for row in invitations.invites_send(event_id=event.pk)]


def test_workers_keep_under_the_relays_limit_and_hand_on_what_they_cannot_send_in_time(
    settings, clock, django_capture_on_commit_callbacks
):
    settings.INVITE_RATE_PER_MINUTE = 3
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 60}  # 30 s of a task's time
    settings.EMAIL_BACKEND = "tests.visitors.test_sending_rate.ClockedBackend"
    ClockedBackend.clock, ClockedBackend.sent_at = clock, []
    with django_capture_on_commit_callbacks(execute=False):
        ids = _queued(8)

    tasks = 0
    while len(ClockedBackend.sent_at) < 8 and tasks < 20:
        with django_capture_on_commit_callbacks(execute=False) as handed_on:
            sending.deliveries_send(delivery_ids=ids)  # one task of one worker
        tasks += 1

    sent_at = ClockedBackend.sent_at
    assert len(mail.outbox) == 8
    assert tasks > 1 and handed_on == []  # each task handed on what its time did not allow
    # Evenly spaced: no 60 seconds, wherever they start, hold more than three.
    assert all(sum(1 for t in sent_at if start <= t < start + 60) <= 3 for start in sent_at)
    assert sent_at[-1] - sent_at[0] >= 2 * 60


def test_no_limit_sends_at_once(settings, clock):
    settings.INVITE_RATE_PER_MINUTE = 0
    ids = _queued(5)

    sending.deliveries_send(delivery_ids=ids)

    assert len(mail.outbox) == 5 and not clock.slept
