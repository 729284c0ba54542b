"""In a real browser: the invitation console's counts follow the outbox without a reload, under
the project's CSP (the polling script is a static file, not inline).

Each test saves screenshots under var/screenshots/<test name>/ (git-ignored).
"""

import pytest
from django.utils import timezone

from scheduling.models import Booking, Event
from tests.factories import AttendanceFactory, BookingFactory, EventFactory, FacilityFactory
from visitors.models import Delivery

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queued():
    """A confirmed event whose two invites wait for a worker (none runs here)."""
    hall = FacilityFactory(name="MARS Hall")
    event = EventFactory(title="MARS Centre opening", site=hall.site, status=Event.Status.CONFIRMED)
    BookingFactory(event=event, facility=hall, status=Booking.Status.CONFIRMED)
    rows = [
        Delivery.objects.create(
            event=event,
            person=attendance.person,
            attendance=attendance,
            method=Delivery.Method.REQUEST,
            sequence=event.sequence,
            state=Delivery.State.QUEUED,
            next_attempt_at=timezone.now(),
        )
        for attendance in AttendanceFactory.create_batch(2, event=event)
    ]
    return event, rows


def _counts(page) -> dict[str, str]:
    return {
        name: page.inner_text(f"#send-counts [data-count='{name}']")
        for name in ("waiting", "sent", "failed", "held")
    }


def test_the_console_counts_change_without_a_reload_as_messages_go_out(
    page, live_server, officer, queued, screenshot
):
    from playwright.sync_api import expect  # here: the conftest skips when it is missing

    event, (first, second) = queued
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/calendar/**")
    page.goto(f"{live_server.url}/staff/events/{event.pk}/invitations/")
    page.evaluate("window.notReloaded = true")
    before = _counts(page)

    Delivery.objects.filter(pk=first.pk).update(state=Delivery.State.SENT, sent_at=timezone.now())
    # expect() polls from Playwright's own script; wait_for_function evals, which the CSP refuses.
    expect(page.locator("#send-counts [data-count='sent']")).to_have_text("1")
    halfway = (_counts(page), page.inner_text("#send-progress"))
    Delivery.objects.filter(pk=second.pk).update(state=Delivery.State.FAILED)
    expect(page.locator("#send-counts [data-count='waiting']")).to_have_text("0")

    screenshot(page, "all-done")
    assert before == {"waiting": "2", "sent": "0", "failed": "0", "held": "0"}
    assert halfway[0] == {"waiting": "1", "sent": "1", "failed": "0", "held": "0"}
    assert halfway[1].startswith("1 of 2 sent")
    assert _counts(page) == {"waiting": "0", "sent": "1", "failed": "1", "held": "0"}
    assert page.inner_text("#send-progress") == "1 of 2 sent, 1 failed."
    assert page.evaluate("window.notReloaded") is True
