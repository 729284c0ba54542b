"""The outbox: messages written in the transaction of the change that causes them, handed to
django-q2 after commit, and sent by workers that never send one row twice.

Invites (visitors.Delivery) and webhook notifications (api.WebhookDelivery) are both outbox rows
(core.models.OutboxMessage). What they share lives here once:

- ``enqueue``: one task per batch of ids, after commit (a task must find its rows), grouped by a
  key where a batch must share something (a webhook task posts to one endpoint);
- ``claim``: the due, waiting rows among ids become "sending" with one attempt more, in one short
  transaction; on PostgreSQL rows another worker holds are skipped (SKIP LOCKED), on SQLite the
  IMMEDIATE transaction serialises the whole claim;
- ``time_budget`` and ``release``: a task stops well inside django-q2's timeout and gives the rest
  of its batch back to a fresh task;
- ``retry_or_fail``: exponential back-off from a base delay, then failed;
- ``sending``: around a worker's batch, marks commit without waiting for the disk (PostgreSQL);
- ``sweep``: rows a dead worker left in "sending" become retrying (or failed), and due retries,
  plus queued rows whose task is long overdue, are enqueued again.

Each kind keeps its own rules: what a row means, when it is stale, how it is sent.
"""

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxMessage

State = OutboxMessage.State
WAITING = (State.QUEUED, State.RETRYING)


@dataclass(frozen=True)
class Outbox:
    """One kind of outbox row: its model, the task that sends a batch, and how rows batch."""

    model: type[OutboxMessage]
    send_task: str
    batch: int | Callable[[], int]  # rows per task, or a function reading it from settings
    group_by: str | None = None  # rows of one task share this field (e.g. the endpoint)

    # --- Handing rows to the queue ------------------------------------------------------------

    def enqueue(self, rows: Iterable[OutboxMessage] | Iterable[int]) -> None:
        """One task per `batch` rows (per group), enqueued when the transaction commits."""
        from django_q.tasks import async_task

        groups: dict[object, list[int]] = {}
        for row in rows:
            if isinstance(row, int):
                groups.setdefault(None, []).append(row)
            else:
                key = getattr(row, self.group_by) if self.group_by else None
                groups.setdefault(key, []).append(row.pk)
        size = max(1, self.batch() if callable(self.batch) else self.batch)
        for ids in groups.values():
            for start in range(0, len(ids), size):
                transaction.on_commit(
                    partial(async_task, self.send_task, ids[start : start + size])
                )

    # --- A worker's batch ----------------------------------------------------------------------

    def claim(
        self,
        ids: Sequence[int],
        now: dt.datetime,
        *,
        related: Sequence[str] = (),
        keep: Callable[[list[OutboxMessage]], list[OutboxMessage]] | None = None,
    ) -> list[OutboxMessage]:
        """Take the due, waiting rows among ids for this worker: they become "sending" with one
        attempt more. `keep` sees the locked rows first and returns those still worth sending
        (it settles the others itself, in the same transaction)."""
        if not ids:
            return []
        with transaction.atomic():
            rows = list(
                self.model.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=list(ids), state__in=WAITING, next_attempt_at__lte=now)
                .select_related(*related)
                .order_by("pk")
            )
            if keep is not None:
                rows = keep(rows)
            # Conditional: only rows still waiting move, so a row is never claimed twice.
            self.model.objects.filter(pk__in=[row.pk for row in rows], state__in=WAITING).update(
                state=State.SENDING, attempts=F("attempts") + 1, updated_at=now
            )
        for row in rows:
            row.state, row.attempts = State.SENDING, row.attempts + 1
        return rows

    @staticmethod
    def time_budget() -> float:
        """Seconds a task may spend on its batch: well inside django-q2's task timeout, which
        would kill the worker mid-batch."""
        return settings.Q_CLUSTER.get("timeout", 60) / 2

    def release(self, rows: Sequence[OutboxMessage]) -> None:
        """Give back claimed rows this task has no time left for, to a fresh task."""
        self.model.objects.filter(pk__in=[row.pk for row in rows], state=State.SENDING).update(
            state=State.QUEUED, attempts=F("attempts") - 1, updated_at=timezone.now()
        )
        for row in rows:
            row.state, row.attempts = State.QUEUED, row.attempts - 1
        self.enqueue(rows)

    def record(self, row: OutboxMessage, *, state: str, error: str = "", **values) -> None:
        """Record the outcome of one attempt, whatever a sweep did to the row meanwhile: the
        message went (or was refused) once it was tried."""
        row.state, row.last_error = state, error[:2000]
        for name, value in values.items():
            setattr(row, name, value)
        # One statement, committed on its own: inside ``sending()`` that is one round trip.
        self.model.objects.filter(pk=row.pk).update(
            state=row.state, last_error=row.last_error, updated_at=timezone.now(), **values
        )

    def retry_or_fail(
        self,
        row: OutboxMessage,
        now: dt.datetime,
        *,
        error: str,
        base_seconds: int,
        give_up: Callable[[dt.datetime], bool],
        max_delay: dt.timedelta | None = None,
        **values,
    ) -> None:
        """After a failed attempt: retry after base, 2 × base, 4 × base… (at most max_delay),
        unless give_up(next attempt's time) says the row has had its chances."""
        delay = dt.timedelta(seconds=base_seconds * 2 ** max(0, row.attempts - 1))
        if max_delay is not None:
            delay = min(delay, max_delay)
        next_attempt = now + delay
        if give_up(next_attempt):
            row.state = State.FAILED
        else:
            row.state, row.next_attempt_at = State.RETRYING, next_attempt
        row.last_error = error[:2000]
        for name, value in values.items():
            setattr(row, name, value)
        self.model.objects.filter(pk=row.pk, state=State.SENDING).update(
            state=row.state,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
            updated_at=now,
            **values,
        )

    # --- The sweeper -----------------------------------------------------------------------------

    def sweep(
        self,
        now: dt.datetime,
        *,
        stuck_after: dt.timedelta,
        note: str,
        exhausted: Q,
        also_due: Q | None = None,
    ) -> list[int]:
        """Hand to the queue every row that is due and has no task coming; returns their ids.

        Rows left in "sending" longer than stuck_after (their worker died) become retrying, or
        failed when `exhausted` matches them. Due retries are enqueued, and queued rows whose
        task is long overdue (the broker lost it), and rows `also_due` names.
        """
        stuck_before = now - stuck_after
        with transaction.atomic():
            stuck = self.model.objects.filter(state=State.SENDING, updated_at__lte=stuck_before)
            stuck.filter(exhausted).update(state=State.FAILED, last_error=note, updated_at=now)
            stuck.update(state=State.RETRYING, next_attempt_at=now, last_error=note, updated_at=now)
            waiting = Q(state=State.RETRYING) | Q(
                state=State.QUEUED, next_attempt_at__lte=stuck_before
            )
            if also_due is not None:
                waiting |= also_due
            due = list(
                self.model.objects.filter(waiting, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "pk")
                .only("pk", *([self.group_by] if self.group_by else []))
            )
            self.enqueue(due)
        return [row.pk for row in due]


@contextlib.contextmanager
def sending() -> Iterator[None]:
    """Around a worker's batch: on PostgreSQL, commit its marks (claims, outcomes, releases)
    without waiting for their WAL flush (``synchronous_commit`` off for this connection until
    the batch ends). Each mark is then one autocommitted statement of about 0.2 ms instead of
    a transaction that waits 3–4 ms for the disk, against a relay's 30 ms a message.

    A database crash can then forget the last marks of a fraction of a second. Every mark is a
    step of the outbox's own state: forgotten claims and outcomes leave rows queued or sending,
    which the sweep hands back to the queue, so a message may go twice, as when a worker dies
    between the relay's answer and its mark. Delivery is at least once either way, and a
    repeated invite carries the same UID and SEQUENCE, which calendars take as the one they
    have. Nothing else a worker writes (tasks outside a batch) is affected."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        # A connection the batch lost (closed, or broken) has forgotten the setting already.
        with contextlib.suppress(DatabaseError, InterfaceError):
            if connection.connection is not None and not connection.needs_rollback:
                with connection.cursor() as cursor:
                    cursor.execute("RESET synchronous_commit")
