"""Emailed iTIP REPLYs (RFC 5546 §3.2.3): an attendee's calendar answering our invite.

A REPLY is applied only when every rule holds, so that a forwarded, replayed, stale or forged
message cannot change an answer. Rules that make it no answer at all: METHOD:REPLY, one VEVENT
with a UID we issued, exactly one ATTENDEE who is an invitee of that event (by e-mail, ignoring
case), the SEQUENCE of the newest invite that invitee holds or is about to receive (another
attendee's removal raises the event's SEQUENCE without sending this one anything new), a
DTSTAMP newer than the attendee's last answer, and a PARTSTAT we understand.

Rules that staff may overrule (REVIEW), since the reply may be genuine but nothing shows it or
it asks for a decision: an ORGANIZER that is the office's address (ORGANISER_EMAIL), a MIME
method= equal to the METHOD inside (RFC 6047), an e-mail From that is the attendee or the one
their ATTENDEE names in SENT-BY, and no delegation (PARTSTAT=DELEGATED) or COUNTER, which staff
decide. A bare .ics file has no From: whoever hands it over vouches for its sender, but the
other rules hold. Each refusal is a ValidationError naming the rule that failed.
"""

import datetime as dt
import email
from dataclasses import dataclass
from email import policy
from email.utils import getaddresses

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from icalendar import Calendar, Component

from scheduling.models import Event

from .ical import RSVP_FOR_PARTSTAT
from .models import Attendance, Delivery
from .services import rsvp_record

ANSWERS = frozenset({"ACCEPTED", "TENTATIVE", "DECLINED", "DELEGATED"})


def _refuse(field: str, reason: str, code: str) -> ValidationError:
    # The code goes on the field's error: a dict's own code is not kept (replies.py files by it).
    return ValidationError({field: ValidationError(reason, code=code)})


@dataclass(frozen=True)
class Received:
    """A message as received, before any rule: its calendar and, for an e-mail, its envelope."""

    ics: bytes
    # The calendar part's Content-Type method=; None for a bare .ics file (no MIME to compare).
    mime_method: str | None
    # The From address, lower case ("" when From is missing or names several); None for a bare
    # .ics file: staff who hand one to apply_itip_reply vouch for where it came from.
    sender: str | None
    message_id: str = ""


def _is_ics(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR")


def received_read(data: bytes) -> Received:
    """Split a .ics file or a whole e-mail into its calendar and envelope (RFC 6047)."""
    if _is_ics(data):
        return Received(ics=data, mime_method=None, sender=None)
    message = email.message_from_bytes(data, policy=policy.default)
    calendar_part = attachment = None
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        if content_type == "text/calendar":
            calendar_part = part
            break
        filename = (part.get_filename() or "").lower()
        if content_type == "application/ics" or filename.endswith(".ics"):
            attachment = attachment or part
    # Gmail sends both: the text/calendar part is the one RFC 6047 gives a method.
    part = calendar_part or attachment
    if part is None:
        raise _refuse(
            "file", _("Neither an iCalendar file nor an e-mail with a calendar part."), "no_ics"
        )
    senders = [address for _name, address in getaddresses(map(str, message.get_all("From", [])))]
    return Received(
        ics=part.get_payload(decode=True) or b"",
        mime_method=str(part.get_param("method") or "").strip().upper(),
        sender=senders[0].strip().lower() if len(senders) == 1 else "",
        message_id=str(message.get("Message-ID", "")).strip(),
    )


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


@dataclass
class Reading:
    """What a received REPLY or COUNTER says, and whom it concerns, as far as it could be read."""

    received: Received
    method: str = ""
    vevent: Component | None = None
    event: Event | None = None
    attendance: Attendance | None = None
    replier: object = None


def itip_reply_read(reading: Reading, *, lock: bool = False) -> Reading:
    """Fill in the calendar's method, the event and the invitee it answers for, as far as they
    can be read; refuse what cannot be an answer at all (unreadable, not REPLY or COUNTER, one
    VEVENT, a UID we issued, one ATTENDEE who is invited)."""
    received = reading.received
    try:
        calendar = Calendar.from_ical(received.ics)
    except Exception as error:
        raise _refuse(
            "file", _("Not readable as iCalendar: %(error)s") % {"error": error}, "unreadable"
        ) from None
    reading.method = str(calendar.get("METHOD", "")).strip().upper()
    if reading.method not in {"REPLY", "COUNTER"}:
        raise _refuse(
            "method",
            _("METHOD is %(method)s, not REPLY: not an answer.")
            % {"method": reading.method or _("missing")},
            "not_reply",
        )
    vevents = calendar.walk("VEVENT")
    if len(vevents) != 1:
        raise _refuse(
            "vevent",
            _("A REPLY needs one VEVENT; this has %(count)s.") % {"count": len(vevents)},
            "vevents",
        )
    reading.vevent = vevent = vevents[0]

    uid = str(vevent.get("UID", "")).strip()
    reading.event = Event.objects.filter(uid=uid).first() if uid else None
    if reading.event is None:
        reason = _("Unknown UID %(uid)s: not one of our events.") % {"uid": uid or _("(none)")}
        raise _refuse("uid", reason, "unknown_uid")

    attendees = vevent.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    if len(attendees) != 1:
        raise _refuse(
            "attendee",
            _("A REPLY must carry exactly one ATTENDEE; this one has %(count)s.")
            % {"count": len(attendees)},
            "attendee_count",
        )
    reading.replier = attendees[0]
    address = _address(reading.replier)
    attendances = Attendance.objects.filter(event=reading.event, person__email__iexact=address)
    if lock:
        # Lock the row: the DTSTAMP check and the answer must not interleave with another reply.
        attendances = attendances.select_for_update(of=("self",))
    reading.attendance = attendances.first() if address else None
    if reading.attendance is None:
        raise _refuse(
            "attendee",
            _("%(address)s is not invited to this event.")
            % {"address": address or _("(no address)")},
            "not_invited",
        )
    return reading


@transaction.atomic
def itip_reply_apply(
    *, data: bytes | Received, review: bool = True, by: AbstractBaseUser | None = None
) -> Attendance:
    """Apply one iTIP REPLY (.ics or .eml) as the attendee's answer, or refuse it with a reason.

    With ``review`` (the default) a reply that staff must look at is refused too, with codes in
    REVIEW; staff who looked pass ``review=False`` (and ``by``) to apply it anyway.
    """
    received = data if isinstance(data, Received) else received_read(data)
    reading = itip_reply_read(Reading(received), lock=True)
    event, attendance, vevent = reading.event, reading.attendance, reading.vevent
    if reading.method == "COUNTER" and not review:
        raise _refuse(
            "method",
            _("A COUNTER proposes a change to the event; make it on the event if you agree."),
            "counter_not_applicable",
        )

    try:
        sequence = int(vevent.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        sequence = -1
    current = _current_sequence(event, attendance)
    if sequence != current:
        raise _refuse(
            "sequence",
            _("SEQUENCE %(sequence)s answers an older version; this invitee's is at %(current)s.")
            % {"sequence": sequence, "current": current},
            "stale_sequence",
        )

    stamp = _aware_utc(vevent.get("DTSTAMP"))
    if stamp is None:
        raise _refuse("dtstamp", _("DTSTAMP is missing or not a UTC time."), "no_dtstamp")
    if attendance.rsvp_at is not None and stamp <= attendance.rsvp_at:
        raise _refuse(
            "dtstamp",
            _("DTSTAMP %(stamp)sZ is not newer than the last answer (%(last)sZ).")
            % {
                "stamp": f"{stamp:%Y-%m-%d %H:%M:%S}",
                "last": f"{attendance.rsvp_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}",
            },
            "stale_dtstamp",
        )

    partstat = str(reading.replier.params.get("PARTSTAT", "")).strip().upper()
    if reading.method == "REPLY" and partstat not in ANSWERS:
        raise _refuse(
            "partstat",
            _(
                "PARTSTAT %(partstat)s is not an answer (ACCEPTED, TENTATIVE, DECLINED or "
                "DELEGATED)."
            )
            % {"partstat": partstat or _("(none)")},
            "bad_partstat",
        )
    if review:
        concerns = _concerns(reading, partstat)
        if concerns:
            raise ValidationError(concerns)
    return rsvp_record(
        attendance_id=attendance.pk, answer=RSVP_FOR_PARTSTAT[partstat], at=stamp, by=by
    )


# Codes of the refusals staff may overrule (itip_reply_apply(review=False)): the reply may be
# genuine, but nothing proves it, or it asks for a decision.
REVIEW = frozenset(
    {"no_organizer", "foreign_organizer", "mime_method", "sender", "delegated", "counter"}
)


def _concerns(reading: Reading, partstat: str) -> dict[str, ValidationError]:
    """Why this otherwise applicable reply needs staff: who wrote it, or what it asks."""
    received, vevent, replier = reading.received, reading.vevent, reading.replier
    concerns: dict[str, ValidationError] = {}
    organizer = _address(vevent.get("ORGANIZER", ""))
    ours = settings.ORGANISER_EMAIL.strip().lower()
    if not organizer:
        concerns["organizer"] = ValidationError(
            _("No ORGANIZER (RFC 5546 requires one): not written as an answer to our invite."),
            code="no_organizer",
        )
    elif organizer != ours:
        concerns["organizer"] = ValidationError(
            _("ORGANIZER is %(organizer)s, not %(ours)s: an answer to someone else's invite.")
            % {"organizer": organizer, "ours": ours},
            code="foreign_organizer",
        )
    if received.mime_method is not None and received.mime_method != reading.method:
        concerns["mime_method"] = ValidationError(
            _(
                "The calendar part says method=%(mime_method)s but its METHOD is %(method)s "
                "(RFC 6047 requires them equal)."
            )
            % {"mime_method": received.mime_method or _("(none)"), "method": reading.method},
            code="mime_method",
        )
    if received.sender is not None:
        allowed = {_address(replier)}
        if replier.params.get("SENT-BY"):  # someone the attendee lets answer for them
            allowed.add(_address(replier.params["SENT-BY"]))
        if received.sender not in allowed:
            concerns["sender"] = ValidationError(
                _(
                    "Sent by %(sender)s, not by the attendee %(attendee)s or someone answering "
                    "for them (SENT-BY)."
                )
                % {
                    "sender": received.sender or _("(no single From address)"),
                    "attendee": _address(replier),
                },
                code="sender",
            )
    if reading.method == "COUNTER":
        start = vevent.get("DTSTART")
        if start is not None:
            message = _(
                "A COUNTER: the attendee proposes a change (DTSTART %(start)s); staff decide."
            ) % {"start": start.to_ical().decode()}
        else:
            message = _("A COUNTER: the attendee proposes a change; staff decide.")
        concerns["method"] = ValidationError(message, code="counter")
    elif partstat == "DELEGATED":
        to = replier.params.get("DELEGATED-TO", "")
        names = ", ".join(_address(item) for item in (to if isinstance(to, list) else [to]))
        concerns["partstat"] = ValidationError(
            _("Delegated to %(names)s: staff decide whether to invite them.")
            % {"names": names or _("(nobody named)")},
            code="delegated",
        )
    return concerns


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
