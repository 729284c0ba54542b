"""Signed webhooks: partners hear of changes instead of polling for them.

How a change becomes a POST:

1. Services write the change log (``scheduling.Change``) in their own transaction. After it
   commits, a nudge (the receivers at the bottom) enqueues ``webhooks_dispatch``; the minute
   sweeper runs it too, so a lost nudge only delays a notification.
2. ``webhooks_dispatch`` reads the log after its cursor. Log ids rise in commit order, so a
   change committed late is never skipped. It works out what the changes mean (created,
   updated, cancelled, released, deleted), comparing each object with its status when last
   reported (``WebhookSubject``; the log keeps no status), and writes one ``WebhookDelivery``
   per endpoint that wants the type and may see the event (scheduling.visibility), in the
   transaction that moves the cursor. Their send tasks are enqueued after commit.
3. ``webhook_deliveries_send`` claims rows, POSTs them and records delivered, retrying
   (exponential back-off for WEBHOOK_RETRY_HOURS) or failed. An answer of 410 disables the
   endpoint. ``webhooks_sweep`` re-queues due retries and rows a dead worker left behind.

Payloads are thin: ``{"type", "id", "occurred_at", "url", "change"}``. The URL answers with
what the partner's key may see, or 404 once it may not (or the object is gone). Several changes
to one object read in one pass make one notification; ``change`` (the log id) orders them.
Each POST is signed: ``Protocol-Desk-Signature: t=<unix time>,v1=<hex>``, the HMAC-SHA256 of
``f"{t}.{body}"`` with the endpoint's secret; after a rotation, a second ``v1`` with the
previous secret until it expires.

Events that cancel release their bookings without a booking row in the log: those bookings are
reported ``booking.released`` with the event's change. Bookings that move with their event are
reported through ``event.updated`` only.
"""

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone

from core.changes import change_head
from core.models import Change
from scheduling.models import Booking, Event, ProgrammeItem
from scheduling.visibility import STAFF, Audience, can_see_event, partner, sees_internal_programme
from visitors.models import Organisation

from .models import WebhookCursor, WebhookDelivery, WebhookEndpoint, WebhookSubject, WebhookType

logger = logging.getLogger(__name__)

DISPATCH_TASK = "api.tasks.webhooks_dispatch"
SEND_TASK = "api.tasks.webhook_deliveries_send"
DISPATCH_BATCH = 500  # log rows read per pass; a longer backlog continues in a new task
SEND_BATCH = 50  # deliveries per send task (all to one endpoint)
# The back-off doubles up to this, so that an endpoint down for a day is still tried a few
# times a day, not once.
MAX_RETRY_DELAY = dt.timedelta(hours=6)
SIGNATURE_HEADER = "Protocol-Desk-Signature"
USER_AGENT = "ProtocolDesk-Webhooks/1"
ACTIVE_CACHE_KEY = "api.webhooks.any-active"
WAITING = (WebhookDelivery.State.QUEUED, WebhookDelivery.State.RETRYING)
LOGGED = (Change.Entity.EVENT, Change.Entity.PROGRAMME_ITEM, Change.Entity.BOOKING)
# Statuses that end an object's life, and the notification that says so.
FINAL = {
    "event": (Event.Status.CANCELLED, WebhookType.EVENT_CANCELLED),
    "booking": (Booking.Status.RELEASED, WebhookType.BOOKING_RELEASED),
}


# --- Endpoints ---------------------------------------------------------------------------------


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _actor(by: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return by if getattr(by, "is_authenticated", False) else None


@transaction.atomic
def webhook_endpoint_register(
    *,
    name: str,
    url: str,
    event_types: Iterable[str],
    organisation: Organisation | None = None,
    by: AbstractBaseUser | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint that hears of changes from now on; returns it with its signing
    secret, which is shown this once."""
    secret = _new_secret()
    endpoint = WebhookEndpoint(
        name=name,
        url=url,
        organisation=organisation,
        event_types=" ".join(sorted(set(event_types))),
        secret=secret,
        since_change=change_head(),
        created_by=_actor(by),
    )
    endpoint.full_clean()
    endpoint.save()
    _endpoints_changed()
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new secret (returned, shown this once); deliveries are signed with
    the old one too for WEBHOOK_SECRET_OVERLAP_HOURS, so the partner can switch without loss."""
    endpoint = _locked(endpoint_id)
    secret = _new_secret()
    endpoint.previous_secret, endpoint.secret = endpoint.secret, secret
    endpoint.previous_secret_expires_at = timezone.now() + dt.timedelta(
        hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS
    )
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_disable(*, endpoint_id: int, reason: str) -> WebhookEndpoint:
    """Stop all deliveries to the endpoint: nothing more is queued and waiting rows are
    cancelled (disabling twice keeps the first reason)."""
    endpoint = _locked(endpoint_id)
    now = timezone.now()
    if endpoint.is_active:
        endpoint.is_active = False
        endpoint.disabled_at = now
        endpoint.disabled_reason = reason[:300]
        endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    endpoint.deliveries.filter(state__in=WAITING).update(
        state=WebhookDelivery.State.CANCELLED,
        last_error=f"Not sent: the endpoint was disabled ({endpoint.disabled_reason}).",
        updated_at=now,
    )
    _endpoints_changed()
    return endpoint


@transaction.atomic
def webhook_endpoint_enable(*, endpoint_id: int) -> WebhookEndpoint:
    """Resume deliveries for changes from now on; what happened while it was disabled is not
    sent (the partner syncs through the API instead)."""
    endpoint = _locked(endpoint_id)
    if not endpoint.is_active:
        endpoint.is_active = True
        endpoint.disabled_at, endpoint.disabled_reason = None, ""
        endpoint.since_change = change_head()
        endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "since_change"])
        _endpoints_changed()
    return endpoint


@transaction.atomic
def webhook_delivery_retry(*, delivery_id: int) -> WebhookDelivery:
    """Post a delivery again now, whatever became of it, with a fresh retry period; refused
    while its endpoint is disabled."""
    delivery = (
        WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery_id)
    )
    if not delivery.endpoint.is_active:
        raise ValidationError({"endpoint": "The endpoint is disabled: enable it first."})
    if delivery.state == WebhookDelivery.State.SENDING:
        return delivery  # being posted right now
    now = timezone.now()
    delivery.state = WebhookDelivery.State.QUEUED
    delivery.next_attempt_at = now
    delivery.retry_until = now + dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    delivery.save(update_fields=["state", "next_attempt_at", "retry_until", "updated_at"])
    _enqueue({delivery.endpoint_id: [delivery.pk]})
    return delivery


def _locked(endpoint_id: int) -> WebhookEndpoint:
    # Lock the row: a rotation, a disable and a 410 may race; each must see the other's result.
    try:
        return WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    except WebhookEndpoint.DoesNotExist:
        raise ValidationError({"endpoint": "No such webhook endpoint."}) from None


def _endpoints_changed() -> None:
    cache.delete(ACTIVE_CACHE_KEY)
    transaction.on_commit(partial(cache.delete, ACTIVE_CACHE_KEY))


# --- Dispatch: from the change log to deliveries -----------------------------------------------


State = tuple[str, int | None, bool]  # (visibility, host organisation id, internal item)


@dataclass
class _Subject:
    """One event or booking that changed in the part of the log read, and who could see it."""

    kind: str  # "event" or "booking"
    object_id: int
    states: list[State]  # before and after each change read
    last_change: int = 0
    occurred_at: dt.datetime | None = None
    own_row: bool = False  # a row of the object itself (not only of an event's programme)
    deleted: bool = False


@dataclass
class _Note:
    type: str
    kind: str
    object_id: int
    change_id: int
    occurred_at: dt.datetime
    states: list[State] = field(default_factory=list)


def webhooks_dispatch(*, limit: int = DISPATCH_BATCH) -> int:
    """Turn the change log after the cursor into deliveries for every active endpoint that
    wants them and may see them. Idempotent: the cursor moves in the transaction that writes
    the rows, under a lock. Returns the number of deliveries created."""
    with transaction.atomic():
        cursor = _locked_cursor()
        head = change_head()
        endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
        if not endpoints:  # nobody to tell: only move on
            if cursor.position != head:
                WebhookCursor.objects.filter(pk=cursor.pk).update(position=head)
            return 0
        rows = list(
            Change.objects.filter(id__gt=cursor.position, id__lte=head, entity__in=LOGGED)
            .order_by("id")
            .values(
                "id",
                "entity",
                "object_id",
                "event_id",
                "visibility",
                "host_organisation_id",
                "internal",
                "was_visibility",
                "was_host_organisation_id",
                "was_internal",
                "deleted",
                "created_at",
            )[: limit + 1]
        )
        more = len(rows) > limit
        rows = rows[:limit]
        notes = _notes(rows, position=cursor.position)
        created = _deliveries(notes, endpoints)
        reached = rows[-1]["id"] if more else head
        WebhookCursor.objects.filter(pk=cursor.pk).update(position=reached)
        if more:
            from django_q.tasks import async_task

            transaction.on_commit(partial(async_task, DISPATCH_TASK))
    return created


def _locked_cursor() -> WebhookCursor:
    # One dispatcher at a time: the lock makes "read after the cursor, write rows, move the
    # cursor" a single step, so no change is reported twice or missed.
    cursor = WebhookCursor.objects.select_for_update().filter(pk=1).first()
    if cursor is None:
        since = WebhookEndpoint.objects.filter(is_active=True).values_list(
            "since_change", flat=True
        )
        try:
            with transaction.atomic():
                WebhookCursor.objects.create(pk=1, position=min(since, default=change_head()))
        except IntegrityError:
            pass  # another dispatcher made it first
        cursor = WebhookCursor.objects.select_for_update().get(pk=1)
    return cursor


def _notes(rows: list[dict], *, position: int) -> list[_Note]:
    """What the rows mean, one note per object and type (a fixed number of queries)."""
    subjects: dict[tuple[str, int], _Subject] = {}
    for row in rows:
        is_item = row["entity"] == Change.Entity.PROGRAMME_ITEM
        if row["entity"] == Change.Entity.BOOKING:
            key = ("booking", row["object_id"])
        else:  # an event's own row, or one of its programme's (the event's JSON embeds it)
            key = ("event", row["event_id"])
        subject = subjects.get(key)
        if subject is None:
            subject = subjects[key] = _Subject(kind=key[0], object_id=key[1], states=[])
        # Who could see the change: the row's state before it, and after it.
        subject.states += [
            (
                row["was_visibility"],
                row["was_host_organisation_id"],
                row["was_internal"] and is_item,
            ),
            (row["visibility"], row["host_organisation_id"], row["internal"] and is_item),
        ]
        subject.last_change, subject.occurred_at = row["id"], row["created_at"]
        if not is_item:
            subject.own_row = True
            subject.deleted = subject.deleted or row["deleted"]

    ids = {kind: [pk for k, pk in subjects if k == kind] for kind in ("event", "booking")}
    current = {
        **{
            ("event", pk): status
            for pk, status in Event.objects.filter(pk__in=ids["event"]).values_list("pk", "status")
        },
        **{
            ("booking", pk): status
            for pk, status in Booking.objects.filter(pk__in=ids["booking"]).values_list(
                "pk", "status"
            )
        },
    }
    # Bookings released by their event's cancellation have no row of their own in the log.
    cancelled = [
        pk
        for (kind, pk), subject in subjects.items()
        if kind == "event"
        and subject.own_row
        and current.get(("event", pk)) == Event.Status.CANCELLED
    ]
    released = {
        ("booking", pk): event_id
        for pk, event_id in Booking.objects.filter(
            event_id__in=cancelled, status=Booking.Status.RELEASED
        ).values_list("pk", "event_id")
        if ("booking", pk) not in subjects
    }
    known = _known(ids["event"], ids["booking"] + [pk for _kind, pk in released])
    seen = _seen_before(ids["event"], ids["booking"], position)

    notes: list[_Note] = []
    snapshots: dict[tuple[str, int], str] = {}
    gone: list[tuple[str, int]] = []
    for key, subject in subjects.items():
        kind, pk = key
        base = dict(
            kind=kind, object_id=pk, change_id=subject.last_change, occurred_at=subject.occurred_at
        )
        if subject.deleted:
            notes.append(_Note(type=f"{kind}.deleted", states=subject.states, **base))
            gone.append(key)
            continue
        status = current.get(key)
        if status is None:
            continue  # deleted after this pass's head: the next pass reports it
        previous = known.get(key)
        final_status, final_type = FINAL[kind]
        created = subject.own_row and previous is None and key not in seen
        if created:
            # In the state the object itself ended in (whatever its programme's last change
            # was): nobody hears of an object they could never see.
            (visibility, host, _internal) = subject.states[-1]
            ended = [(visibility, host, False)]
            notes.append(_Note(type=f"{kind}.created", states=ended, **base))
        if status == final_status and previous != final_status:
            notes.append(_Note(type=final_type, states=subject.states, **base))
        elif not created:
            notes.append(_Note(type=f"{kind}.updated", states=subject.states, **base))
        snapshots[key] = status
    for key, event_id in released.items():
        if known.get(key) in Booking.ACTIVE_STATUSES:
            event = subjects[("event", event_id)]
            notes.append(
                _Note(
                    type=WebhookType.BOOKING_RELEASED,
                    kind="booking",
                    object_id=key[1],
                    change_id=event.last_change,
                    occurred_at=event.occurred_at,
                    states=event.states,
                )
            )
        snapshots[key] = Booking.Status.RELEASED
    _remember(snapshots, gone)
    return notes


def _known(event_ids: list[int], booking_ids: list[int]) -> dict[tuple[str, int], str]:
    """The status each object had when last reported."""
    found = WebhookSubject.objects.filter(
        Q(entity="event", object_id__in=event_ids) | Q(entity="booking", object_id__in=booking_ids)
    ).values_list("entity", "object_id", "status")
    return {(entity, pk): status for entity, pk, status in found}


def _seen_before(event_ids: list[int], booking_ids: list[int], position: int) -> set:
    """Objects the log mentions before `position`: not new, even if never reported."""
    found = (
        Change.objects.filter(id__lte=position)
        .filter(
            Q(entity=Change.Entity.EVENT, object_id__in=event_ids)
            | Q(entity=Change.Entity.BOOKING, object_id__in=booking_ids)
        )
        .values_list("entity", "object_id")
        .distinct()
    )
    return set(found)


def _remember(snapshots: dict[tuple[str, int], str], gone: list[tuple[str, int]]) -> None:
    WebhookSubject.objects.bulk_create(
        [
            WebhookSubject(entity=kind, object_id=pk, status=status)
            for (kind, pk), status in snapshots.items()
        ],
        update_conflicts=True,
        unique_fields=["entity", "object_id"],
        update_fields=["status"],
    )
    for kind in ("event", "booking"):
        pks = [pk for k, pk in gone if k == kind]
        if pks:
            WebhookSubject.objects.filter(entity=kind, object_id__in=pks).delete()


def _could_see(audience: Audience, states: Sequence[State]) -> bool:
    """Whether the audience could see the object in any of these states (THE visibility rule;
    an internal programme item only for those who see the event's internal programme)."""
    for visibility, host, internal in states:
        event = SimpleNamespace(visibility=visibility, host_organisation_id=host)
        if can_see_event(audience, event) and (
            not internal or sees_internal_programme(audience, event)
        ):
            return True
    return False


def _deliveries(notes: list[_Note], endpoints: list[WebhookEndpoint]) -> int:
    now = timezone.now()
    retry_until = now + dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    rows = []
    for note in notes:
        payload = _payload(note)
        for endpoint in endpoints:
            if note.type not in endpoint.type_set or note.change_id <= endpoint.since_change:
                continue
            audience = (
                STAFF if endpoint.organisation_id is None else partner(endpoint.organisation_id)
            )
            if not _could_see(audience, note.states):
                continue
            rows.append(
                WebhookDelivery(
                    endpoint=endpoint,
                    change_id=note.change_id,
                    event_type=note.type,
                    object_id=note.object_id,
                    payload=payload,
                    next_attempt_at=now,
                    retry_until=retry_until,
                    created_at=now,
                )
            )
    created = WebhookDelivery.objects.bulk_create(rows)
    by_endpoint: dict[int, list[int]] = {}
    for row in created:
        by_endpoint.setdefault(row.endpoint_id, []).append(row.pk)
    _enqueue(by_endpoint)
    return len(created)


def _payload(note: _Note) -> dict:
    path = reverse(f"api:{note.kind}-detail", args=[note.object_id])
    return {
        "type": note.type,
        "id": note.object_id,
        "occurred_at": note.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "url": settings.PUBLIC_BASE_URL + path,
        "change": note.change_id,
    }


def _enqueue(by_endpoint: dict[int, list[int]]) -> None:
    """One task per endpoint and SEND_BATCH rows, after commit (a task must find its rows)."""
    from django_q.tasks import async_task

    for ids in by_endpoint.values():
        for start in range(0, len(ids), SEND_BATCH):
            transaction.on_commit(partial(async_task, SEND_TASK, ids[start : start + SEND_BATCH]))


# --- Sending -----------------------------------------------------------------------------------


def webhook_signature(*, body: bytes, timestamp: int, keys: Iterable[str]) -> str:
    """The signature header's value: ``t=<timestamp>`` and one ``v1=`` per secret."""
    signed = str(timestamp).encode() + b"." + body
    parts = [f"t={timestamp}"]
    parts += [f"v1={hmac.new(k.encode(), signed, hashlib.sha256).hexdigest()}" for k in keys]
    return ",".join(parts)


def webhook_body(payload: dict) -> bytes:
    """The bytes posted (and signed): compact JSON with sorted keys."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def webhook_deliveries_send(
    *, delivery_ids: Iterable[int], now: dt.datetime | None = None
) -> list[WebhookDelivery]:
    """POST the given rows that are due and still waiting. Each is claimed first (never posted
    by two workers) and recorded right after its own attempt; after a failure the endpoint's
    other rows in the batch wait for the retry instead of timing out one by one. Returns the
    claimed rows."""
    claimed = _claim(list(delivery_ids), now or timezone.now())
    clock = (lambda: now) if now is not None else timezone.now  # tests pass a time
    # Stop well inside django-q2's task timeout, which would kill the worker mid-batch.
    deadline = time.monotonic() + settings.Q_CLUSTER.get("timeout", 60) / 2
    failed: dict[int, WebhookDelivery] = {}
    for position, row in enumerate(claimed):
        if position and time.monotonic() > deadline:
            _release(claimed[position:])
            break
        if not row.endpoint.is_active:  # it answered 410 earlier in this batch
            _record(
                row,
                clock(),
                state=WebhookDelivery.State.CANCELLED,
                error="The endpoint was disabled.",
            )
            continue
        if row.endpoint_id in failed:
            _wait_like(row, failed[row.endpoint_id], clock())
            continue
        code, text = _post(row, clock())
        if code is not None and 200 <= code < 300:
            _record(row, clock(), state=WebhookDelivery.State.DELIVERED, code=code)
        elif code == 410:
            _record(row, clock(), state=WebhookDelivery.State.FAILED, code=code, error=text)
            endpoint = webhook_endpoint_disable(
                endpoint_id=row.endpoint_id,
                reason=f"Answered 410 Gone on {clock():%Y-%m-%d %H:%M} UTC.",
            )
            for other in claimed:
                if other.endpoint_id == row.endpoint_id:
                    other.endpoint = endpoint
        else:
            _record_failure(row, clock(), code=code, error=text)
            failed[row.endpoint_id] = row
    return claimed


def _claim(ids: list[int], now: dt.datetime) -> list[WebhookDelivery]:
    if not ids:
        return []
    with transaction.atomic():
        # Row locks on PostgreSQL (rows another worker holds are skipped: they are its);
        # SQLite's IMMEDIATE transactions serialise this whole block instead.
        rows = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, state__in=WAITING, next_attempt_at__lte=now)
            .select_related("endpoint")
            .order_by("pk")
        )
        idle = [row.pk for row in rows if not row.endpoint.is_active]
        WebhookDelivery.objects.filter(pk__in=idle).update(
            state=WebhookDelivery.State.CANCELLED,
            last_error="Not sent: the endpoint is disabled.",
            updated_at=now,
        )
        rows = [row for row in rows if row.endpoint.is_active]
        WebhookDelivery.objects.filter(pk__in=[row.pk for row in rows], state__in=WAITING).update(
            state=WebhookDelivery.State.SENDING, attempts=F("attempts") + 1, updated_at=now
        )
    for row in rows:
        row.state, row.attempts = WebhookDelivery.State.SENDING, row.attempts + 1
    return rows


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


def _record(
    row: WebhookDelivery, now: dt.datetime, *, state: str, code: int | None = None, error: str = ""
) -> None:
    row.state, row.last_status_code, row.last_error = state, code, error[:2000]
    if state == WebhookDelivery.State.DELIVERED:
        row.delivered_at = now
    # Unconditional: the answer came, whatever a sweep did to the row meanwhile.
    WebhookDelivery.objects.filter(pk=row.pk).update(
        state=row.state,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        updated_at=now,
    )


def _record_failure(
    row: WebhookDelivery, now: dt.datetime, *, code: int | None, error: str
) -> None:
    # Exponential back-off: base, 2 × base, 4 × base… after the 1st, 2nd, 3rd attempt.
    delay = dt.timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (row.attempts - 1))
    next_attempt = now + min(delay, MAX_RETRY_DELAY)
    what = f"HTTP {code}" + (f": {error}" if error else "") if code is not None else error
    if next_attempt > row.retry_until:
        row.state = WebhookDelivery.State.FAILED
        what = f"Given up after {row.attempts} attempts. Last: {what}"
    else:
        row.state, row.next_attempt_at = WebhookDelivery.State.RETRYING, next_attempt
    row.last_status_code, row.last_error = code, what[:2000]
    WebhookDelivery.objects.filter(pk=row.pk, state=WebhookDelivery.State.SENDING).update(
        state=row.state,
        next_attempt_at=row.next_attempt_at,
        last_status_code=code,
        last_error=row.last_error,
        updated_at=now,
    )
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


def _release(rows: list[WebhookDelivery]) -> None:
    """Give back claimed rows this task has no time left for, to a fresh task."""
    WebhookDelivery.objects.filter(
        pk__in=[row.pk for row in rows], state=WebhookDelivery.State.SENDING
    ).update(
        state=WebhookDelivery.State.QUEUED, attempts=F("attempts") - 1, updated_at=timezone.now()
    )
    by_endpoint: dict[int, list[int]] = {}
    for row in rows:
        row.state, row.attempts = WebhookDelivery.State.QUEUED, row.attempts - 1
        by_endpoint.setdefault(row.endpoint_id, []).append(row.pk)
    _enqueue(by_endpoint)


def webhooks_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Catch up with the change log, and hand to the queue every delivery that is due with no
    task coming: retries whose time has come, rows whose task the broker lost, and rows a dead
    worker left in sending. Returns the ids enqueued.

    A duplicate POST is possible only for a row whose worker died between the answer and the
    ledger update; receivers tell by ``Protocol-Desk-Delivery``.
    """
    webhooks_dispatch()
    now = now or timezone.now()
    stuck_before = now - dt.timedelta(seconds=max(600, 2 * settings.Q_CLUSTER.get("timeout", 60)))
    note = "The worker stopped while posting; it may have arrived once already."
    with transaction.atomic():
        stuck = WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.SENDING, updated_at__lte=stuck_before
        )
        stuck.filter(retry_until__lte=now).update(
            state=WebhookDelivery.State.FAILED, last_error=note, updated_at=now
        )
        stuck.update(
            state=WebhookDelivery.State.RETRYING,
            next_attempt_at=now,
            last_error=note,
            updated_at=now,
        )
        due = WebhookDelivery.objects.filter(next_attempt_at__lte=now).filter(
            Q(state=WebhookDelivery.State.RETRYING)
            # Queued rows had a task at commit: taken only when it is long overdue.
            | Q(state=WebhookDelivery.State.QUEUED, next_attempt_at__lte=stuck_before)
        )
        found = list(due.order_by("next_attempt_at", "pk").values_list("endpoint_id", "pk"))
        by_endpoint: dict[int, list[int]] = {}
        for endpoint_id, pk in found:
            by_endpoint.setdefault(endpoint_id, []).append(pk)
        _enqueue(by_endpoint)
    return [pk for _endpoint, pk in found]


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


# --- The nudge: dispatch soon after a change commits -------------------------------------------


def _any_endpoint() -> bool:
    active = cache.get(ACTIVE_CACHE_KEY)
    if active is None:
        active = WebhookEndpoint.objects.filter(is_active=True).exists()
        cache.set(ACTIVE_CACHE_KEY, active, 60)
    return active


def _dispatch_soon() -> None:
    from django_q.tasks import async_task

    async_task(DISPATCH_TASK)


def _changed(sender, instance, raw: bool = False, **kwargs) -> None:
    # A wake-up call only: the change log is what is read. Once per transaction, and not at all
    # while no endpoint listens (the minute sweeper catches up anyway).
    if raw or not _any_endpoint():
        return
    if any(entry[1] is _dispatch_soon for entry in connection.run_on_commit):
        return
    transaction.on_commit(_dispatch_soon)


for _model in (Event, ProgrammeItem, Booking):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"webhooks.{_model.__name__}.saved")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"webhooks.{_model.__name__}.deleted")
