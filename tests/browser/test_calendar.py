"""The calendar's timeline in Chromium: hold an empty slot, drag a booking onto a clash (refused
in place, with the explanation and suggestions) and then onto a free facility (moved, update
queued); everything from this server under the Content-Security-Policy; on a phone, the day's
list with no sideways scroll.

Screenshots go under var/screenshots/<test name>/ (git-ignored).
"""

import datetime as dt

import pytest
from playwright.sync_api import expect

from scheduling.models import Booking, Event
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    SiteFactory,
    hk,
)
from visitors import invitations
from visitors.models import Delivery

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DAY = "/staff/calendar/?site=tai-po&view=day&date=2030-03-04"
PHONE = {"width": 390, "height": 844}
WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"  # see checkin_phone


@pytest.fixture
def park():
    site = SiteFactory(name="InnoPark Tai Po", slug="tai-po")
    facilities = {
        name: FacilityFactory(
            site=site, name=name, setup_minutes=0, teardown_minutes=0, capacity=capacity
        )
        for name, capacity in (("Board Room", 40), ("Cleanroom gallery", 60), ("MARS Hall", 400))
    }
    for facility in facilities.values():
        facility.bookable_from, facility.bookable_until = dt.time(8), dt.time(20)
        facility.save()
    return site, facilities


def _watch(page, live_server) -> tuple[list[str], list[str]]:
    """Requests to anywhere but this server; what the console says the CSP blocked, and any
    script error."""
    elsewhere: list[str] = []
    violations: list[str] = []
    page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url) if not request.url.startswith(live_server.url) else None
        ),
    )
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(str(error)))
    return elsewhere, violations


def _log_in(page, live_server, user, path: str) -> None:
    page.goto(f"{live_server.url}/staff/login/?next={path.replace('&', '%26')}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/calendar/**")
    expect(page.locator("#timeline")).to_have_attribute("data-state", "ready")


def _box(locator) -> dict:
    """The element's box once it is drawn: the timeline redraws its events after each fetch,
    and an element being replaced has no box for a moment."""
    for _attempt in range(50):
        expect(locator).to_be_visible()
        box = locator.bounding_box()
        if box is not None:
            return box
        locator.page.wait_for_timeout(100)
    raise AssertionError(f"{locator} was never drawn")


def _row(page, index: int) -> float:
    """The vertical middle of the index-th facility's row."""
    box = page.locator(".ec-body .ec-row-head").nth(index).bounding_box()
    return box["y"] + box["height"] / 2


def _at(page, time: str) -> float:
    """The left edge of the hour's slot, a little inside it."""
    label = page.locator(f'.ec-header time[datetime="2030-03-04T{time}:00"]')
    return label.locator("..").bounding_box()["x"] + 3


def _drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 2, start[1] + 6, steps=3)
    page.mouse.move(*end, steps=12)
    page.mouse.up()


def test_hold_a_slot_from_the_calendar(page, live_server, officer, park, screenshot):
    site, facilities = park
    forum = EventFactory(title="Innovation forum", site=site, status=Event.Status.TENTATIVE)
    EventFactory(title="Board lunch", site=site, start=hk(2030, 3, 4, 13))
    elsewhere, violations = _watch(page, live_server)
    _log_in(page, live_server, officer, DAY)
    screenshot(page, "calendar-day")

    # Drag across 10:00–11:00 in the Board Room (row 0): the dialog asks for which event.
    _drag(page, (_at(page, "10:00"), _row(page, 0)), (_at(page, "11:00") - 8, _row(page, 0)))
    dialog = page.locator("#hold-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#hold-events li")).to_have_count(2)
    page.fill("#hold-filter", "forum")
    expect(page.locator("#hold-events li:visible")).to_have_count(1)
    page.get_by_label("Innovation forum", exact=False).check()
    assert page.input_value("#hold-start") == "2030-03-04T10:00"
    assert page.input_value("#hold-end") == "2030-03-04T11:00"
    screenshot(page, "hold-dialog")
    page.get_by_role("button", name="Hold the slot").click()

    expect(dialog).to_be_hidden()
    held = page.locator("#timeline .ec-event.booking.held")
    expect(held).to_have_count(1)
    expect(held).to_contain_text("Innovation forum")
    expect(page.locator("#calendar-notice")).to_have_text(
        "Board Room is held for “Innovation forum”."
    )
    [booking] = Booking.objects.filter(event=forum)
    assert (booking.facility, booking.status) == (facilities["Board Room"], Booking.Status.HELD)
    assert (booking.start, booking.end) == (hk(2030, 3, 4, 10), hk(2030, 3, 4, 11))

    # A click on an empty slot holds the event's own times once the event is picked.
    page.mouse.click(_at(page, "14:00"), _row(page, 2))
    expect(dialog).to_be_visible()
    page.get_by_label("Innovation forum", exact=False).check()
    assert page.input_value("#hold-start") == "2030-03-04T10:00"
    page.get_by_role("button", name="Hold the slot").click()
    expect(held).to_have_count(2)
    assert Booking.objects.get(event=forum, facility=facilities["MARS Hall"]).end == hk(
        2030, 3, 4, 12
    )
    screenshot(page, "held")
    assert elsewhere == []  # the component and its styles came from this server
    assert violations == []


def test_drag_a_booking_onto_a_clash_then_onto_a_free_facility(
    page, live_server, officer, park, screenshot, settings
):
    settings.INVITE_COALESCE_SECONDS = 0
    site, facilities = park
    opening = EventFactory(title="MARS opening", site=site, status=Event.Status.CONFIRMED)
    booking = BookingFactory(event=opening, facility=facilities["MARS Hall"])  # 10:00–12:00
    BookingFactory(
        event=EventFactory(title="Board briefing", site=site, status=Event.Status.CONFIRMED),
        facility=facilities["Board Room"],
    )
    AttendanceFactory(event=opening)
    invitations.invites_send(event_id=opening.pk)
    sent = set(Delivery.objects.values_list("pk", flat=True))
    elsewhere, violations = _watch(page, live_server)
    _log_in(page, live_server, officer, DAY)
    moving = page.locator(".ec-event.booking", has_text="MARS opening")
    expect(moving).to_have_count(1)
    box = _box(moving)
    grip = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    # Onto the Board Room (row 0), taken at that time: refused, explained, put back.
    _drag(page, grip, (grip[0], _row(page, 0)))

    alert = page.locator("#calendar-refusal [role=alert]")
    expect(alert).to_contain_text("Clash:")
    expect(alert).to_contain_text("Board briefing")
    suggestions = page.locator("#calendar-refusal button.suggestion")
    expect(suggestions.first).to_be_visible()
    expect(page.locator("#calendar-refusal")).to_contain_text("Move to Cleanroom gallery")
    screenshot(page, "clash-refused")
    booking.refresh_from_db()
    assert booking.facility == facilities["MARS Hall"]
    expect(moving).to_have_count(1)
    page.locator(".ec-body").scroll_into_view_if_needed()  # the refusal pushed it down
    back = _box(moving)
    assert abs(back["y"] + back["height"] / 2 - _row(page, 2)) < 20  # back in its own row

    # Onto the Cleanroom gallery (row 1), free: moved, and the attendee is sent an update.
    grip = (back["x"] + back["width"] / 2, back["y"] + back["height"] / 2)
    _drag(page, grip, (grip[0], _row(page, 1)))

    expect(page.locator("#calendar-notice")).to_contain_text("is now in Cleanroom gallery")
    expect(page.locator("#calendar-refusal [role=alert]")).to_have_count(0)
    booking.refresh_from_db()
    assert booking.facility == facilities["Cleanroom gallery"]
    assert (booking.start, booking.end) == (hk(2030, 3, 4, 10), hk(2030, 3, 4, 12))
    moved = page.locator(".ec-event.booking", has_text="MARS opening")
    expect(moved).to_have_count(1)
    now = _box(moved)
    assert abs(now["y"] + now["height"] / 2 - _row(page, 1)) < 20
    [update] = Delivery.objects.exclude(pk__in=sent)
    assert (update.method, update.event_id) == (Delivery.Method.REQUEST, opening.pk)
    assert "Cleanroom gallery" in update.changes["en"][0]
    screenshot(page, "moved")
    assert elsewhere == []
    assert violations == []


def test_calendar_on_a_phone_is_the_days_list_without_sideways_scroll(
    browser, live_server, officer, park, screenshot
):
    site, facilities = park
    long_title = "Opening Ceremony of the Microelectronics Research and Development Centre"
    event = EventFactory(title=long_title, site=site, status=Event.Status.CONFIRMED)
    BookingFactory(event=event, facility=facilities["MARS Hall"])
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB", timezone_id="Asia/Hong_Kong"
    )
    context.set_default_timeout(10_000)
    phone = context.new_page()
    phone.goto(
        f"{live_server.url}/staff/login/?next=/staff/calendar/%3Fsite%3Dtai-po%26date%3D2030-03-04"
    )
    phone.fill("#id_username", officer.username)
    phone.fill("#id_password", "pw")
    phone.get_by_role("button", name="Log in").click()
    phone.wait_for_url("**/staff/calendar/**")

    expect(phone.locator("#day-list")).to_be_visible()
    expect(phone.locator("#calendar-app")).to_be_hidden()
    expect(phone.locator(f"#day-facility-{facilities['MARS Hall'].pk} .day-item")).to_contain_text(
        "10:00–12:00 Confirmed: " + long_title
    )
    assert phone.locator(".ec").count() == 0  # no timeline built for a phone
    assert phone.evaluate(WIDTHS) == [390, 390]
    screenshot(phone, "phone-day")
    context.close()
