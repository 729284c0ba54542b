"""In a real browser: the event page's status actions do only what the officer means. Enter in
the reason box changes nothing and keeps what was typed; cancelling asks first, on a page of
its own, where Enter in the reason box starts a new line.

Each test saves screenshots under var/screenshots/<test name>/ (git-ignored).
"""

import pytest

from scheduling.models import Event
from tests.factories import BookingFactory, EventFactory, FacilityFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def event():
    hall = FacilityFactory(name="MARS Hall")
    event = EventFactory(title="MARS Centre opening", site=hall.site, status=Event.Status.CONFIRMED)
    BookingFactory(event=event, facility=hall)
    return event


def _open_event_page(page, live_server, officer, event) -> None:
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/calendar/**")
    page.goto(f"{live_server.url}/staff/events/{event.pk}/")


def test_enter_in_the_status_reason_box_changes_nothing_and_keeps_the_reason(
    page, live_server, officer, event, screenshot
):
    _open_event_page(page, live_server, officer, event)
    assert page.locator("#status-form button[value='']").is_hidden()
    page.fill("#id_status_reason", "Minister delayed")

    with page.expect_navigation():
        page.press("#id_status_reason", "Enter")

    screenshot(page, "enter-in-reason")
    assert page.inner_text("#event-status") == "Confirmed"
    assert "Choose one of the status buttons" in page.inner_text("#status-form")
    assert page.input_value("#id_status_reason") == "Minister delayed"
    event.refresh_from_db()
    assert (event.status, event.sequence) == (Event.Status.CONFIRMED, 0)


def test_cancel_asks_first_and_enter_in_its_reason_box_starts_a_new_line(
    page, live_server, officer, event, screenshot
):
    _open_event_page(page, live_server, officer, event)

    page.click("#action-cancelled")
    page.wait_for_url(f"**/staff/events/{event.pk}/cancel/")
    page.fill("#id_reason", "Typhoon signal No. 8 is in force.")
    page.press("#id_reason", "Enter")
    page.keyboard.type("A new date will follow.")
    screenshot(page, "cancel-confirmation")

    assert page.input_value("#id_reason") == (
        "Typhoon signal No. 8 is in force.\nA new date will follow."
    )
    assert page.url.endswith(f"/staff/events/{event.pk}/cancel/")
    event.refresh_from_db()
    assert event.status == Event.Status.CONFIRMED  # Enter wrote a line, not a cancellation
    assert "MARS Hall" in page.inner_text("#cancel-bookings")

    with page.expect_navigation():
        page.click("#confirm-cancel")

    screenshot(page, "cancelled")
    assert page.inner_text("#event-status") == "Cancelled"
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert event.cancel_reason.splitlines() == [
        "Typhoon signal No. 8 is in force.",
        "A new date will follow.",
    ]
