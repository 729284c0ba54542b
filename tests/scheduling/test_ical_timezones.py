import datetime as dt
import zoneinfo

import pytest
from icalendar import Calendar

from scheduling.ical import transitions, verified_years, vtimezone

ZONES_WITH_DST = ["Europe/London", "America/New_York", "Australia/Sydney", "Europe/Dublin"]


def _instants_around_transitions(zone_name: str, years: range):
    zone = zoneinfo.ZoneInfo(zone_name)
    for year in years:
        for change in transitions(zone, year):
            for minutes in (-61, -1, 0, 1, 61):
                yield change.at + dt.timedelta(minutes=minutes)
        yield dt.datetime(year, 1, 15, 12, tzinfo=dt.UTC)
        yield dt.datetime(year, 7, 15, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize("zone_name", [*ZONES_WITH_DST, "Asia/Hong_Kong"])
def test_vtimezone_agrees_with_zoneinfo_in_every_year_it_covers(zone_name):
    years = range(2025, 2029)
    component = vtimezone(zone_name, years)
    parsed = Calendar.from_ical(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
        + component.to_ical()
        + b"END:VCALENDAR\r\n"
    )
    # lookup_tzid=False: the file's own definition, not zoneinfo's zone of the same name.
    their_zone = parsed.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    our_zone = zoneinfo.ZoneInfo(zone_name)

    for instant in _instants_around_transitions(zone_name, years):
        assert (
            instant.astimezone(their_zone).utcoffset() == instant.astimezone(our_zone).utcoffset()
        ), instant


@pytest.mark.parametrize("zone_name", ZONES_WITH_DST)
def test_vtimezone_uses_yearly_rules_not_rdate_lists(zone_name):
    text = vtimezone(zone_name, range(2026, 2027)).to_ical().decode()

    assert "RDATE" not in text
    assert text.count("RRULE:FREQ=YEARLY") == 2
    assert "BEGIN:DAYLIGHT" in text and "BEGIN:STANDARD" in text


def test_vtimezone_without_daylight_saving_is_one_standard_offset():
    text = vtimezone("Asia/Hong_Kong", range(2026, 2027)).to_ical().decode()

    assert "TZOFFSETFROM:+0800" in text and "TZOFFSETTO:+0800" in text
    assert "RRULE" not in text and "DAYLIGHT" not in text


def test_vtimezone_gives_up_on_a_zone_whose_rules_changed():
    # Morocco suspends daylight saving for Ramadan: not expressible as two yearly rules.
    assert vtimezone("Africa/Casablanca", range(2026, 2028)) is None


@pytest.mark.parametrize(
    ("zone_name", "year", "rules"),
    [
        # From 2027 to 2029 London's last Sunday of March is also its fourth; not in 2026.
        (
            "Europe/London",
            2027,
            ["FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"],
        ),
        (
            "Pacific/Chatham",
            2026,
            ["FREQ=YEARLY;BYDAY=1SU;BYMONTH=4", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=9"],
        ),
        (
            "America/New_York",
            2027,
            ["FREQ=YEARLY;BYDAY=2SU;BYMONTH=3", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11"],
        ),
    ],
)
def test_vtimezone_rules_hold_for_every_year_not_only_the_events(zone_name, year, rules):
    component = vtimezone(zone_name, range(year, year + 1))

    parts = sorted(component.subcomponents, key=lambda part: part["DTSTART"].dt)
    assert sorted(part["RRULE"].to_ical().decode() for part in parts) == sorted(rules)
    assert {part["DTSTART"].dt.year for part in parts} == {2019}  # where the checks begin


def test_vtimezone_claims_the_years_of_its_times_beyond_the_checked_ones():
    component = vtimezone("Europe/London", range(2050, 2052))

    assert {part["DTSTART"].dt.year for part in component.subcomponents} == {2019}
    assert verified_years(range(2050, 2052)) == range(2019, 2053)
    assert verified_years(range(2010, 2011)) == range(2009, 2042)


def test_vtimezone_gives_up_on_a_zone_whose_rules_changed_in_the_years_it_would_claim():
    # Mexico City kept daylight saving until 2022: no one pair of yearly rules holds since 2019.
    assert vtimezone("America/Mexico_City", range(2030, 2031)) is None
