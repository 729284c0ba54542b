"""Embargoes: a restricted event published at its release time.

An embargoed event is restricted until then (staff, its host and its stop hosts see it; the
visibility rule keeps everyone else out). Its release is an ordinary visibility change through
``event_update``, so the change log gets a row that was restricted and is now public or
partners: sync and webhooks announce the event to every partner who can newly see it, and
feeds list it from then on. The periodic task ``scheduling.tasks.events_release_due`` releases
what is due; staff may release one sooner (the back office's action).
"""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from ..models import Event
from .events import event_update

RELEASED = pgettext_lazy("history reason", "Released from embargo")


def events_due_for_release(*, now: dt.datetime | None = None) -> list[int]:
    """The ids of open events whose release time has come (a final event stays as it was:
    a cancelled visit is not published)."""
    final = [status for status, after in Event.TRANSITIONS.items() if not after]
    due = Event.objects.filter(release_at__lte=now or timezone.now()).exclude(status__in=final)
    return list(due.order_by("release_at", "pk").values_list("pk", flat=True))


@transaction.atomic
def event_release(
    *, event_id: int, by: AbstractBaseUser | None = None, due_by: dt.datetime | None = None
) -> Event:
    """End an event's embargo: it takes its visibility at release, logged as a change from
    restricted. Idempotent: an event with no embargo (released already) is left alone, and with
    due_by (the task's clock) so is one whose release time was moved past it."""
    event = Event.objects.locked(event_id)  # one release at a time: the second finds none
    if event.release_at is None or (due_by is not None and event.release_at > due_by):
        return event
    return event_update(
        event_id=event.pk,
        visibility=event.release_visibility,
        release_at=None,
        release_visibility="",
        by=by,
        reason=RELEASED,
    )
