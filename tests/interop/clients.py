"""Calendar clients, run as a user's calendar would run them: Mozilla's ical.js (Thunderbird) in
one node process for many files, and vobject, validating, in one Python process for many files.

vobject keeps every VTIMEZONE it reads in a global registry keyed by TZID, so one process may
read many files only when no TZID appears in two of them with different definitions; callers
that batch give each file zones of its own.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

HERE = Path(__file__).parent
ICALJS = Path(settings.BASE_DIR) / "node_modules" / "ical.js" / "package.json"


def require(tool_ok: bool, reason: str) -> None:
    if tool_ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the interoperability check must run)")
    pytest.skip(reason)


def node(script: str, *arguments: str) -> str:
    """Run one of this folder's .mjs scripts once; its standard output."""
    found = shutil.which("node")
    require(found is not None, "node is not installed: the ical.js check needs it")
    require(ICALJS.exists(), "node_modules/ical.js is missing: run `npm ci` (make test does)")
    done = subprocess.run(
        [found, str(HERE / script), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.BASE_DIR,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def icaljs_read(paths: list[str]) -> dict[str, list[dict]]:
    """What ical.js reads of each file: its VEVENTs' UID, METHOD, STATUS, SUMMARY, attendee
    count and UTC instants (icaljs_instants.mjs)."""
    return json.loads(node("icaljs_instants.mjs", *paths))


VOBJECT_READ = """
import json, sys, datetime as dt
import vobject
found = {}
for path in sys.argv[1:]:
    calendar = vobject.readOne(open(path, encoding="utf-8").read(), validate=True)
    calendar.validate()
    found[path] = [
        {
            "uid": event.uid.value,
            "start": event.dtstart.value.astimezone(dt.timezone.utc).timestamp(),
            "end": event.dtend.value.astimezone(dt.timezone.utc).timestamp(),
        }
        for event in calendar.vevent_list
    ]
print(json.dumps(found))
"""


def vobject_read_all(paths: list[str]) -> dict[str, list[dict]]:
    """Each file's VEVENTs (UID and UTC instants) as vobject reads them, validating, all files in
    one process: give every file TZIDs of its own (see the module's docstring)."""
    try:
        import vobject  # noqa: F401
    except ImportError:
        require(False, "vobject is not installed (pip install -e '.[dev]')")
    done = subprocess.run(
        [sys.executable, "-c", VOBJECT_READ, *paths], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def icaljs_offsets(requests: dict[str, list[str]], scratch: Path) -> dict[str, list[int]]:
    """The UTC offsets (seconds) ical.js computes with each file's VTIMEZONE at the local times
    ("YYYYMMDDTHHMMSS") asked of it (icaljs_offsets.mjs), all files in one node process."""
    asked = scratch / "offsets-asked.json"
    asked.write_text(json.dumps(requests))
    return json.loads(node("icaljs_offsets.mjs", str(asked)))
