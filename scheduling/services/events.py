"""Event writes: create, update, reschedule and move through the status lifecycle.

Every function owns its transaction, takes keyword arguments and returns the event. The user
who acts is recorded in the audit trail (django-simple-history) with an optional reason.
"""

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.audit import reason_with, stamp
from core.unset import UNSET, given

from .. import wording
from ..models import Event, Site
from ..models.events import CANCEL_REASON_MAX_LENGTH
from ..signals import event_changed
from ..timezones import moment_label, require_aware
from . import changes as change_log
from .booking_checks import check_within_event
from .bookings import bookings_release_for_event, bookings_shift_for_event
from .changes import Verb
from .consent import stop_consents_ask_again

# Fields that change what a calendar invite says: editing one raises the revision and sends
# attendees an update with a higher SEQUENCE, so calendar clients replace the earlier copy
# (RFC 5546 §2.1.4).
INVITE_FIELDS = frozenset({"title", "title_zh", "description", "site", "timezone", "start", "end"})
# The details event_update changes (times and status have services of their own).
DETAIL_FIELDS = frozenset(
    {
        "title",
        "title_zh",
        "bilingual",
        "kind",
        "visibility",
        "site",
        "timezone",
        "host_organisation",
        "organiser",
        "description",
        "internal_notes",
        "reference",
        "release_at",
        "release_visibility",
    }
)
# The history's reason for a status set without one (core.audit: read in the reader's language).
STATUS_SET = {
    Event.Status.DRAFT: pgettext_lazy("history reason", "Status set to draft"),
    Event.Status.TENTATIVE: pgettext_lazy("history reason", "Status set to tentative"),
    Event.Status.CONFIRMED: pgettext_lazy("history reason", "Status set to confirmed"),
    Event.Status.POSTPONED: pgettext_lazy("history reason", "Status set to postponed"),
    Event.Status.CANCELLED: pgettext_lazy("history reason", "Status set to cancelled"),
    Event.Status.COMPLETED: pgettext_lazy("history reason", "Status set to completed"),
}


@transaction.atomic
def event_create(
    *,
    title: str,
    site: Site,
    start: dt.datetime,
    end: dt.datetime,
    kind: str = Event.Kind.OTHER,
    status: str = Event.Status.DRAFT,
    visibility: str = Event.Visibility.INTERNAL,
    timezone: str | None = None,
    title_zh: str = "",
    bilingual: bool = False,
    host_organisation: Model | None = None,  # a visitors.Organisation
    organiser: AbstractBaseUser | None = None,
    description: str = "",
    internal_notes: str = "",
    reference: str | None = None,
    release_at: dt.datetime | None = None,
    release_visibility: str = "",
    by: AbstractBaseUser | None = None,
    partner_id: int | None = None,
) -> Event:
    """Create a validated event; its time zone defaults to the site's. partner_id: the partner
    organisation whose API key creates it (its invites then wait for staff approval).
    release_at and release_visibility: an embargo on a restricted event (services.embargo)."""
    if status not in (Event.Status.DRAFT, Event.Status.TENTATIVE, Event.Status.CONFIRMED):
        raise ValidationError({"status": _("A new event starts as draft, tentative or confirmed.")})
    event = Event(
        title=title,
        title_zh=title_zh,
        bilingual=bilingual,
        site=site,
        start=start,
        end=end,
        kind=kind,
        status=status,
        visibility=visibility,
        timezone=timezone or site.timezone,
        host_organisation=host_organisation,
        organiser=organiser,
        description=description,
        internal_notes=internal_notes,
        reference=reference,
        release_at=release_at,
        release_visibility=release_visibility,
        proposed_by_id=partner_id,
    )
    event.full_clean()
    stamp(event, by=by, reason=pgettext_lazy("history reason", "Created"))
    event.save()
    change_log.event_changed(event=event, verb=Verb.CREATED)  # last: the log lock comes last
    return event


@transaction.atomic
def event_update(
    *,
    event_id: int,
    title: str = UNSET,
    title_zh: str = UNSET,
    bilingual: bool = UNSET,
    kind: str = UNSET,
    visibility: str = UNSET,
    site: Site = UNSET,
    timezone: str = UNSET,
    host_organisation: Model | None = UNSET,  # a visitors.Organisation
    organiser: AbstractBaseUser | None = UNSET,
    description: str = UNSET,
    internal_notes: str = UNSET,
    reference: str | None = UNSET,
    release_at: dt.datetime | None = UNSET,
    release_visibility: str = UNSET,
    by: AbstractBaseUser | None = None,
    reason: str = "",
    partner_id: int | None = None,
) -> Event:
    """Change the details given (the others stay); a change that shows in invites raises the
    revision and sends attendees an update.

    Times change through event_reschedule (bookings and programme move with them) and status
    through event_transition, so this takes neither. When a partner's key (partner_id)
    rewrites what an invite says, every message about the event waits for staff approval.
    """
    changes = given(
        title=title,
        title_zh=title_zh,
        bilingual=bilingual,
        kind=kind,
        visibility=visibility,
        site=site,
        timezone=timezone,
        host_organisation=host_organisation,
        organiser=organiser,
        description=description,
        internal_notes=internal_notes,
        reference=reference,
        release_at=release_at,
        release_visibility=release_visibility,
    )
    event = Event.objects.locked(event_id)
    event.refuse_if_final()
    changed = [name for name, value in changes.items() if _differs(event, name, value)]
    if not changed:
        return event
    before = {name: getattr(event, name) for name in changed}
    for name in changed:
        setattr(event, name, changes[name])
    event.full_clean()
    if INVITE_FIELDS & set(changed):
        event.revision += 1
    stamp(
        event,
        by=by,
        reason=reason
        or reason_with(pgettext_lazy("history reason", "Updated"), ", ".join(changed)),
    )
    event.save()
    if INVITE_FIELDS & set(changed):
        # Attendees hear of it (visitors writes the messages, sent after commit).
        event_changed.send(
            sender=Event,
            event=event,
            changed=set(changed),
            previous_status=event.status,
            by=by,
            partner_id=partner_id,
            summary=wording.event_fields_changed(event, before, changed),
        )
    change_log.event_changed(event=event)
    return event


@transaction.atomic
def event_reschedule(
    *,
    event_id: int,
    start: dt.datetime,
    end: dt.datetime,
    move_contents: bool = True,
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Event:
    """Move an event; its programme, every booking and every call time move by the same offset,
    or nothing moves (hosts who were asked to consent to a stop are asked again). Programme
    items keep their offsets from the event start; if the new window is shorter and an item
    would fall outside it, the whole reschedule is refused.

    With move_contents=False only the window changes (an earlier start to fit a VIP arrival):
    programme, bookings and call times stay where they are and must still fit in it.
    """
    require_aware("start", start)
    require_aware("end", end)
    if end <= start:
        raise ValidationError(
            {"end": _("The end must be after the start.")}, code="end_before_start"
        )
    event = Event.objects.locked(event_id)
    event.refuse_if_final()
    if (event.start, event.end) == (start, end):
        return event
    before = (event.start, event.end)
    delta = start - event.start if move_contents else dt.timedelta(0)
    event.start, event.end = start, end
    event.full_clean()
    for item in event.programme.all():
        item.start += delta
        item.end += delta
        if item.start < start or item.end > end:
            raise ValidationError(
                {
                    "end": _("Programme item “%(title)s” would fall outside the new time.")
                    % {"title": item.title}
                },
                code="programme_outside_event",
            )
        if delta:
            stamp(
                item, by=by, reason=reason or pgettext_lazy("history reason", "Event rescheduled")
            )
            item.save(update_fields=["start", "end"])
    if delta:
        bookings_shift_for_event(event=event, delta=delta, by=by, reason=reason)
        # Hosts consented to the old time: they are asked again, with new links.
        stop_consents_ask_again(items=event.programme.all(), by=by)
    else:
        for booking in event.bookings.active():
            check_within_event(booking, event)
    event.revision += 1
    stamp(event, by=by, reason=reason or pgettext_lazy("history reason", "Rescheduled"))
    event.save()
    # Answers are reset and invited attendees get the update (after commit).
    event_changed.send(
        sender=Event,
        event=event,
        changed={"start", "end"},
        previous_status=event.status,
        by=by,
        partner_id=None,
        summary=wording.event_time_changed(event, before),
        shifted=delta or None,
    )
    change_log.event_changed(event=event)  # its programme and bookings moved with it
    return event


@transaction.atomic
def event_transition(
    *, event_id: int, to: str, by: AbstractBaseUser | None = None, reason: str = ""
) -> Event:
    """Move an event to another status if the lifecycle allows it (see Event.TRANSITIONS);
    completed only once it has ended. The reason is kept in the history; a cancellation's is
    also kept on the event and told to attendees in the CANCEL."""
    if to not in Event.Status.values:
        raise ValidationError(
            {"status": _("Unknown status %(status)s.") % {"status": repr(to)}},
            code="invalid_status",
        )
    reason = reason.strip()
    if to == Event.Status.CANCELLED and len(reason) > CANCEL_REASON_MAX_LENGTH:
        raise ValidationError(
            {
                "reason": _(
                    "The reason goes to every attendee: keep it to %(most)s characters "
                    "(it has %(length)s)."
                )
                % {"most": CANCEL_REASON_MAX_LENGTH, "length": len(reason)}
            },
            code="max_length",
        )
    event = Event.objects.locked(event_id)
    if event.status == to:
        return event
    if not event.can_become(to):
        raise ValidationError(
            {
                "status": _("A %(current)s event cannot become %(wanted)s.")
                % {
                    "current": event.get_status_display().lower(),
                    "wanted": Event.Status(to).label.lower(),
                }
            },
            code="invalid_transition",
        )
    if to == Event.Status.COMPLETED and not event.has_ended:
        # Completed is final: an event still to come (or under way) would lose every change.
        raise ValidationError(
            {
                "status": _("The event can be marked completed only after it ends (%(end)s).")
                % {"end": moment_label(event.end, event.timezone)}
            },
            code="not_ended",
        )
    previous_status, event.status = event.status, to
    cancelled = to == Event.Status.CANCELLED
    # Every change-log row waits for the end (the log's lock comes after every other lock).
    with change_log.deferred():
        if cancelled:
            # Through the booking path, so each release is logged as one (webhooks, sync).
            bookings_release_for_event(
                event=event,
                by=by,
                reason=reason or pgettext_lazy("history reason", "Event cancelled"),
            )
            event.cancel_reason = reason  # the CANCEL to attendees says it (visitors.emails)
        event.revision += 1
        stamp(event, by=by, reason=reason or STATUS_SET[to])
        event.save()
        # A CANCEL to everyone invited, or an update with the new status (after commit).
        event_changed.send(
            sender=Event,
            event=event,
            changed={"status"},
            previous_status=previous_status,
            by=by,
            partner_id=None,
        )
        change_log.event_changed(event=event, verb=Verb.CANCELLED if cancelled else Verb.UPDATED)
    return event


def event_confirm(*, event_id: int, by: AbstractBaseUser | None = None, reason: str = "") -> Event:
    """Confirm an event (draft, tentative or postponed only)."""
    return event_transition(event_id=event_id, to=Event.Status.CONFIRMED, by=by, reason=reason)


def event_complete(*, event_id: int, by: AbstractBaseUser | None = None, reason: str = "") -> Event:
    """Mark a confirmed event completed once it has ended; completed is final."""
    return event_transition(event_id=event_id, to=Event.Status.COMPLETED, by=by, reason=reason)


def event_cancel(*, event_id: int, by: AbstractBaseUser | None = None, reason: str = "") -> Event:
    """Cancel an event and release its bookings; cancelled is final, and everyone invited gets
    a CANCEL that gives the reason."""
    return event_transition(event_id=event_id, to=Event.Status.CANCELLED, by=by, reason=reason)


def _differs(event: Event, name: str, value: Any) -> bool:
    field = Event._meta.get_field(name)
    if field.is_relation:
        current = getattr(event, field.attname)
        return current != (value.pk if hasattr(value, "pk") else value)
    return getattr(event, name) != value
