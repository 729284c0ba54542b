"""iCalendar time zones that every client reads the same way.

icalendar's own VTIMEZONE (``Timezone.from_tzinfo``) lists every transition as comma-separated
RDATEs, which Mozilla's ical.js (Thunderbird) and vobject misread for zones with daylight saving,
and Outlook ignores: it builds zones only from TZID, DTSTART, RRULE, TZOFFSETFROM and TZOFFSETTO.
So we write the zone as one STANDARD and one DAYLIGHT component with yearly RRULEs, derived from
zoneinfo and checked against it for every year the calendar needs. When a zone's rules cannot be
written that way over those years (a zone that changed its rules), ``vtimezone`` returns None and
callers write those times in UTC instead.
"""

import calendar
import datetime as dt
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

UTC = dt.UTC
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


def transitions(zone: zoneinfo.ZoneInfo, year: int) -> list[Transition]:
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
    return found


def _rules_for(transition: Transition) -> list[YearlyRule]:
    onset = transition.local_onset
    ordinal = (onset.day - 1) // 7 + 1
    month_days = calendar.monthrange(onset.year, onset.month)[1]
    candidates = []
    if ordinal <= 4:
        candidates.append(ordinal)
    if onset.day + 7 > month_days:
        candidates.append(-1)
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


def vtimezone(zone_name: str, years: range) -> Timezone | None:
    """A VTIMEZONE for zone_name correct for every year in `years`, or None (write UTC instead)."""
    first, last = min(years), max(years)
    rules = yearly_rules(zone_name, first - 1, last + 1)
    if rules is None:
        return None
    tz = Timezone()
    tz.add("TZID", zone_name)
    if not rules:
        offset = _offset_standard(zone_name, first)
        standard = TimezoneStandard()
        standard.add("DTSTART", dt.datetime(1970, 1, 1))
        standard.add("TZOFFSETFROM", offset)
        standard.add("TZOFFSETTO", offset)
        standard.add("TZNAME", _abbreviation(zone_name, dt.datetime(last, 1, 1, tzinfo=UTC)))
        tz.add_component(standard)
        return tz
    for rule in rules:
        daylight = rule.offset_to > rule.offset_from
        component = TimezoneDaylight() if daylight else TimezoneStandard()
        component.add("DTSTART", rule.onset(1970))
        component.add("TZOFFSETFROM", rule.offset_from)
        component.add("TZOFFSETTO", rule.offset_to)
        component.add("RRULE", rule.rrule)
        instant = dt.datetime.combine(rule.onset(last), rule.time) - rule.offset_from
        component.add(
            "TZNAME",
            _abbreviation(zone_name, (instant + dt.timedelta(hours=1)).replace(tzinfo=UTC)),
        )
        tz.add_component(component)
    return tz


def _abbreviation(zone_name: str, instant: dt.datetime) -> str:
    return instant.astimezone(zoneinfo.ZoneInfo(zone_name)).tzname() or zone_name
