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
row with who could see the object (the event's visibility, host and stop hosts, given by the
caller; for a programme item, whether it is internal and who hosts it).

A part of an event (a programme item, say) can change who may see the event itself: a stop
given to another tenant changes which tenants see a restricted visit. Such a row is followed
by a row for the event, so that every list, sync and webhook that follows events hears of it.
"""

import contextlib
import datetime as dt
import json
import threading
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import Change

# The key of PostgreSQL's transaction-level advisory lock that serialises the log (any fixed
# 64-bit number; this one spells "PDSYNC" in ASCII).
SYNC_LOCK_KEY = 0x504453594E43


class State(NamedTuple):
    """Who may see an event and its parts: its visibility, its host organisation, and the
    organisations hosting its stops (programme items), which see it while it is restricted."""

    visibility: str
    host_organisation_id: int | None
    stop_hosts: tuple[int, ...] = ()


class Entry(NamedTuple):
    """One object a row is about. For a programme item: whether it is internal, and the
    organisation hosting it (which sees it even then)."""

    object_id: int
    internal: bool = False
    item_host_id: int | None = None


def record(
    entity: str,
    objects: Iterable[Entry | tuple],
    *,
    state: State | tuple | Callable[[], State],
    verb: str = Change.Verb.UPDATED,
    event_id: int | None = None,
) -> None:
    """Log objects of one entity (Entry, or (id, internal) pairs) under the log's lock, in
    the caller's transaction: what happened (verb) and who could see each object before and
    after. A part whose change changed who may see its event is followed by a row for the
    event.

    `state` may be a function that reads it: inside ``deferred()`` it is read when the rows
    are written, at the end of the block, so that they say who may see the object once it
    commits (the visit planner adds stop after stop: every row names every stop's host)."""
    objects = [Entry(*entry) for entry in objects]
    if not objects:
        return
    if getattr(_pending, "calls", None) is not None:
        _pending.calls.append(
            ((entity, objects), {"state": state, "verb": verb, "event_id": event_id})
        )
        return
    state = State(*(state() if callable(state) else state))
    # atomic(): in autocommit the lock must still cover the insert until it commits.
    with transaction.atomic():
        _serialise_allocation()
        # The change may have changed who sees the event: start from its last row.
        was = last_event_state(event_id) or state
        was_items = {}
        if entity == Change.Entity.PROGRAMME_ITEM:
            was_items = {
                pk: Entry(pk, internal, host)
                for pk, internal, host in Change.objects.filter(
                    entity=entity, object_id__in=[entry.object_id for entry in objects]
                )
                .order_by("object_id", "id")
                .values_list("object_id", "internal", "item_host_id")
            }  # ordered by id, so the latest row of each item wins
        now = timezone.now()
        # Rows alike but for their object's id ("shapes") are written by one statement.
        shapes: dict[tuple[str, str, Entry, Entry], list[int]] = {}
        for entry in objects:
            was_entry = was_items.get(entry.object_id, entry)
            shape = (entity, verb, entry._replace(object_id=0), was_entry._replace(object_id=0))
            shapes.setdefault(shape, []).append(entry.object_id)
        if entity != Change.Entity.EVENT and event_id is not None and was != state:
            # A part changed who may see the event (its stop went to another tenant, say):
            # the event changed for every list and webhook that follows events.
            shapes[(Change.Entity.EVENT, Change.Verb.UPDATED, Entry(0), Entry(0))] = [event_id]
        common = dict(state=state, was=was, event_id=event_id, now=now)
        for (kind, said, entry, was_entry), object_ids in shapes.items():
            _insert(_row(kind, entry, was_entry=was_entry, verb=said, **common), object_ids)


# The log's columns but its id and the object's: what the rows of one statement share.
OBJECT_ID = Change._meta.get_field("object_id")
SHAPE = [
    field
    for field in Change._meta.concrete_fields
    if not field.primary_key and field is not OBJECT_ID
]


def _insert(row: Change, object_ids: list[int]) -> None:
    """Insert a log row once for each of these objects, with one INSERT … SELECT over their
    ids, passed as one array (PostgreSQL) or JSON list (SQLite).

    Not bulk_create: a guest list of 5,000 logs 10,000 rows of 17 columns, and bulk_create
    compiles each value in Python: 1.0–1.4 s, nearly as long as inserting the people and
    attendances themselves, against tens of milliseconds this way (bench/imports.py; issue 15
    asks for an import within 2× a bare bulk_create of its rows). One object's change goes
    through the same statement. The columns are read from the model's fields."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in [*SHAPE, OBJECT_ID])
    values = [field.get_db_prep_save(getattr(row, field.attname), connection) for field in SHAPE]
    ids, ids_param = _ids_source()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Change._meta.db_table)} ({columns}) "
            f"SELECT {', '.join(['%s'] * len(values))}, ids.value FROM {ids}",
            [*values, ids_param(object_ids)],
        )


def _ids_source():
    """A FROM clause giving a list of ids as rows of "ids.value", and the list's parameter."""
    if connection.vendor == "postgresql":
        return "unnest(%s::bigint[]) AS ids(value)", list
    return "json_each(%s) AS ids", json.dumps


def _row(
    entity: str,
    entry: Entry,
    *,
    was_entry: Entry,
    state: State,
    was: State,
    event_id: int | None,
    verb: str,
    now: dt.datetime,
) -> Change:
    return Change(
        entity=entity,
        object_id=entry.object_id,
        event_id=event_id,
        visibility=state.visibility,
        host_organisation_id=state.host_organisation_id,
        stop_hosts=id_list(state.stop_hosts),
        internal=entry.internal,
        item_host_id=entry.item_host_id,
        was_visibility=was.visibility,
        was_host_organisation_id=was.host_organisation_id,
        was_stop_hosts=id_list(was.stop_hosts),
        was_internal=was_entry.internal,
        was_item_host_id=was_entry.item_host_id,
        deleted=verb == Change.Verb.DELETED,
        verb=verb,
        created_at=now,
    )


def last_event_state(event_id: int | None) -> State | None:
    """Who could see an event at its latest logged change (None if it has none)."""
    if event_id is None:
        return None
    found = (
        Change.objects.filter(event_id=event_id)
        .order_by("-id")
        .values_list("visibility", "host_organisation_id", "stop_hosts")
        .first()
    )
    return State(found[0], found[1], ids_of(found[2])) if found else None


# A row's stop hosts are ids between commas (",3,7,"): one LIKE finds an organisation among
# them on SQLite as on PostgreSQL (a JSON list could be searched so on PostgreSQL only).


def id_list(ids: Iterable[int]) -> str:
    """Organisation ids as a row stores them: sorted, between commas; "" for none."""
    ids = sorted(set(ids))
    return f",{','.join(map(str, ids))}," if ids else ""


def ids_of(stored: str) -> tuple[int, ...]:
    """The ids id_list stored."""
    return tuple(int(pk) for pk in stored.strip(",").split(",") if pk)


def lists_id(field: str, organisation_id: int) -> Q:
    """Rows whose id list `field` (stop_hosts, was_stop_hosts) holds this organisation."""
    return Q(**{f"{field}__contains": f",{int(organisation_id)},"})


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
