"""The day on a phone (390 × 844): an officer taps Started on the run-of-show, and a board open
on an escort's phone moves the next stop's expected time by itself, without a reload, and
fits the screen.

Screenshots go under var/screenshots/<test name>/ (git-ignored).
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling import services
from scheduling.models import Event
from tests.factories import event_created

from .test_checkin_phone import PHONE, WIDEST, WIDTHS

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _phone(browser):
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Asia/Hong_Kong",
    )
    context.set_default_timeout(15_000)
    return context


def _log_in(page, live_server, user, path):
    page.goto(f"{live_server.url}/staff/login/?next={path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{path}")


def test_a_late_start_tapped_on_one_phone_moves_the_board_on_another(
    browser, live_server, officer, screenshot
):
    # The arrival was planned twenty minutes ago; the cars are only now at the door.
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=20)
    event = event_created(
        title="MARS Centre inspection",
        status=Event.Status.CONFIRMED,
        start=start,
        end=start + dt.timedelta(hours=3),
    )
    arrival, tour = (
        services.programme_item_create(
            event_id=event.pk,
            title=title,
            start=start + dt.timedelta(minutes=40 * n),
            end=start + dt.timedelta(minutes=40 * n + 30),
        )
        for n, title in enumerate(["Arrival at the MARS Centre", "Cleanroom tour"])
    )
    planned = tour.start.astimezone(event.zone).strftime("%H:%M")
    escort, desk = _phone(browser), _phone(browser)
    board = escort.new_page()
    _log_in(board, live_server, officer, f"/staff/events/{event.pk}/board/")
    row = board.locator(f"#board-item-{tour.pk}")
    # Planned, and expected, at the planned time.
    expect(row).to_contain_text(re.compile(rf"{planned}\s+{planned}"))
    assert board.evaluate(WIDTHS) == [390, 390], board.evaluate(WIDEST)

    marks = desk.new_page()
    _log_in(marks, live_server, officer, f"/staff/events/{event.pk}/live/")
    marks.locator(f"#item-{arrival.pk}").get_by_role("button", name="Started").tap()
    marks.wait_for_url(f"**/live/#item-{arrival.pk}")
    expect(
        marks.locator(f"#item-{arrival.pk}").get_by_role("button", name="Finished")
    ).to_be_visible()
    screenshot(marks, "started")

    # No reload on the board: its script asks again every 5 seconds. The tour now waits for
    # the arrival's thirty minutes: twenty late, less the ten to spare, ten minutes later.
    expect(board.locator(f"#board-item-{arrival.pk}")).to_contain_text("On now", timeout=15_000)
    expect(row).to_contain_text(re.compile(r"\+(9|10|11) min"))
    expect(board.locator(".board-now")).to_contain_text("Arrival at the MARS Centre")
    expect(board.locator(".board-next")).to_contain_text("Cleanroom tour")
    screenshot(board, "board-moved")
    assert board.evaluate(WIDTHS) == [390, 390], board.evaluate(WIDEST)
    escort.close()
    desk.close()
