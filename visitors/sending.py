"""Sending invites: the worker side of the invite outbox (core.outbox).

A task takes a batch of outbox rows, claims them (never sent by two workers), and sends them over
one SMTP connection; each row is recorded as sent, retrying or failed right after its own attempt.
A row made stale meanwhile (a newer version for the same person, the event cancelled) is
superseded instead. Messages are built when they are sent, from current data
(``visitors.emails.delivery_message``). When ``INVITE_RATE_PER_MINUTE`` is set, every worker
together keeps under it (hosted relays limit how much one mailbox sends), waiting for room
within the task's time and handing the rest of its batch on.
"""

import contextlib
import datetime as dt
import logging
import smtplib
import time
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import DatabaseError, transaction
from django.db.models import F, Max, Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from core import ratelimit
from core.outbox import Outbox, sending
from scheduling.models import Event
from scheduling.venue import PREFETCH

from .models import Attendance, Delivery
from .sequences import VERSIONED, WAITING

logger = logging.getLogger(__name__)

OUTBOX = Outbox(
    model=Delivery,
    send_task="visitors.tasks.deliveries_send",
    batch=lambda: settings.INVITE_SEND_BATCH,
)
RATE_NAME = "invites"  # one mailbox sends them all
CLAIMED_WITH = ("person", "attendance")


def deliveries_create(rows: Iterable[Delivery]) -> list[Delivery]:
    """Insert outbox rows and hand the ones due now to the queue once the transaction commits."""
    created = Delivery.objects.bulk_create(list(rows))
    now = timezone.now()
    OUTBOX.enqueue(
        [row.pk for row in created if row.state in WAITING and row.next_attempt_at <= now]
    )
    return created


@sending()
def deliveries_send(
    *, delivery_ids: Iterable[int], now: dt.datetime | None = None
) -> list[Delivery]:
    """Send the given rows that are due and still waiting, over one connection; while the task
    has time left, carry on with the same events' other due rows rather than wait for their own
    task (a large send keeps every worker busy to its end). Returns the claimed rows, each with
    the state it ended in."""
    batch = OUTBOX.claim(
        list(delivery_ids), now or timezone.now(), related=CLAIMED_WITH, keep=_fresh
    )
    if not batch:
        return []
    connection = get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        for row in batch:
            _retry_or_fail(row, f"Cannot connect to the mail server: {_describe(error)}")
        return batch
    deadline = time.monotonic() + OUTBOX.time_budget()
    events = {row.event_id for row in batch}
    claimed: list[Delivery] = []
    try:
        while batch:
            claimed += batch
            if not _send_batch(batch, connection, deadline):
                break
            more = (
                Delivery.objects.due(timezone.now())
                .filter(event_id__in=events)
                .order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)[: settings.INVITE_SEND_BATCH]
            )
            batch = OUTBOX.claim(list(more), timezone.now(), related=CLAIMED_WITH, keep=_fresh)
    finally:
        # The messages are recorded; a rude goodbye loses nothing.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return claimed


def _send_batch(batch: list[Delivery], connection, deadline: float) -> bool:
    """Send claimed rows over the open connection, each recorded right after its attempt;
    False when the task must stop (its time is up, or the server is gone)."""
    _prepare(batch)
    for position, row in enumerate(batch):
        if (position and time.monotonic() > deadline) or not _room_before(deadline):
            OUTBOX.release(batch[position:])  # a fresh task carries on
            return False
        try:
            message = _build(row)
        except DatabaseError as error:  # a passing fault: retry
            logger.exception("Building delivery %s failed", row.pk)
            _retry_or_fail(row, f"Could not build the message: {_describe(error)}")
            continue
        except Exception as error:  # the same every time: no use retrying
            if not isinstance(error, ValueError):
                logger.exception("Building delivery %s failed", row.pk)
            _retry_or_fail(row, _cannot_build(error), permanent=True)
            continue
        message_id = message.extra_headers.setdefault("Message-ID", _message_id())
        try:
            if connection.send_messages([message]) != 1:
                raise smtplib.SMTPException("The mail backend accepted nothing.")
        except Exception as error:
            permanent, broken = _classify(error)
            _retry_or_fail(row, _describe(error), permanent=permanent)
            if broken and not _reopen(connection, batch[position + 1 :]):
                return False
            continue
        OUTBOX.record(
            row,
            state=Delivery.State.SENT,
            sent_at=timezone.now(),
            message_id=message_id[:255],
            venue=message.venue[:700],
        )
    return time.monotonic() < deadline


def _build(row: Delivery):
    """One row's message, built from current data and serialised as the backend will, so that
    a header Django refuses fails here (visitors.emails)."""
    from .emails import delivery_message

    message = delivery_message(row)
    message.message()
    return message


def deliveries_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Hand to the queue every row that is due and has no task coming: retries whose time has
    come, coalesced updates whose window closed, rows whose task the broker lost, and rows left
    in sending by a worker that died. Returns the ids enqueued.

    Nothing is lost this way. A duplicate is possible only for a row whose worker died between
    the SMTP conversation and the ledger update, and then it is the same UID and SEQUENCE.
    """
    return OUTBOX.sweep(
        now or timezone.now(),
        stuck_after=dt.timedelta(seconds=settings.INVITE_STUCK_SECONDS),
        note="The worker stopped while sending; it may have gone out once already.",
        exhausted=Q(attempts__gte=settings.INVITE_MAX_ATTEMPTS),
        # Queued rows due later than they were written (coalesced updates, resends, approved
        # invites) have no task yet; the others had one at commit.
        also_due=Q(state=Delivery.State.QUEUED, next_attempt_at__gt=F("created_at")),
    )


# --- Internals ----------------------------------------------------------------------------------


def _fresh(rows: list[Delivery]) -> list[Delivery]:
    """Of the locked rows, those still worth sending; the stale ones become superseded (in the
    claim's transaction)."""
    if not rows:
        return []
    now = timezone.now()
    events = {
        event.pk: event
        for event in Event.objects.filter(pk__in={row.event_id for row in rows}).select_related(
            "site"
        )
    }
    newest = _newest_sequences(rows)
    stale: dict[str, list[int]] = {}
    keep = []
    for row in rows:
        row.event = events[row.event_id]
        reason = _stale_reason(row, newest, now)
        if reason:
            stale.setdefault(reason, []).append(row.pk)
        else:
            keep.append(row)
    for reason, pks in stale.items():
        Delivery.objects.filter(pk__in=pks).update(
            state=Delivery.State.SUPERSEDED, last_error=reason, updated_at=now
        )
    return keep


def _prepare(rows: list[Delivery]) -> None:
    """What the messages show of the events, read after the claim (on SQLite the claim holds
    the write lock, which another worker recording its sends waits for), and whether each is an
    update ("Updated" in the subject)."""
    events = list({row.event_id: row.event for row in rows}.values())
    prefetch_related_objects(events, *PREFETCH)
    updates = _earlier_requests_sent(rows)
    for row in rows:
        row.is_update = (row.event_id, row.person_id) in updates.get(row.sequence, set())


def _room_before(deadline: float) -> bool:
    """Wait for room under INVITE_RATE_PER_MINUTE (all workers together); False if there is none
    before the deadline."""
    limit = settings.INVITE_RATE_PER_MINUTE
    if not limit:
        return True
    while True:
        wait = ratelimit.pace(RATE_NAME, limit)
        if not wait:
            return True
        if time.monotonic() + wait > deadline:
            return False
        time.sleep(wait)


def _retry_or_fail(row: Delivery, error: str, *, permanent: bool = False) -> None:
    OUTBOX.retry_or_fail(
        row,
        timezone.now(),
        error=error,
        base_seconds=settings.INVITE_RETRY_BASE_SECONDS,
        give_up=lambda _next: permanent or row.attempts >= settings.INVITE_MAX_ATTEMPTS,
    )
    logger.warning("Delivery %s %s: %s", row.pk, row.state, row.last_error)


def _earlier_requests_sent(rows: list[Delivery]) -> dict[int, set[tuple[int, int]]]:
    """For each sequence among rows, the (event, person) pairs already sent an older REQUEST:
    one query for the batch instead of one per message (the subject says "Updated")."""
    if not rows:
        return {}
    sent = Delivery.objects.filter(
        event_id__in={row.event_id for row in rows},
        person_id__in={row.person_id for row in rows},
        method=Delivery.Method.REQUEST,
        state=Delivery.State.SENT,
        sequence__lt=max(row.sequence for row in rows),
    ).values_list("event_id", "person_id", "sequence")
    oldest_sent: dict[tuple[int, int], int] = {}
    for event_id, person_id, sequence in sent:
        key = (event_id, person_id)
        oldest_sent[key] = min(sequence, oldest_sent.get(key, sequence))
    found: dict[int, set[tuple[int, int]]] = {}
    for row in rows:
        key = (row.event_id, row.person_id)
        if key in oldest_sent and oldest_sent[key] < row.sequence:
            found.setdefault(row.sequence, set()).add(key)
    return found


def _newest_sequences(rows: list[Delivery]) -> dict[tuple[int, int], int]:
    """The highest REQUEST/CANCEL sequence queued for each (event, person) among rows."""
    pairs = {(row.event_id, row.person_id) for row in rows}
    found = (
        Delivery.objects.filter(
            event_id__in={e for e, _p in pairs},
            person_id__in={p for _e, p in pairs},
            method__in=VERSIONED,
        )
        .values("event_id", "person_id")
        .annotate(top=Max("sequence"))
    )
    return {(f["event_id"], f["person_id"]): f["top"] for f in found}


def _stale_reason(row: Delivery, newest: dict[tuple[int, int], int], now: dt.datetime) -> str:
    event = row.event
    top = newest.get((row.event_id, row.person_id), row.sequence)
    if row.method in VERSIONED and top > row.sequence:
        return f"A newer message (SEQUENCE {top}) replaces this one."
    if row.method == Delivery.Method.CANCEL:
        return ""  # the attendee must hear of it, whatever happened since
    if event.status in (Event.Status.CANCELLED, Event.Status.COMPLETED, Event.Status.DRAFT):
        return f"The event is {event.get_status_display().lower()}."
    if row.attendance_id is None:
        return "No longer on the attendee list."
    if row.method == Delivery.Method.REMINDER:
        lead = dt.timedelta(hours=settings.REMINDER_HOURS_BEFORE)
        if event.status != Event.Status.CONFIRMED or not now < event.start <= now + lead:
            return "The event is not confirmed, has started, or moved out of reminder range."
        if row.attendance.rsvp != Attendance.RSVP.ACCEPTED:
            return "The attendee no longer accepts."
    return ""


def _classify(error: Exception) -> tuple[bool, bool]:
    """(permanent, connection broken) for an exception raised while sending one message."""
    if isinstance(error, ValueError):  # the message or an address, not the server: for good
        return True, False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes), False
    if isinstance(error, smtplib.SMTPResponseException):
        # 421: the server is closing the connection (RFC 5321 §3.8).
        return 500 <= error.smtp_code < 600, error.smtp_code == 421
    if isinstance(error, smtplib.SMTPServerDisconnected | OSError):
        return False, True
    return False, False


def _reopen(connection, remaining: list[Delivery]) -> bool:
    """Reconnect after the server dropped us; if that fails, the rest of the batch waits."""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.close()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        for row in remaining:
            _retry_or_fail(row, f"Cannot reconnect to the mail server: {_describe(error)}")
        return False
    return True


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {_text(text)}" for address, (code, text) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _cannot_build(error: Exception) -> str:
    """The reason staff read for a message that cannot be built."""
    reason = str(error) if isinstance(error, ValueError) else _describe(error)
    return f"The message cannot be built: {reason}"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _message_id() -> str:
    from email.utils import make_msgid

    return make_msgid(domain=settings.ORGANISER_EMAIL.rpartition("@")[2] or "localhost")


@transaction.atomic
def delivery_resend(*, delivery_id: int, by: AbstractBaseUser | None = None) -> Delivery:
    """Queue a failed row again with fresh attempts (it is still superseded if stale)."""
    # Lock the row: a sweep or a second click must not queue it twice.
    delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:
        raise ValidationError({"delivery": _("No such message.")}, code="not_found")
    if delivery.state != Delivery.State.FAILED:
        raise ValidationError(
            {
                "state": _("Only a failed message can be resent; this one is %(state)s.")
                % {"state": delivery.state}
            },
            code="not_failed",
        )
    delivery.state = Delivery.State.QUEUED
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.last_error = f"Resent by {by}." if by is not None else ""
    delivery.save(
        update_fields=["state", "attempts", "next_attempt_at", "last_error", "updated_at"]
    )
    OUTBOX.enqueue([delivery.pk])
    return delivery
