"""Background work for invites (django-q2). Thin: ids in, ``visitors.invitations`` does the work.

Periodic tasks are registered as django-q2 Schedules after every migrate (see apps.py), like
scheduling's: the sweeper, which also sends retries and coalesced updates when they fall due,
and the reminders.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

from . import invitations

# (name, dotted path, every n minutes)
PERIODIC = [
    ("Send due invites and recover stuck ones", "visitors.tasks.deliveries_sweep", 1),
    ("Queue reminder e-mails", "visitors.tasks.reminders_queue", 10),
]


def deliveries_send(delivery_ids: list[int]) -> dict[str, int]:
    """Send these outbox rows (those still due); returns how many ended in each state."""
    rows = invitations.deliveries_send(delivery_ids=delivery_ids)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return counts


def deliveries_sweep() -> int:
    """Enqueue due retries and updates, and rows a dead worker or a lost task left behind."""
    return len(invitations.deliveries_sweep())


def reminders_queue() -> int:
    """Queue reminders for accepted attendees of events starting soon; returns how many."""
    return len(invitations.reminders_queue())


def schedules_ensure(*, using: str = DEFAULT_DB_ALIAS, apps=global_apps) -> None:
    """Create or correct the periodic schedules (idempotent; next_run is left alone)."""
    try:
        schedule_model = apps.get_model("django_q", "Schedule")
    except LookupError:  # django_q not installed or migrated away
        return
    for name, func, minutes in PERIODIC:
        schedule_model.objects.using(using).update_or_create(
            func=func,
            # "I" is Schedule.MINUTES; historical models from migrations lack the constants.
            defaults={"name": name, "schedule_type": "I", "minutes": minutes, "repeats": -1},
        )


def schedules_ensure_after_migrate(sender, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
    if sender.name != "visitors":
        return
    schedules_ensure(using=using, apps=apps)
