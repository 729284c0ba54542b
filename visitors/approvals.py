"""Staff approval of what the office sends: who waits for it, holding and approving.

Invites and updates to someone a partner put on the list, or to anyone on a partner's event
whom staff did not add, wait until a staff member approves them (``approval_for_new``). When a
partner changes what an invite says (visitors.invitations.PARTNER_WORDS), everything about the
event is held again (``invites_hold``, from visitors.invitations.follow_event_change).
``invites_approve`` releases what was held and writes what was never written. A message
waiting for approval is a ``Delivery`` in the HELD state; visitors.invitations queues it so.
"""

import logging
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy
from simple_history.utils import bulk_update_with_history

from core.audit import kept
from scheduling.models import Event

from .changes import attendances_changed
from .models import Attendance, Delivery
from .sending import OUTBOX, deliveries_create
from .sequences import WAITING

logger = logging.getLogger(__name__)


def approval_for_new(
    attendance: Attendance,
    *,
    event: Event,
    by: AbstractBaseUser | None,
    partner_id: int | None = None,
) -> None:
    """Whether invites to someone just put on the list wait for staff: someone a partner added,
    or anyone on a partner's event unless a staff member adds them (who then approves them)."""
    staff = getattr(by, "is_staff", False)
    if partner_id is not None or (event.proposed_by_id is not None and not staff):
        attendance.awaiting_approval = True
    elif event.proposed_by_id is not None:
        attendance.invite_approved_by, attendance.invite_approved_at = by, timezone.now()


@transaction.atomic
def invites_hold(*, event_id: int, reason: str | Promise) -> int:
    """Hold everything the office would send about this event until a staff member approves
    it again: a partner changed what the invite says. Returns the messages held."""
    held = list(Attendance.objects.filter(event_id=event_id, awaiting_approval=False))
    for attendance in held:
        attendance.awaiting_approval = True
        attendance.invite_approved_by = None
        attendance.invite_approved_at = None
    if held:
        bulk_update_with_history(
            held,
            Attendance,
            ["awaiting_approval", "invite_approved_by", "invite_approved_at"],
            default_change_reason=kept(reason),
        )
        attendances_changed(event_id=event_id, attendance_ids=[a.pk for a in held])
    return (
        Delivery.objects.filter(event_id=event_id, state__in=WAITING)
        .exclude(method=Delivery.Method.CANCEL)
        .update(state=Delivery.State.HELD, last_error=kept(reason), updated_at=timezone.now())
    )


@transaction.atomic
def invites_approve(
    *, event_id: int, attendance_ids: Iterable[int] | None = None, by: AbstractBaseUser
) -> list[Delivery]:
    """A staff member approves what the office sends to these attendees (default: everyone
    awaiting approval): their held messages go out, and if the event's invites are already
    out, those who have none at the current SEQUENCE get one. Returns the messages released
    or queued."""
    event = Event.objects.locked(event_id)
    awaiting = event.attendances.filter(awaiting_approval=True)
    if attendance_ids is not None:
        awaiting = awaiting.filter(pk__in=set(attendance_ids))
    approved = list(awaiting.select_related("person"))
    if not approved:
        return []
    now = timezone.now()
    for attendance in approved:
        attendance.awaiting_approval = False
        attendance.invite_approved_by = by
        attendance.invite_approved_at = now
    bulk_update_with_history(
        approved,
        Attendance,
        ["awaiting_approval", "invite_approved_by", "invite_approved_at"],
        default_user=by,
        default_change_reason=kept(pgettext_lazy("history reason", "Invites approved")),
    )
    people = [attendance.person_id for attendance in approved]
    held = Delivery.objects.filter(event=event, person_id__in=people, state=Delivery.State.HELD)
    released = list(held)
    held.update(state=Delivery.State.QUEUED, next_attempt_at=now, last_error="", updated_at=now)
    OUTBOX.enqueue([row.pk for row in released])
    queued = []
    invites_out = Delivery.objects.filter(event=event, method=Delivery.Method.REQUEST).exists()
    if event.status == Event.Status.CONFIRMED and invites_out:
        already = Delivery.objects.filter(
            event=event, method=Delivery.Method.REQUEST, sequence=event.sequence
        ).values_list("person_id", flat=True)
        queued = deliveries_create(
            Delivery(
                event=event,
                person=attendance.person,
                attendance=attendance,
                method=Delivery.Method.REQUEST,
                sequence=event.sequence,
                next_attempt_at=now,
            )
            for attendance in approved
            if attendance.person.email and attendance.person_id not in set(already)
        )
    logger.info("%s approved invites to %d attendees of event %s", by, len(approved), event.pk)
    # Last: the change log's lock comes after every other lock.
    attendances_changed(event_id=event.pk, attendance_ids=[a.pk for a in approved])
    return released + queued
