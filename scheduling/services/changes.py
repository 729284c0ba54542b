"""The change log behind the API's incremental sync: every change, numbered in commit order.

A partner that syncs asks "what changed after change N?". A wall-clock ``updated_at > T``
misses a change that was written before T by a transaction that committed after the client
read: the ids of ``Change`` rows are therefore allocated under a lock held until commit, so ids
rise in commit order and a visible id N means every lower id is committed.

* PostgreSQL: ``pg_advisory_xact_lock`` taken just before the rows are inserted, released by
  COMMIT or ROLLBACK.
* SQLite: every write transaction holds the database's single write lock from BEGIN IMMEDIATE
  (config/settings.py), which already serialises them.

Services call the ``*_changed`` functions as the last step of their transaction. The lock must
be the last one a transaction takes: a transaction that held it and then waited for a row lock
could deadlock with one that holds that row and waits for the log. Deletions are recorded by
the signal receivers at the bottom (the admin deletes rows outside the services, and deleting an
event cascades); reference data (sites, facilities, organisations, people), which the back
office edits directly, is recorded on save the same way.
"""

import contextlib
import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from visitors.models import Attendance, Organisation, Person

from ..models import Booking, Change, Event, Facility, ProgrammeItem, Site

# The key of PostgreSQL's transaction-level advisory lock that serialises the log (any fixed
# 64-bit number; this one spells "PDSYNC" in ASCII).
SYNC_LOCK_KEY = 0x504453594E43

# Reference data has no event: sites and facilities are shown to every key, organisations and
# people to staff only (the visibility rule's "public" and "internal").
REFERENCE_VISIBILITY = {
    Change.Entity.SITE: Event.Visibility.PUBLIC,
    Change.Entity.FACILITY: Event.Visibility.PUBLIC,
    Change.Entity.ORGANISATION: Event.Visibility.INTERNAL,
    Change.Entity.PERSON: Event.Visibility.INTERNAL,
}


def event_changed(*, event: Event) -> None:
    """Log a change to an event's own fields (its visibility before and after included)."""
    _record(Change.Entity.EVENT, [(event.pk, False)], event_id=event.pk)


def programme_item_changed(*, item: ProgrammeItem) -> None:
    """Log a change to one programme item (the event's JSON embeds its programme)."""
    internal = item.visibility == ProgrammeItem.Visibility.INTERNAL
    _record(Change.Entity.PROGRAMME_ITEM, [(item.pk, internal)], event_id=item.event_id)


def bookings_changed(*, bookings: Sequence[Booking]) -> None:
    """Log changes to bookings (one event's or several)."""
    by_event: dict[int, list[tuple[int, bool]]] = {}
    for booking in bookings:
        by_event.setdefault(booking.event_id, []).append((booking.pk, False))
    for event_id, objects in sorted(by_event.items()):
        _record(Change.Entity.BOOKING, objects, event_id=event_id)


def attendance_changed(*, attendance: Attendance) -> None:
    """Log a change to one attendance (the event's attendee list)."""
    _record(Change.Entity.ATTENDANCE, [(attendance.pk, False)], event_id=attendance.event_id)


def attendances_changed(*, event_id: int, attendance_ids: Sequence[int]) -> None:
    """Log a change to several attendances of one event at once."""
    _record(Change.Entity.ATTENDANCE, [(pk, False) for pk in attendance_ids], event_id=event_id)


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


# --- Writing rows ------------------------------------------------------------------------------


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
                _record(*args, **kwargs)
    finally:
        if outer:
            _pending.calls = None


def _serialise_allocation() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SYNC_LOCK_KEY])


def _record(
    entity: str,
    objects: Iterable[tuple[int, bool]],
    *,
    event_id: int | None = None,
    deleted: bool = False,
    event_state: tuple[str, int | None] | None = None,
) -> None:
    """Insert one row per (object id, internal) under the log's lock, in the caller's transaction.

    event_state is (visibility, host organisation id) when the caller knows it (an event being
    deleted); otherwise it is read from the event or, for reference data, fixed by entity.
    """
    objects = list(objects)
    if not objects:
        return
    if getattr(_pending, "calls", None) is not None:
        _pending.calls.append(
            (
                (entity, objects),
                {"event_id": event_id, "deleted": deleted, "event_state": event_state},
            )
        )
        return
    # atomic(): in autocommit the lock must still cover the insert until it commits.
    with transaction.atomic():
        _serialise_allocation()
        if event_state is None and event_id is not None:
            event_state = (
                Event.objects.filter(pk=event_id)
                .values_list("visibility", "host_organisation_id")
                .first()
            ) or _last_event_state(event_id)
        elif event_state is None:
            event_state = (REFERENCE_VISIBILITY[entity], None)
        was_event = event_state
        if entity == Change.Entity.EVENT and not deleted:
            # The event's own change may have changed who sees it: start from the last row.
            was_event = _last_event_state(event_id) or event_state
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
                visibility=event_state[0],
                host_organisation_id=event_state[1],
                internal=internal,
                was_visibility=was_event[0],
                was_host_organisation_id=was_event[1],
                was_internal=was_internal.get(pk, internal),
                deleted=deleted,
                created_at=now,
            )
            for pk, internal in objects
        )


def _last_event_state(event_id: int) -> tuple[str, int | None] | None:
    return (
        Change.objects.filter(event_id=event_id)
        .order_by("-id")
        .values_list("visibility", "host_organisation_id")
        .first()
    )


# --- Deletions and reference data (signal receivers) -------------------------------------------


@dataclass
class _Cascade:
    """An event being deleted: its own state, and the rows of its parts deleted before it."""

    state: tuple[str, int | None]
    parts: list[tuple[str, int, bool]] = field(default_factory=list)


_deleting = threading.local()


def _cascades() -> dict[int, _Cascade]:
    if not hasattr(_deleting, "events"):
        _deleting.events = {}
    return _deleting.events


@receiver(pre_delete, sender=Event, dispatch_uid="changes.event_deleting")
def _event_deleting(sender, instance: Event, **kwargs) -> None:
    # Django deletes an event's parts before the event and signals pre_delete for all of them
    # first. Remember the event, so that its parts' rows wait until the event's own
    # post_delete: by then the cascade holds every row lock it needs, and the log's lock can
    # come last.
    _cascades()[instance.pk] = _Cascade(state=(instance.visibility, instance.host_organisation_id))


@receiver(post_delete, sender=Event, dispatch_uid="changes.event_deleted")
def _event_deleted(sender, instance: Event, **kwargs) -> None:
    cascade = _cascades().pop(instance.pk, None) or _Cascade(
        state=(instance.visibility, instance.host_organisation_id)
    )
    for entity in (Change.Entity.PROGRAMME_ITEM, Change.Entity.BOOKING, Change.Entity.ATTENDANCE):
        parts = [(pk, internal) for kind, pk, internal in cascade.parts if kind == entity]
        _record(entity, parts, event_id=instance.pk, deleted=True, event_state=cascade.state)
    _record(
        Change.Entity.EVENT,
        [(instance.pk, False)],
        event_id=instance.pk,
        deleted=True,
        event_state=cascade.state,
    )


def _part_deleted(entity: str, instance, internal: bool = False) -> None:
    cascade = _cascades().get(instance.event_id)
    if cascade is not None:
        cascade.parts.append((entity, instance.pk, internal))
    else:
        _record(entity, [(instance.pk, internal)], event_id=instance.event_id, deleted=True)


@receiver(post_delete, sender=ProgrammeItem, dispatch_uid="changes.item_deleted")
def _item_deleted(sender, instance: ProgrammeItem, **kwargs) -> None:
    internal = instance.visibility == ProgrammeItem.Visibility.INTERNAL
    _part_deleted(Change.Entity.PROGRAMME_ITEM, instance, internal)


@receiver(post_delete, sender=Booking, dispatch_uid="changes.booking_deleted")
def _booking_deleted(sender, instance: Booking, **kwargs) -> None:
    _part_deleted(Change.Entity.BOOKING, instance)


@receiver(post_delete, sender=Attendance, dispatch_uid="changes.attendance_deleted")
def _attendance_deleted(sender, instance: Attendance, **kwargs) -> None:
    _part_deleted(Change.Entity.ATTENDANCE, instance)


REFERENCE_MODELS = {
    Site: Change.Entity.SITE,
    Facility: Change.Entity.FACILITY,
    Organisation: Change.Entity.ORGANISATION,
    Person: Change.Entity.PERSON,
}


def _reference_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:  # loaddata writes fixtures as they are
        _record(REFERENCE_MODELS[sender], [(instance.pk, False)])


def _reference_deleted(sender, instance, **kwargs) -> None:
    _record(REFERENCE_MODELS[sender], [(instance.pk, False)], deleted=True)


for _model in REFERENCE_MODELS:
    post_save.connect(_reference_saved, sender=_model, dispatch_uid=f"changes.{_model.__name__}")
    post_delete.connect(
        _reference_deleted, sender=_model, dispatch_uid=f"changes.{_model.__name__}.deleted"
    )
