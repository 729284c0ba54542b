"""Housekeeping for the API (django-q2): forget old idempotency answers and change-log rows."""

import datetime as dt

from django.apps import apps as global_apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from scheduling.services.changes import changes_prune

from .models import IdempotencyRecord

# (name, dotted path, every n minutes)
PERIODIC = [("Prune API idempotency keys and the sync change log", "api.tasks.api_prune", 60)]


def api_prune() -> int:
    """Delete idempotency answers past their time and change-log rows no sync token needs."""
    now = timezone.now()
    answers, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now - dt.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    ).delete()
    # One day beyond the tokens' life: a token's position is read just before it is signed.
    horizon = now - dt.timedelta(days=settings.API_SYNC_TOKEN_MAX_AGE_DAYS + 1)
    return answers + changes_prune(before=horizon)


def schedules_ensure_after_migrate(sender, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
    if sender.name != "api":
        return
    try:
        schedule_model = apps.get_model("django_q", "Schedule")
    except LookupError:
        return
    for name, func, minutes in PERIODIC:
        schedule_model.objects.using(using).update_or_create(
            func=func,
            defaults={"name": name, "schedule_type": "I", "minutes": minutes, "repeats": -1},
        )
