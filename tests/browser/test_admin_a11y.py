"""The back office in a real browser: axe-core finds no critical or serious violation on the pages
staff use most (an event with its programme, bookings and attendee list filled in, a booking, a
person, a facility, a delegation with its cars and passes, the lists of events and bookings, the
login and the index).

Failures list each violation with the elements it was found on (tests/browser/axe.py).
"""

import pytest
from django.urls import reverse

from scheduling.models import Event
from tests.browser.axe import axe_violations, readable
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    ProgrammeItemFactory,
    hk,
)
from visitors.delegations.services import delegation_create, pass_create, vehicle_create
from visitors.models import Attendance

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def filled_event():
    """A tentative event with three programme items (one with no facility chosen), a booking and
    three attendees: every kind of inline row, filled in."""
    hall = FacilityFactory(name="MARS Hall")
    event = EventFactory(title="MARS Centre opening", site=hall.site, status=Event.Status.TENTATIVE)
    for minutes, facility in ((0, hall), (20, hall), (40, None)):
        start = hk(2030, 3, 4, 10, minutes)
        ProgrammeItemFactory(event=event, start=start, facility=facility)
    booking = BookingFactory(event=event, facility=hall)
    for role in (Attendance.Role.GUEST_OF_HONOUR, Attendance.Role.HOST, Attendance.Role.GUEST):
        AttendanceFactory(event=event, role=role, call_time=hk(2030, 3, 4, 9, 30))
    lead = event.attendances.first().person
    party = delegation_create(event_id=event.pk, name="ITIB", lead=lead)
    car = vehicle_create(delegation_id=party.pk, plate="AM 1", passengers=[lead])
    pass_create(delegation_id=party.pk, kind="vehicle", vehicle=car)
    return event, booking


# (name, the page's URL from the filled event and its booking); extend with the pages you add.
ADMIN_PAGES = [
    ("index", lambda event, booking: reverse("admin:index")),
    (
        "delegation",
        lambda event, booking: reverse(
            "admin:visitors_delegation_change", args=[event.delegations.get().pk]
        ),
    ),
    ("event", lambda event, booking: reverse("admin:scheduling_event_change", args=[event.pk])),
    ("event-add", lambda event, booking: reverse("admin:scheduling_event_add")),
    ("events", lambda event, booking: reverse("admin:scheduling_event_changelist")),
    (
        "booking",
        lambda event, booking: reverse("admin:scheduling_booking_change", args=[booking.pk]),
    ),
    ("bookings", lambda event, booking: reverse("admin:scheduling_booking_changelist")),
    (
        "person",
        lambda event, booking: reverse(
            "admin:visitors_person_change", args=[event.attendances.first().person_id]
        ),
    ),
    (
        "facility",
        lambda event, booking: reverse(
            "admin:scheduling_facility_change", args=[booking.facility_id]
        ),
    ),
]


def _log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def test_admin_login_has_no_serious_accessibility_violation(page, live_server):
    page.goto(f"{live_server.url}/admin/login/")

    violations = axe_violations(page)

    assert violations == [], readable(violations)


@pytest.mark.parametrize("url", [url for _, url in ADMIN_PAGES], ids=[n for n, _ in ADMIN_PAGES])
def test_admin_page_has_no_serious_accessibility_violation(
    page, live_server, officer, filled_event, url
):
    _log_in(page, live_server, officer)
    page.goto(live_server.url + url(*filled_event))

    violations = axe_violations(page)

    assert violations == [], readable(violations)
