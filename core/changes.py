"""The change log behind the API's incremental sync and webhooks: every change, numbered in commit
order, with its verb.

A partner that syncs asks "what changed after change N?". A wall-clock ``updated_at > T``
misses a change that was written before T by a transaction that committed after the client
read: the ids of ``Change`` rows are therefore allocated under a lock held until commit, so ids
rise in commit order and a visible id N means every lower id is committed.

* PostgreSQL: ``pg_advisory_xact_lock`` taken just before the rows are inserted, released by
  COMMIT or ROLLBACK.
* SQLite: every write transaction holds the database's single write lock from BEGIN IMMEDIATE
  (config/settings.py), which already serialises them.

The lock must be the last one a transaction takes: a transaction that held it and then waited
for a row lock could deadlock with one that holds that row and waits for the log. Services
therefore record their changes as the last step of their transaction, and a service that chains
others wraps them in ``deferred()``.

This module knows no model but ``Change``: the apps record their own objects through it, each
row with who could see the object (the event's visibility and host, given by the caller).
"""

import contextlib
import datetime as dt
import threading
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import Change

# The key of PostgreSQL's transaction-level advisory lock that serialises the log (any fixed
# 64-bit number; this one spells "PDSYNC" in ASCII).
SYNC_LOCK_KEY = 0x504453594E43

# (visibility, host organisation id) of what a row is about: who may see it.
State = tuple[str, int | None]


def record(
    entity: str,
    objects: Iterable[tuple[int, bool]],
    *,
    state: State,
    verb: str = Change.Verb.UPDATED,
    event_id: int | None = None,
) -> None:
    """Log (object id, internal) pairs of one entity under the log's lock, in the caller's
    transaction: what happened (verb) and who could see each object before and after."""
    objects = list(objects)
    if not objects:
        return
    if getattr(_pending, "calls", None) is not None:
        _pending.calls.append(
            ((entity, objects), {"state": state, "verb": verb, "event_id": event_id})
        )
        return
    # atomic(): in autocommit the lock must still cover the insert until it commits.
    with transaction.atomic():
        _serialise_allocation()
        was = state
        if entity == Change.Entity.EVENT and verb != Change.Verb.DELETED:
            # The event's own change may have changed who sees it: start from the last row.
            was = last_event_state(event_id) or state
        was_internal = {}
        if entity == Change.Entity.PROGRAMME_ITEM:
            was_internal = dict(
                Change.objects.filter(entity=entity, object_id__in=[pk for pk, _ in objects])
                .order_by("object_id", "id")
                .values_list("object_id", "internal")
            )  # ordered by id, so the latest row of each item wins
        now = timezone.now()
        Change.objects.bulk_create(
            Change(
                entity=entity,
                object_id=pk,
                event_id=event_id,
                visibility=state[0],
                host_organisation_id=state[1],
                internal=internal,
                was_visibility=was[0],
                was_host_organisation_id=was[1],
                was_internal=was_internal.get(pk, internal),
                deleted=verb == Change.Verb.DELETED,
                verb=verb,
                created_at=now,
            )
            for pk, internal in objects
        )


def last_event_state(event_id: int | None) -> State | None:
    """Who could see an event at its latest logged change (None if it has none)."""
    if event_id is None:
        return None
    return (
        Change.objects.filter(event_id=event_id)
        .order_by("-id")
        .values_list("visibility", "host_organisation_id")
        .first()
    )


def change_head() -> int:
    """The id of the latest committed change (0 for none): a sync position."""
    return Change.objects.order_by("-id").values_list("id", flat=True).first() or 0


def changes_prune(*, before: dt.datetime) -> int:
    """Delete rows older than `before` that no sync from a younger position needs.

    A row is kept while it is the latest of its object: it holds the state ("who could see
    it") that the object's next change starts from. Sync positions older than `before` must
    be refused (the API answers 410) because the rows after them may be gone.
    """
    superseded = Change.objects.filter(
        entity=OuterRef("entity"), object_id=OuterRef("object_id"), id__gt=OuterRef("id")
    )
    deleted, _ = (
        Change.objects.filter(created_at__lt=before)
        .filter(Q(deleted=True) | Q(Exists(superseded)))
        .delete()
    )
    return deleted


_pending = threading.local()


@contextlib.contextmanager
def deferred():
    """Hold this block's change rows and write them together when it ends without error.

    For a service that chains others (the visit planner creates an event, then books): the
    log's lock must come after the bookings are inserted, or two such transactions and a plain
    booking can wait on each other (PostgreSQL would abort one as a deadlock). Nested blocks
    join the outer one; an error discards the rows with the transaction they belong to.
    """
    outer = getattr(_pending, "calls", None) is None
    if outer:
        _pending.calls = []
    try:
        yield
        if outer:
            calls, _pending.calls = _pending.calls, None
            for args, kwargs in calls:
                record(*args, **kwargs)
    finally:
        if outer:
            _pending.calls = None


def _serialise_allocation() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SYNC_LOCK_KEY])
