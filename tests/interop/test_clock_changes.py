"""Times around a change of the clocks, in every zone with daylight saving, read as calendar
clients read them: each instant we write must be the instant ical.js (Thunderbird), vobject and
icalendar read back with the file's own VTIMEZONE, in the hour that happens twice when clocks go
back and next to the hour that never happens when they go forward.

One calendar file per zone, each with a few dozen VEVENTs, all read by one node process and one
vobject process (every file has a TZID of its own, so vobject's global registry is safe).
"""

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest
from icalendar import Calendar

from scheduling import ical
from scheduling.facts import EventFacts
from scheduling.models import Event
from tests.interop.clients import icaljs_read, vobject_read_all

pytestmark = pytest.mark.slow

YEARS = (2026, 2027)
STAMP = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def zones_with_changes() -> list[str]:
    """Every zone of the tz database whose clocks change in YEARS."""
    return sorted(
        name
        for name in zoneinfo.available_timezones()
        if any(ical.transitions(zoneinfo.ZoneInfo(name), year) for year in YEARS)
    )


def _moments(change: ical.Transition) -> list[dt.datetime]:
    """Instants around one change: before the hour it repeats or skips, at its start, the
    minute before the change, the change, inside the repeated hour (or just past the skipped
    one) and after."""
    shift = abs(change.offset_to - change.offset_from)
    return [
        change.at - shift - dt.timedelta(minutes=30),
        change.at - shift,
        change.at - dt.timedelta(minutes=1),
        change.at,
        change.at + shift / 2,
        change.at + shift + dt.timedelta(minutes=30),
    ]


# Pairs of _moments: when clocks go back, (1, 3) is the hour from 01:00 to 01:00 again, (0, 2)
# ends in the first 01:00-02:00, (2, 4) runs from the first into the second, (3, 5) starts in
# the second, (0, 5) spans both and (4, 5) starts half way through the second; when clocks go
# forward the same pairs start and end next to the missing hour, and across it.
PAIRS = ((1, 3), (0, 2), (2, 4), (3, 5), (0, 5), (4, 5))


def _spans(zone_name: str) -> list[tuple[dt.datetime, dt.datetime]]:
    """Events starting, ending and lying across each change of the zone's clocks in YEARS."""
    zone = zoneinfo.ZoneInfo(zone_name)
    changes = [change for year in YEARS for change in ical.transitions(zone, year)]
    return [
        (moments[first], moments[last])
        for moments in (_moments(change) for change in changes)
        for first, last in PAIRS
    ]


def _calendar(zone_name: str, spans: list[tuple[dt.datetime, dt.datetime]]) -> bytes:
    calendar = ical.new_calendar(prodid="-//Protocol Desk//Tests//EN", method="PUBLISH")
    moments = [moment for span in spans for moment in span]
    written = ical.add_timezones(calendar, {zone_name: moments})
    for number, (start, end) in enumerate(spans):
        event = Event(
            title="Clock change", timezone=zone_name, start=start, end=end, status="confirmed"
        )
        facts = EventFacts(
            event=event, title=event.title, start=start, end=end, venue="", programme=()
        )
        calendar.add_component(
            ical.published_vevent(
                facts, uid=f"{number}", zone_written=zone_name in written, stamp=STAMP
            )
        )
    return calendar.to_ical()


def _readings(wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> set[dt.datetime]:
    """Every instant at which the zone's clock shows this wall-clock time (none in a gap, two in
    the hour repeated)."""
    offsets = {(wall + dt.timedelta(hours=h)).replace(tzinfo=zone).utcoffset() for h in (-3, 3)}
    return {
        instant
        for offset in offsets
        if (instant := (wall - offset).replace(tzinfo=dt.UTC)).astimezone(zone).replace(tzinfo=None)
        == wall
    }


def _icalendar_read(ics: bytes) -> list[tuple[float, float, list[bool]]]:
    """Each VEVENT's instants as icalendar reads them with the file's own VTIMEZONE (not its
    zoneinfo namesake), and whether each value was written with a TZID."""
    calendar = Calendar.from_ical(ics)
    zones = {str(tz["TZID"]): tz.to_tz(lookup_tzid=False) for tz in calendar.walk("VTIMEZONE")}
    found = []
    for vevent in calendar.walk("VEVENT"):
        instants, local = [], []
        for name in ("DTSTART", "DTEND"):
            tzid = vevent[name].params.get("TZID")
            value = vevent[name].dt
            if tzid:
                value = value.replace(tzinfo=zones[tzid])
            instants.append(value.timestamp())
            local.append(tzid is not None)
        found.append((*instants, local))
    return found


def test_times_around_clock_changes_read_the_same_in_every_client_and_zone(tmp_path):
    files = {}
    for zone_name in zones_with_changes():
        spans = _spans(zone_name)
        path = tmp_path / f"{zone_name.replace('/', '_')}.ics"
        path.write_bytes(_calendar(zone_name, spans))
        files[str(path)] = (zone_name, spans)

    by_icaljs = icaljs_read(list(files))
    by_vobject = vobject_read_all(list(files))

    assert len(files) > 100  # the tz database has well over a hundred such zones
    for path, (zone_name, spans) in files.items():
        zone = zoneinfo.ZoneInfo(zone_name)
        expected = [(start.timestamp(), end.timestamp()) for start, end in spans]
        assert [(e["start"], e["end"]) for e in by_icaljs[path]] == expected, zone_name
        assert [(e["start"], e["end"]) for e in by_vobject[path]] == expected, zone_name
        read = _icalendar_read(Path(path).read_bytes())
        assert [(start, end) for start, end, _ in read] == expected, zone_name
        written_locally = b"BEGIN:VTIMEZONE" in Path(path).read_bytes()
        for (start, end), (*_, local) in zip(spans, read, strict=True):
            for moment, in_zone in zip((start, end), local, strict=True):
                wall = moment.astimezone(zone).replace(tzinfo=None)
                unmistakable = len(_readings(wall, zone)) == 1
                assert in_zone == (written_locally and unmistakable), (zone_name, moment)
