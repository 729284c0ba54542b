"""Invites as iCalendar objects (iTIP REQUEST and CANCEL over e-mail, RFC 5545/5546/6047).

The calendar, its VTIMEZONE and the event's VEVENT are scheduling.ical's, the one writer feeds
and ``.ics`` answers use too; an invite adds what is the attendee's own: the organiser, one
attendee with their role and answer (RSVP=TRUE on a REQUEST), their call time as the start, a
description with the public programme and their RSVP link, and an alarm.

Nothing internal goes out: internal notes, cue notes, internal programme items and people's
phone numbers stay in the back office, because attendees share their calendars.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, vCalAddress

from scheduling import ical
from scheduling.facts import EventFacts, event_facts
from scheduling.models import Event
from scheduling.timezones import clock

from .models import Attendance, Delivery, Person

PRODID = "-//Protocol Desk//Invites//EN"
ALARM_BEFORE = dt.timedelta(hours=1)

# ROLE (RFC 5545 §3.2.16). Outlook shows REQ as required and OPT as optional attendees.
# Principals, staff and escorts must be there (staff and escorts have call times); an invited
# guest chooses whether to come; the media cover the event rather than take part in it.
ROLE_FOR = {
    Attendance.Role.HOST: "CHAIR",
    Attendance.Role.GUEST_OF_HONOUR: "REQ-PARTICIPANT",
    Attendance.Role.OFFICIATING_GUEST: "REQ-PARTICIPANT",
    Attendance.Role.SPEAKER: "REQ-PARTICIPANT",
    Attendance.Role.PANELLIST: "REQ-PARTICIPANT",
    Attendance.Role.MODERATOR: "REQ-PARTICIPANT",
    Attendance.Role.STAFF: "REQ-PARTICIPANT",
    Attendance.Role.ESCORT: "REQ-PARTICIPANT",
    Attendance.Role.GUEST: "OPT-PARTICIPANT",
    Attendance.Role.MEDIA: "NON-PARTICIPANT",
}
PARTSTAT_FOR = {
    Attendance.RSVP.NEEDS_ACTION: "NEEDS-ACTION",
    Attendance.RSVP.ACCEPTED: "ACCEPTED",
    Attendance.RSVP.TENTATIVE: "TENTATIVE",
    Attendance.RSVP.DECLINED: "DECLINED",
    Attendance.RSVP.DELEGATED: "DELEGATED",
}
RSVP_FOR_PARTSTAT = {partstat: rsvp for rsvp, partstat in PARTSTAT_FOR.items()}


def parameter_text(value: str) -> str:
    """A parameter value (CN) cannot hold CR, LF or '"' at all (RFC 5545 §3.1). A backslash
    may be there, but parsers (icalendar's own) read it as an escape and lose the parameters
    after it, so it goes too."""
    return " ".join(value.replace('"', "").replace("\\", "").split())


def organizer() -> vCalAddress:
    address = vCalAddress(f"mailto:{settings.ORGANISER_EMAIL}")
    address.params["CN"] = parameter_text(settings.ORGANISER_NAME)
    return address


def attendee(person: Person, attendance: Attendance | None, *, rsvp: bool) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CUTYPE"] = "INDIVIDUAL"
    address.params["CN"] = parameter_text(person.display_name)
    role = attendance.role if attendance else Attendance.Role.GUEST
    address.params["ROLE"] = ROLE_FOR.get(role, "REQ-PARTICIPANT")
    answer = attendance.rsvp if attendance else Attendance.RSVP.NEEDS_ACTION
    address.params["PARTSTAT"] = PARTSTAT_FOR.get(answer, "NEEDS-ACTION")
    if rsvp:
        address.params["RSVP"] = "TRUE"
    return address


def invite_description(
    facts: EventFacts,
    *,
    attendance: Attendance | None,
    rsvp_link: str | None,
    cancel_reason: str = "",
) -> str:
    """DESCRIPTION: why it was cancelled (a CANCEL), whether it is for publication, public
    description, call time, public programme, RSVP link; nothing else."""
    blocks = []
    if cancel_reason:
        blocks.append(_("Reason for the cancellation: %(reason)s") % {"reason": cancel_reason})
    if facts.publication:
        blocks.append(facts.publication)
    if facts.event.description.strip():
        blocks.append(facts.event.description.strip())
    blocks.append(_("When: %(when)s") % {"when": facts.when})
    blocks.append(_("Where: %(venue)s") % {"venue": facts.venue})
    if attendance is not None and attendance.call_time:
        blocks.append(
            _("Your call time: %(time)s. The event starts at %(start)s.")
            % {"time": facts.time_of(attendance.call_time), "start": clock(facts.start)}
        )
    if facts.programme:
        heading = _("Programme (times in %(zone)s):") % {"zone": facts.zone_label(facts.start)}
        blocks.append("\n".join([heading, *(line.text for line in facts.programme)]))
    if rsvp_link:
        blocks.append(_("Please reply: %(link)s") % {"link": rsvp_link})
    return "\n\n".join(blocks)


def invite_calendar(
    *,
    event: Event,
    person: Person,
    attendance: Attendance | None,
    method: str,
    sequence: int,
    rsvp_link: str | None = None,
    facts: EventFacts | None = None,
    stamp: dt.datetime | None = None,
    cancel_reason: str = "",
) -> Calendar:
    """One iTIP message (METHOD REQUEST or CANCEL) about one event, for one attendee; a CANCEL
    gives its reason in a COMMENT (RFC 5546 §3.2.5) and atop the DESCRIPTION, which more
    calendars show."""
    if method not in (Delivery.Method.REQUEST, Delivery.Method.CANCEL):
        raise ValueError(f"An invite is a REQUEST or a CANCEL, not {method!r}.")
    if not person.email:
        raise ValueError(f"{person} has no e-mail address to invite.")
    facts = facts or event_facts(event)
    cancel = method == Delivery.Method.CANCEL
    start = _attendee_start(event, attendance)

    calendar = ical.new_calendar(prodid=PRODID, method=str(method))
    written = ical.add_timezones(calendar, {event.timezone: [start, event.end]})
    vevent = ical.event_vevent(
        facts,
        uid=event.uid,
        sequence=sequence,
        stamp=stamp or timezone.now(),
        zone_written=event.timezone in written,
        start=start,
        status="CANCELLED" if cancel else None,
        description=invite_description(
            facts,
            attendance=attendance,
            rsvp_link=None if cancel else rsvp_link,
            cancel_reason=cancel_reason if cancel else "",
        ),
    )
    if cancel and cancel_reason:
        vevent.add("COMMENT", cancel_reason)
    vevent.add("ORGANIZER", organizer())
    vevent.add("ATTENDEE", attendee(person, attendance, rsvp=not cancel))
    if not cancel:
        alarm = Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", facts.title)
        alarm.add("TRIGGER", -ALARM_BEFORE)
        vevent.add_component(alarm)
    calendar.add_component(vevent)
    return calendar


def _attendee_start(event: Event, attendance: Attendance | None) -> dt.datetime:
    if attendance is not None and attendance.call_time and attendance.call_time < event.end:
        return attendance.call_time  # staff and escorts see the time they must be there
    return event.start
