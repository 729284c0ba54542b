"""Telling the hosts that someone awaited has arrived: an outbox kind of its own (core.outbox).

Who "the hosts" are: the people on the event's list in the Host role (unless they declined)
and the people receiving the party at its stops (a programme item's "Host at the stop"), each
with an e-mail address, once per address, never the arriving person themselves. A protocol
office tells the hosts who stand at the door and at each stop; a whole host organisation is
not told.

Rows are written in the check-in's transaction and sent after commit, one message each, in the
recipient's language. A row whose arrival was undone before it went is superseded instead.
"""

import contextlib
import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.outbox import Outbox, sending
from scheduling.models import ProgrammeRole

from ..emails import InviteMessage, mailbox
from ..models import Attendance, Person
from .models import Arrival, ArrivalNotice

logger = logging.getLogger(__name__)

OUTBOX = Outbox(model=ArrivalNotice, send_task="visitors.tasks.arrival_notices_send", batch=20)
RETRY_BASE_SECONDS = 30
MAX_ATTEMPTS = 5


def hosts_of(attendance: Attendance) -> list[Person]:
    """The people told of this attendee's arrival (see the module's docstring), by address."""
    hosting = Q(
        attendances__event_id=attendance.event_id, attendances__role=Attendance.Role.HOST
    ) & ~Q(attendances__rsvp=Attendance.RSVP.DECLINED)
    at_stops = Q(
        programme_roles__item__event_id=attendance.event_id,
        programme_roles__part=ProgrammeRole.Part.HOST,
    )
    people = (
        Person.objects.filter(hosting | at_stops)
        .exclude(email="")
        .exclude(pk=attendance.person_id)
        .distinct()
        .order_by("pk")
    )
    found: dict[str, Person] = {}
    for person in people:
        found.setdefault(person.email.lower(), person)
    return list(found.values())


def notices_queue(*, arrival: Arrival) -> list[ArrivalNotice]:
    """Write one notice per host not yet told of this attendee's arrival; sent after commit.
    Called in the check-in's transaction, with the attendance locked."""
    attendance = arrival.attendance
    told = set(
        ArrivalNotice.objects.filter(attendance=attendance)
        .exclude(state=ArrivalNotice.State.SUPERSEDED)
        .values_list("email", flat=True)
    )
    told = {address.lower() for address in told}
    now = timezone.now()
    rows = ArrivalNotice.objects.bulk_create(
        ArrivalNotice(
            arrival=arrival,
            attendance=attendance,
            recipient=host,
            email=host.email,
            next_attempt_at=now,
        )
        for host in hosts_of(attendance)
        if host.email.lower() not in told
    )
    OUTBOX.enqueue(rows)
    return rows


def notices_withdraw(*, arrival: Arrival) -> int:
    """The arrival was undone: its notices not yet sent are superseded (a wrong tap is no news)."""
    return ArrivalNotice.objects.filter(
        arrival=arrival,
        state__in=[ArrivalNotice.State.QUEUED, ArrivalNotice.State.RETRYING],
    ).update(
        state=ArrivalNotice.State.SUPERSEDED,
        last_error="The arrival was undone before this went.",
        updated_at=timezone.now(),
    )


@sending()
def notices_send(*, notice_ids: list[int], now: dt.datetime | None = None) -> list[ArrivalNotice]:
    """Send the given notices still due, over one connection; returns them in their new states."""
    batch = OUTBOX.claim(
        notice_ids,
        now or timezone.now(),
        related=("arrival__by", "attendance__person", "attendance__event", "recipient"),
        keep=_still_news,
    )
    if not batch:
        return []
    connection = get_connection()
    try:
        connection.open()
        for notice in batch:
            _send_one(notice, connection)
    except (smtplib.SMTPException, OSError) as error:
        for notice in batch:
            if notice.state == ArrivalNotice.State.SENDING:
                _retry_or_fail(notice, f"{type(error).__name__}: {error}")
    finally:
        # The messages are recorded; a rude goodbye loses nothing.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return batch


def notices_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Hand to the queue the notices due with no task coming (retries, lost tasks, dead workers)."""
    return OUTBOX.sweep(
        now or timezone.now(),
        stuck_after=dt.timedelta(minutes=10),
        note="The worker stopped while sending; it may have gone out once already.",
        exhausted=Q(attempts__gte=MAX_ATTEMPTS),
    )


def notice_message(notice: ArrivalNotice) -> InviteMessage:
    """The e-mail of one notice, in its recipient's language (7-bit, as invites are)."""
    attendance, arrival = notice.attendance, notice.arrival
    language = notice.recipient.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(attendance.event.timezone):
        context = {
            "name": attendance.person.customary_name(),
            "post": attendance.person.post,
            "role": attendance.get_role_display(),
            "event": attendance.event,
            "arrival": arrival,
            "by": _staff_name(arrival),
        }
        subject = _("Arrived: %(name)s, %(event)s") % {
            "name": context["name"],
            "event": attendance.event.title,
        }
        body = render_to_string("visitors/email/arrival.txt", context)
    return InviteMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mailbox(notice.recipient)],
    )


def _staff_name(arrival: Arrival) -> str:
    if arrival.by is None:
        return ""
    return arrival.by.get_full_name() or arrival.by.get_username()


def _still_news(rows: list[ArrivalNotice]) -> list[ArrivalNotice]:
    undone = [row.pk for row in rows if row.arrival.undone_at is not None]
    if undone:
        ArrivalNotice.objects.filter(pk__in=undone).update(
            state=ArrivalNotice.State.SUPERSEDED,
            last_error="The arrival was undone before this went.",
            updated_at=timezone.now(),
        )
    return [row for row in rows if row.pk not in undone]


def _send_one(notice: ArrivalNotice, connection) -> None:
    try:
        message = notice_message(notice)
        message.message()
    except ValueError as error:  # no address a server would take: the same every time
        OUTBOX.record(notice, state=ArrivalNotice.State.FAILED, error=str(error))
        return
    if connection.send_messages([message]) != 1:
        raise smtplib.SMTPException("The mail backend accepted nothing.")
    OUTBOX.record(notice, state=ArrivalNotice.State.SENT, sent_at=timezone.now())


def _retry_or_fail(notice: ArrivalNotice, error: str) -> None:
    OUTBOX.retry_or_fail(
        notice,
        timezone.now(),
        error=error,
        base_seconds=RETRY_BASE_SECONDS,
        give_up=lambda _next: notice.attempts >= MAX_ATTEMPTS,
    )
    logger.warning("Arrival notice %s %s: %s", notice.pk, notice.state, notice.last_error)
