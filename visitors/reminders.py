"""Reminders: the e-mail an accepted attendee gets shortly before a confirmed event starts
(REMINDER_HOURS_BEFORE), queued by a periodic task (visitors.tasks) into the invite outbox."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from scheduling.models import Event

from .models import Attendance, Delivery
from .sending import deliveries_create
from .sequences import WAITING


def reminders_queue(*, now: dt.datetime | None = None) -> list[Delivery]:
    """Queue a reminder for each accepted attendee of each confirmed event starting within
    REMINDER_HOURS_BEFORE hours; nobody gets a second one for the same start time."""
    now = now or timezone.now()
    lead = dt.timedelta(hours=settings.REMINDER_HOURS_BEFORE)
    event_ids = Event.objects.filter(
        status=Event.Status.CONFIRMED, start__gt=now, start__lte=now + lead
    ).values_list("pk", flat=True)
    rows: list[Delivery] = []
    for event_id in event_ids:
        with transaction.atomic():
            # Lock the event: a reschedule changes the SEQUENCE and the start the rule reads.
            event = Event.objects.locked(event_id)
            if event.status != Event.Status.CONFIRMED or not now < event.start <= now + lead:
                continue
            # A reminder queued since this start came within reach covers it; one queued
            # before the event was moved later does not.
            # The unique key allows one reminder per SEQUENCE, too.
            reminded = Delivery.objects.filter(
                Q(created_at__gte=event.start - lead) | Q(sequence=event.sequence),
                event=event,
                method=Delivery.Method.REMINDER,
            ).values_list("person_id", flat=True)
            rows += deliveries_create(
                Delivery(
                    event=event,
                    person=attendance.person,
                    attendance=attendance,
                    method=Delivery.Method.REMINDER,
                    sequence=event.sequence,
                    next_attempt_at=now,
                )
                for attendance in event.attendances.cleared_to_send()
                .filter(rsvp=Attendance.RSVP.ACCEPTED)
                .exclude(person__email="")
                .exclude(person_id__in=list(reminded))
                .select_related("person")
            )
    return rows


def reminders_waiting(event: Event) -> QuerySet[Delivery]:
    """Reminders still waiting to go (superseded when the event is no longer confirmed)."""
    return Delivery.objects.filter(event=event, method=Delivery.Method.REMINDER, state__in=WAITING)
