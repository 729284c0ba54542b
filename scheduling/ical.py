"""The one iCalendar writer: calendars, their VTIMEZONEs and each event's VEVENT, for the
invites visitors sends (which add ORGANIZER, ATTENDEE and an alarm), the feeds and ``.ics``
answers of the API; icalendar serialises them (``Calendar.to_ical()``).

Time zones: icalendar's own VTIMEZONE (``Timezone.from_tzinfo``) lists every transition as
comma-separated RDATEs, which Mozilla's ical.js (Thunderbird) and vobject misread for zones with
daylight saving, and Outlook ignores: it builds zones only from TZID, DTSTART, RRULE,
TZOFFSETFROM and TZOFFSETTO. So we write the zone as one STANDARD and one DAYLIGHT component
with yearly RRULEs, derived from zoneinfo and checked against it for every year the definition
claims: a client keeps a zone's definition and reuses it for other events, so a rule right only
for the event's year ("fourth Sunday" where the law says the last) would put it a week wrong in
another. The rules are checked over VERIFIED_YEARS and the calendar's own years, with a year to
spare either side, and each component starts (DTSTART) in the first year checked. When a zone's
rules cannot be written that way over those years (a zone that changed its rules), ``vtimezone``
returns None and that zone's times are written in UTC instead.

A time the zone's clock shows twice (clocks going back) or never (going forward) is written in
UTC too (``written_time``): it cannot be written unmistakably in the zone.
"""

import calendar
import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import cached_property, lru_cache
from pathlib import Path

import icalendar
from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar import Event as VEvent

from .facts import EventFacts
from .models import Event
from .timezones import clock_is_ambiguous

UTC = dt.UTC
# The years every VTIMEZONE holds for, besides those of the times in its calendar.
VERIFIED_YEARS = range(2020, 2041)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Transition:
    at: dt.datetime  # the UTC instant of the change
    offset_from: dt.timedelta
    offset_to: dt.timedelta

    @property
    def local_onset(self) -> dt.datetime:
        """Wall-clock time of the change in the offset in force before it (RFC 5545 §3.6.5)."""
        return (self.at + self.offset_from).replace(tzinfo=None)


@dataclass(frozen=True)
class YearlyRule:
    month: int
    ordinal: int  # 1..4, or -1 for the last such weekday of the month
    weekday: int  # 0 = Monday
    time: dt.time
    offset_from: dt.timedelta
    offset_to: dt.timedelta

    def onset(self, year: int) -> dt.datetime:
        days = [
            day
            for day in range(1, calendar.monthrange(year, self.month)[1] + 1)
            if dt.date(year, self.month, day).weekday() == self.weekday
        ]
        day = days[-1] if self.ordinal == -1 else days[self.ordinal - 1]
        return dt.datetime.combine(dt.date(year, self.month, day), self.time)

    @property
    def rrule(self) -> dict:
        return {
            "FREQ": "YEARLY",
            "BYMONTH": self.month,
            "BYDAY": f"{self.ordinal}{WEEKDAYS[self.weekday]}",
        }


@lru_cache(maxsize=32768)  # every zone over the years checked (VERIFIED_YEARS)
def transitions(zone: zoneinfo.ZoneInfo, year: int) -> tuple[Transition, ...]:
    """Every UTC-offset change of a zone within one calendar year (UTC), to the minute."""
    found = []
    moment = dt.datetime(year, 1, 1, tzinfo=UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(zone).utcoffset()
    while moment < end:
        step = moment + dt.timedelta(days=1)
        step_offset = step.astimezone(zone).utcoffset()
        if step_offset != offset:
            low, high = moment, step  # the change happens in (low, high]
            while high - low > dt.timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            at = high.replace(second=0, microsecond=0)
            found.append(Transition(at=at, offset_from=offset, offset_to=step_offset))
            offset = step_offset
        moment = step
    return tuple(found)


def _rules_for(transition: Transition) -> list[YearlyRule]:
    onset = transition.local_onset
    ordinal = (onset.day - 1) // 7 + 1
    month_days = calendar.monthrange(onset.year, onset.month)[1]
    candidates = []  # the last such weekday first: that is how the laws say it, mostly
    if onset.day + 7 > month_days:
        candidates.append(-1)
    if ordinal <= 4:
        candidates.append(ordinal)
    return [
        YearlyRule(
            month=onset.month,
            ordinal=n,
            weekday=onset.weekday(),
            time=onset.time(),
            offset_from=transition.offset_from,
            offset_to=transition.offset_to,
        )
        for n in candidates
    ]


@lru_cache(maxsize=256)
def yearly_rules(zone_name: str, first_year: int, last_year: int) -> tuple[YearlyRule, ...] | None:
    """The zone's rules as yearly RRULEs valid for every year in range, or None if impossible.

    An empty tuple means the zone keeps one offset all through the range (Asia/Hong_Kong).
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    per_year = {year: transitions(zone, year) for year in range(first_year, last_year + 1)}
    counts = {len(found) for found in per_year.values()}
    if counts == {0}:
        offsets = {
            dt.datetime(year, 7, 1, tzinfo=UTC).astimezone(zone).utcoffset() for year in per_year
        }
        return () if len(offsets) == 1 else None
    if counts != {2}:
        return None
    chosen = []
    for index in range(2):
        for rule in _rules_for(per_year[first_year][index]):
            if all(
                found[index].local_onset == rule.onset(year)
                and (found[index].offset_from, found[index].offset_to)
                == (rule.offset_from, rule.offset_to)
                for year, found in per_year.items()
            ):
                chosen.append(rule)
                break
        else:
            return None
    return tuple(chosen)


def _offset_standard(zone_name: str, year: int) -> dt.timedelta:
    return dt.datetime(year, 1, 1, tzinfo=UTC).astimezone(zoneinfo.ZoneInfo(zone_name)).utcoffset()


def verified_years(years: range) -> range:
    """The years a VTIMEZONE for times in `years` is checked over: VERIFIED_YEARS and `years`,
    with one more on either side. Its components start in the first, so that it claims nothing
    before it: clients read a time before a definition's first change wrongly (ical.js as UTC,
    dateutil in the first STANDARD), so every day of VERIFIED_YEARS and `years` must follow one."""
    return range(
        min(VERIFIED_YEARS.start, years.start) - 1, max(VERIFIED_YEARS.stop, years.stop) + 1
    )


def vtimezone(zone_name: str, years: range) -> Timezone | None:
    """A VTIMEZONE for zone_name, correct on every day from its components' start (the first of
    ``verified_years(years)``) to the end of those years, or None (write UTC instead)."""
    checked = verified_years(years)
    first = checked.start
    rules = yearly_rules(zone_name, first, checked.stop - 1)
    if rules is None:
        return None
    tz = Timezone()
    tz.add("TZID", zone_name)
    if not rules:
        offset = _offset_standard(zone_name, first)
        standard = TimezoneStandard()
        standard.add("DTSTART", dt.datetime(first, 1, 1))
        standard.add("TZOFFSETFROM", offset)
        standard.add("TZOFFSETTO", offset)
        standard.add(
            "TZNAME", _abbreviation(zone_name, dt.datetime(years.stop - 1, 1, 1, tzinfo=UTC))
        )
        tz.add_component(standard)
        return tz
    for rule in rules:
        daylight = rule.offset_to > rule.offset_from
        component = TimezoneDaylight() if daylight else TimezoneStandard()
        component.add("DTSTART", rule.onset(first))
        component.add("TZOFFSETFROM", rule.offset_from)
        component.add("TZOFFSETTO", rule.offset_to)
        component.add("RRULE", rule.rrule)
        instant = dt.datetime.combine(rule.onset(years.stop - 1), rule.time) - rule.offset_from
        component.add(
            "TZNAME",
            _abbreviation(zone_name, (instant + dt.timedelta(hours=1)).replace(tzinfo=UTC)),
        )
        tz.add_component(component)
    return tz


def _abbreviation(zone_name: str, instant: dt.datetime) -> str:
    return instant.astimezone(zoneinfo.ZoneInfo(zone_name)).tzname() or zone_name


# --- Calendars and events --------------------------------------------------------------------

STATUS_FOR = {
    Event.Status.DRAFT: "TENTATIVE",
    Event.Status.TENTATIVE: "TENTATIVE",
    Event.Status.POSTPONED: "TENTATIVE",
    Event.Status.CONFIRMED: "CONFIRMED",
    Event.Status.COMPLETED: "CONFIRMED",
    Event.Status.CANCELLED: "CANCELLED",
}
# Events only some may see say so (CLASS, RFC 5545 §3.8.1.3), so that someone who shares their
# calendar further shares "busy" rather than the details: an internal event is private, a
# restricted one (an unannounced visit) confidential. Others are public, the default.
CLASS_FOR = {Event.Visibility.INTERNAL: "PRIVATE", Event.Visibility.RESTRICTED: "CONFIDENTIAL"}


def new_calendar(*, prodid: str, method: str | None = None) -> Calendar:
    """An empty VCALENDAR: PRODID, VERSION, CALSCALE and the iTIP METHOD, if any."""
    vcalendar = Calendar()
    vcalendar.add("PRODID", prodid)
    vcalendar.add("VERSION", "2.0")
    vcalendar.add("CALSCALE", "GREGORIAN")
    if method:
        vcalendar.add("METHOD", method)
    return vcalendar


def add_timezones(vcalendar: Calendar, moments: dict[str, Iterable[dt.datetime]]) -> set[str]:
    """Add a VTIMEZONE for each zone (name → the moments written in it) that can be written
    with yearly rules over those moments' years; return the zones written. Times in the other
    zones are written in UTC (``event_values``' ``zone_written``)."""
    written = set()
    for zone_name in sorted(moments):
        zone = zoneinfo.ZoneInfo(zone_name)
        years = {moment.astimezone(zone).year for moment in moments[zone_name]}
        component = vtimezone(zone_name, range(min(years), max(years) + 1)) if years else None
        if component is not None:
            vcalendar.add_component(component)
            written.add(zone_name)
    return written


@dataclass(frozen=True)
class EventValues:
    """Every value an event's VEVENT is written from. ``vevent`` reads nothing else, so
    ``digest``, made from all of them, this module's source and icalendar's version, names the
    bytes it writes: a cache keyed by it cannot serve a stale VEVENT."""

    uid: str
    sequence: int
    stamp: dt.datetime  # DTSTAMP
    start: dt.datetime  # in the event's zone when the calendar carries its VTIMEZONE and the
    # zone's clock names one instant only, else UTC (``written_time``)
    end: dt.datetime
    summary: str
    location: str
    description: str
    status: str
    classification: str  # CLASS, or "" for a public event
    last_modified: dt.datetime | None = None

    @cached_property
    def digest(self) -> str:
        values = tuple(getattr(self, field.name) for field in fields(self))
        return hashlib.sha256(repr((WRITER, values)).encode()).hexdigest()


# What else the bytes of a VEVENT depend on: this module's code and icalendar's.
WRITER = (hashlib.sha256(Path(__file__).read_bytes()).hexdigest(), icalendar.__version__)


def vevent(values: EventValues) -> VEvent:
    """The VEVENT every calendar we write shares: UID, SEQUENCE, DTSTAMP, the times, summary,
    place, description, status, CLASS for an event only some may see, and
    LAST-MODIFIED for a published copy."""
    found = VEvent()
    found.add("UID", values.uid)
    found.add("SEQUENCE", values.sequence)
    found.add("DTSTAMP", values.stamp)
    found.add("DTSTART", values.start)
    found.add("DTEND", values.end)
    found.add("SUMMARY", values.summary)
    found.add("LOCATION", values.location)
    if values.description:
        found.add("DESCRIPTION", values.description)
    found.add("STATUS", values.status)
    found.add("TRANSP", "OPAQUE")
    if values.classification:
        found.add("CLASS", values.classification)
    if values.last_modified is not None:
        found.add("LAST-MODIFIED", values.last_modified)
    return found


def written_time(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The moment as the zone's clock shows it, or in UTC where that clock time names no single
    instant: "TZID=Europe/London:20261025T013000" is read as the first 01:30 by RFC 5545 §3.3.5
    and as the second by ical.js, so one group of clients would be an hour off (and a time in
    the hour skipped when clocks go forward does not exist at all)."""
    local = moment.astimezone(zone)
    return moment.astimezone(UTC) if clock_is_ambiguous(local) else local


def event_values(
    facts: EventFacts,
    *,
    uid: str,
    sequence: int,
    stamp: dt.datetime,
    zone_written: bool,
    description: str = "",
    start: dt.datetime | None = None,
    status: str | None = None,
    last_modified: dt.datetime | None = None,
) -> EventValues:
    """What an event's VEVENT says: times in its zone when the calendar carries its VTIMEZONE
    (``add_timezones``), else in UTC, never floating, and in UTC too where the zone's clock is
    ambiguous (``written_time``); DTSTAMP and LAST-MODIFIED in UTC.

    ``start`` replaces the event's start (an attendee's call time), ``status`` its STATUS (an
    invite's CANCEL); invites and published copies each choose their UID and description.
    """
    event = facts.event
    zone = event.zone if zone_written else dt.UTC
    return EventValues(
        uid=uid,
        sequence=sequence,
        stamp=stamp.astimezone(dt.UTC),
        start=written_time(start or event.start, zone),
        end=written_time(event.end, zone),
        summary=facts.title,
        location=facts.venue,
        description=description,
        status=status or STATUS_FOR[event.status],
        classification=CLASS_FOR.get(event.visibility, ""),
        last_modified=last_modified.astimezone(dt.UTC) if last_modified else None,
    )


def event_vevent(facts: EventFacts, **values) -> VEvent:
    """``vevent(event_values(facts, ...))``: invites add their attendee, organiser and alarm."""
    return vevent(event_values(facts, **values))


def published_values(
    facts: EventFacts, *, uid: str, zone_written: bool, stamp: dt.datetime | None = None
) -> EventValues:
    """An event as a published calendar (a feed, an ``.ics`` answer) shows it: its public
    description and programme, no attendees. DTSTAMP and LAST-MODIFIED are when it last changed
    (``stamp``, by default its ``updated_at``), so one version always writes the same bytes."""
    event = facts.event
    stamp = stamp or event.updated_at
    blocks = [event.description.strip()] if event.description.strip() else []
    if facts.programme:
        blocks.append("\n".join(line.text for line in facts.programme))
    return event_values(
        facts,
        uid=uid,
        sequence=event.revision,
        stamp=stamp,
        zone_written=zone_written,
        description="\n\n".join(blocks),
        last_modified=stamp,
    )


def published_vevent(
    facts: EventFacts, *, uid: str, zone_written: bool, stamp: dt.datetime | None = None
) -> VEvent:
    return vevent(published_values(facts, uid=uid, zone_written=zone_written, stamp=stamp))
