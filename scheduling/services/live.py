"""The day's writes on the run-of-show: an item started, finished, skipped or extended.

Each is recorded on the item (with who and why in its history) and logged for the partner API,
its sync and webhooks, which show the items' expected times (scheduling.live). Every item of
the event is logged, since a late start moves the expected times of all that follow. None of
them changes the plan or sends calendar updates: attendees' calendars keep the planned times,
and a slip of ten minutes is not worth an update to every attendee (README, "On the day").
"""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.audit import reason_with, stamp
from core.changes import Entry
from core.models import Change

from .. import live
from ..models import Event, ProgrammeItem
from . import changes as change_log
from .changes import Verb
from .programme import _locked_item

MAX_EXTRA_MINUTES = 240


def _locked(item_id: int) -> ProgrammeItem:
    item = _locked_item(item_id)  # the event first, as every run-of-show write locks it
    if item.event.status == Event.Status.CANCELLED:
        raise ValidationError(_("This event was cancelled."), code="cancelled")
    return item


def _saved(item: ProgrammeItem, *, by, reason, fields: list[str]) -> ProgrammeItem:
    """Save the mark, then every item's expected times (scheduling.live), and log them all."""
    stamp(item, by=by, reason=reason)
    item.save(update_fields=fields)
    programme = list(item.event.programme.all())
    for timing in live.timings(programme, now=timezone.now()):
        timing.item.expected_start = timing.expected_start
        timing.item.expected_end = timing.expected_end
    ProgrammeItem.objects.bulk_update(programme, ["expected_start", "expected_end"])
    internal = ProgrammeItem.Visibility.INTERNAL
    change_log.event_part_changed(
        entity=Change.Entity.PROGRAMME_ITEM,
        objects=[
            Entry(other.pk, other.visibility == internal, other.host_organisation_id)
            for other in programme
        ],
        event_id=item.event_id,
        verb=Verb.UPDATED,
    )
    return next(other for other in programme if other.pk == item.pk)


@transaction.atomic
def programme_item_start(
    *, item_id: int, by: AbstractBaseUser | None = None, at: dt.datetime | None = None
) -> ProgrammeItem:
    """Mark an item started (now, or at `at`); starting one already started changes nothing."""
    item = _locked(item_id)
    if item.started_at is not None:
        return item
    item.started_at, item.skipped = at or timezone.now(), False
    reason = pgettext_lazy("history reason", "Started")
    return _saved(item, by=by, reason=reason, fields=["started_at", "skipped"])


@transaction.atomic
def programme_item_finish(
    *, item_id: int, by: AbstractBaseUser | None = None, at: dt.datetime | None = None
) -> ProgrammeItem:
    """Mark an item finished; one not marked started is taken to have started on time, or when
    the item before it finished if that was later."""
    item = _locked(item_id)
    if item.finished_at is not None:
        return item
    now = at or timezone.now()
    fields = ["finished_at", "skipped"]
    if item.started_at is None:
        before = (
            item.event.programme.filter(start__lte=item.start, finished_at__isnull=False)
            .exclude(pk=item.pk)
            .order_by("-finished_at")
            .values_list("finished_at", flat=True)
            .first()
        )
        item.started_at = min(max(item.start, before or item.start), now)
        fields.append("started_at")
    if now < item.started_at:
        raise ValidationError(
            _("An item cannot finish before it started."), code="finished_before_start"
        )
    item.finished_at, item.skipped = now, False
    reason = pgettext_lazy("history reason", "Finished")
    return _saved(item, by=by, reason=reason, fields=fields)


@transaction.atomic
def programme_item_skip(*, item_id: int, by: AbstractBaseUser | None = None) -> ProgrammeItem:
    """Leave an item out on the day (one that has started cannot be)."""
    item = _locked(item_id)
    if item.started_at is not None:
        raise ValidationError(_("This item has started: it cannot be skipped."), code="started")
    item.skipped = True
    reason = pgettext_lazy("history reason", "Skipped on the day")
    return _saved(item, by=by, reason=reason, fields=["skipped"])


@transaction.atomic
def programme_item_reinstate(*, item_id: int, by: AbstractBaseUser | None = None) -> ProgrammeItem:
    """Undo a skip, or a start or finish marked by mistake: the item is as planned again."""
    item = _locked(item_id)
    item.started_at = item.finished_at = None
    item.skipped = False
    reason = pgettext_lazy("history reason", "Reinstated as planned")
    return _saved(item, by=by, reason=reason, fields=["started_at", "finished_at", "skipped"])


@transaction.atomic
def programme_item_extend(
    *, item_id: int, minutes: int, by: AbstractBaseUser | None = None
) -> ProgrammeItem:
    """Let an item take `minutes` longer than planned (negative shortens what was added)."""
    item = _locked(item_id)
    total = item.extra_minutes + minutes
    if not 0 <= total <= MAX_EXTRA_MINUTES:
        raise ValidationError(
            _("An item can be extended by 0 to %(most)d minutes.") % {"most": MAX_EXTRA_MINUTES},
            code="extra_minutes",
        )
    item.extra_minutes = total
    reason = reason_with(pgettext_lazy("history reason", "Extended (minutes)"), total)
    return _saved(item, by=by, reason=reason, fields=["extra_minutes"])
