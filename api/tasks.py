"""Background work for the API (django-q2): housekeeping (old idempotency answers and
change-log rows) and webhooks (dispatch, send, sweep, prune)."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from core.changes import changes_prune

from . import webhooks
from .models import IdempotencyRecord

# How long the back office keeps the log of finished webhook deliveries.
WEBHOOK_LOG_DAYS = 30

# (name, dotted path, every n minutes)
PERIODIC = [
    ("Prune API idempotency keys and the sync change log", "api.tasks.api_prune", 60),
    ("Webhooks: read the change log, re-queue due retries", "api.tasks.webhooks_sweep", 1),
    ("Webhooks: forget old deliveries", "api.tasks.webhooks_prune", 60),
]


def api_prune() -> int:
    """Delete idempotency answers past their time and change-log rows no sync token needs."""
    now = timezone.now()
    answers, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now - dt.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    ).delete()
    # One day beyond the tokens' life: a token's position is read just before it is signed.
    horizon = now - dt.timedelta(days=settings.API_SYNC_TOKEN_MAX_AGE_DAYS + 1)
    return answers + changes_prune(before=horizon)


def webhooks_dispatch() -> int:
    """Turn new change-log rows into webhook deliveries (queued after commit)."""
    return webhooks.webhooks_dispatch()


def webhook_deliveries_send(delivery_ids: list[int]) -> dict[str, int]:
    """POST these deliveries (those still due); returns how many ended in each state."""
    rows = webhooks.webhook_deliveries_send(delivery_ids=delivery_ids)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return counts


def webhooks_sweep() -> int:
    """Every minute: catch up with the change log and re-queue due or lost deliveries."""
    return len(webhooks.webhooks_sweep())


def webhooks_prune() -> int:
    """Delete finished deliveries older than WEBHOOK_LOG_DAYS."""
    before = timezone.now() - dt.timedelta(days=WEBHOOK_LOG_DAYS)
    return webhooks.webhook_deliveries_prune(before=before)
