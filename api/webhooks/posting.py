"""Posting webhook notifications: the worker side of the webhook outbox (core.outbox).

A task posts a batch of rows for one endpoint. Each row is claimed first (never posted by two
workers) and recorded right after its own attempt: delivered on a 2xx; an answer of 410 disables
the endpoint; anything else is retried with exponential back-off for WEBHOOK_RETRY_HOURS, and
after a failure the endpoint's other rows in the batch wait for the same retry instead of timing
out one by one. Each POST is signed: ``Protocol-Desk-Signature: t=<unix time>,v1=<hex>``, the
HMAC-SHA256 of ``f"{t}.{body}"`` with the endpoint's secret; after a rotation, a second ``v1``
with the previous secret until it expires.
"""

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from core.outbox import Outbox, sending

from ..models import WebhookDelivery

logger = logging.getLogger(__name__)

OUTBOX = Outbox(
    model=WebhookDelivery,
    send_task="api.tasks.webhook_deliveries_send",
    batch=50,
    group_by="endpoint_id",  # a task posts to one endpoint
)
# The back-off doubles up to this, so that an endpoint down for a day is still tried a few
# times a day, not once.
MAX_RETRY_DELAY = dt.timedelta(hours=6)
SIGNATURE_HEADER = "Protocol-Desk-Signature"
USER_AGENT = "ProtocolDesk-Webhooks/1"


def webhook_signature(*, body: bytes, timestamp: int, keys: Iterable[str]) -> str:
    """The signature header's value: ``t=<timestamp>`` and one ``v1=`` per secret."""
    signed = str(timestamp).encode() + b"." + body
    parts = [f"t={timestamp}"]
    parts += [f"v1={hmac.new(k.encode(), signed, hashlib.sha256).hexdigest()}" for k in keys]
    return ",".join(parts)


def webhook_body(payload: dict) -> bytes:
    """The bytes posted (and signed): compact JSON with sorted keys."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


@sending()
def webhook_deliveries_send(
    *, delivery_ids: Iterable[int], now: dt.datetime | None = None
) -> list[WebhookDelivery]:
    """POST the given rows that are due and still waiting; returns the claimed rows."""
    from .endpoints import webhook_endpoint_disable

    clock = (lambda: now) if now is not None else timezone.now  # tests pass a time
    claimed = OUTBOX.claim(list(delivery_ids), clock(), related=("endpoint",), keep=_active)
    deadline = time.monotonic() + OUTBOX.time_budget()
    failed: dict[int, WebhookDelivery] = {}
    for position, row in enumerate(claimed):
        if position and time.monotonic() > deadline:
            OUTBOX.release(claimed[position:])
            break
        if not row.endpoint.is_active:  # it answered 410 earlier in this batch
            OUTBOX.record(
                row, state=WebhookDelivery.State.CANCELLED, error="The endpoint was disabled."
            )
            continue
        if row.endpoint_id in failed:
            _wait_like(row, failed[row.endpoint_id], clock())
            continue
        code, text = _post(row, clock())
        if code is not None and 200 <= code < 300:
            OUTBOX.record(
                row,
                state=WebhookDelivery.State.DELIVERED,
                last_status_code=code,
                delivered_at=clock(),
            )
        elif code == 410:
            OUTBOX.record(
                row, state=WebhookDelivery.State.FAILED, error=text, last_status_code=code
            )
            endpoint = webhook_endpoint_disable(
                endpoint_id=row.endpoint_id,
                reason=f"Answered 410 Gone on {clock():%Y-%m-%d %H:%M} UTC.",
            )
            for other in claimed:
                if other.endpoint_id == row.endpoint_id:
                    other.endpoint = endpoint
        else:
            _retry_or_fail(row, clock(), code=code, error=text)
            failed[row.endpoint_id] = row
    return claimed


def webhooks_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Catch up with the change log, and hand to the queue every delivery that is due with no
    task coming: retries whose time has come, rows whose task the broker lost, and rows a dead
    worker left in sending. Returns the ids enqueued.

    A duplicate POST is possible only for a row whose worker died between the answer and the
    ledger update; receivers tell by ``Protocol-Desk-Delivery``.
    """
    from .dispatch import webhooks_dispatch

    webhooks_dispatch()
    now = now or timezone.now()
    return OUTBOX.sweep(
        now,
        stuck_after=dt.timedelta(seconds=max(600, 2 * settings.Q_CLUSTER.get("timeout", 60))),
        note="The worker stopped while posting; it may have arrived once already.",
        exhausted=Q(retry_until__lte=now),
    )


def webhook_deliveries_prune(*, before: dt.datetime) -> int:
    """Forget finished deliveries (delivered, failed, cancelled) made before `before`."""
    deleted, _ = WebhookDelivery.objects.filter(
        created_at__lt=before,
        state__in=[
            WebhookDelivery.State.DELIVERED,
            WebhookDelivery.State.FAILED,
            WebhookDelivery.State.CANCELLED,
        ],
    ).delete()
    return deleted


def _active(rows: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """Rows of disabled endpoints are cancelled at the claim; the others are posted."""
    idle = [row.pk for row in rows if not row.endpoint.is_active]
    WebhookDelivery.objects.filter(pk__in=idle).update(
        state=WebhookDelivery.State.CANCELLED,
        last_error="Not sent: the endpoint is disabled.",
        updated_at=timezone.now(),
    )
    return [row for row in rows if row.endpoint.is_active]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: the signed POST goes to the URL staff
    registered and nowhere else."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _post(row: WebhookDelivery, now: dt.datetime) -> tuple[int | None, str]:
    """(HTTP status or None, what went wrong or the start of the answer)."""
    body = webhook_body(row.payload)
    keys = [row.endpoint.secret]
    if row.endpoint.previous_secret and (row.endpoint.previous_secret_expires_at or now) > now:
        keys.append(row.endpoint.previous_secret)
    request = urllib.request.Request(
        row.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: webhook_signature(body=body, timestamp=int(time.time()), keys=keys),
            "Protocol-Desk-Event": row.event_type,
            "Protocol-Desk-Delivery": str(row.pk),
        },
    )
    try:
        with _OPENER.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:
            return answer.status, _text(answer.read(500))
    except urllib.error.HTTPError as error:
        with error:
            return error.code, _text(error.read(500))
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        return None, f"{type(error).__name__}: {reason}"


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").strip()


def _retry_or_fail(row: WebhookDelivery, now: dt.datetime, *, code: int | None, error: str) -> None:
    what = f"HTTP {code}" + (f": {error}" if error else "") if code is not None else error
    OUTBOX.retry_or_fail(
        row,
        now,
        error=what,
        base_seconds=settings.WEBHOOK_RETRY_BASE_SECONDS,
        max_delay=MAX_RETRY_DELAY,
        give_up=lambda next_attempt: next_attempt > row.retry_until,
        last_status_code=code,
    )
    if row.state == WebhookDelivery.State.FAILED:
        row.last_error = f"Given up after {row.attempts} attempts. Last: {what}"[:2000]
        WebhookDelivery.objects.filter(pk=row.pk).update(last_error=row.last_error)
    logger.warning("Webhook delivery %s %s: %s", row.pk, row.state, row.last_error)


def _wait_like(row: WebhookDelivery, failed: WebhookDelivery, now: dt.datetime) -> None:
    """Not tried: its endpoint just failed. It waits for the same retry, attempt not counted."""
    row.attempts -= 1
    row.state = failed.state
    row.next_attempt_at = failed.next_attempt_at
    row.last_error = "Not tried: an earlier delivery to this endpoint had just failed."
    WebhookDelivery.objects.filter(pk=row.pk, state=WebhookDelivery.State.SENDING).update(
        state=row.state,
        attempts=F("attempts") - 1,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        updated_at=now,
    )
