"""A real CalDAV server keeps what we write: every kind of calendar file the system produces (an
invite, its CANCEL, a subscription feed, an event's ``.ics`` answer) is PUT to Radicale, which
parses and checks it as it stores it (vobject), and read back with the same UIDs and instants."""

import datetime as dt
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.utils import timezone
from icalendar import Calendar

from api import feeds
from api.ics import publish_calendar
from scheduling.models import Event
from tests.factories import EventFactory, SiteFactory
from tests.interop.clients import require
from tests.interop.test_invite_parsers import _invites

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
AUTH = ("protocol", "desk")  # Radicale with auth type "none" takes any name; its folder is its own


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    try:
        import radicale  # noqa: F401
    except ImportError:
        require(False, "Radicale is not installed (pip install -e '.[dev]')")
    folder, port = tmp_path_factory.mktemp("radicale"), _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--auth-type",
            "none",
            "--storage-filesystem-folder",
            str(folder),
            "--logging-level",
            "warning",
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(base, timeout=1)
            break
        except requests.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise AssertionError(f"Radicale did not start: {server.stderr.read()!r}") from None
            time.sleep(0.1)
    yield base
    server.terminate()
    server.wait(10)


def _put(base: str, name: str, body: bytes, *, whole: bool = False) -> Calendar:
    """PUT the file into a calendar collection of its own and read it back. A calendar of one
    event goes in as one item (MKCALENDAR, then PUT); a feed, many events, as the whole
    collection (PUT on the collection, as a client importing a calendar does)."""
    collection = f"{base}/{AUTH[0]}/{name}/"
    if not whole:
        made = requests.request("MKCALENDAR", collection, auth=AUTH, timeout=10)
        assert made.status_code == 201, made.text
    url = collection if whole else f"{collection}{name}.ics"
    put = requests.put(
        url,
        data=body,
        headers={"Content-Type": "text/calendar; charset=utf-8"},
        auth=AUTH,
        timeout=10,
    )
    assert put.status_code in (201, 204), f"{name}: {put.status_code} {put.text}"
    got = requests.get(url, auth=AUTH, timeout=10)
    assert got.status_code == 200
    return Calendar.from_ical(got.content)


def _instants(calendar: Calendar) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    return {
        str(vevent["UID"]): (
            vevent.decoded("DTSTART").astimezone(dt.UTC),
            vevent.decoded("DTEND").astimezone(dt.UTC),
        )
        for vevent in calendar.walk("VEVENT")
    }


def test_radicale_stores_every_invite_and_cancel_with_its_instants(radicale, tmp_path):
    files = _invites(tmp_path)

    for path, (_method, event, start) in files.items():
        stored = _put(radicale, Path(path).stem, Path(path).read_bytes())

        assert _instants(stored) == {event.uid: (start.astimezone(dt.UTC), event.end)}


def test_radicale_stores_a_feed_and_an_ics_answer(radicale, officer):
    site = SiteFactory()
    soon = (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    events = [
        EventFactory(
            site=site,
            title=f"Visit in {zone_name}",
            title_zh="參觀",
            timezone=zone_name,
            visibility=visibility,
            start=soon + dt.timedelta(days=days),
            end=soon + dt.timedelta(days=days, hours=2),
            status=Event.Status.CONFIRMED,
        )
        for zone_name, visibility, days in [
            ("Asia/Hong_Kong", "public", 0),
            ("Europe/London", "restricted", 7),
            ("America/New_York", "internal", 14),
        ]
    ]
    feed, _token = feeds.feed_create(name="Everything", owner_user=officer)

    stored_feed = _put(radicale, "feed", feeds.feed_render(feed, now=timezone.now()), whole=True)
    stored_answer = _put(radicale, "answer", publish_calendar(events[1]))

    assert set(_instants(stored_feed).values()) == {
        (event.start.astimezone(dt.UTC), event.end.astimezone(dt.UTC)) for event in events
    }
    [(uid, instants)] = _instants(stored_answer).items()
    assert instants == (events[1].start.astimezone(dt.UTC), events[1].end.astimezone(dt.UTC))
    assert stored_answer.walk("VEVENT")[0]["CLASS"] == "CONFIDENTIAL"


@pytest.mark.parametrize(
    "zone_name", ["Europe/London", "America/New_York", "Australia/Sydney", "Pacific/Chatham"]
)
def test_radicale_stores_times_around_clock_changes_as_written(radicale, zone_name):
    """Events starting, ending and lying across the hour the clocks repeat or skip (written in
    UTC there, tests/interop/test_clock_changes.py) keep their instants in a CalDAV store."""
    from tests.interop.test_clock_changes import _calendar, _spans

    spans = _spans(zone_name)

    stored = _put(radicale, zone_name.replace("/", "-"), _calendar(zone_name, spans), whole=True)

    assert sorted(_instants(stored).values()) == sorted(
        (start.astimezone(dt.UTC), end.astimezone(dt.UTC)) for start, end in spans
    )
