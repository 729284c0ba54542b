"""Check-in on a phone (390 × 844, as an iPhone 14): a long day of attendees with long names in
English and Chinese fits the screen's width, and an arrival is marked and undone with a tap.

Screenshots go under var/screenshots/<test name>/ (git-ignored).
"""

import pytest
from playwright.sync_api import expect

from scheduling.models import Event
from tests.factories import AttendanceFactory, EventFactory, OrganisationFactory, PersonFactory
from visitors.models import Attendance

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# A phone browser widens its layout viewport to fit content wider than the screen, and then
# window.innerWidth grows with it (to 456 here before the fix): scrollWidth <= innerWidth would
# pass on a page that scrolls sideways. Both are compared with the screen's width instead.
WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
WIDEST = """() => [...document.querySelectorAll("main *")]
    .filter((element) => element.getBoundingClientRect().right > 390)
    .map((element) => element.tagName + "." + element.className + ": "
        + (element.innerText || "").slice(0, 60))"""


@pytest.fixture
def long_day():
    """Forty on the list of a long-titled ceremony, each with a long name in both scripts and a
    long organisation, one a web address with no place to break."""
    event = EventFactory(
        title="Opening Ceremony of the Microelectronics Research and Development Centre",
        title_zh="微電子研究及發展中心開幕典禮",
        status=Event.Status.CONFIRMED,
    )
    organisations = [
        OrganisationFactory(
            name="Hong Kong Science and Technology Parks Corporation Innovation Advisory Committee",
            name_zh="香港科技園公司創新及科技創業基金諮詢委員會",
        ),
        OrganisationFactory(name="www.innovationandtechnologycommissionofhongkong.gov.hk"),
    ]
    attendances = [
        AttendanceFactory(
            event=event,
            role=Attendance.Role.OFFICIATING_GUEST if n == 0 else Attendance.Role.GUEST,
            guests=n % 3,
            person=PersonFactory(
                honorific="The Honourable Professor",
                name=f"Alexander Maximilian Fitzgerald-Montgomery Chan {n}",
                name_zh="歐陽司徒慕容上官皇甫令狐",
                post_nominals="GBM, GBS, JP",
                organisation=organisations[n % 2],
            ),
        )
        for n in range(40)
    ]
    return event, attendances


def test_checkin_on_a_phone_fits_the_screen_and_an_arrival_is_marked_and_undone(
    browser, live_server, officer, long_day, screenshot
):
    event, attendances = long_day
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
    page.goto(f"{live_server.url}/staff/login/?next=/staff/check-in/%3Fdate%3D2030-03-04")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/check-in/**")

    assert page.locator("#checkin-list > li").count() == 40
    screenshot(page, "check-in-phone")
    assert page.evaluate(WIDTHS) == [390, 390], page.evaluate(WIDEST)

    second = attendances[1]
    name = second.person.display_name
    row = page.locator(f"#attendee-{second.pk}")
    assert "+1 guest" in row.inner_text()
    row.get_by_role("button", name=f"Mark arrived: {name}").tap()
    page.wait_for_selector(f"#attendee-{second.pk} .arrived")
    expect(page.locator("#arrived-count")).to_have_text("1")
    assert page.evaluate(WIDTHS) == [390, 390], page.evaluate(WIDEST)
    screenshot(page, "arrived")
    second.refresh_from_db()
    assert second.checked_in_at is not None

    page.locator(f"#attendee-{second.pk}").get_by_role("button", name=f"Undo arrival: {name}").tap()
    page.get_by_role("button", name=f"Mark arrived: {name}").wait_for()
    expect(page.locator("#arrived-count")).to_have_text("0")
    assert page.evaluate(WIDTHS) == [390, 390], page.evaluate(WIDEST)
    screenshot(page, "undone")
    second.refresh_from_db()
    assert second.checked_in_at is None
    context.close()


def test_checkin_on_a_phone_by_typing_the_code(browser, live_server, officer, long_day, screenshot):
    _event, attendances = long_day
    third = attendances[2]
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB", timezone_id="Asia/Hong_Kong"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/login/?next=/staff/check-in/%3Fdate%3D2030-03-04")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/check-in/**")
    # Chromium on Linux has no BarcodeDetector: the scan button stays hidden; the code is typed.
    expect(page.locator("#checkin-scan")).to_be_hidden()

    code = third.checkin_code.lower()
    page.get_by_label("Check-in code").fill(f"{code[:4]}-{code[4:]}")
    page.get_by_role("button", name="Check in by code").tap()

    page.wait_for_selector(f"#attendee-{third.pk} .arrived")
    expect(page.locator("#arrived-count")).to_have_text("1")
    expect(page.locator(f"#attendee-{third.pk} .arrival-record")).to_contain_text("by officer")
    assert page.evaluate(WIDTHS) == [390, 390], page.evaluate(WIDEST)
    screenshot(page, "checked-in-by-code")
    third.refresh_from_db()
    assert third.checked_in_at is not None
    context.close()
