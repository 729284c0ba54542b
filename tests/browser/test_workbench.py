"""The event page as the workbench, in Chromium: an officer builds the run-of-show (adds two
items, reorders them, deletes one), puts people on the list (one found with the type-ahead by
part of a Chinese name, two pasted), takes one off, holds a facility that clashes (the page
explains) and then a free one; and the page fits a 390 px phone.

Screenshots go under var/screenshots/<test name>/ (git-ignored).
"""

import pytest
from playwright.sync_api import expect

from scheduling.models import Booking, Event
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)
from visitors.models import Attendance

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"  # as check-in's test


@pytest.fixture
def world():
    site = SiteFactory(name="InnoPark Tai Po", slug="tai-po")
    hall = FacilityFactory(site=site, name="MARS Hall", name_zh="火星廳", capacity=300)
    lobby = FacilityFactory(site=site, name="Lobby", capacity=300)
    event = EventFactory(
        title="Opening Ceremony of the Microelectronics Research and Development Centre",
        title_zh="微電子研究及發展中心開幕典禮",
        site=site,
        status=Event.Status.TENTATIVE,
        start=hk(2030, 3, 4, 10, 0),
        end=hk(2030, 3, 4, 12, 0),
    )
    board = EventFactory(title="Board meeting", site=site, start=hk(2030, 3, 4, 9, 0))
    BookingFactory(event=board, facility=lobby, start=hk(2030, 3, 4, 9), end=hk(2030, 3, 4, 11))
    PersonFactory(
        honorific="Prof", name="Sun Dong", name_zh="孫東", email="sun.dong@example.gov.hk"
    )
    PersonFactory(name="Ada Lau", email="ada@example.org")
    PersonFactory(name="Bo Chan", email="bo@example.org")
    return {"event": event, "hall": hall, "lobby": lobby}


def _log_in(page, live_server, user, event) -> None:
    page.goto(f"{live_server.url}/staff/login/?next=/staff/events/{event.pk}/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/staff/events/{event.pk}/")


def _add_item(page, title: str, start: str, end: str) -> None:
    page.locator("#programme-add summary").click()
    form = page.locator("#programme-add-form")
    form.locator("#id_title").fill(title)
    form.locator("#id_start").fill(f"2030-03-04T{start}")
    form.locator("#id_end").fill(f"2030-03-04T{end}")
    form.get_by_role("button", name="Add to the programme").click()
    page.wait_for_url("**#item-*")


def test_the_event_page_is_the_workbench(browser, live_server, officer, world, screenshot, page):
    event = world["event"]
    _log_in(page, live_server, officer, event)
    rows = page.locator("#run-of-show tbody tr")

    _add_item(page, "Arrival of guests", "10:00", "10:10")
    _add_item(page, "Welcome remarks", "10:15", "10:45")
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Move Welcome remarks earlier").click()
    expect(rows.first).to_contain_text("Welcome remarks")
    expect(rows.first).to_contain_text("10:00–10:30")
    screenshot(page, "programme-reordered")
    page.get_by_role("button", name="Delete Arrival of guests").click()
    expect(rows).to_have_count(1)
    assert list(event.programme.values_list("title", flat=True)) == ["Welcome remarks"]

    page.locator("#attendee-add summary").click()
    page.locator("#id_person").press_sequentially("孫")
    suggestion = page.locator("#id_person-suggestions option")
    expect(suggestion).to_have_count(1)
    page.locator("#id_person").fill(suggestion.get_attribute("value"))
    page.select_option("#attendee-add-form #id_role", "guest_of_honour")
    page.get_by_role("button", name="Add to the list").click()
    attendees = page.locator("#attendees tbody tr")
    expect(attendees).to_have_count(1)
    expect(attendees.first).to_contain_text("孫東")

    page.locator("#attendees-add summary").click()
    page.fill("#id_people", "Ada Lau\nbo@example.org")
    page.get_by_role("button", name="Add them to the list").click()
    expect(attendees).to_have_count(3)
    page.get_by_role("button", name="Remove Ms Bo Chan from the list").click()
    expect(attendees).to_have_count(2)
    expect(page.locator("#attendees")).not_to_contain_text("Bo Chan")
    assert event.attendances.get(role=Attendance.Role.GUEST_OF_HONOUR).person.name == "Sun Dong"
    screenshot(page, "attendees")

    page.locator("#booking-add summary").click()
    page.select_option("#booking-add-form #id_facility", str(world["lobby"].pk))
    page.fill("#booking-add-form #id_start", "2030-03-04T10:00")
    page.fill("#booking-add-form #id_end", "2030-03-04T11:00")
    page.get_by_role("button", name="Hold", exact=True).click()
    clash = page.locator("#booking-add .clash")
    expect(clash).to_contain_text("Board meeting")
    screenshot(page, "booking-clash")
    page.select_option("#booking-add-form #id_facility", str(world["hall"].pk))
    page.get_by_role("button", name="Hold", exact=True).click()
    page.wait_for_url("**#booking-*")
    expect(page.locator("#bookings tbody tr")).to_have_count(1)
    expect(page.locator("#bookings")).to_contain_text("MARS Hall")
    booking = event.bookings.get()
    assert (booking.facility, booking.status) == (world["hall"], Booking.Status.HELD)


def test_the_event_page_fits_a_phone(browser, live_server, officer, world, screenshot):
    event = world["event"]
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Asia/Hong_Kong",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    BookingFactory(event=event, facility=world["hall"], status=Booking.Status.CONFIRMED)
    ProgrammeItemFactory(
        event=event,
        title="Welcome remarks by the Secretary for Innovation, Technology and Industry",
        facility=world["hall"],
        cue_notes="www.innovationandtechnologycommissionofhongkong.gov.hk on the screen",
    )
    AttendanceFactory(
        event=event,
        person=PersonFactory(
            honorific="The Honourable Professor",
            name="Alexander Maximilian Fitzgerald-Montgomery Chan",
            name_zh="歐陽司徒慕容上官皇甫令狐",
        ),
    )
    _log_in(page, live_server, officer, event)
    page.locator("#attendees-add summary").click()
    page.locator("#booking-add summary").click()

    expect(page.locator("#bookings")).to_be_visible()
    screenshot(page, "phone")
    scroll_width, inner_width = page.evaluate(WIDTHS)

    assert scroll_width <= PHONE["width"] and inner_width == PHONE["width"]
    context.close()
