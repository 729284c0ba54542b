"""One event as a published iCalendar object: METHOD:PUBLISH, no attendees (CALENDAR.md).

The VEVENT comes from visitors.ical (the builder invites use), so times, zones, place and status
are written the same way everywhere. A published copy is not an invite: it carries its own UID,
so that a calendar holding both does not merge them, and nothing internal (notes, cue notes,
internal programme items, people).
"""

import datetime as dt

from django.utils import timezone
from icalendar import Calendar

from scheduling.models import Event
from visitors.ical import event_vevent, invite_facts, zone_component

PRODID = "-//Protocol Desk//Partner API//EN"


def publish_uid(event: Event) -> str:
    """The UID of the event's published copy: stable for life, distinct from the invite's."""
    return f"published-{event.uid}"


def publish_calendar(event: Event, *, stamp: dt.datetime | None = None) -> bytes:
    """The event as a PUBLISH calendar. `stamp` (DTSTAMP, LAST-MODIFIED) is when it last
    changed, so the same version always serialises to the same bytes."""
    stamp = stamp or event.updated_at or timezone.now()
    facts = invite_facts(event)
    zone = zone_component(event.timezone, [event.start, event.end])
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    if zone is not None:
        calendar.add_component(zone)
    blocks = [event.description.strip()] if event.description.strip() else []
    if facts.programme:
        blocks.append("\n".join(line.text for line in facts.programme))
    vevent = event_vevent(
        event,
        zone_written=zone is not None,
        uid=publish_uid(event),
        location=facts.location,
        description="\n\n".join(blocks),
        stamp=stamp,
    )
    vevent.add("LAST-MODIFIED", stamp.astimezone(dt.UTC))
    calendar.add_component(vevent)
    return calendar.to_ical()
