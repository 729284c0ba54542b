"""Times in words where the clocks go back: which of the two 01:30s, as the calendar data says."""

import datetime as dt
import zoneinfo

from scheduling.models import Event
from scheduling.timezones import clock
from scheduling.wording import call_time_changed, span

LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# 25 October 2026: London's clocks go from 02:00 BST back to 01:00 GMT at 01:00 UTC.
FIRST_ONE = dt.datetime(2026, 10, 25, 0, 0, tzinfo=dt.UTC)  # 01:00 BST
SECOND_ONE = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.UTC)  # 01:00 GMT


def test_clock_names_the_offset_only_in_the_repeated_hour():
    assert clock(FIRST_ONE.astimezone(LONDON)) == "01:00 BST"
    assert clock(SECOND_ONE.astimezone(LONDON)) == "01:00 GMT"
    assert clock((SECOND_ONE + dt.timedelta(hours=1)).astimezone(LONDON)) == "02:00"
    assert clock((FIRST_ONE - dt.timedelta(minutes=1)).astimezone(LONDON)) == "00:59"
    # New York, 7 November 2027: 01:30 EDT, then 01:30 EST.
    assert clock(dt.datetime(2027, 11, 7, 5, 30, tzinfo=dt.UTC).astimezone(NEW_YORK)) == (
        "01:30 EDT"
    )
    assert clock(dt.datetime(2027, 11, 7, 6, 30, tzinfo=dt.UTC).astimezone(NEW_YORK)) == (
        "01:30 EST"
    )


def test_clock_falls_back_to_the_utc_offset_where_the_zone_has_no_abbreviation():
    zone = zoneinfo.ZoneInfo("America/Asuncion")  # "-03" and "-04" in the tz database
    change = next(
        moment
        for hour in range(24 * 366)
        if (moment := dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=hour))
        .astimezone(zone)
        .utcoffset()
        < (moment - dt.timedelta(hours=1)).astimezone(zone).utcoffset()
    )

    assert clock((change - dt.timedelta(minutes=30)).astimezone(zone)).endswith(" UTC-3")
    assert clock((change + dt.timedelta(minutes=30)).astimezone(zone)).endswith(" UTC-4")


def test_span_of_an_hour_across_the_change_is_not_zero_length():
    assert span(FIRST_ONE, SECOND_ONE, LONDON, with_date=False) == "01:00 BST–01:00 GMT"
    assert (
        span(
            SECOND_ONE - dt.timedelta(hours=2),
            SECOND_ONE + dt.timedelta(hours=2),
            LONDON,
            with_date=True,
        )
        == "Sun 25 Oct 00:00–03:00"
    )
    assert call_time_changed(FIRST_ONE, SECOND_ONE, LONDON)["en"] == [
        "Your call time: 01:00 BST → 01:00 GMT"
    ]


def test_event_facts_say_which_one_oclock(db):
    from scheduling.facts import event_facts
    from tests.factories import EventFactory, ProgrammeItemFactory

    event = EventFactory(
        timezone="Europe/London",
        start=FIRST_ONE,
        end=SECOND_ONE + dt.timedelta(minutes=30),
        status=Event.Status.CONFIRMED,
    )
    ProgrammeItemFactory(
        event=event, title="Vigil", start=FIRST_ONE, end=SECOND_ONE, visibility="public"
    )

    facts = event_facts(event)

    assert facts.when == "Sunday 25 October 2026, 01:00 BST–01:30 GMT (BST, Europe/London)"
    assert facts.time_of(SECOND_ONE) == "Sunday 25 October 2026, 01:00 GMT (GMT, Europe/London)"
    assert [line.times for line in facts.programme] == ["01:00 BST–01:00 GMT"]
