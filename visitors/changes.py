"""Visitors' entries in the change log: attendee lists (parts of their events), organisations
and people (reference data only staff keys read). See core.changes and
scheduling.services.changes."""

from collections.abc import Sequence

from django.db.models.signals import post_delete, post_save

from core import changes as core_changes
from core.models import Change
from scheduling.models import Event
from scheduling.services.changes import (
    event_part_changed,
    event_part_deleted,
    reference_changed,
)

from .models import Attendance, Organisation, Person

Verb = Change.Verb


def attendance_changed(*, attendance: Attendance, verb: str = Verb.UPDATED) -> None:
    """Log a change to one attendance (the event's attendee list)."""
    attendances_changed(event_id=attendance.event_id, attendance_ids=[attendance.pk], verb=verb)


def attendances_changed(
    *, event_id: int, attendance_ids: Sequence[int], verb: str = Verb.UPDATED
) -> None:
    """Log a change to several attendances of one event at once."""
    event_part_changed(
        entity=Change.Entity.ATTENDANCE,
        objects=[(pk, False) for pk in attendance_ids],
        event_id=event_id,
        verb=verb,
    )


def _attendance_deleted(sender, instance: Attendance, **kwargs) -> None:
    event_part_deleted(
        entity=Change.Entity.ATTENDANCE, object_id=instance.pk, event_id=instance.event_id
    )


# Organisations and people are for staff keys only: the visibility rule's "internal".
DIRECTORY = {Organisation: Change.Entity.ORGANISATION, Person: Change.Entity.PERSON}
DIRECTORY_STATE = (Event.Visibility.INTERNAL, None)


def people_created(*, person_ids: Sequence[int]) -> None:
    """Log people put on file many at once (a bulk insert sends no post_save), as
    _directory_saved logs one."""
    core_changes.record(
        Change.Entity.PERSON,
        [(pk, False) for pk in person_ids],
        state=DIRECTORY_STATE,
        verb=Verb.CREATED,
    )


def _directory_saved(sender, instance, created: bool = False, raw: bool = False, **kwargs):
    if not raw:  # loaddata writes fixtures as they are
        reference_changed(
            entity=DIRECTORY[sender],
            object_id=instance.pk,
            state=DIRECTORY_STATE,
            verb=Verb.CREATED if created else Verb.UPDATED,
        )


def _directory_deleted(sender, instance, **kwargs) -> None:
    reference_changed(
        entity=DIRECTORY[sender],
        object_id=instance.pk,
        state=DIRECTORY_STATE,
        verb=Verb.DELETED,
    )


post_delete.connect(_attendance_deleted, sender=Attendance, dispatch_uid="changes.attendance")
for _model in DIRECTORY:
    post_save.connect(_directory_saved, sender=_model, dispatch_uid=f"changes.{_model.__name__}")
    post_delete.connect(
        _directory_deleted, sender=_model, dispatch_uid=f"changes.{_model.__name__}.deleted"
    )
