"""Every page carries a Content-Security-Policy, no page needs inline script, and the API docs
load Swagger UI from this server, not from a CDN."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from scheduling.models import Booking, Event
from tests.factories import AttendanceFactory, BookingFactory, EventFactory, FacilityFactory, hk
from visitors.rsvp import rsvp_url

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
HANDLER_ATTRIBUTE = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def _assert_strict(response, url: str) -> None:
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"], url
    assert policy["script-src"] == ["'self'"], url  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == ["'none'"], url
    assert policy["frame-ancestors"] == ["'none'"], url
    assert policy["base-uri"] == ["'self'"], url
    assert policy["form-action"] == ["'self'"], url


@pytest.fixture
def event():
    hall = FacilityFactory(name="MARS Hall", site__slug="tai-po")
    event = EventFactory(title="Opening", site=hall.site, status=Event.Status.CONFIRMED)
    BookingFactory(
        event=event, facility=hall, status=Booking.Status.HELD, hold_expires_at=hk(2030, 3, 1)
    )
    AttendanceFactory(event=event, person__name="Alfred Sit")
    return event


def _staff_pages(event) -> list[str]:
    attendance = event.attendances.get()
    return [
        reverse("staff:calendar") + "?site=tai-po&date=2030-03-04",
        reverse("staff:calendar") + "?site=tai-po&date=2030-03-04&view=day",
        reverse("staff:calendar") + "?site=tai-po&date=2030-03-04&view=agenda",
        reverse("staff:event", args=[event.pk]),
        reverse("staff:invitations", args=[event.pk]) + f"?attendee={attendance.pk}",
        *(
            reverse("staff:print", args=[event.pk, kind])
            for kind in ("run-of-show", "itinerary", "attendees", "name-cards")
        ),
        reverse("staff:planner"),
        reverse("staff:checkin") + "?date=2030-03-04",
        reverse("staff:live", args=[event.pk]),
        reverse("staff:board", args=[event.pk]),
        reverse("admin:index"),
        reverse("admin:scheduling_event_change", args=[event.pk]),
        reverse("admin:scheduling_event_changelist"),
    ]


def test_every_staff_page_carries_the_policy(client, officer, event):
    client.force_login(officer)

    for url in _staff_pages(event):
        response = client.get(url)

        assert response.status_code == 200, url
        _assert_strict(response, url)


def test_public_pages_and_the_api_docs_carry_the_policy(client, event):
    attendance = event.attendances.get()
    urls = [
        rsvp_url(attendance).removeprefix(settings.PUBLIC_BASE_URL),
        reverse("staff:login"),
        reverse("admin:login"),
        reverse("api:docs"),
        reverse("api:docs") + "?script=",
    ]

    for url in urls:
        response = client.get(url)

        assert response.status_code == 200, url
        _assert_strict(response, url)


def test_api_docs_load_swagger_ui_from_this_server_with_no_inline_script(client):
    docs = client.get(reverse("api:docs"))
    script = client.get(reverse("api:docs") + "?script=")

    page = docs.content.decode()
    assert not re.search(r"https?://", page)  # no CDN, no other origin
    assert not INLINE_SCRIPT.search(page)
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert any("swagger-ui-bundle" in src for src in sources)
    assert f"{reverse('api:docs')}?script=" in sources
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode()  # no badge from validator.swagger.io


def test_api_docs_assets_are_served_by_this_server(settings):
    settings.WHITENOISE_USE_FINDERS = True  # as after collectstatic, without running it
    client = Client()
    page = client.get(reverse("api:docs")).content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)

    answers = {url: client.get(url) for url in assets}

    assert len(assets) >= 4  # the CSS, two scripts and the favicon
    assert all(url.startswith("/static/drf_spectacular_sidecar/") for url in assets)
    for url, response in answers.items():
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content), url


def test_no_template_has_inline_script_or_event_handler_attributes():
    offending = [
        path.relative_to(TEMPLATES).as_posix()
        for path in TEMPLATES.rglob("*.html")
        if INLINE_SCRIPT.search(text := path.read_text()) or HANDLER_ATTRIBUTE.search(text)
    ]

    assert offending == []
