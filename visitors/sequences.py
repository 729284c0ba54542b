"""The invites' SEQUENCE (``Event.sequence``): one new version per update an attendee receives.

Every message carries the event's invite SEQUENCE (``Event.sequence``) at the time it
was queued. A change attendees are told of raises it once per update they receive: a change made
while the last update is still waiting in the outbox (the coalescing window, nothing of it sent
or being sent) joins that update at its SEQUENCE and adds its words to it. A row made stale by a
newer REQUEST or CANCEL (a higher sequence) for the same person is superseded rather than sent,
so an attendee's calendar only ever moves forward; an older REQUEST can therefore never overtake
a CANCEL. Feeds, ``.ics`` answers and partners count every change instead (``Event.revision``).
"""

from collections.abc import Iterable

from django.db.models import F

from core.outbox import WAITING
from scheduling.models import Event

from .models import Delivery

# Not sent yet: waiting for its time, or for a staff member's approval.
PENDING = (*WAITING, Delivery.State.HELD)
VERSIONED = (Delivery.Method.REQUEST, Delivery.Method.CANCEL)


def sequence_raise(event: Event) -> None:
    """A new version of the invite: the event is locked by the caller. Only the outbox rows
    carry it (feeds and partners follow ``revision``), so no history or change log here."""
    Event.objects.filter(pk=event.pk).update(sequence=F("sequence") + 1)
    event.sequence += 1


def update_joins_waiting(event: Event, *, people: Iterable[int] | None = None) -> bool:
    """Whether a change can join the update still waiting at the current SEQUENCE rather than
    raise it: nothing at it has been sent or is being sent (so no attendee has it), and an
    update at it is still waiting for each of the given people (default: anyone).

    The waiting rows are locked first: a worker's claim skips them until this transaction ends,
    so none leaves with what the change replaces; rows claimed before are seen as sending."""
    current = Delivery.objects.filter(event=event, sequence=event.sequence, method__in=VERSIONED)
    waiting = set(
        current.filter(method=Delivery.Method.REQUEST, state__in=PENDING)
        .select_for_update()
        .values_list("person_id", flat=True)
    )
    if not waiting or (people is not None and not set(people) <= waiting):
        return False
    return not current.exclude(state__in=(*PENDING, Delivery.State.SUPERSEDED)).exists()
