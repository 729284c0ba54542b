"""The one VEVENT writer (scheduling.ical): what it is written from names its bytes."""

import dataclasses
import datetime as dt
import zoneinfo

from scheduling.facts import EventFacts
from scheduling.ical import EventValues, published_vevent, vevent, written_time
from scheduling.models import Event

LONDON = zoneinfo.ZoneInfo("Europe/London")
BASE = EventValues(
    uid="feed-1-abc@protocol-desk",
    sequence=1,
    stamp=dt.datetime(2030, 6, 1, 8, 30, tzinfo=dt.UTC),
    start=dt.datetime(2030, 7, 1, 10, 0, tzinfo=LONDON),
    end=dt.datetime(2030, 7, 1, 12, 0, tzinfo=LONDON),
    summary="Opening of the MARS Centre",
    location="Auditorium, MARS Centre",
    description="Welcome remarks",
    status="CONFIRMED",
    classification="",
    last_modified=dt.datetime(2030, 6, 1, 8, 30, tzinfo=dt.UTC),
)
CHANGES = {
    "uid": "feed-2-abc@protocol-desk",
    "sequence": 2,
    "stamp": BASE.stamp + dt.timedelta(seconds=1),
    "start": BASE.start + dt.timedelta(minutes=30),
    "end": BASE.end + dt.timedelta(minutes=30),
    "summary": "Opening of the MARS Centre (火星中心開幕典禮)",
    "location": "Hall 1, MARS Centre",
    "description": "Welcome remarks\nLab tour",
    "status": "TENTATIVE",
    "classification": "CONFIDENTIAL",
    "last_modified": BASE.last_modified + dt.timedelta(seconds=1),
}


def test_every_value_changes_the_vevent_and_its_digest():
    assert set(CHANGES) == {field.name for field in dataclasses.fields(EventValues)}

    for name, value in CHANGES.items():
        changed = dataclasses.replace(BASE, **{name: value})
        assert changed.digest != BASE.digest, name
        assert vevent(changed).to_ical() != vevent(BASE).to_ical(), name


def test_the_same_instant_in_utc_is_another_vevent_and_digest():
    in_utc = dataclasses.replace(
        BASE, start=BASE.start.astimezone(dt.UTC), end=BASE.end.astimezone(dt.UTC)
    )

    assert in_utc.digest != BASE.digest
    assert b"DTSTART:20300701T090000Z" in vevent(in_utc).to_ical()
    assert b"DTSTART;TZID=Europe/London:20300701T100000" in vevent(BASE).to_ical()


def test_equal_values_write_equal_bytes_under_one_digest():
    again = dataclasses.replace(BASE)

    assert again.digest == BASE.digest
    assert vevent(again).to_ical() == vevent(BASE).to_ical()


def test_a_clock_time_that_names_two_instants_or_none_is_written_in_utc():
    # 25 October 2026, London: 01:00 BST (00:00 UTC) and, an hour later, 01:00 GMT.
    first, second = (dt.datetime(2026, 10, 25, hour, tzinfo=dt.UTC) for hour in (0, 1))

    assert written_time(first, LONDON) == first and written_time(first, LONDON).tzinfo is dt.UTC
    assert written_time(second, LONDON).tzinfo is dt.UTC
    assert written_time(second + dt.timedelta(hours=1), LONDON).tzinfo is LONDON  # 02:00 GMT
    assert written_time(first - dt.timedelta(minutes=1), LONDON).tzinfo is LONDON  # 00:59 BST
    # 29 March 2026: 00:59 GMT, then 02:00 BST; no clock in between to write.
    spring = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC)
    assert written_time(spring, LONDON).tzinfo is LONDON
    assert written_time(spring - dt.timedelta(minutes=1), LONDON).tzinfo is LONDON


def test_published_copy_of_an_event_in_the_repeated_hour_says_which_one_oclock():
    first, second = (dt.datetime(2026, 10, 25, hour, tzinfo=dt.UTC) for hour in (0, 1))
    event = Event(
        title="Night vigil",
        timezone="Europe/London",
        start=first,
        end=second + dt.timedelta(hours=1),
        status=Event.Status.CONFIRMED,
    )
    facts = EventFacts(
        event=event, title=event.title, start=first, end=event.end, venue="", programme=()
    )

    text = published_vevent(facts, uid="x", zone_written=True, stamp=first).to_ical()

    assert b"DTSTART:20261025T000000Z" in text
    assert b"DTEND;TZID=Europe/London:20261025T020000" in text
