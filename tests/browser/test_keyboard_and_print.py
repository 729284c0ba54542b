"""In a real browser: the RSVP page answered with the keyboard alone, and the printables laid out
by their own print stylesheet (A4, no screen navigation) rather than by the PDF call.

Each test saves screenshots under var/screenshots/<test name>/ (git-ignored).
"""

import re

import pytest
from django.core import mail

from scheduling.models import Event, ProgrammeItem
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    PersonFactory,
    ProgrammeItemFactory,
    hk,
)
from visitors.invitations import invites_send
from visitors.models import Attendance

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

A4_POINTS = (595.3, 841.9)  # 210 × 297 mm in PDF points; Chromium rounds to whole pixels
# Each printable, and a line of its content that must still print.
PRINTABLES = {
    "run-of-show": "Welcome remarks",
    "itinerary": "Welcome remarks",
    "attendees": "Prof Sun Dong (孫東)",
    "name-cards": "孫東",
}

FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    return {
        id: element.id,
        name: element.getAttribute("name") || "",
        text: element.innerText || "",
        focusVisible: element.matches(":focus-visible"),
        outlineStyle: style.outlineStyle,
        outlineWidth: parseFloat(style.outlineWidth),
        labels: element.labels ? [...element.labels].map((label) => label.innerText.trim()) : [],
    };
}"""

PAGE_SIZES = """() => [...document.styleSheets]
    .flatMap((sheet) => [...sheet.cssRules])
    .filter((rule) => rule instanceof CSSPageRule)
    .map((rule) => rule.style.getPropertyValue("size"))"""


@pytest.fixture
def event():
    hall = FacilityFactory(name="MARS Hall", name_zh="火星廳")
    event = EventFactory(
        title="MARS Centre opening",
        title_zh="火星中心開幕",
        site=hall.site,
        status=Event.Status.CONFIRMED,
    )
    BookingFactory(event=event, facility=hall)
    ProgrammeItemFactory(
        event=event,
        title="Welcome remarks",
        kind=ProgrammeItem.Kind.REMARKS,
        facility=hall,
        start=hk(2030, 3, 4, 10, 5),
        end=hk(2030, 3, 4, 10, 20),
    )
    minister = PersonFactory(
        honorific="Prof", name="Sun Dong", name_zh="孫東", email="sun.dong@example.gov.hk"
    )
    AttendanceFactory(event=event, person=minister, role=Attendance.Role.GUEST_OF_HONOUR)
    return event


def _focused(page) -> dict:
    """What has the keyboard focus, and whether a sighted keyboard user can see it."""
    focused = page.evaluate(FOCUSED)
    assert focused["focusVisible"], focused
    assert focused["outlineStyle"] != "none" and focused["outlineWidth"] > 0, focused
    return focused


def _pdf_page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    return [
        (float(width), float(height))
        for width, height in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    ]


def test_rsvp_page_answered_with_the_keyboard_only(page, live_server, settings, event, screenshot):
    # The RSVP link comes from the invite as sent, pointing at the live server.
    settings.PUBLIC_BASE_URL = live_server.url
    invites_send(event_id=event.pk)
    [invite] = mail.outbox
    link = re.search(r"https?://\S+/rsvp/[^/\s]+/", invite.body)[0]
    assert link.startswith(live_server.url)
    page.goto(link)  # the plain link: no answer preselected
    assert "Not answered yet" in page.inner_text("main")

    # Tab to the answers and choose one with Space.
    for _press in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "answer":
            break
    answer = _focused(page)
    assert (answer["id"], answer["labels"]) == ("id_answer_0", ["I will attend"])
    page.keyboard.press("Space")
    screenshot(page, "rsvp-answer-focused")
    # Fill in the fields in order, typing.
    page.keyboard.press("Tab")
    assert _focused(page)["labels"] == ["Accompanying guests"]
    page.keyboard.press("Backspace")
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    assert _focused(page)["labels"] == ["Dietary requirements"]
    page.keyboard.type("Vegetarian")
    page.keyboard.press("Tab")
    assert _focused(page)["labels"] == ["Accessibility needs"]
    page.keyboard.type("Step-free access")
    # Back up with Shift+Tab to correct the number of guests.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert _focused(page)["id"] == "id_guests"
    page.keyboard.press("Backspace")
    page.keyboard.type("2")
    # On to the button, and send with Enter.
    for _press in range(3):
        page.keyboard.press("Tab")
    button = _focused(page)
    assert button["text"] == "Send my answer"
    screenshot(page, "rsvp-button-focused")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"\?saved=1$"))
    assert "Your answer is recorded: Accepted." in page.inner_text("main")
    screenshot(page, "rsvp-answered")
    attendance = event.attendances.get()
    assert (
        attendance.rsvp,
        attendance.guests,
        attendance.dietary,
        attendance.accessibility,
    ) == (Attendance.RSVP.ACCEPTED, 2, "Vegetarian", "Step-free access")


def test_printables_lay_themselves_out_for_a4_and_hide_navigation_in_print(
    page, live_server, officer, event, screenshot
):
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/calendar/**")

    for kind, content in PRINTABLES.items():
        page.emulate_media(media="screen")
        page.goto(f"{live_server.url}/staff/events/{event.pk}/print/{kind}/")
        assert page.locator("nav.screen-only").is_visible()
        # Chromium keeps "A4 portrait" as "a4": portrait is the default orientation. Every
        # page rule is A4 (the gate's vehicle list has its own, landscape, for long rows).
        assert {size.split()[0].lower() for size in page.evaluate(PAGE_SIZES)} == {"a4"}

        page.emulate_media(media="print")

        assert page.locator("nav").is_hidden(), kind
        assert all(not chrome.is_visible() for chrome in page.locator(".screen-only").all())
        assert page.locator("main").is_visible() and content in page.inner_text("main")
        screenshot(page, f"{kind}-print")
        # No format given: the page size can only come from the stylesheet's @page rule.
        pdf = page.pdf(prefer_css_page_size=True)
        sizes = _pdf_page_sizes(pdf)
        assert sizes and all(size == pytest.approx(A4_POINTS, abs=1.5) for size in sizes), sizes
