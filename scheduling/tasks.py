"""Background work for scheduling (django-q2). Thin: primitives in, services do the work.

Periodic tasks are registered as django-q2 Schedules after every migrate (see apps.py), so a
fresh installation and an upgraded one both run them without anyone clicking in the admin.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

from . import services

# (name, dotted path, every n minutes)
PERIODIC = [
    (
        "Release expired booking holds and backups",
        "scheduling.tasks.bookings_release_expired",
        5,
    ),
]


def bookings_release_expired() -> int:
    """Release holds past their expiry and backups past their deadline; returns how many."""
    return len(services.bookings_release_expired())


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
    if sender.name != "scheduling":
        return
    schedules_ensure(using=using, apps=apps)
