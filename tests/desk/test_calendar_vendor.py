"""The calendar component is vendored: its built files, licence and provenance are in the
repository, its version is named in one place, and the page loads it from this server."""

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from desk.views.calendar import EVENT_CALENDAR_FILES, EVENT_CALENDAR_VERSION
from tests.factories import SiteFactory

BASE = Path(settings.BASE_DIR)
FOLDER = BASE / "static" / "vendor" / "event-calendar" / EVENT_CALENDAR_VERSION


def test_the_vendored_files_licence_and_readme_are_there():
    readme = (FOLDER / "README.md").read_text()

    for name in ("event-calendar.min.js", "event-calendar.min.css", "event-calendar.min.js.map"):
        assert (FOLDER / name).stat().st_size > 1000, name
    assert (FOLDER / "LICENSE").read_text().startswith("MIT License")
    assert f"@event-calendar/build@{EVENT_CALENDAR_VERSION}" in readme
    for name in ("event-calendar.min.js", "event-calendar.min.css"):
        digest = hashlib.sha256((FOLDER / name).read_bytes()).hexdigest()
        assert f"`{name}` | `{digest}`" in readme  # unchanged since it was copied
    assert [p.name for p in FOLDER.parent.iterdir()] == [EVENT_CALENDAR_VERSION]  # one version


def test_the_version_is_named_in_one_place():
    tracked = subprocess.run(
        ["git", "grep", "-l", "-F", EVENT_CALENDAR_VERSION, "--", ".", ":!static/vendor"],
        cwd=BASE,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()

    assert [p for p in tracked if not p.startswith("tests/")] == ["desk/views/calendar.py"]


@pytest.mark.django_db
def test_the_calendar_page_loads_the_component_from_this_server(officer, settings):
    settings.WHITENOISE_USE_FINDERS = True  # as after collectstatic, without running it
    SiteFactory(slug="tai-po")
    client = Client()
    client.force_login(officer)

    page = client.get(reverse("staff:calendar"), {"site": "tai-po"}).content.decode()

    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert f"/static/{EVENT_CALENDAR_FILES['js']}" in assets
    assert f"/static/{EVENT_CALENDAR_FILES['css']}" in assets
    assert not re.search(r'(?:src|href)="https?://', page)
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
