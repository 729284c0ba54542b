"""Deciding what attendees are sent: invites, updates, cancellations and reminders.

Every message is a ``Delivery`` row (the invite outbox, core.outbox), written in the same
transaction as the change that causes it and handed to django-q2 only after commit; sending it
is ``visitors.sending``'s business, what it says ``visitors.emails``'. A message to someone
awaiting staff approval is queued held; holding and approving are ``visitors.approvals``'.

Sequences (``visitors.sequences``): every message carries the event's invite SEQUENCE at the
time it was queued; a row made stale by a newer REQUEST or CANCEL for the same person is
superseded rather than sent, so an older REQUEST can never overtake a CANCEL.
"""

import datetime as dt
import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from scheduling import wording
from scheduling.models import Booking, Event

from .approvals import invites_hold
from .attendances import call_times_check, call_times_shift, rsvps_reset
from .models import Attendance, Delivery, Person
from .reminders import reminders_waiting
from .sending import deliveries_create
from .sequences import PENDING, WAITING, sequence_raise, update_joins_waiting

logger = logging.getLogger(__name__)

# A REQUEST in one of these states has reached, or may have reached, the attendee.
DELIVERED = (Delivery.State.SENT, Delivery.State.SENDING)
# A change of either means the attendee's earlier answer no longer holds (RFC 5546 §2.1.4).
# "venue": the main facility an invite names moved (scheduling.services.bookings).
TIME_OR_VENUE = frozenset({"start", "end", "site", "venue"})
DEMOTED = (Event.Status.TENTATIVE, Event.Status.POSTPONED)
# What an invite says in words: when a partner writes any of it, the office's mail waits for
# staff approval ("programme": the run-of-show an invite lists).
PARTNER_WORDS = frozenset({"title", "title_zh", "description", "programme"})


def follow_event_change(
    sender,
    *,
    event: Event,
    changed: set[str],
    previous_status: str,
    by: AbstractBaseUser | None,
    partner_id: int | None,
    summary: wording.Said | None = None,
    shifted: dt.timedelta | None = None,
    **kwargs,
) -> None:
    """scheduling.signals.event_changed: move call times with a moved event, hold a partner's
    words for approval, then queue the update or CANCEL the change calls for, saying what
    changed (in the change's own transaction)."""
    if shifted:
        call_times_shift(event=event, delta=shifted, by=by)
    elif "end" in changed:
        call_times_check(event=event)
    if partner_id is not None and changed & PARTNER_WORDS:
        invites_hold(
            event_id=event.pk,
            reason=pgettext_lazy("history reason", "A partner changed what the invite says."),
        )
    if "status" in changed or not update_joins_waiting(event):
        sequence_raise(event)
    invites_follow_change(
        event=event, changed=changed, previous_status=previous_status, by=by, summary=summary
    )


# --- Queueing -----------------------------------------------------------------------------------


@transaction.atomic
def invites_send(
    *,
    event_id: int,
    attendance_ids: Iterable[int] | None = None,
    include_declined: Iterable[int] = (),
    by: AbstractBaseUser | None = None,
) -> list[Delivery]:
    """Queue a REQUEST at the current SEQUENCE to everyone (or the chosen attendees) of a
    confirmed event whose bookings are confirmed; people already invited at this SEQUENCE and
    people without an e-mail address get nothing new. Someone who declined is sent a fresh
    invite only when chosen: named in ``attendance_ids`` or ``include_declined``. Returns the
    rows created."""
    # Lock the event: its SEQUENCE and the outbox rows that carry it change together.
    event = Event.objects.locked(event_id)
    _require_sendable(event)
    # Ids and addresses are all a row needs: no model instances for a list of a thousand.
    attendances = event.attendances.values_list(
        "pk", "person_id", "person__email", "awaiting_approval"
    )
    included = _on_list(event, attendances, set(include_declined), "include_declined")
    if attendance_ids is not None:
        wanted = _on_list(event, attendances, set(attendance_ids), "attendance_ids")
        attendances = attendances.filter(pk__in=wanted)
        included |= wanted
    # A declined answer stands until staff choose to ask again: no fresh invite by default.
    left_out = event.attendances.declined().exclude(pk__in=included)
    attendances = attendances.exclude(pk__in=left_out.values("pk"))
    already = set(
        Delivery.objects.filter(
            event=event, sequence=event.sequence, method=Delivery.Method.REQUEST
        ).values_list("person_id", flat=True)
    )
    now = timezone.now()
    rows = deliveries_create(
        Delivery(
            event=event,
            person_id=person_id,
            attendance_id=attendance_id,
            method=Delivery.Method.REQUEST,
            sequence=event.sequence,
            state=_first_state(awaiting_approval),
            next_attempt_at=now,
        )
        for attendance_id, person_id, email, awaiting_approval in attendances
        if email and person_id not in already
    )
    logger.info(
        "%s queued %d invites for event %s #%d", by or "system", len(rows), event.pk, event.sequence
    )
    return rows


@transaction.atomic
def invites_follow_change(
    *,
    event: Event,
    changed: Iterable[str],
    previous_status: str,
    by: AbstractBaseUser | None = None,
    summary: wording.Said | None = None,
) -> list[Delivery]:
    """After a change an invite shows (the event locked, its SEQUENCE raised or the change
    joining the update still waiting at it): reset
    answers on a change of time or place, and queue the update or CANCEL attendees need.

    A confirmed event's update goes to every current attendee who was invited, due at the end
    of the coalescing window (or earlier, if an older message to them is already due), and
    supersedes their older messages still waiting. Moving a confirmed event back to tentative
    or postponed tells only those who may already have the invite. A cancellation goes at once
    to everyone who may have the invite, and stops whatever was still waiting.
    """
    changed = set(changed)
    if changed & TIME_OR_VENUE:
        rsvps_reset(event=event, by=by)
    if event.status == Event.Status.CANCELLED:
        return [] if previous_status == Event.Status.CANCELLED else _queue_cancel(event)
    if event.status == Event.Status.CONFIRMED:
        return _queue_update(event, delivered_only=False, summary=summary or {})
    if event.status in DEMOTED and previous_status == Event.Status.CONFIRMED:
        _supersede(reminders_waiting(event), "The event is no longer confirmed.")
        return _queue_update(event, delivered_only=True, summary=summary or {})
    return []


@transaction.atomic
def invite_update_for_attendance(
    *, attendance: Attendance, summary: wording.Said, by: AbstractBaseUser | None = None
) -> Delivery | None:
    """One attendee's own part changed (their call time or role): queue an update to them alone
    (at a new SEQUENCE, unless their update is still waiting), if they may have the invite.
    Nobody else's calendar changes."""
    event = Event.objects.locked(attendance.event_id)
    person = attendance.person
    mine = Delivery.objects.filter(event=event, person=person, method=Delivery.Method.REQUEST)
    if event.status != Event.Status.CONFIRMED or not person.email or not mine.exists():
        return None
    if not update_joins_waiting(event, people=[person.pk]):
        sequence_raise(event)
    queued = _queue_update(event, delivered_only=False, summary=summary, only=[person.pk])
    # Joined: their waiting update now says this too.
    return queued[0] if queued else mine.filter(sequence=event.sequence).order_by("-pk").first()


@transaction.atomic
def invite_queue_for_attendance(
    *, attendance: Attendance, by: AbstractBaseUser | None = None
) -> Delivery | None:
    """Queue a REQUEST for someone added to a confirmed event after invites went out.

    Called with the event locked. If this person already had a message at the current
    SEQUENCE (a CANCEL when they were taken off the list), the SEQUENCE is raised first so the
    new invite outranks it in their calendar.
    """
    event = Event.objects.locked(attendance.event_id)
    rows = invites_queue_for_attendances(event=event, attendances=[attendance], by=by)
    return rows[0] if rows else None


def invites_queue_for_attendances(
    *, event: Event, attendances: Sequence[Attendance], by: AbstractBaseUser | None = None
) -> list[Delivery]:
    """Queue a REQUEST for each of several people added to a confirmed event after invites went
    out (those with an address), in one insert. The caller holds the event's lock. If any of
    them already had a message at the current SEQUENCE, it is raised once first, so that every
    new invite outranks it."""
    if event.status != Event.Status.CONFIRMED or not attendances:
        return []
    if not Delivery.objects.filter(event=event, method=Delivery.Method.REQUEST).exists():
        return []
    with_address = _with_address(attendances)
    addressed = [attendance for attendance in attendances if attendance.person_id in with_address]
    if not addressed:
        return []
    earlier = set(
        Delivery.objects.filter(event=event, sequence__gte=event.sequence).values_list(
            "person_id", flat=True
        )
    )
    if any(attendance.person_id in earlier for attendance in addressed):
        sequence_raise(event)
    now = timezone.now()
    return deliveries_create(
        Delivery(
            event=event,
            person_id=attendance.person_id,
            attendance=attendance,
            method=Delivery.Method.REQUEST,
            sequence=event.sequence,
            state=_first_state(attendance.awaiting_approval),
            next_attempt_at=now,
        )
        for attendance in addressed
    )


def _with_address(attendances: Sequence[Attendance]) -> set[int]:
    """The ids of these attendees' people who have an e-mail address (a query per 500)."""
    ids = sorted({attendance.person_id for attendance in attendances})
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found.update(
            Person.objects.filter(pk__in=ids[start : start + 500])
            .exclude(email="")
            .values_list("pk", flat=True)
        )
    return found


@transaction.atomic
def invite_cancel_for_attendance(
    *, attendance: Attendance, by: AbstractBaseUser | None = None
) -> Delivery | None:
    """For someone about to be taken off the list: stop their waiting messages and, if they may
    have the invite, raise the SEQUENCE and queue a CANCEL to them alone.

    Called with the event locked and before the attendance is deleted (the row keeps the
    person; its attendance link becomes empty).
    """
    event = Event.objects.locked(attendance.event_id)
    person = attendance.person
    mine = Delivery.objects.filter(event=event, person=person)
    _supersede(
        mine.filter(state__in=WAITING).exclude(method=Delivery.Method.CANCEL),
        "Taken off the attendee list.",
    )
    may_have_invite = mine.filter(method=Delivery.Method.REQUEST, state__in=DELIVERED).exists()
    if not may_have_invite or not person.email:
        return None
    sequence_raise(event)
    rows = deliveries_create(
        [
            Delivery(
                event=event,
                person=person,
                attendance=attendance,
                method=Delivery.Method.CANCEL,
                sequence=event.sequence,
                next_attempt_at=timezone.now(),
            )
        ]
    )
    return rows[0]


def cancel_recipients(*, event: Event) -> QuerySet[Attendance]:
    """Who a cancellation of the event is sent to: everyone on its list with an e-mail address
    who may have the invite. The staff pages show it before an officer cancels."""
    delivered = Delivery.objects.filter(
        event=event, method=Delivery.Method.REQUEST, state__in=DELIVERED
    ).values("person_id")
    return event.attendances.filter(person_id__in=delivered.distinct()).exclude(person__email="")


# --- Internals ----------------------------------------------------------------------------------


def _require_sendable(event: Event) -> None:
    if event.status != Event.Status.CONFIRMED:
        raise ValidationError(
            {
                "status": _("Invites go out for confirmed events only; “%(event)s” is %(status)s.")
                % {"event": event, "status": event.get_status_display().lower()}
            },
            code="not_confirmed",
        )
    held = [
        booking
        for booking in event.bookings.filter(status=Booking.Status.HELD, backup_of__isnull=True)
        .select_related("facility")
        .order_by("start", "pk")
    ]
    if held:
        places = ", ".join(str(booking.facility) for booking in held)
        raise ValidationError(
            {
                "bookings": _(
                    "Invites wait until the bookings are confirmed; still only held: %(places)s."
                )
                % {"places": places}
            },
            code="bookings_held",
        )


def _on_list(event: Event, attendances: QuerySet, wanted: set[int], field: str) -> set[int]:
    """The chosen attendance ids, refused when any is not on this event's list."""
    strangers = wanted - set(attendances.filter(pk__in=wanted).values_list("pk", flat=True))
    if strangers:
        raise ValidationError(
            {
                field: _("Not on the list of “%(event)s”: %(ids)s.")
                % {"event": event, "ids": sorted(strangers)}
            },
            code="not_on_list",
        )
    return wanted


def _first_state(awaiting_approval: bool) -> str:
    """A new message waits for the queue, or for a staff member's approval first."""
    return Delivery.State.HELD if awaiting_approval else Delivery.State.QUEUED


def _supersede(rows: QuerySet[Delivery], reason: str) -> int:
    return rows.filter(state__in=WAITING).update(
        state=Delivery.State.SUPERSEDED, last_error=reason, updated_at=timezone.now()
    )


def _queue_update(
    event: Event,
    *,
    delivered_only: bool,
    summary: wording.Said,
    only: list[int] | None = None,
) -> list[Delivery]:
    requests = Delivery.objects.filter(event=event, method=Delivery.Method.REQUEST)
    if only is not None:
        requests = requests.filter(person_id__in=only)
    invited = requests.filter(state__in=DELIVERED) if delivered_only else requests
    now = timezone.now()
    window_closes = now + dt.timedelta(seconds=settings.INVITE_COALESCE_SECONDS)
    waiting = requests.filter(state__in=WAITING, sequence__lt=event.sequence)
    # Coalescing: the update is due when the window closes, or sooner if an older message to
    # the same person is due sooner (the window runs from the first change, not the last).
    due_by_person = dict(
        waiting.values("person_id")
        .annotate(due=Min("next_attempt_at"))
        .values_list("person_id", "due")
    )
    # What an update replaces unsent, it also says: every change since the last one sent.
    earlier_changes: dict[int, list[wording.Said]] = {}
    for person_id, changes in waiting.order_by("sequence", "pk").values_list(
        "person_id", "changes"
    ):
        earlier_changes.setdefault(person_id, []).append(changes)
    _supersede(waiting, f"Replaced by the update at SEQUENCE {event.sequence}.")
    requests.filter(state=Delivery.State.HELD, sequence__lt=event.sequence).update(
        state=Delivery.State.SUPERSEDED,
        last_error=f"Replaced by the update at SEQUENCE {event.sequence}.",
        updated_at=now,
    )
    already = requests.filter(sequence=event.sequence).values_list("person_id", flat=True)
    _add_changes(requests.filter(state__in=PENDING, sequence=event.sequence), summary)
    return deliveries_create(
        Delivery(
            event=event,
            person=attendance.person,
            attendance=attendance,
            method=Delivery.Method.REQUEST,
            sequence=event.sequence,
            state=_first_state(attendance.awaiting_approval),
            next_attempt_at=min(
                due_by_person.get(attendance.person_id, window_closes), window_closes
            ),
            changes=wording.joined(*earlier_changes.get(attendance.person_id, []), summary),
        )
        for attendance in event.attendances.filter(
            person_id__in=invited.values("person_id").distinct()
        )
        .exclude(person__email="")
        .exclude(person_id__in=list(already))
        .select_related("person")
    )


def _add_changes(rows: QuerySet[Delivery], summary: wording.Said) -> None:
    """A change joining updates still waiting: they say it too, after what they said."""
    if not summary:
        return
    joined = list(rows.only("pk", "changes"))
    for row in joined:
        row.changes = wording.joined(row.changes, summary)
    Delivery.objects.bulk_update(joined, ["changes"], batch_size=500)


def _queue_cancel(event: Event) -> list[Delivery]:
    _supersede(
        Delivery.objects.filter(event=event).exclude(method=Delivery.Method.CANCEL),
        "The event was cancelled.",
    )
    already = Delivery.objects.filter(
        event=event, method=Delivery.Method.CANCEL, sequence=event.sequence
    ).values_list("person_id", flat=True)
    now = timezone.now()
    return deliveries_create(
        Delivery(
            event=event,
            person=attendance.person,
            attendance=attendance,
            method=Delivery.Method.CANCEL,
            sequence=event.sequence,
            next_attempt_at=now,
        )
        for attendance in cancel_recipients(event=event)
        .exclude(person_id__in=list(already))
        .select_related("person")
    )
