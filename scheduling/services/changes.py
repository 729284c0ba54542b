"""Scheduling's entries in the change log (core.changes): events, their programme and bookings,
sites and facilities, each with its verb and with who could see it (the event's visibility).

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

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from core import changes as core_changes
from core.changes import State, change_head, changes_prune, deferred
from core.models import Change

from ..models import Booking, Event, Facility, ProgrammeItem, Site

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
        [(event.pk, False)],
        state=(event.visibility, event.host_organisation_id),
        verb=verb,
        event_id=event.pk,
    )


def programme_item_changed(*, item: ProgrammeItem, verb: str = Verb.UPDATED) -> None:
    """Log a change to one programme item (the event's JSON embeds its programme)."""
    internal = item.visibility == ProgrammeItem.Visibility.INTERNAL
    event_part_changed(
        entity=Change.Entity.PROGRAMME_ITEM,
        objects=[(item.pk, internal)],
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
    objects: Sequence[tuple[int, bool]],
    event_id: int,
    verb: str = Verb.UPDATED,
) -> None:
    """Log changes to (id, internal) parts of one event, visible as the event is now."""
    core_changes.record(entity, objects, state=_event_state(event_id), verb=verb, event_id=event_id)


def reference_changed(*, entity: str, object_id: int, state: State, verb: str) -> None:
    """Log a change to reference data (sites and facilities here; organisations and people in
    visitors): it has no event, so who may see it is fixed by its kind."""
    core_changes.record(entity, [(object_id, False)], state=state, verb=verb)


def _event_state(event_id: int) -> State:
    return (
        Event.objects.filter(pk=event_id).values_list("visibility", "host_organisation_id").first()
        or core_changes.last_event_state(event_id)
        or (Event.Visibility.INTERNAL, None)
    )


# --- Deletions and reference data (signal receivers) -------------------------------------------


@dataclass
class _Cascade:
    """An event being deleted: its own state, and the rows of its parts deleted before it."""

    state: State
    parts: list[tuple[str, int, bool]] = field(default_factory=list)


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
    # come last.
    _cascades()[instance.pk] = _Cascade(state=(instance.visibility, instance.host_organisation_id))


@receiver(post_delete, sender=Event, dispatch_uid="changes.event_deleted")
def _event_deleted(sender, instance: Event, **kwargs) -> None:
    cascade = _cascades().pop(instance.pk, None) or _Cascade(
        state=(instance.visibility, instance.host_organisation_id)
    )
    entities = {kind for kind, _pk, _internal in cascade.parts}
    for entity in sorted(entities, key=PART_ORDER.index):
        parts = [(pk, internal) for kind, pk, internal in cascade.parts if kind == entity]
        core_changes.record(
            entity, parts, state=cascade.state, verb=Verb.DELETED, event_id=instance.pk
        )
    core_changes.record(
        Change.Entity.EVENT,
        [(instance.pk, False)],
        state=cascade.state,
        verb=Verb.DELETED,
        event_id=instance.pk,
    )


def event_part_deleted(*, entity: str, object_id: int, event_id: int, internal: bool = False):
    """Log a deleted part of an event; while the event itself is being deleted, its rows wait
    for the event's own (see _event_deleting)."""
    cascade = _cascades().get(event_id)
    if cascade is not None:
        cascade.parts.append((entity, object_id, internal))
    else:
        core_changes.record(
            entity,
            [(object_id, internal)],
            state=_event_state(event_id),
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
