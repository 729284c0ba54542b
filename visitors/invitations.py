"""The invite outbox: when messages to attendees are queued, and how they are sent.

Every message is a ``Delivery`` row, written in the same transaction as the change that causes
it and handed to django-q2 only after commit. Rows are sent by ``deliveries_send`` (batches over
one SMTP connection, each row claimed by a conditional UPDATE so two workers never send one),
retried with exponential back-off, and recovered by ``deliveries_sweep`` when a worker or the
broker loses them. What a message says is ``visitors.emails.delivery_message``'s business.

Sequences: every message carries the event's SEQUENCE at the time it was queued. A row made
stale by a newer REQUEST or CANCEL (a higher sequence) for the same person is superseded rather
than sent, so an attendee's calendar only ever moves forward; an older REQUEST can therefore
never overtake a CANCEL.
"""

import contextlib
import datetime as dt
import logging
import smtplib
import time
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import DatabaseError, connections, router, transaction
from django.db.models import F, Max, Min, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from scheduling.models import Booking, Event
from scheduling.services import changes as change_log
from scheduling.services.audit import stamp
from scheduling.venue import PREFETCH

from .models import Attendance, Delivery

logger = logging.getLogger(__name__)

SEND_TASK = "visitors.tasks.deliveries_send"
WAITING = (Delivery.State.QUEUED, Delivery.State.RETRYING)
# A REQUEST in one of these states has reached, or may have reached, the attendee.
DELIVERED = (Delivery.State.SENT, Delivery.State.SENDING)
VERSIONED = (Delivery.Method.REQUEST, Delivery.Method.CANCEL)
# A change of either means the attendee's earlier answer no longer holds (RFC 5546 §2.1.4).
# "venue": the main facility an invite names moved (scheduling.services.bookings).
TIME_OR_PLACE = frozenset({"start", "end", "site", "venue"})
DEMOTED = (Event.Status.TENTATIVE, Event.Status.POSTPONED)


# --- Queueing -----------------------------------------------------------------------------------


@transaction.atomic
def invites_send(
    *,
    event_id: int,
    attendance_ids: Iterable[int] | None = None,
    by: AbstractBaseUser | None = None,
) -> list[Delivery]:
    """Queue a REQUEST at the current SEQUENCE to everyone (or the chosen attendees) of a
    confirmed event whose bookings are confirmed; people already invited at this SEQUENCE and
    people without an e-mail address get nothing new. Returns the rows created."""
    # Lock the event: its SEQUENCE and the outbox rows that carry it change together.
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    if event is None:
        raise ValidationError({"event": "No such event."}, code="not_found")
    _require_sendable(event)
    # Ids and addresses are all a row needs: no model instances for a list of a thousand.
    attendances = event.attendances.values_list(
        "pk", "person_id", "person__email", "awaiting_approval"
    )
    if attendance_ids is not None:
        wanted = set(attendance_ids)
        attendances = attendances.filter(pk__in=wanted)
        strangers = wanted - {row[0] for row in attendances}
        if strangers:
            raise ValidationError(
                {"attendance_ids": f"Not on the list of “{event}”: {sorted(strangers)}."},
                code="not_on_list",
            )
    already = set(
        Delivery.objects.filter(
            event=event, sequence=event.sequence, method=Delivery.Method.REQUEST
        ).values_list("person_id", flat=True)
    )
    now = timezone.now()
    rows = _create(
        Delivery(
            event=event,
            person_id=person_id,
            attendance_id=attendance_id,
            method=Delivery.Method.REQUEST,
            sequence=event.sequence,
            state=_first_state(awaiting_approval),
            next_attempt_at=now,
        )
        for attendance_id, person_id, email, awaiting_approval in attendances
        if email and person_id not in already
    )
    logger.info(
        "%s queued %d invites for event %s #%d", by or "system", len(rows), event.pk, event.sequence
    )
    return rows


@transaction.atomic
def invites_follow_change(
    *,
    event: Event,
    changed: Iterable[str],
    previous_status: str,
    by: AbstractBaseUser | None = None,
) -> list[Delivery]:
    """After a change an invite shows (the event locked, its SEQUENCE already raised): reset
    answers on a change of time or place, and queue the update or CANCEL attendees need.

    A confirmed event's update goes to every current attendee who was invited, due at the end
    of the coalescing window (or earlier, if an older message to them is already due), and
    supersedes their older messages still waiting. Moving a confirmed event back to tentative
    or postponed tells only those who may already have the invite. A cancellation goes at once
    to everyone who may have the invite, and stops whatever was still waiting.
    """
    changed = set(changed)
    if changed & TIME_OR_PLACE:
        rsvps_reset(event=event, by=by)
    if event.status == Event.Status.CANCELLED:
        return [] if previous_status == Event.Status.CANCELLED else _queue_cancel(event)
    if event.status == Event.Status.CONFIRMED:
        return _queue_update(event, delivered_only=False)
    if event.status in DEMOTED and previous_status == Event.Status.CONFIRMED:
        _supersede(_reminders_waiting(event), "The event is no longer confirmed.")
        return _queue_update(event, delivered_only=True)
    return []


@transaction.atomic
def invite_queue_for_attendance(
    *, attendance: Attendance, by: AbstractBaseUser | None = None
) -> Delivery | None:
    """Queue a REQUEST for someone added to a confirmed event after invites went out.

    Called with the event locked. If this person already had a message at the current
    SEQUENCE (a CANCEL when they were taken off the list), the SEQUENCE is raised first so the
    new invite outranks it in their calendar.
    """
    event = Event.objects.select_for_update().get(pk=attendance.event_id)
    person = attendance.person
    invites_out = Delivery.objects.filter(event=event, method=Delivery.Method.REQUEST).exists()
    if event.status != Event.Status.CONFIRMED or not invites_out or not person.email:
        return None
    earlier = Delivery.objects.filter(event=event, person=person, sequence__gte=event.sequence)
    if earlier.exists():
        _raise_sequence(event, by=by, reason=f"Invite to {person} after an earlier message")
    rows = _create(
        [
            Delivery(
                event=event,
                person=person,
                attendance=attendance,
                method=Delivery.Method.REQUEST,
                sequence=event.sequence,
                state=_first_state(attendance.awaiting_approval),
                next_attempt_at=timezone.now(),
            )
        ]
    )
    return rows[0]


@transaction.atomic
def invites_hold(*, event_id: int, reason: str) -> int:
    """Hold everything the office would send about this event until a staff member approves
    it again: a partner changed what the invite says. Returns the messages held."""
    held = list(Attendance.objects.filter(event_id=event_id, awaiting_approval=False))
    for attendance in held:
        attendance.awaiting_approval = True
        attendance.invite_approved_by = None
        attendance.invite_approved_at = None
    if held:
        bulk_update_with_history(
            held,
            Attendance,
            ["awaiting_approval", "invite_approved_by", "invite_approved_at"],
            default_change_reason=reason[:100],
        )
        change_log.attendances_changed(event_id=event_id, attendance_ids=[a.pk for a in held])
    return (
        Delivery.objects.filter(event_id=event_id, state__in=WAITING)
        .exclude(method=Delivery.Method.CANCEL)
        .update(state=Delivery.State.HELD, last_error=reason, updated_at=timezone.now())
    )


@transaction.atomic
def invites_approve(
    *, event_id: int, attendance_ids: Iterable[int] | None = None, by: AbstractBaseUser
) -> list[Delivery]:
    """A staff member approves what the office sends to these attendees (default: everyone
    awaiting approval): their held messages go out, and if the event's invites are already
    out, those who have none at the current SEQUENCE get one. Returns the messages released
    or queued."""
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    if event is None:
        raise ValidationError({"event": "No such event."}, code="not_found")
    awaiting = event.attendances.filter(awaiting_approval=True)
    if attendance_ids is not None:
        awaiting = awaiting.filter(pk__in=set(attendance_ids))
    approved = list(awaiting.select_related("person"))
    if not approved:
        return []
    now = timezone.now()
    for attendance in approved:
        attendance.awaiting_approval = False
        attendance.invite_approved_by = by
        attendance.invite_approved_at = now
    bulk_update_with_history(
        approved,
        Attendance,
        ["awaiting_approval", "invite_approved_by", "invite_approved_at"],
        default_user=by,
        default_change_reason="Invites approved",
    )
    people = [attendance.person_id for attendance in approved]
    held = Delivery.objects.filter(event=event, person_id__in=people, state=Delivery.State.HELD)
    released = list(held)
    held.update(state=Delivery.State.QUEUED, next_attempt_at=now, last_error="", updated_at=now)
    _enqueue([row.pk for row in released])
    queued = []
    invites_out = Delivery.objects.filter(event=event, method=Delivery.Method.REQUEST).exists()
    if event.status == Event.Status.CONFIRMED and invites_out:
        already = Delivery.objects.filter(
            event=event, method=Delivery.Method.REQUEST, sequence=event.sequence
        ).values_list("person_id", flat=True)
        queued = _create(
            Delivery(
                event=event,
                person=attendance.person,
                attendance=attendance,
                method=Delivery.Method.REQUEST,
                sequence=event.sequence,
                next_attempt_at=now,
            )
            for attendance in approved
            if attendance.person.email and attendance.person_id not in set(already)
        )
    logger.info("%s approved invites to %d attendees of event %s", by, len(approved), event.pk)
    # Last: the change log's lock comes after every other lock.
    change_log.attendances_changed(event_id=event.pk, attendance_ids=[a.pk for a in approved])
    return released + queued


@transaction.atomic
def invite_cancel_for_attendance(
    *, attendance: Attendance, by: AbstractBaseUser | None = None
) -> Delivery | None:
    """For someone about to be taken off the list: stop their waiting messages and, if they may
    have the invite, raise the SEQUENCE and queue a CANCEL to them alone.

    Called with the event locked and before the attendance is deleted (the row keeps the
    person; its attendance link becomes empty).
    """
    event = Event.objects.select_for_update().get(pk=attendance.event_id)
    person = attendance.person
    mine = Delivery.objects.filter(event=event, person=person)
    _supersede(
        mine.filter(state__in=WAITING).exclude(method=Delivery.Method.CANCEL),
        "Taken off the attendee list.",
    )
    may_have_invite = mine.filter(method=Delivery.Method.REQUEST, state__in=DELIVERED).exists()
    if not may_have_invite or not person.email:
        return None
    _raise_sequence(event, by=by, reason=f"CANCEL to {person}, taken off the list")
    rows = _create(
        [
            Delivery(
                event=event,
                person=person,
                attendance=attendance,
                method=Delivery.Method.CANCEL,
                sequence=event.sequence,
                next_attempt_at=timezone.now(),
            )
        ]
    )
    return rows[0]


@transaction.atomic
def rsvps_reset(*, event: Event, by: AbstractBaseUser | None = None) -> int:
    """Set every answer for this event back to needs-action (kept in the audit trail)."""
    answered = list(event.attendances.exclude(rsvp=Attendance.RSVP.NEEDS_ACTION))
    for attendance in answered:
        attendance.rsvp = Attendance.RSVP.NEEDS_ACTION
        attendance.rsvp_at = None
    if answered:
        bulk_update_with_history(
            answered,
            Attendance,
            ["rsvp", "rsvp_at"],
            default_user=by if getattr(by, "is_authenticated", False) else None,
            default_change_reason="Answer reset: time or place changed",
        )
    return len(answered)


def reminders_queue(*, now: dt.datetime | None = None) -> list[Delivery]:
    """Queue a reminder for each accepted attendee of each confirmed event starting within
    REMINDER_HOURS_BEFORE hours; nobody gets a second one for the same start time."""
    now = now or timezone.now()
    lead = dt.timedelta(hours=settings.REMINDER_HOURS_BEFORE)
    event_ids = Event.objects.filter(
        status=Event.Status.CONFIRMED, start__gt=now, start__lte=now + lead
    ).values_list("pk", flat=True)
    rows: list[Delivery] = []
    for event_id in event_ids:
        with transaction.atomic():
            # Lock the event: a reschedule changes the SEQUENCE and the start the rule reads.
            event = Event.objects.select_for_update().get(pk=event_id)
            if event.status != Event.Status.CONFIRMED or not now < event.start <= now + lead:
                continue
            # A reminder queued since this start came within reach covers it; one queued
            # before the event was moved later does not.
            # The unique key allows one reminder per SEQUENCE, too.
            reminded = Delivery.objects.filter(
                Q(created_at__gte=event.start - lead) | Q(sequence=event.sequence),
                event=event,
                method=Delivery.Method.REMINDER,
            ).values_list("person_id", flat=True)
            rows += _create(
                Delivery(
                    event=event,
                    person=attendance.person,
                    attendance=attendance,
                    method=Delivery.Method.REMINDER,
                    sequence=event.sequence,
                    next_attempt_at=now,
                )
                for attendance in event.attendances.cleared_to_send()
                .filter(rsvp=Attendance.RSVP.ACCEPTED)
                .exclude(person__email="")
                .exclude(person_id__in=list(reminded))
                .select_related("person")
            )
    return rows


@transaction.atomic
def delivery_resend(*, delivery_id: int, by: AbstractBaseUser | None = None) -> Delivery:
    """Queue a failed row again with fresh attempts (it is still superseded if stale)."""
    # Lock the row: a sweep or a second click must not queue it twice.
    delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:
        raise ValidationError({"delivery": "No such message."}, code="not_found")
    if delivery.state != Delivery.State.FAILED:
        raise ValidationError(
            {"state": f"Only a failed message can be resent; this one is {delivery.state}."},
            code="not_failed",
        )
    delivery.state = Delivery.State.QUEUED
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.last_error = f"Resent by {by}." if by is not None else ""
    delivery.save(
        update_fields=["state", "attempts", "next_attempt_at", "last_error", "updated_at"]
    )
    _enqueue([delivery.pk])
    return delivery


# --- Sending ------------------------------------------------------------------------------------


def deliveries_send(
    *, delivery_ids: Iterable[int], now: dt.datetime | None = None
) -> list[Delivery]:
    """Send the given rows that are due and still waiting, over one connection; each is claimed
    first (never sent by two workers), and recorded as sent, retrying or failed right after its
    own attempt. Rows made stale meanwhile are superseded instead. Returns the claimed rows."""
    claimed = _claim(list(delivery_ids), now or timezone.now())
    if not claimed:
        return []
    from .emails import delivery_message  # built at send time, from current data

    connection = get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        for row in claimed:
            _record_failure(row, f"Cannot connect to the mail server: {_describe(error)}")
        return claimed
    # Stop well inside django-q2's task timeout, which would kill the worker mid-batch.
    deadline = time.monotonic() + settings.Q_CLUSTER.get("timeout", 60) / 2
    try:
        for position, row in enumerate(claimed):
            if position and time.monotonic() > deadline:  # one message at least: progress
                _release(claimed[position:])
                break
            try:
                message = delivery_message(row)
                message.message()  # as the backend will: a header Django refuses fails here
            except DatabaseError as error:  # a passing fault: retry
                logger.exception("Building delivery %s failed", row.pk)
                _record_failure(row, f"Could not build the message: {_describe(error)}")
                continue
            except Exception as error:  # the same every time: no use retrying
                if not isinstance(error, ValueError):
                    logger.exception("Building delivery %s failed", row.pk)
                _record_failure(row, _cannot_build(error), permanent=True)
                continue
            message_id = message.extra_headers.setdefault("Message-ID", _message_id())
            try:
                if connection.send_messages([message]) != 1:
                    raise smtplib.SMTPException("The mail backend accepted nothing.")
            except Exception as error:
                permanent, broken = _classify(error)
                _record_failure(row, _describe(error), permanent=permanent)
                if broken and not _reopen(connection, claimed[position + 1 :]):
                    break
                continue
            _record_sent(row, message_id)
    finally:
        # The messages are recorded; a rude goodbye loses nothing.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return claimed


def deliveries_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Hand to the queue every row that is due and has no task coming: retries whose time has
    come, coalesced updates whose window closed, rows whose task the broker lost, and rows left
    in sending by a worker that died (those become retrying first). Returns the ids enqueued.

    Nothing is lost this way. A duplicate is possible only for a row whose worker died between
    the SMTP conversation and the ledger update, and then it is the same UID and SEQUENCE.
    """
    now = now or timezone.now()
    stuck_before = now - dt.timedelta(seconds=settings.INVITE_STUCK_SECONDS)
    with transaction.atomic():
        stuck = Delivery.objects.filter(state=Delivery.State.SENDING, updated_at__lte=stuck_before)
        note = "The worker stopped while sending; it may have gone out once already."
        stuck.filter(attempts__gte=settings.INVITE_MAX_ATTEMPTS).update(
            state=Delivery.State.FAILED, last_error=note, updated_at=now
        )
        stuck.update(
            state=Delivery.State.RETRYING, next_attempt_at=now, last_error=note, updated_at=now
        )
    due = Delivery.objects.filter(next_attempt_at__lte=now).filter(
        Q(state=Delivery.State.RETRYING)
        # Queued rows due later than they were written (coalesced updates, resends) have no
        # task yet; the others had one at commit and are only taken when it is long overdue.
        | Q(state=Delivery.State.QUEUED, next_attempt_at__gt=F("created_at"))
        | Q(state=Delivery.State.QUEUED, next_attempt_at__lte=stuck_before)
    )
    ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True))
    _enqueue(ids)
    return ids


# --- Internals ----------------------------------------------------------------------------------


def _require_sendable(event: Event) -> None:
    if event.status != Event.Status.CONFIRMED:
        raise ValidationError(
            {
                "status": f"Invites go out for confirmed events only; “{event}” is "
                f"{event.get_status_display().lower()}."
            },
            code="not_confirmed",
        )
    held = [
        booking
        for booking in event.bookings.filter(status=Booking.Status.HELD, backup_of__isnull=True)
        .select_related("facility")
        .order_by("start", "pk")
    ]
    if held:
        places = ", ".join(str(booking.facility) for booking in held)
        raise ValidationError(
            {
                "bookings": f"Invites wait until the bookings are confirmed; still only held: "
                f"{places}."
            },
            code="bookings_held",
        )


def _create(rows: Iterable[Delivery]) -> list[Delivery]:
    """Insert outbox rows and hand the ones due now to the queue once the transaction commits."""
    created = Delivery.objects.bulk_create(list(rows))
    now = timezone.now()
    _enqueue([row.pk for row in created if row.state in WAITING and row.next_attempt_at <= now])
    return created


def _first_state(awaiting_approval: bool) -> str:
    """A new message waits for the queue, or for a staff member's approval first."""
    return Delivery.State.HELD if awaiting_approval else Delivery.State.QUEUED


def _enqueue(ids: list[int]) -> None:
    """One task per INVITE_SEND_BATCH rows, after commit (a task must find its rows)."""
    from django_q.tasks import async_task

    size = max(1, settings.INVITE_SEND_BATCH)
    for start in range(0, len(ids), size):
        transaction.on_commit(partial(async_task, SEND_TASK, ids[start : start + size]))


def _supersede(rows: QuerySet[Delivery], reason: str) -> int:
    return rows.filter(state__in=WAITING).update(
        state=Delivery.State.SUPERSEDED, last_error=reason, updated_at=timezone.now()
    )


def _reminders_waiting(event: Event) -> QuerySet[Delivery]:
    return Delivery.objects.filter(event=event, method=Delivery.Method.REMINDER, state__in=WAITING)


def _raise_sequence(event: Event, *, by: AbstractBaseUser | None, reason: str) -> None:
    event.sequence += 1
    stamp(event, by=by, reason=reason)
    event.save(update_fields=["sequence", "updated_at"])
    change_log.event_changed(event=event)  # partners syncing the event see the new sequence


def _queue_update(event: Event, *, delivered_only: bool) -> list[Delivery]:
    requests = Delivery.objects.filter(event=event, method=Delivery.Method.REQUEST)
    invited = requests.filter(state__in=DELIVERED) if delivered_only else requests
    now = timezone.now()
    window_closes = now + dt.timedelta(seconds=settings.INVITE_COALESCE_SECONDS)
    waiting = requests.filter(state__in=WAITING, sequence__lt=event.sequence)
    # Coalescing: the update is due when the window closes, or sooner if an older message to
    # the same person is due sooner (the window runs from the first change, not the last).
    due_by_person = dict(
        waiting.values("person_id")
        .annotate(due=Min("next_attempt_at"))
        .values_list("person_id", "due")
    )
    _supersede(waiting, f"Replaced by the update at SEQUENCE {event.sequence}.")
    requests.filter(state=Delivery.State.HELD, sequence__lt=event.sequence).update(
        state=Delivery.State.SUPERSEDED,
        last_error=f"Replaced by the update at SEQUENCE {event.sequence}.",
        updated_at=now,
    )
    already = requests.filter(sequence=event.sequence).values_list("person_id", flat=True)
    return _create(
        Delivery(
            event=event,
            person=attendance.person,
            attendance=attendance,
            method=Delivery.Method.REQUEST,
            sequence=event.sequence,
            state=_first_state(attendance.awaiting_approval),
            next_attempt_at=min(
                due_by_person.get(attendance.person_id, window_closes), window_closes
            ),
        )
        for attendance in event.attendances.filter(
            person_id__in=invited.values("person_id").distinct()
        )
        .exclude(person__email="")
        .exclude(person_id__in=list(already))
        .select_related("person")
    )


def _queue_cancel(event: Event) -> list[Delivery]:
    _supersede(
        Delivery.objects.filter(event=event).exclude(method=Delivery.Method.CANCEL),
        "The event was cancelled.",
    )
    delivered = Delivery.objects.filter(
        event=event, method=Delivery.Method.REQUEST, state__in=DELIVERED
    ).values("person_id")
    already = Delivery.objects.filter(
        event=event, method=Delivery.Method.CANCEL, sequence=event.sequence
    ).values_list("person_id", flat=True)
    now = timezone.now()
    return _create(
        Delivery(
            event=event,
            person=attendance.person,
            attendance=attendance,
            method=Delivery.Method.CANCEL,
            sequence=event.sequence,
            next_attempt_at=now,
        )
        for attendance in event.attendances.filter(person_id__in=delivered.distinct())
        .exclude(person__email="")
        .exclude(person_id__in=list(already))
        .select_related("person")
    )


def _claim(ids: list[int], now: dt.datetime) -> list[Delivery]:
    """Take the due, waiting rows among ids for this worker: stale ones become superseded, the
    rest sending (one attempt more). Returns the rows to send, events shared and prefetched."""
    if not ids:
        return []
    with transaction.atomic():
        # Row locks on PostgreSQL (rows another worker holds are skipped: they are its);
        # SQLite's IMMEDIATE transactions serialise this whole block instead.
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, state__in=WAITING, next_attempt_at__lte=now)
            .select_related("person", "attendance")
            .order_by("pk")
        )
        if not rows:
            return []
        events = {
            event.pk: event
            for event in Event.objects.filter(pk__in={row.event_id for row in rows}).select_related(
                "site"
            )
        }
        newest = _newest_sequences(rows)
        stale: dict[str, list[int]] = {}
        to_send = []
        for row in rows:
            row.event = events[row.event_id]
            reason = _stale_reason(row, newest, now)
            if reason:
                stale.setdefault(reason, []).append(row.pk)
            else:
                to_send.append(row)
        for reason, pks in stale.items():
            Delivery.objects.filter(pk__in=pks).update(
                state=Delivery.State.SUPERSEDED, last_error=reason, updated_at=now
            )
        # Conditional: only rows still waiting move, so a row is never claimed twice.
        Delivery.objects.filter(pk__in=[row.pk for row in to_send], state__in=WAITING).update(
            state=Delivery.State.SENDING, attempts=F("attempts") + 1, updated_at=now
        )
    # What the messages show of the events, read after the claim: on SQLite the claim holds
    # the write lock, and another worker recording its sends waits for it.
    prefetch_related_objects(list(events.values()), *PREFETCH)
    updates = _earlier_requests_sent(to_send)
    for row in to_send:
        row.state = Delivery.State.SENDING
        row.attempts += 1
        row.is_update = (row.event_id, row.person_id) in updates.get(row.sequence, set())
    return to_send


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
            _record_failure(row, f"Cannot reconnect to the mail server: {_describe(error)}")
        return False
    return True


def _release(rows: list[Delivery]) -> None:
    """Give back claimed rows this task has no time left for, to a fresh task."""
    Delivery.objects.filter(pk__in=[row.pk for row in rows], state=Delivery.State.SENDING).update(
        state=Delivery.State.QUEUED, attempts=F("attempts") - 1, updated_at=timezone.now()
    )
    _enqueue([row.pk for row in rows])
    for row in rows:
        row.state, row.attempts = Delivery.State.QUEUED, row.attempts - 1


def _record_sent(row: Delivery, message_id: str) -> None:
    sent_at = timezone.now()
    values = {
        "state": Delivery.State.SENT,
        "sent_at": sent_at,
        "message_id": message_id[:255],
        "last_error": "",
        "updated_at": sent_at,
    }
    # Unconditional: the message is out, whatever a sweep did to the row meanwhile. This runs
    # once per message, so its SQL is written once per database: building the ORM's UPDATE
    # again for every message cost several times the write itself.
    connection = connections[router.db_for_write(Delivery)]
    sql = _SENT_SQL.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        sql = _SENT_SQL[connection.vendor] = "UPDATE {} SET {} WHERE {} = %s".format(
            quote(Delivery._meta.db_table),
            ", ".join(f"{quote(Delivery._meta.get_field(name).column)} = %s" for name in values),
            quote(Delivery._meta.pk.column),
        )
    params = [
        Delivery._meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in values.items()
    ]
    if connection.vendor == "postgresql":
        # Without waiting for the disk: a mark lost to a database crash (not a worker's)
        # means the message goes again with the same UID and SEQUENCE, which calendars
        # collapse, as for a worker killed between SMTP and this write.
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(sql, [*params, row.pk])
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, row.pk])
    row.state, row.sent_at, row.message_id, row.last_error = (
        Delivery.State.SENT,
        sent_at,
        message_id,
        "",
    )


_SENT_SQL: dict[str, str] = {}


def _record_failure(row: Delivery, error: str, *, permanent: bool = False) -> None:
    now = timezone.now()
    if permanent or row.attempts >= settings.INVITE_MAX_ATTEMPTS:
        row.state = Delivery.State.FAILED
    else:
        row.state = Delivery.State.RETRYING
        # Exponential back-off: base, 2 × base, 4 × base… after the 1st, 2nd, 3rd attempt.
        delay = settings.INVITE_RETRY_BASE_SECONDS * 2 ** max(0, row.attempts - 1)
        row.next_attempt_at = now + dt.timedelta(seconds=delay)
    row.last_error = error[:2000]
    Delivery.objects.filter(pk=row.pk, state=Delivery.State.SENDING).update(
        state=row.state,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        updated_at=now,
    )
    logger.warning("Delivery %s %s: %s", row.pk, row.state, row.last_error)


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
