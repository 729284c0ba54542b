"""In a real browser in London, the back office shows a Hong Kong event's times as Hong Kong's
clocks show them, says so, and never adds Django's "You are N hours behind server time" (the
server here is in New York): saving the page unchanged moves nothing."""

import pytest
from playwright.sync_api import expect

from scheduling.models import Event
from tests.factories import AttendanceFactory, EventFactory, ProgrammeItemFactory, hk

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_event_admin_in_another_zone_shows_the_events_times_and_no_server_time_note(
    browser, live_server, officer, settings, screenshot
):
    settings.TIME_ZONE = "America/New_York"
    event = EventFactory(
        status=Event.Status.TENTATIVE, start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 12)
    )
    item = ProgrammeItemFactory(event=event, start=hk(2030, 3, 4, 10, 30))
    AttendanceFactory(event=event, call_time=hk(2030, 3, 4, 9, 15))
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="en-GB", timezone_id="Europe/London"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/scheduling/event/{event.pk}/change/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/admin/scheduling/event/{event.pk}/change/")
    expect(page.locator(".datetimeshortcuts").first).to_be_attached()  # the admin's script ran

    shown = [page.input_value(f"#id_{name}") for name in ("start_0", "start_1", "end_1")]
    row = page.get_by_label("Start (time), programme item 1")
    text = page.inner_text("body")
    screenshot(page, "event-in-hong-kong-seen-from-london")

    assert shown == ["2030-03-04", "10:00:00", "12:00:00"]
    assert row.input_value() == "10:30:00"
    assert page.get_by_label("Call time (time), attendance 1").input_value() == "09:15:00"
    assert "server time" not in text
    assert "Times in HKT, Asia/Hong_Kong" in text

    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    event.refresh_from_db()
    item.refresh_from_db()
    assert (event.start, event.end, item.start) == (
        hk(2030, 3, 4, 10),
        hk(2030, 3, 4, 12),
        hk(2030, 3, 4, 10, 30),
    )
    assert page.input_value("#id_start_1") == "10:00:00"
    context.close()
