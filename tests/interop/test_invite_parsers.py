"""Independent parsers read our invites as calendar clients do.

Each invite, as it leaves in the e-mail's text/calendar part, must parse in vobject with
validation (one process per file: vobject caches time zones globally) and in Mozilla's ical.js
(Thunderbird), and ical.js must read the same UTC instants as Python's zoneinfo, summer and
winter, on both sides of the Atlantic and in Hong Kong.
"""

import datetime as dt
import email
import json
import subprocess
import sys
import zoneinfo
from email import policy
from pathlib import Path

import pytest
from django.utils import timezone

from scheduling.models import Event
from tests.factories import AttendanceFactory, BookingFactory, EventFactory, ProgrammeItemFactory
from tests.interop.clients import icaljs_read, require
from visitors.emails import delivery_message
from visitors.models import Delivery

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TRICKY = 'Chinese 名字, "quoted"; semi;colon\nnewline'

# (label, zone, local start, hours, call time minutes before the start or None)
CASES = [
    ("london-summer", "Europe/London", dt.datetime(2030, 7, 1, 10, 0), 2, None),
    ("london-winter", "Europe/London", dt.datetime(2030, 1, 14, 9, 30), 3, 45),
    ("london-clocks-change", "Europe/London", dt.datetime(2030, 3, 31, 10, 0), 2, None),
    ("new-york-summer", "America/New_York", dt.datetime(2030, 8, 5, 14, 0), 2, None),
    ("new-york-winter", "America/New_York", dt.datetime(2030, 12, 2, 18, 0), 2, 30),
    ("new-york-clocks-change", "America/New_York", dt.datetime(2030, 3, 10, 9, 0), 1, None),
    ("hong-kong", "Asia/Hong_Kong", dt.datetime(2030, 3, 4, 10, 0), 2, 60),
    ("hong-kong-over-new-year", "Asia/Hong_Kong", dt.datetime(2030, 12, 31, 22, 0), 4, None),
    ("casablanca-utc", "Africa/Casablanca", dt.datetime(2030, 7, 1, 10, 0), 2, None),
]


# An unannounced visit and an internal meeting among the cases: CLASS says so (RFC 5545).
VISIBILITY = {"hong-kong": Event.Visibility.RESTRICTED, "london-winter": Event.Visibility.INTERNAL}
CLASS = {Event.Visibility.RESTRICTED: "CONFIDENTIAL", Event.Visibility.INTERNAL: "PRIVATE"}


def _calendar_part(delivery: Delivery) -> bytes:
    wire = delivery_message(delivery).message().as_bytes(linesep="\r\n")
    parsed = email.message_from_bytes(wire, policy=policy.default)
    return next(p for p in parsed.walk() if p.get_content_type() == "text/calendar").get_payload(
        decode=True
    )


def _invites(tmp_path: Path) -> dict[str, tuple[str, Event, dt.datetime]]:
    """Write one REQUEST per case, plus a CANCEL (with its reason), as files; return file →
    (method, event, start)."""
    files = {}
    for label, zone_name, local_start, hours, call_minutes in CASES:
        zone = zoneinfo.ZoneInfo(zone_name)
        start = local_start.replace(tzinfo=zone)
        event = EventFactory(
            visibility=VISIBILITY.get(label, Event.Visibility.PUBLIC),
            title=f"{TRICKY} ({label})",
            title_zh="開幕典禮",
            description=TRICKY,
            status=Event.Status.CONFIRMED,
            timezone=zone_name,
            start=start,
            end=start + dt.timedelta(hours=hours),
        )
        BookingFactory(event=event)
        ProgrammeItemFactory(event=event, title="Welcome, guests; 歡迎")
        call_time = start - dt.timedelta(minutes=call_minutes) if call_minutes else None
        attendance = AttendanceFactory(
            event=event, role="escort" if call_time else "guest", call_time=call_time
        )
        for method in (Delivery.Method.REQUEST, Delivery.Method.CANCEL):
            if method == Delivery.Method.CANCEL:  # the event is called off, and says why
                Event.objects.filter(pk=event.pk).update(
                    status=Event.Status.CANCELLED, cancel_reason=TRICKY
                )
                event.refresh_from_db()
            delivery = Delivery.objects.create(
                event=event,
                person=attendance.person,
                attendance=attendance,
                method=method,
                sequence=event.sequence + (method == Delivery.Method.CANCEL),
                next_attempt_at=timezone.now(),
            )
            path = tmp_path / f"{label}-{method.lower()}.ics"
            path.write_bytes(_calendar_part(delivery))
            files[str(path)] = (method, event, call_time or start)
    return files


VOBJECT_READ = """
import json, sys, datetime as dt
import vobject
calendar = vobject.readOne(open(sys.argv[1], encoding="utf-8").read(), validate=True)
calendar.validate()
event = calendar.vevent
print(json.dumps({
    "method": calendar.method.value,
    "summary": event.summary.value,
    "start": event.dtstart.value.astimezone(dt.timezone.utc).timestamp(),
    "end": event.dtend.value.astimezone(dt.timezone.utc).timestamp(),
    "comment": event.comment.value if hasattr(event, "comment") else None,
    "class": event.getChildValue("class"),
}))
"""


def vobject_read(path: str) -> dict:
    """What vobject, validating, reads of one file, in a process of its own (vobject keeps the
    time zones it has seen in a global registry)."""
    try:
        import vobject  # noqa: F401
    except ImportError:
        require(False, "vobject is not installed (pip install -e '.[dev]')")
    done = subprocess.run(
        [sys.executable, "-c", VOBJECT_READ, path], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"{path}: {done.stderr}"
    return json.loads(done.stdout)


def test_each_invite_parses_and_validates_in_vobject(tmp_path):
    files = _invites(tmp_path)

    for path, (method, event, start) in files.items():
        read = vobject_read(path)
        assert read["method"] == method
        assert read["summary"] == event.title + " (開幕典禮)"
        assert read["start"] == start.timestamp(), path
        assert read["end"] == event.end.timestamp(), path
        assert read["comment"] == (TRICKY if method == "CANCEL" else None), path
        assert read["class"] == CLASS.get(event.visibility), path


def test_each_invite_reads_the_same_instants_in_icaljs_as_in_zoneinfo(tmp_path):
    files = _invites(tmp_path)

    read = icaljs_read(list(files))

    for path, (method, event, start) in files.items():
        [vevent] = read[path]
        assert vevent["uid"] == event.uid
        assert vevent["method"] == method
        assert vevent["status"] == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
        assert vevent["summary"] == event.title + " (開幕典禮)"
        assert vevent["attendees"] == 1
        assert vevent["class"] == CLASS.get(event.visibility), path
        assert vevent["start"] == start.timestamp(), (path, start)
        assert vevent["end"] == event.end.timestamp(), (path, event.end)
