"""Incremental sync: sync tokens, and what changed in a list since one was issued.

A token is a position in the change log (``scheduling.Change``), signed and dated. A list
answer carries the position read before the list itself, so a change made while the client
pages through the list is sent again by the next sync rather than lost. Change ids rise in
commit order (see scheduling.services.changes), so "every row after N" cannot miss a change
that committed late.

A sync answers the objects of the list (same filters, same visibility) that changed after the
position, and a tombstone for each changed object that has left the list: deleted, cancelled
(events), or no longer visible or matching. A tombstone goes only to callers who could have
seen the object before or after some change in the window (the log keeps both states), so a
partner does not learn the ids of events it may not see.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from core.models import Change
from scheduling.models import Event, ProgrammeItem
from scheduling.visibility import (
    CHANGE_FIELDS,
    Audience,
    ChangeState,
    change_filter,
    could_see_any,
)

from .exceptions import SyncTokenGone

SALT = "api.sync-token"


def token_for(position: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(position))


def position_of(token: str, *, head: int) -> int:
    """The change-log position a token names; SyncTokenGone (410) if expired, forged or foreign."""
    max_age = dt.timedelta(days=settings.API_SYNC_TOKEN_MAX_AGE_DAYS)
    try:
        position = int(signing.TimestampSigner(salt=SALT).unsign(token, max_age=max_age))
    except signing.SignatureExpired:
        raise SyncTokenGone(_("This sync token has expired: list again from the start.")) from None
    except (signing.BadSignature, ValueError):
        raise SyncTokenGone(_("Unknown sync token: list again from the start.")) from None
    if not 0 <= position <= head:
        raise SyncTokenGone(_("Unknown sync token: list again from the start."))
    return position


@dataclass(frozen=True)
class SyncSpec:
    """Which log rows concern a list, and how they name its objects.

    entity: rows of this entity name the list's objects by object_id.
    model: the list's model, to find children of changed events and what still exists.
    parts_name_event: the events list: rows of an event's parts (programme and bookings are
        embedded in its JSON) name the event itself.
    follows_event: rows of the event itself re-send all its objects of this list (their
        visibility follows the event's).
    event_id: a nested list's event.
    """

    entity: str
    model: type[models.Model]
    parts_name_event: bool = False
    follows_event: bool = False
    event_id: int | None = None

    def rows_q(self) -> Q:
        if self.parts_name_event:
            # Attendance is not in an event's JSON, but changing the list can raise the
            # event's SEQUENCE (visitors.invitations), which is.
            q = Q(
                entity__in=[
                    Change.Entity.EVENT,
                    Change.Entity.PROGRAMME_ITEM,
                    Change.Entity.BOOKING,
                    Change.Entity.ATTENDANCE,
                ]
            )
        elif self.follows_event:
            q = Q(entity__in=[self.entity, Change.Entity.EVENT])
        else:
            q = Q(entity=self.entity)
        if self.event_id is not None:
            q &= Q(event_id=self.event_id)
        return q


def seen_by(audience: Audience) -> Q:
    """Log rows about objects this audience could see before or after the change."""
    if audience.is_staff:
        return Q()
    return change_filter(audience) | change_filter(audience, "was_")


def latest_seen(spec: "SyncSpec", audience: Audience) -> dict[str, Any]:
    """The latest change (id, created_at) of a list that this audience could see: what its
    ETag and Last-Modified are made of, so that hidden changes do not move them. Staff see
    every change, including the people and places the JSON names."""
    changes = Change.objects.order_by("-id").values("id", "created_at")
    if not audience.is_staff:
        changes = changes.filter(spec.rows_q(), seen_by(audience))
    return changes.first() or {"id": 0, "created_at": None}


@dataclass
class Delta:
    objects: list[Any]
    tombstones: list[dict[str, Any]]
    position: int
    has_more: bool


ROW_FIELDS = ("id", "entity", "object_id", "event_id", *CHANGE_FIELDS)


def delta(
    spec: SyncSpec,
    *,
    audience: Audience,
    collection: models.QuerySet,
    position: int,
    head: int,
    limit: int,
) -> Delta:
    """What changed in `collection` after `position` (up to `limit` log rows): a fixed number
    of queries whatever the number of changes."""
    rows = list(
        Change.objects.filter(spec.rows_q(), id__gt=position, id__lte=head)
        .order_by("id")
        .values(*ROW_FIELDS)[: limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    reached = rows[-1]["id"] if has_more else head

    states: dict[int, list[ChangeState]] = {}
    changed_events: dict[int, list[ChangeState]] = {}
    for row in rows:
        was, now = ChangeState.of_row(row, "was_"), ChangeState.of_row(row)
        if spec.parts_name_event:  # any part's row is a change of the event
            key, was, now = row["event_id"], was.of_event(), now.of_event()
        elif row["entity"] == Change.Entity.EVENT and spec.entity != Change.Entity.EVENT:
            changed_events.setdefault(row["event_id"], [was]).append(now)
            continue
        else:
            key = row["object_id"]
        # From the state before the first change in the window.
        states.setdefault(key, [was]).append(now)

    if changed_events:
        for pk, event_id, internal, host in _parts_of(spec.model, changed_events):
            states.setdefault(pk, []).extend(
                state._replace(internal=internal, item_host_id=host)
                for state in changed_events[event_id]
            )

    objects = list(collection.filter(pk__in=list(states)).order_by("pk"))
    present = {obj.pk for obj in objects}
    gone = [
        pk for pk in sorted(states) if pk not in present and could_see_any(audience, states[pk])
    ]
    return Delta(
        objects=objects,
        tombstones=_tombstones(spec.model, gone, audience),
        position=reached,
        has_more=has_more,
    )


def _parts_of(model, changed_events) -> Iterable[tuple[int, int, bool, int | None]]:
    """The list's objects that belong to events whose own row changed (one query): (id,
    event id, internal, item host)."""
    if model is ProgrammeItem:
        for pk, event_id, visibility, host in model.objects.filter(
            event_id__in=list(changed_events)
        ).values_list("pk", "event_id", "visibility", "host_organisation_id"):
            yield pk, event_id, visibility == ProgrammeItem.Visibility.INTERNAL, host
    else:
        for pk, event_id in model.objects.filter(event_id__in=list(changed_events)).values_list(
            "pk", "event_id"
        ):
            yield pk, event_id, False, None


def _tombstones(model, gone: list[int], audience: Audience) -> list[dict[str, Any]]:
    if not gone:
        return []
    if model is Event:
        still = set(Event.objects.filter(pk__in=gone).values_list("pk", flat=True))
        # "Cancelled" only to those who may still see it; to others it has only gone.
        cancelled = set(
            Event.objects.visible_to(audience)
            .filter(pk__in=gone, status=Event.Status.CANCELLED)
            .values_list("pk", flat=True)
        )
        reasons = {
            pk: "deleted" if pk not in still else "cancelled" if pk in cancelled else "removed"
            for pk in gone
        }
    else:
        still = set(model.objects.filter(pk__in=gone).values_list("pk", flat=True))
        reasons = {pk: "removed" if pk in still else "deleted" for pk in gone}
    return [{"id": pk, "reason": reasons[pk]} for pk in gone]
