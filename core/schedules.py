"""Periodic tasks as django-q2 Schedule rows, made by each app after every migrate, so that a
fresh installation and an upgraded one both run them without anyone clicking in the admin."""

from collections.abc import Sequence

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate

# (name, dotted path of the task, every n minutes)
Periodic = tuple[str, str, int]


def schedules_ensure(
    periodic: Sequence[Periodic], *, using: str = DEFAULT_DB_ALIAS, apps=global_apps
) -> None:
    """Create or correct these schedules (idempotent; next_run is left alone)."""
    try:
        schedule_model = apps.get_model("django_q", "Schedule")
    except LookupError:  # django_q not installed or migrated away
        return
    for name, func, minutes in periodic:
        schedule_model.objects.using(using).update_or_create(
            func=func,
            # "I" is Schedule.MINUTES; historical models from migrations lack the constants.
            defaults={"name": name, "schedule_type": "I", "minutes": minutes, "repeats": -1},
        )


def schedules_after_migrate(app_config: AppConfig, periodic: Sequence[Periodic]) -> None:
    """From an AppConfig.ready(): ensure the app's schedules whenever it is migrated."""

    def ensure(sender, using: str = DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
        schedules_ensure(periodic, using=using, apps=apps)

    post_migrate.connect(
        ensure, sender=app_config, weak=False, dispatch_uid=f"{app_config.name}.schedules"
    )
