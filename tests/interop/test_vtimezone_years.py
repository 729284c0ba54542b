"""Every VTIMEZONE we may write holds for every day it claims to cover, as ical.js (Thunderbird)
reads it: a client keeps a zone's definition and reuses it for other events and other years, so
a rule right only for the event's year ("fourth Sunday" for London's last Sunday of March) puts
it a week wrong in some other year.

Each zone's definition is asked, in one node process, for its offset at noon on every day from
its start (DTSTART) to the end of the years it is checked over (2020-2040, and the event's, with
a year to spare) and next to each change of the clocks, and compared with zoneinfo. Zones whose
definitions are the same but for their names are asked once.
"""

import datetime as dt
import re
import zoneinfo

import pytest

from scheduling import ical
from scheduling.timezones import clock_is_ambiguous
from tests.interop.clients import icaljs_offsets

pytestmark = pytest.mark.slow

EVENT_YEARS = range(2030, 2031)
YEARS = ical.verified_years(EVENT_YEARS)  # every year the definitions claim, 2019-2041


def _days_from(start: dt.datetime) -> list[dt.datetime]:
    """Noon on every day from a definition's start to the end of YEARS."""
    first = start.replace(hour=12, minute=0, second=0) + dt.timedelta(days=start.hour >= 12)
    return [
        first + dt.timedelta(days=n)
        for n in range((dt.datetime(YEARS.stop, 1, 1, 12) - first).days)
    ]


def _next_to_changes(zone: zoneinfo.ZoneInfo) -> list[dt.datetime]:
    """Wall-clock times a minute before and at each change of the clocks, and on either side of
    the hour it repeats or skips, where the clock names one instant only."""
    found = []
    for year in YEARS:
        for change in ical.transitions(zone, year):
            shift = abs(change.offset_to - change.offset_from)
            for instant in (
                change.at - shift - dt.timedelta(minutes=1),
                change.at - dt.timedelta(minutes=1),
                change.at,
                change.at + shift,
            ):
                local = instant.astimezone(zone)
                if not clock_is_ambiguous(local):
                    found.append(local.replace(tzinfo=None))
    return found


def test_each_vtimezone_we_may_write_holds_every_day_from_its_start_in_icaljs(tmp_path):
    groups: dict[bytes, list[str]] = {}
    starts: dict[bytes, dt.datetime] = {}
    for name in sorted(zoneinfo.available_timezones()):
        component = ical.vtimezone(name, EVENT_YEARS)
        if component is not None:
            body = re.sub(rb"(TZID|TZNAME):[^\r]*\r\n", b"", component.to_ical())
            groups.setdefault(body, []).append(name)
            starts[body] = min(part["DTSTART"].dt for part in component.subcomponents)
    requests, asked = {}, {}
    for number, (body, names) in enumerate(groups.items()):
        path = tmp_path / f"{number}.ics"
        path.write_bytes(
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
            + body.replace(b"BEGIN:VTIMEZONE\r\n", b"BEGIN:VTIMEZONE\r\nTZID:Zone\r\n", 1)
            + b"END:VCALENDAR\r\n"
        )
        times = sorted(
            {
                *_days_from(starts[body]),
                *(t for n in names for t in _next_to_changes(zoneinfo.ZoneInfo(n))),
            }
        )
        times = [time for time in times if time >= starts[body]]  # what it claims
        requests[str(path)] = [f"{t:%Y%m%dT%H%M%S}" for t in times]
        asked[str(path)] = (names, times)

    offsets = icaljs_offsets(requests, tmp_path)

    assert len(asked) > 20 and sum(len(names) for names, _ in asked.values()) > 300
    for path, (names, times) in asked.items():
        folded = [time.replace(fold=1) for time in times]
        for name in names:
            zone = zoneinfo.ZoneInfo(name)
            wrong = [
                (time, found)
                for time, other, found in zip(times, folded, offsets[path], strict=True)
                # ZoneInfo reads a naive time as its own wall-clock time; where the two folds
                # differ the clock is ambiguous, and we never write such a time in the zone.
                if (offset := zone.utcoffset(time)) == zone.utcoffset(other)
                and found != offset.total_seconds()
            ]
            assert not wrong, (name, wrong[:3])
