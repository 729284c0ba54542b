"""Emailed iTIP REPLYs (RFC 5546 §3.2.3): an attendee's calendar answering our invite.

A REPLY is applied only when every rule holds, so that a forwarded, replayed or stale message
cannot change an answer: METHOD:REPLY, one VEVENT with a UID we issued, exactly one ATTENDEE
who is an invitee of that event (by e-mail, ignoring case), the SEQUENCE of the newest invite
that invitee holds or is about to receive (another attendee's removal raises the event's
SEQUENCE without sending this one anything new), a
DTSTAMP newer than the attendee's last answer, and a PARTSTAT we understand. Anything else is
refused with a ValidationError naming the rule that failed.
"""

import datetime as dt
import email
from email import policy

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from icalendar import Calendar

from scheduling.models import Event

from .ical import RSVP_FOR_PARTSTAT
from .models import Attendance, Delivery
from .services import rsvp_record

ANSWERS = frozenset({"ACCEPTED", "TENTATIVE", "DECLINED", "DELEGATED"})


def _refuse(field: str, reason: str, code: str) -> ValidationError:
    return ValidationError({field: reason}, code=code)


def calendar_bytes(data: bytes) -> bytes:
    """The iCalendar text in a .ics file, or in the text/calendar part of a whole e-mail."""
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR"):
        return data
    message = email.message_from_bytes(data, policy=policy.default)
    attachment = None
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        if content_type == "text/calendar":
            return part.get_payload(decode=True) or b""
        filename = (part.get_filename() or "").lower()
        if content_type == "application/ics" or filename.endswith(".ics"):
            attachment = attachment or part.get_payload(decode=True)
    if attachment:
        return attachment
    raise _refuse("file", "Neither an iCalendar file nor an e-mail with a calendar part.", "no_ics")


def _address(value) -> str:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    return text.strip().lower()


def _aware_utc(value) -> dt.datetime | None:
    moment = getattr(value, "dt", None)
    if not isinstance(moment, dt.datetime) or moment.tzinfo is None:
        return None  # a floating DTSTAMP says nothing about when it was written
    return moment.astimezone(dt.UTC)


@transaction.atomic
def itip_reply_apply(*, data: bytes) -> Attendance:
    """Apply one iTIP REPLY (.ics or .eml) as the attendee's answer, or refuse it with a reason."""
    try:
        calendar = Calendar.from_ical(calendar_bytes(data))
    except ValidationError:
        raise
    except Exception as error:
        raise _refuse("file", f"Not readable as iCalendar: {error}", "unreadable") from None
    method = str(calendar.get("METHOD", "")).strip().upper()
    if method != "REPLY":
        raise _refuse(
            "method", f"METHOD is {method or 'missing'}, not REPLY: not an answer.", "not_reply"
        )
    vevents = calendar.walk("VEVENT")
    if len(vevents) != 1:
        raise _refuse("vevent", f"A REPLY needs one VEVENT; this has {len(vevents)}.", "vevents")
    vevent = vevents[0]

    uid = str(vevent.get("UID", "")).strip()
    event = Event.objects.filter(uid=uid).first() if uid else None
    if event is None:
        reason = f"Unknown UID {uid or '(none)'}: not one of our events."
        raise _refuse("uid", reason, "unknown_uid")

    attendees = vevent.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    if len(attendees) != 1:
        raise _refuse(
            "attendee",
            f"A REPLY must carry exactly one ATTENDEE; this one has {len(attendees)}.",
            "attendee_count",
        )
    replier = attendees[0]
    address = _address(replier)
    # Lock the row: the DTSTAMP check and the answer must not interleave with another reply.
    attendance = (
        Attendance.objects.select_for_update(of=("self",))
        .filter(event=event, person__email__iexact=address)
        .first()
        if address
        else None
    )
    if attendance is None:
        raise _refuse(
            "attendee", f"{address or '(no address)'} is not invited to this event.", "not_invited"
        )

    try:
        sequence = int(vevent.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        sequence = -1
    current = _current_sequence(event, attendance)
    if sequence != current:
        raise _refuse(
            "sequence",
            f"SEQUENCE {sequence} answers an older version; this invitee's is at {current}.",
            "stale_sequence",
        )

    stamp = _aware_utc(vevent.get("DTSTAMP"))
    if stamp is None:
        raise _refuse("dtstamp", "DTSTAMP is missing or not a UTC time.", "no_dtstamp")
    if attendance.rsvp_at is not None and stamp <= attendance.rsvp_at:
        raise _refuse(
            "dtstamp",
            f"DTSTAMP {stamp:%Y-%m-%d %H:%M:%S}Z is not newer than the last answer "
            f"({attendance.rsvp_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}Z).",
            "stale_dtstamp",
        )

    partstat = str(replier.params.get("PARTSTAT", "")).strip().upper()
    if partstat not in ANSWERS:
        raise _refuse(
            "partstat",
            f"PARTSTAT {partstat or '(none)'} is not an answer "
            "(ACCEPTED, TENTATIVE, DECLINED or DELEGATED).",
            "bad_partstat",
        )
    return rsvp_record(attendance_id=attendance.pk, answer=RSVP_FOR_PARTSTAT[partstat], at=stamp)


def _current_sequence(event: Event, attendance: Attendance) -> int:
    """The newest REQUEST this invitee has or will get; the event's own when none was queued."""
    newest = Delivery.objects.filter(
        event=event,
        person_id=attendance.person_id,
        method=Delivery.Method.REQUEST,
        state__in=[
            Delivery.State.QUEUED,
            Delivery.State.SENDING,
            Delivery.State.RETRYING,
            Delivery.State.SENT,
        ],
    ).aggregate(newest=Max("sequence"))["newest"]
    return event.sequence if newest is None else newest
