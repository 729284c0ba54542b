"""One event as a published iCalendar object: METHOD:PUBLISH, no attendees (CALENDAR.md).

The VEVENT is scheduling.ical's published one, as feeds write it, from the writer invites use,
so times, zones, place and status are written the same way everywhere. A published copy is not
an invite: it carries its own UID, so that a calendar holding both does not merge them, and
nothing internal (notes, cue notes, internal programme items, people).
"""

import datetime as dt

from django.utils import timezone

from scheduling import ical
from scheduling.facts import event_facts
from scheduling.models import Event

PRODID = "-//Protocol Desk//Partner API//EN"


def publish_uid(event: Event) -> str:
    """The UID of the event's published copy: stable for life, distinct from the invite's."""
    return f"published-{event.uid}"


def publish_calendar(event: Event, *, stamp: dt.datetime | None = None) -> bytes:
    """The event as a PUBLISH calendar. `stamp` (DTSTAMP, LAST-MODIFIED) is when it last
    changed, so the same version always serialises to the same bytes."""
    calendar = ical.new_calendar(prodid=PRODID, method="PUBLISH")
    written = ical.add_timezones(calendar, {event.timezone: [event.start, event.end]})
    vevent = ical.published_vevent(
        event_facts(event),
        uid=publish_uid(event),
        zone_written=event.timezone in written,
        stamp=stamp or event.updated_at or timezone.now(),
    )
    calendar.add_component(vevent)
    return calendar.to_ical()
