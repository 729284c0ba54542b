"""Dispatch: from the change log to webhook deliveries.

Services write the change log (core.changes) in their own transaction, each row with its verb.
After a change commits, a nudge (the receivers at the bottom) enqueues ``webhooks_dispatch``;
the minute sweeper runs it too, so a lost nudge only delays a notification.

``webhooks_dispatch`` reads the log after its cursor. Log ids rise in commit order, so a change
committed late is never skipped. Each event or booking the rows name becomes one notification
per type, read from the verbs the services recorded (an event's programme changing updates the
event), and one ``WebhookDelivery`` per endpoint that wants the type and may see the object
(scheduling.visibility), written in the transaction that moves the cursor. Their send tasks
are enqueued after commit (api/webhooks/posting.py).

Payloads are thin: ``{"type", "id", "occurred_at", "url", "change"}``. The URL answers with
what the partner's key may see, or 404 once it may not (or the object is gone). Several changes
to one object read in one pass make one notification per type; ``change`` (the log id) orders
them.
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone

from core.changes import change_head
from core.models import Change
from scheduling.models import Booking, Event, ProgrammeItem
from scheduling.visibility import CHANGE_FIELDS, STAFF, ChangeState, could_see_any, partner

from ..models import WebhookCursor, WebhookDelivery, WebhookEndpoint
from .endpoints import any_endpoint
from .posting import OUTBOX

DISPATCH_TASK = "api.tasks.webhooks_dispatch"
DISPATCH_BATCH = 500  # log rows read per pass; a longer backlog continues in a new task
LOGGED = (Change.Entity.EVENT, Change.Entity.PROGRAMME_ITEM, Change.Entity.BOOKING)
# The verb that ends each kind of object's life, as its notification type says it.
FINAL = {"event": Change.Verb.CANCELLED, "booking": Change.Verb.RELEASED}


@dataclass
class _Subject:
    """One event or booking that changed in the part of the log read, and who could see it."""

    kind: str  # "event" or "booking"
    object_id: int
    states: list[ChangeState] = field(default_factory=list)  # before and after each change
    verbs: list[str] = field(default_factory=list)
    last_change: int = 0
    occurred_at: dt.datetime | None = None


@dataclass
class _Note:
    type: str
    kind: str
    object_id: int
    change_id: int
    occurred_at: dt.datetime
    states: list[ChangeState]


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
            .values("id", "entity", "object_id", "event_id", "verb", "created_at", *CHANGE_FIELDS)[
                : limit + 1
            ]
        )
        more = len(rows) > limit
        rows = rows[:limit]
        created = _deliveries(_notes(rows), endpoints)
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


def _notes(rows: list[dict]) -> list[_Note]:
    """What the rows say happened, one note per object and type, from their verbs alone."""
    subjects: dict[tuple[str, int], _Subject] = {}
    for row in rows:
        is_item = row["entity"] == Change.Entity.PROGRAMME_ITEM
        if row["entity"] == Change.Entity.BOOKING:
            key = ("booking", row["object_id"])
        else:  # an event's own row, or one of its programme's (the event's JSON embeds it)
            key = ("event", row["event_id"])
        subject = subjects.setdefault(key, _Subject(kind=key[0], object_id=key[1]))
        # Who could see the change: the row's state before it, and after it.
        states = [ChangeState.of_row(row, "was_"), ChangeState.of_row(row)]
        subject.states += states if is_item else [state.of_event() for state in states]
        # A change to the programme updates the event, whatever it did to the item.
        subject.verbs.append(Change.Verb.UPDATED if is_item else row["verb"])
        subject.last_change, subject.occurred_at = row["id"], row["created_at"]

    notes: list[_Note] = []
    for subject in subjects.values():
        kind = subject.kind
        base = dict(
            kind=kind,
            object_id=subject.object_id,
            change_id=subject.last_change,
            occurred_at=subject.occurred_at,
        )
        if Change.Verb.DELETED in subject.verbs:
            notes.append(_Note(type=f"{kind}.deleted", states=subject.states, **base))
            continue
        created = Change.Verb.CREATED in subject.verbs
        if created:
            # In the state the object itself ended in: nobody hears of an object they could
            # never see.
            ended = subject.states[-1].of_event()
            notes.append(_Note(type=f"{kind}.created", states=[ended], **base))
        if FINAL[kind] in subject.verbs:
            notes.append(_Note(type=f"{kind}.{FINAL[kind]}", states=subject.states, **base))
        elif not created:
            notes.append(_Note(type=f"{kind}.updated", states=subject.states, **base))
    return notes


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
            if not could_see_any(audience, note.states):
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
    OUTBOX.enqueue(created)
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


# --- The nudge: dispatch soon after a change commits -------------------------------------------


def _dispatch_soon() -> None:
    from django_q.tasks import async_task

    async_task(DISPATCH_TASK)


def _changed(sender, instance, raw: bool = False, **kwargs) -> None:
    # A wake-up call only: the change log is what is read. Once per transaction, and not at all
    # while no endpoint listens (the minute sweeper catches up anyway).
    if raw or not any_endpoint():
        return
    if any(entry[1] is _dispatch_soon for entry in connection.run_on_commit):
        return
    transaction.on_commit(_dispatch_soon)


for _model in (Event, ProgrammeItem, Booking):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"webhooks.{_model.__name__}.saved")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"webhooks.{_model.__name__}.deleted")
