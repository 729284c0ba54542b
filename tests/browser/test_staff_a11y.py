"""The staff pages at a desk (1440 × 900) and on a phone (390 × 844, as an iPhone 14): axe-core
finds no critical or serious violation, and the invitation console fits the phone's width.

STAFF_PAGES is the list to extend: a name and the page's path, made from the world below.
Screenshots go under var/screenshots/<test name>/ (git-ignored).
"""

import pytest
from django.utils import timezone

from scheduling.models import Booking, Event
from tests.browser.axe import axe_violations, readable
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeItemFactory,
)
from visitors.models import Attendance, Delivery

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DESK = {"viewport": {"width": 1440, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
SCREENS = {"desk": DESK, "phone": PHONE}
# A phone browser widens its layout viewport (and window.innerWidth) to fit content wider than
# the screen: both are compared with the screen's width (tests/browser/test_checkin_phone.py).
WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
WIDEST = """() => [...document.querySelectorAll("main *")]
    .filter((element) => element.getBoundingClientRect().right > 390)
    .map((element) => element.tagName + "." + element.className + ": "
        + (element.innerText || "").slice(0, 60))"""


@pytest.fixture
def world():
    """A confirmed ceremony with a long title, six attendees with long names and addresses with
    no place to break, every state of message (sent, failed, waiting, held for approval), and
    one who declined."""
    hall = FacilityFactory(name="Multi-function Hall of the Microelectronics Centre")
    event = EventFactory(
        title="Opening Ceremony of the Microelectronics Research and Development Centre",
        title_zh="微電子研究及發展中心開幕典禮",
        site=hall.site,
        status=Event.Status.CONFIRMED,
    )
    BookingFactory(event=event, facility=hall, status=Booking.Status.CONFIRMED)
    ProgrammeItemFactory(
        event=event,
        facility=hall,
        title="Remarks by the Secretary for Innovation, Technology and Industry",
        title_zh="創新科技及工業局局長致辭",
    )
    organisation = OrganisationFactory(
        name="Hong Kong Science and Technology Parks Corporation Innovation Advisory Committee"
    )
    states = [
        Delivery.State.SENT,
        Delivery.State.FAILED,
        Delivery.State.QUEUED,
        Delivery.State.HELD,
        None,
        Delivery.State.SENT,
    ]
    attendances = []
    for n, state in enumerate(states):
        attendance = AttendanceFactory(
            event=event,
            role=Attendance.Role.OFFICIATING_GUEST if n == 0 else Attendance.Role.GUEST,
            rsvp=Attendance.RSVP.DECLINED if n == 5 else Attendance.RSVP.NEEDS_ACTION,
            awaiting_approval=state == Delivery.State.HELD,
            person=PersonFactory(
                honorific="The Honourable Professor",
                name=f"Alexander Maximilian Fitzgerald-Montgomery Chan {n}",
                name_zh="歐陽司徒慕容上官皇甫令狐",
                email=f"alexander.maximilian.fitzgerald-montgomery.{n}"
                "@innovationandtechnologycommissionofhongkong.gov.hk",
                organisation=organisation,
            ),
        )
        attendances.append(attendance)
        if state is not None:
            Delivery.objects.create(
                event=event,
                person=attendance.person,
                attendance=attendance,
                method=Delivery.Method.REQUEST,
                sequence=event.sequence,
                state=state,
                next_attempt_at=timezone.now(),
                sent_at=timezone.now() if state == Delivery.State.SENT else None,
                last_error="550 5.1.1 mailbox unavailable" if state == "failed" else "",
            )
    return event, attendances


def _import_preview(event, attendances) -> str:
    """The officer's preview of a list with a row of every kind, long names and addresses with
    no place to break: new, on file, a match by name to confirm, and skipped with reasons."""
    from django.contrib.auth import get_user_model

    from tests.spreadsheets import csv_bytes
    from visitors.imports.services import attendee_import_preview

    organisation = attendances[0].person.organisation
    on_file = PersonFactory(
        name="Bartholomew Alexander Wong-Fitzwilliam",
        email="bartholomew.alexander.wong-fitzwilliam@innovationandtechnologybureau.gov.hk",
        organisation=organisation,
    )
    namesake = PersonFactory(name="Cassandra Leung", email="", organisation=organisation)
    data = csv_bytes(
        [
            ["Honorific", "Name", "Chinese name", "Organisation", "E-mail", "Role", "Call time"],
            [
                "The Honourable Professor",
                "Maximilian Alexander Fitzgerald-Montgomery Chan",
                "司徒慕容令狐麥克斯",
                organisation.name,
                "maximilian.alexander.fitzgerald-montgomery.chan@innovationandtechnology.gov.hk",
                "Guest of honour",
                "09:30",
            ],
            ["", on_file.name, "", "", on_file.email.upper(), "", ""],
            ["", namesake.name, "", organisation.name, "", "Speaker", ""],
            ["", "Unknown Role Person", "", "", "", "Chief-Executive-Officer-Designate", "soon"],
            ["", attendances[1].person.name, "", "", attendances[1].person.email, "", ""],
        ]
    )
    officer = get_user_model().objects.get(username="officer")
    batch = attendee_import_preview(
        event_id=event.pk, data=data, filename="bureau-guest-list.csv", by=officer
    )
    return f"/staff/events/{event.pk}/attendees/import/{batch.pk}/"


def _delegations(event, attendances) -> str:
    """The delegations page of a party with long names, two cars (one without a driver: a
    warning) and a pass for each member."""
    from visitors.delegations.services import delegation_create, pass_create, vehicle_create

    people = [attendance.person for attendance in attendances[:3]]
    party = delegation_create(
        event_id=event.pk,
        name="Innovation, Technology and Industry Bureau delegation",
        name_zh="創新科技及工業局代表團",
        lead=people[0],
        members=people,
    )
    vehicle_create(
        delegation_id=party.pk,
        plate="AM 1",
        make="Toyota Alphard Executive Lounge",
        driver="Mr Lee Siu-ming",
        driver_phone="+852 9123 4567",
        passengers=people[:2],
        car_call_at=event.end,
    )
    vehicle_create(delegation_id=party.pk, plate="AM 2", passengers=people[2:])
    for number, person in enumerate(people):
        pass_create(delegation_id=party.pk, person=person, number=f"SP-{number}", status="issued")
    return f"/staff/events/{event.pk}/delegations/"


# (name, path from the world); the lead adds the other staff pages here.
STAFF_PAGES = [
    ("attendees-import", lambda event, attendances: f"/staff/events/{event.pk}/attendees/import/"),
    ("attendees-import-preview", _import_preview),
    ("check-in", lambda event, attendances: "/staff/check-in/?date=2030-03-04"),
    ("invitations", lambda event, attendances: f"/staff/events/{event.pk}/invitations/"),
    (
        "invitations-preview",
        lambda event, attendances: (
            f"/staff/events/{event.pk}/invitations/?attendee={attendances[1].pk}"
        ),
    ),
    ("event-cancel", lambda event, attendances: f"/staff/events/{event.pk}/cancel/"),
    ("event", lambda event, attendances: f"/staff/events/{event.pk}/"),
    (
        "programme-item",
        lambda event, attendances: (
            f"/staff/events/{event.pk}/programme/{event.programme.first().pk}/"
        ),
    ),
    ("planner", lambda event, attendances: "/staff/visits/new/"),
    ("delegations", _delegations),
    (
        "agenda",
        lambda event, attendances: (
            f"/staff/calendar/?view=agenda&site={event.site.slug}"
            f"&date={timezone.localtime(event.start).date():%Y-%m-%d}"
        ),
    ),
]
# The A4 sheets: checked for accessibility, but made for paper, not for a phone's width.
PRINTABLES = [
    (f"print-{kind}", lambda event, _, kind=kind: f"/staff/events/{event.pk}/print/{kind}/")
    for kind in ("run-of-show", "itinerary", "attendees", "name-cards")
]


def _page(browser, screen: str):
    context = browser.new_context(locale="en-GB", timezone_id="Asia/Hong_Kong", **SCREENS[screen])
    context.set_default_timeout(10_000)
    return context, context.new_page()


def _log_in(page, live_server, user, then: str) -> None:
    page.goto(f"{live_server.url}/staff/login/?next={then}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{then.split('?')[0]}**")


@pytest.mark.parametrize("screen", SCREENS)
def test_staff_login_has_no_serious_accessibility_violation(browser, live_server, screen):
    context, page = _page(browser, screen)
    page.goto(f"{live_server.url}/staff/login/")

    violations = axe_violations(page)

    context.close()
    assert violations == [], readable(violations)


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize(
    "path",
    [path for _, path in STAFF_PAGES + PRINTABLES],
    ids=[n for n, _ in STAFF_PAGES + PRINTABLES],
)
def test_staff_page_has_no_serious_accessibility_violation(
    browser, live_server, officer, world, screen, path
):
    context, page = _page(browser, screen)
    _log_in(page, live_server, officer, path(*world))

    violations = axe_violations(page)

    context.close()
    assert violations == [], readable(violations)


@pytest.mark.parametrize("path", [path for _, path in STAFF_PAGES], ids=[n for n, _ in STAFF_PAGES])
def test_staff_page_fits_a_phone(browser, live_server, officer, world, path, screenshot):
    context, page = _page(browser, "phone")
    _log_in(page, live_server, officer, path(*world))
    screenshot(page, "phone")

    widths = page.evaluate(WIDTHS)

    assert widths == [390, 390], page.evaluate(WIDEST)
    context.close()


@pytest.mark.parametrize("preview", [False, True], ids=["list", "preview"])
def test_invitation_console_fits_a_phone(browser, live_server, officer, world, preview, screenshot):
    event, attendances = world
    context, page = _page(browser, "phone")
    query = f"?attendee={attendances[1].pk}" if preview else ""
    _log_in(page, live_server, officer, f"/staff/events/{event.pk}/invitations/{query}")
    screenshot(page, "console")

    widths = page.evaluate(WIDTHS)
    widest = page.evaluate(WIDEST)
    rows = page.locator("#invitation-list tbody tr").count()
    failed = page.locator(f"#invite-{attendances[1].pk}")
    resend = failed.get_by_role(
        "button", name=f"Resend the failed invite to {attendances[1].person.display_name}"
    )

    assert widths == [390, 390], widest
    assert rows == 6
    assert resend.is_visible()
    assert "550 5.1.1 mailbox unavailable" in failed.inner_text()
    context.close()
