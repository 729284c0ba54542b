"""Scheduling's entries in the change log (core.changes): events, their programme and bookings,
sites and facilities, each with its verb and with who could see it (the event's visibility,
host and stop hosts; a programme item's own host).

Services call the ``*_changed`` functions as the last step of their transaction (the log's lock
comes after every other lock: see core.changes). Deletions are recorded by the signal receivers
at the bottom, because the admin deletes rows outside the services and deleting an event
cascades; reference data (sites, facilities), which the back office edits directly, is recorded
on save the same way. Other apps log the parts of events they own (an event's attendee list)
through ``event_part_changed`` and ``event_part_deleted``.
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from core import changes as core_changes
from core.changes import Entry, State, change_head, changes_prune, deferred
from core.models import Change

from ..models import Booking, Event, Facility, ProgrammeItem, Site
from ..visibility import stop_hosts_of

Verb = Change.Verb

__all__ = [
    "bookings_changed",
    "change_head",
    "changes_prune",
    "deferred",
    "event_changed",
    "event_part_changed",
    "event_part_deleted",
    "programme_item_changed",
    "reference_changed",
]


def event_changed(*, event: Event, verb: str = Verb.UPDATED) -> None:
    """Log a change to an event's own fields (its visibility before and after included)."""
    core_changes.record(
        Change.Entity.EVENT,
        [Entry(event.pk)],
        state=partial(_state, event.pk, event.visibility, event.host_organisation_id),
        verb=verb,
        event_id=event.pk,
    )


def programme_item_changed(*, item: ProgrammeItem, verb: str = Verb.UPDATED) -> None:
    """Log a change to one programme item (the event's JSON embeds its programme). Its host
    sees a restricted event and, when internal, the item itself."""
    internal = item.visibility == ProgrammeItem.Visibility.INTERNAL
    event_part_changed(
        entity=Change.Entity.PROGRAMME_ITEM,
        objects=[Entry(item.pk, internal, item.host_organisation_id)],
        event_id=item.event_id,
        verb=verb,
    )


def bookings_changed(*, bookings: Sequence[Booking], verb: str = Verb.UPDATED) -> None:
    """Log changes to bookings (one event's or several)."""
    by_event: dict[int, list[tuple[int, bool]]] = {}
    for booking in bookings:
        by_event.setdefault(booking.event_id, []).append((booking.pk, False))
    for event_id, objects in sorted(by_event.items()):
        event_part_changed(
            entity=Change.Entity.BOOKING, objects=objects, event_id=event_id, verb=verb
        )


def event_part_changed(
    *,
    entity: str,
    objects: Sequence[Entry | tuple[int, bool]],
    event_id: int,
    verb: str = Verb.UPDATED,
) -> None:
    """Log changes to parts of one event (Entry, or (id, internal) pairs), visible as the
    event is when the rows are written (see core.changes.record)."""
    core_changes.record(
        entity, objects, state=partial(_event_state, event_id), verb=verb, event_id=event_id
    )


def reference_changed(*, entity: str, object_id: int, state: State, verb: str) -> None:
    """Log a change to reference data (sites and facilities here; organisations and people in
    visitors): it has no event, so who may see it is fixed by its kind."""
    core_changes.record(entity, [(object_id, False)], state=state, verb=verb)


def _state(event_id: int, visibility: str, host_organisation_id: int | None) -> State:
    """Who may see an event now: its stop hosts are read (one query) while it is restricted,
    the only visibility they change."""
    hosts = ()
    if visibility == Event.Visibility.RESTRICTED:
        hosts = stop_hosts_of([event_id]).get(event_id, ())
    return State(visibility, host_organisation_id, hosts)


def _event_state(event_id: int) -> State:
    found = Event.objects.filter(pk=event_id).values_list("visibility", "host_organisation_id")
    if found := found.first():
        return _state(event_id, *found)
    return core_changes.last_event_state(event_id) or State(Event.Visibility.INTERNAL, None)


# --- Deletions and reference data (signal receivers) -------------------------------------------


@dataclass
class _Cascade:
    """An event being deleted: its own state, and the rows of its parts deleted before it."""

    state: State
    parts: list[tuple[str, Entry]] = field(default_factory=list)


_deleting = threading.local()


def _cascades() -> dict[int, _Cascade]:
    if not hasattr(_deleting, "events"):
        _deleting.events = {}
    return _deleting.events


# The order an event's deleted parts are logged in, before the event itself.
PART_ORDER = [Change.Entity.PROGRAMME_ITEM, Change.Entity.BOOKING, Change.Entity.ATTENDANCE]


@receiver(pre_delete, sender=Event, dispatch_uid="changes.event_deleting")
def _event_deleting(sender, instance: Event, **kwargs) -> None:
    # Django deletes an event's parts before the event and signals pre_delete for all of them
    # first. Remember the event, so that its parts' rows wait until the event's own
    # post_delete: by then the cascade holds every row lock it needs, and the log's lock can
    # come last. Its programme is still there: who hosts its stops is read now.
    _cascades()[instance.pk] = _Cascade(
        state=_state(instance.pk, instance.visibility, instance.host_organisation_id)
    )


@receiver(post_delete, sender=Event, dispatch_uid="changes.event_deleted")
def _event_deleted(sender, instance: Event, **kwargs) -> None:
    cascade = _cascades().pop(instance.pk, None) or _Cascade(
        state=State(instance.visibility, instance.host_organisation_id)
    )
    entities = {kind for kind, _entry in cascade.parts}
    for entity in sorted(entities, key=PART_ORDER.index):
        parts = [entry for kind, entry in cascade.parts if kind == entity]
        core_changes.record(
            entity, parts, state=cascade.state, verb=Verb.DELETED, event_id=instance.pk
        )
    core_changes.record(
        Change.Entity.EVENT,
        [Entry(instance.pk)],
        state=cascade.state,
        verb=Verb.DELETED,
        event_id=instance.pk,
    )


def event_part_deleted(
    *,
    entity: str,
    object_id: int,
    event_id: int,
    internal: bool = False,
    item_host_id: int | None = None,
):
    """Log a deleted part of an event; while the event itself is being deleted, its rows wait
    for the event's own (see _event_deleting)."""
    entry = Entry(object_id, internal, item_host_id)
    cascade = _cascades().get(event_id)
    if cascade is not None:
        cascade.parts.append((entity, entry))
    else:
        core_changes.record(
            entity,
            [entry],
            state=partial(_event_state, event_id),
            verb=Verb.DELETED,
            event_id=event_id,
        )


@receiver(post_delete, sender=ProgrammeItem, dispatch_uid="changes.item_deleted")
def _item_deleted(sender, instance: ProgrammeItem, **kwargs) -> None:
    event_part_deleted(
        entity=Change.Entity.PROGRAMME_ITEM,
        object_id=instance.pk,
        event_id=instance.event_id,
        internal=instance.visibility == ProgrammeItem.Visibility.INTERNAL,
        item_host_id=instance.host_organisation_id,
    )


@receiver(post_delete, sender=Booking, dispatch_uid="changes.booking_deleted")
def _booking_deleted(sender, instance: Booking, **kwargs) -> None:
    event_part_deleted(
        entity=Change.Entity.BOOKING, object_id=instance.pk, event_id=instance.event_id
    )


# Sites and facilities are shown to every key: the visibility rule's "public".
PLACES = {Site: Change.Entity.SITE, Facility: Change.Entity.FACILITY}


def _place_saved(sender, instance, created: bool = False, raw: bool = False, **kwargs) -> None:
    if not raw:  # loaddata writes fixtures as they are
        reference_changed(
            entity=PLACES[sender],
            object_id=instance.pk,
            state=(Event.Visibility.PUBLIC, None),
            verb=Verb.CREATED if created else Verb.UPDATED,
        )


def _place_deleted(sender, instance, **kwargs) -> None:
    reference_changed(
        entity=PLACES[sender],
        object_id=instance.pk,
        state=(Event.Visibility.PUBLIC, None),
        verb=Verb.DELETED,
    )


for _model in PLACES:
    post_save.connect(_place_saved, sender=_model, dispatch_uid=f"changes.{_model.__name__}")
    post_delete.connect(
        _place_deleted, sender=_model, dispatch_uid=f"changes.{_model.__name__}.deleted"
    )
