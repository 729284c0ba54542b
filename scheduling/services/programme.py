"""Run-of-show writes: programme items and the people who take part in them."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.audit import reason_with, stamp
from core.unset import UNSET, given

from .. import wording
from ..models import Booking, Event, Facility, ProgrammeItem, ProgrammeRole
from . import changes as change_log
from .announce import event_announce
from .bookings import bookings_release_for_item
from .changes import Verb
from .consent import stop_consents_ask_again

PROGRAMME_CLOSED = gettext_lazy("its programme is closed")
# The fields of an item the services write (the admin's forms save these).
ITEM_FIELDS = frozenset(
    {
        "title",
        "title_zh",
        "kind",
        "facility",
        "host_organisation",
        "description",
        "cue_notes",
        "visibility",
        "position",
        "start",
        "end",
    }
)
# Where and when a host consented to receive the party: a change asks the host again.
CONSENTED_FIELDS = frozenset({"start", "end", "facility"})
# What an invite shows of a public item (scheduling.facts.ProgrammeLine, in programme order).
SHOWN_FIELDS = frozenset(
    {"title", "title_zh", "start", "end", "facility", "visibility", "position"}
)


@transaction.atomic
def programme_item_create(
    *,
    event_id: int,
    title: str,
    start: dt.datetime,
    end: dt.datetime,
    title_zh: str = "",
    kind: str = ProgrammeItem.Kind.OTHER,
    facility: Facility | None = None,
    host_organisation: Model | None = None,  # a visitors.Organisation
    description: str = "",
    cue_notes: str = "",
    visibility: str = ProgrammeItem.Visibility.PUBLIC,
    position: int = 0,
    roles: Iterable[tuple[Model, str]] = (),  # (visitors.Person, part), in speaking order
    by: AbstractBaseUser | None = None,
    partner_id: int | None = None,
) -> ProgrammeItem:
    """Add an item inside the event's window, with (person, part) roles in speaking order.
    Invites list the programme: an item a partner writes holds the event's messages for staff
    approval."""
    event = Event.objects.locked(event_id)  # run-of-show edits apply one at a time
    event.refuse_if_final(closed=PROGRAMME_CLOSED)
    item = ProgrammeItem(
        event=event,
        title=title,
        title_zh=title_zh,
        start=start,
        end=end,
        kind=kind,
        facility=facility,
        host_organisation=host_organisation,
        description=description,
        cue_notes=cue_notes,
        visibility=visibility,
        position=position,
    )
    item.full_clean()
    stamp(item, by=by, reason=pgettext_lazy("history reason", "Added to programme"))
    item.save()
    _set_roles(item, roles, by=by)
    if item.visibility == ProgrammeItem.Visibility.PUBLIC:
        event_announce(
            event,
            changed={"programme"},
            summary=wording.item_added(item),
            reason=pgettext_lazy("history reason", "Programme changed"),
            by=by,
            partner_id=partner_id,
        )
    change_log.programme_item_changed(item=item, verb=Verb.CREATED)  # last: the log lock
    return item


@transaction.atomic
def programme_item_update(
    *,
    item_id: int,
    title: str = UNSET,
    title_zh: str = UNSET,
    start: dt.datetime = UNSET,
    end: dt.datetime = UNSET,
    kind: str = UNSET,
    facility: Facility | None = UNSET,
    host_organisation: Model | None = UNSET,
    description: str = UNSET,
    cue_notes: str = UNSET,
    visibility: str = UNSET,
    position: int = UNSET,
    roles: Iterable[tuple[Model, str]] | None = None,
    by: AbstractBaseUser | None = None,
    partner_id: int | None = None,
) -> ProgrammeItem:
    """Edit the fields given; the item must stay inside its event's window. roles=None leaves
    the roles alone. A new time or facility asks the stop's host for consent again
    (scheduling.services.consent)."""
    changes = given(
        title=title,
        title_zh=title_zh,
        start=start,
        end=end,
        kind=kind,
        facility=facility,
        host_organisation=host_organisation,
        description=description,
        cue_notes=cue_notes,
        visibility=visibility,
        position=position,
    )
    item = _locked_item(item_id)
    item.event.refuse_if_final(closed=PROGRAMME_CLOSED)
    before = {name: getattr(item, name) for name in changes}
    was_shown = item.visibility == ProgrammeItem.Visibility.PUBLIC
    for name, value in changes.items():
        setattr(item, name, value)
    item.full_clean()
    fields = ", ".join(sorted(changes))
    stamp(
        item,
        by=by,
        reason=reason_with(pgettext_lazy("history reason", "Updated"), fields) if changes else "",
    )
    item.save()
    if roles is not None:
        _set_roles(item, roles, by=by)
    if any(before[name] != changes[name] for name in CONSENTED_FIELDS & set(changes)):
        stop_consents_ask_again(items=[item], by=by)
    shown = {name for name in SHOWN_FIELDS & set(changes) if before[name] != changes[name]}
    is_shown = item.visibility == ProgrammeItem.Visibility.PUBLIC
    if shown and (was_shown or is_shown):
        if not is_shown:
            summary = wording.item_removed(item)
        elif not was_shown:
            summary = wording.item_added(item)
        else:
            summary = wording.item_changed(
                item, {"title": item.title, "start": item.start, "end": item.end, **before}
            )
        event_announce(
            item.event,
            changed={"programme"},
            summary=summary,
            reason=pgettext_lazy("history reason", "Programme changed"),
            by=by,
            partner_id=partner_id,
        )
    change_log.programme_item_changed(item=item)
    return item


@transaction.atomic
def programme_item_move(
    *, item_id: int, step: int, by: AbstractBaseUser | None = None
) -> ProgrammeItem:
    """Swap the item with its neighbour in the running order (step -1: earlier, +1: later).
    The pair keeps the time it covered, and each its length: the later one now starts when
    the earlier one did, and the other ends when the pair ended. Refused at either end."""
    if step not in (-1, 1):
        raise ValidationError(
            {"step": _("Move one place earlier (-1) or later (+1).")}, code="step"
        )
    item = _locked_item(item_id)
    item.event.refuse_if_final(closed=PROGRAMME_CLOSED)
    order = list(item.event.programme.select_for_update().values_list("pk", flat=True))
    at = order.index(item.pk) + step
    if not 0 <= at < len(order):
        raise ValidationError(
            {
                "step": _("It is already the first item.")
                if step < 0
                else _("It is already the last.")
            },
            code="end_of_programme",
        )
    first, second = sorted(
        [item, item.event.programme.get(pk=order[at])], key=lambda row: order.index(row.pk)
    )
    gap = second.start - first.end
    new_second_end = first.start + (second.end - second.start)
    new_first_start = new_second_end + gap
    new_first_end = new_first_start + (first.end - first.start)
    # The same start sorts by position: keep the swapped order when the pair starts together.
    programme_item_update(
        item_id=second.pk,
        start=first.start,
        end=new_second_end,
        position=min(first.position, second.position),
        by=by,
    )
    programme_item_update(
        item_id=first.pk,
        start=new_first_start,
        end=new_first_end,
        position=max(first.position, second.position) + (first.position == second.position),
        by=by,
    )
    item.refresh_from_db()
    return item


@transaction.atomic
def programme_item_delete(
    *, item_id: int, by: AbstractBaseUser | None = None, partner_id: int | None = None
) -> list[Booking]:
    """Remove an item from the run-of-show (its history stays in the audit trail). A dropped
    stop of a visit (arrival, remarks, tour stop, photo call, departure) frees what was booked
    for it and takes the transfer that led to it along: its bookings are released in the same
    transaction and returned, so that the caller can say so."""
    item = _locked_item(item_id)
    item.event.refuse_if_final(closed=PROGRAMME_CLOSED)
    released = bookings_release_for_item(
        item=item,
        by=by,
        reason=reason_with(
            pgettext_lazy("history reason", "Its programme item was removed"), item.title
        ),
    )
    dropped = [item]
    if item.kind in ProgrammeItem.STOP_KINDS and item.kind != ProgrammeItem.Kind.TRANSFER:
        dropped += item.event.programme.filter(kind=ProgrammeItem.Kind.TRANSFER, end=item.start)
    if any(row.visibility == ProgrammeItem.Visibility.PUBLIC for row in dropped):
        event_announce(
            item.event,
            changed={"programme"},
            summary=wording.item_removed(item),
            reason=pgettext_lazy("history reason", "Programme changed"),
            by=by,
            partner_id=partner_id,
        )
    for row in dropped:
        stamp(
            row,
            by=by,
            reason=reason_with(
                pgettext_lazy("history reason", "Removed from the programme"), item.title
            ),
        )
        row.delete()
    return released


def _locked_item(item_id: int) -> ProgrammeItem:
    # The event first, as every other run-of-show and booking write locks it: one order of locks.
    event_id = ProgrammeItem.objects.values_list("event_id", flat=True).get(pk=item_id)
    event = Event.objects.locked(event_id)
    item = ProgrammeItem.objects.select_for_update().get(pk=item_id, event_id=event.pk)
    item.event = event
    return item


def _set_roles(item: ProgrammeItem, roles: Iterable[tuple[Any, str]], *, by) -> None:
    wanted = list(roles)
    people = [person for person, _part in wanted]
    if len({getattr(p, "pk", p) for p in people}) != len(people):
        raise ValidationError({"roles": _("A person appears twice in one programme item.")})
    for role in item.roles.all():
        stamp(role, by=by)
        role.delete()
    for position, (person, part) in enumerate(wanted):
        role = ProgrammeRole(item=item, person=person, part=part, position=position)
        role.full_clean(exclude=["item"])
        stamp(role, by=by)
        role.save()
