import datetime as dt

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task, result

from scheduling import tasks
from scheduling.models import Booking
from tests.factories import BookingFactory, EventFactory, FacilityFactory, hk

pytestmark = pytest.mark.django_db

TASK = "scheduling.tasks.bookings_release_expired"


def _held(expires_at, **kwargs) -> Booking:
    return BookingFactory(status=Booking.Status.HELD, hold_expires_at=expires_at, **kwargs)


def test_release_task_releases_expired_holds_only():
    now = timezone.now()
    expired = _held(now - dt.timedelta(minutes=1))
    current = _held(now + dt.timedelta(hours=1))
    confirmed = BookingFactory(status=Booking.Status.CONFIRMED)

    released = tasks.bookings_release_expired()

    assert released == 1
    for booking in (expired, current, confirmed):
        booking.refresh_from_db()
    assert expired.status == Booking.Status.RELEASED
    assert expired.released_at is not None
    assert expired.history.latest().history_change_reason == "Hold expired"
    assert current.status == Booking.Status.HELD
    assert confirmed.status == Booking.Status.CONFIRMED


def test_release_task_releases_backups_past_their_deadline_and_keeps_primaries():
    now = timezone.now()
    lawn = FacilityFactory(name="Lawn")
    hall, annex = FacilityFactory(site=lawn.site), FacilityFactory(site=lawn.site)
    event = EventFactory(site=lawn.site)
    primary = BookingFactory(event=event, facility=lawn, backup_deadline=None)
    overdue = BookingFactory(
        event=event, facility=hall, backup_of=primary, backup_deadline=now - dt.timedelta(hours=1)
    )
    pending = BookingFactory(
        event=event, facility=annex, backup_of=primary, backup_deadline=now + dt.timedelta(days=1)
    )

    tasks.bookings_release_expired()

    for booking in (primary, overdue, pending):
        booking.refresh_from_db()
    assert overdue.status == Booking.Status.RELEASED
    assert overdue.history.latest().history_change_reason == "Backup deadline passed"
    assert primary.status == pending.status == Booking.Status.CONFIRMED


def test_release_task_is_idempotent():
    expired = _held(timezone.now() - dt.timedelta(minutes=1))
    tasks.bookings_release_expired()
    released_at = Booking.objects.get(pk=expired.pk).released_at

    again = tasks.bookings_release_expired()

    assert again == 0
    assert Booking.objects.get(pk=expired.pk).released_at == released_at
    assert expired.history.count() == 2  # created, released: nothing more


def test_release_task_runs_by_its_dotted_path_through_django_q():
    expired = _held(timezone.now() - dt.timedelta(minutes=1), start=hk(2030, 3, 4, 10))

    task_id = async_task(TASK)  # the test settings run tasks inline

    assert result(task_id) == 1
    expired.refresh_from_db()
    assert expired.status == Booking.Status.RELEASED


def test_release_task_is_scheduled_every_five_minutes_once_after_migrate():
    registered_by_migrate = Schedule.objects.filter(func=TASK).exists()

    # Migrating again (post_migrate fires on every migrate) adds nothing.
    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)
    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)

    assert registered_by_migrate
    [schedule] = Schedule.objects.filter(func=TASK)
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        Schedule.MINUTES,
        5,
        -1,
    )
