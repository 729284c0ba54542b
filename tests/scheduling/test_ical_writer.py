"""The one VEVENT writer (scheduling.ical): what it is written from names its bytes."""

import dataclasses
import datetime as dt
import zoneinfo

from scheduling.ical import EventValues, vevent

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
