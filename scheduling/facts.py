"""What an event shows the people outside the office: its title, when and where, and the public
programme, formatted once for invites, their e-mails, the RSVP page, feeds and ``.ics`` answers
alike, so that they cannot disagree.

Nothing internal is here: internal notes, cue notes, internal programme items and people's
details stay in the back office, because attendees and subscribers share their calendars.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Event
from .timezones import clock, zone_label
from .venue import event_venue, public_programme, venue_line


def event_title(event: Event) -> str:
    return f"{event.title} ({event.title_zh})" if event.title_zh else event.title


@dataclass(frozen=True)
class ProgrammeLine:
    """One public programme item as attendees see it, in the event's zone."""

    start: dt.datetime
    end: dt.datetime
    title: str
    facility: str  # where the item happens, when not at the event's venue
    show_date: bool

    @property
    def times(self) -> str:
        """'10:00–10:20', or 'Mon 1 Jul, 10:00–10:20' over several days (in the language
        active when it is read: a bilingual message reads it once in each)."""
        span = f"{clock(self.start)}–{clock(self.end)}"
        if not self.show_date:
            return span
        return _("%(day)s, %(span)s") % {
            "day": date_format(self.start, "MONTH_DAY_FORMAT"),
            "span": span,
        }

    @property
    def text(self) -> str:
        return f"{self.times}  {self.title}" + (f" ({self.facility})" if self.facility else "")


@dataclass(frozen=True)
class EventFacts:
    """The public facts about an event, as of when they were gathered (``event_facts``)."""

    event: Event
    title: str
    start: dt.datetime  # in the event's zone
    end: dt.datetime
    venue: str  # where it happens, written out (scheduling.venue.venue_line)
    programme: tuple[ProgrammeLine, ...]

    @property
    def zone_name(self) -> str:
        return self.event.timezone

    def zone_label(self, moment: dt.datetime) -> str:
        """'BST, Europe/London': the abbreviation in force, and the IANA name."""
        return zone_label(self.zone_name, moment)

    @property
    def date(self) -> str:
        return date_format(self.start, "DATE_FORMAT")

    @property
    def when(self) -> str:
        """'Monday 1 July 2030, 10:00–12:00 (BST, Europe/London)'; a time in the hour the
        clocks repeat says which ('01:00 BST–01:00 GMT', scheduling.timezones.clock). In the
        language active when it is read, as the other texts here."""
        start = _day_time(self.start)
        end = clock(self.end) if self.start.date() == self.end.date() else _day_time(self.end)
        return _("%(start)s–%(end)s (%(zone)s)") % {
            "start": start,
            "end": end,
            "zone": self.zone_label(self.start),
        }

    @property
    def publication(self) -> str:
        """What attendees are asked about passing it on: a restricted event (an unannounced
        visit) is not for publication; anything else says nothing."""
        if self.event.visibility != Event.Visibility.RESTRICTED:
            return ""
        return _(
            "Not for publication: this visit has not been announced. Please do not share or "
            "publish its details."
        )

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.event.zone)

    def time_of(self, moment: dt.datetime) -> str:
        """'Monday 1 July 2030, 09:15 (BST, Europe/London)' for a call time."""
        local = self.local(moment)
        return _("%(time)s (%(zone)s)") % {"time": _day_time(local), "zone": self.zone_label(local)}


def _day_time(local: dt.datetime) -> str:
    """'Monday 1 July 2030, 10:00' / '2030年7月1日（星期一）10:00'."""
    return _("%(date)s, %(time)s") % {
        "date": date_format(local, "DATE_FORMAT"),
        "time": clock(local),
    }


def event_facts(event: Event) -> EventFacts:
    """The public facts about an event, from the instance as it is now (its bookings and
    programme prefetched, or read here: scheduling.venue.PREFETCH)."""
    zone = event.zone
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    items = public_programme(event)
    facility = event_venue(event, items)
    multi_day = start.date() != end.date()
    programme = tuple(
        ProgrammeLine(
            start=item.start.astimezone(zone),
            end=item.end.astimezone(zone),
            title=f"{item.title} ({item.title_zh})" if item.title_zh else item.title,
            facility=(
                item.facility.name
                if item.facility_id and (facility is None or item.facility_id != facility.pk)
                else ""
            ),
            show_date=multi_day,
        )
        for item in items
    )
    return EventFacts(
        event=event,
        title=event_title(event),
        start=start,
        end=end,
        venue=venue_line(event, facility),
        programme=programme,
    )
