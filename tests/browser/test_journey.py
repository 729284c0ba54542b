"""The whole journey in a real browser: an officer plans a three-stop visit, finds it on the
calendar, confirms it and sends the invites; the guest of honour opens the RSVP link from the
e-mail on a phone and accepts; the officer checks them in and prints the run-of-show.

Each step saves a screenshot under var/screenshots/<test name>/ (git-ignored).
"""

import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect
from pypdf import PdfReader

from desk.people import person_label
from scheduling.models import Booking, Event, Facility, ProgrammeItem, TravelTime
from tests.factories import FacilityFactory, OrganisationFactory, PersonFactory, SiteFactory
from visitors.models import Attendance, Delivery

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

A4_POINTS = (596, 843)  # 210 × 297 mm in PDF points, rounded


@pytest.fixture
def world(settings, live_server):
    # The RSVP links in the mail must point at the live server, not at the configured host.
    settings.PUBLIC_BASE_URL = live_server.url
    tai_po = SiteFactory(name="InnoPark Tai Po", slug="tai-po", internal_travel_minutes=5)
    science_park = SiteFactory(name="Science Park", slug="science-park")
    TravelTime.objects.create(from_site=tai_po, to_site=science_park, minutes=20)
    return {
        "site": tai_po,
        "hall": FacilityFactory(site=tai_po, name="MARS Hall", name_zh="火星廳"),
        "lab": FacilityFactory(site=tai_po, name="Cleanroom gallery", kind=Facility.Kind.LAB),
        "tenant": FacilityFactory(
            site=science_park, name="Time Medical premises", kind=Facility.Kind.TENANT_PREMISES
        ),
        "tenant_org": OrganisationFactory(name="Time Medical Systems"),
        "minister": PersonFactory(
            honorific="Prof", name="Sun Dong", name_zh="孫東", email="sun.dong@example.gov.hk"
        ),
        "escort": PersonFactory(name="Winnie Lai", name_zh="黎慧", email="winnie@example.org"),
    }


def _log_in(page, live_server, screenshot, user) -> None:
    page.goto(f"{live_server.url}/staff/calendar/")
    assert "/staff/login/" in page.url  # an anonymous visitor is sent to log in first
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    screenshot(page, "login")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/calendar/**")


def pick_person(page, field: str, typed: str, person) -> None:
    """Type part of a name in a person picker and take the one suggestion it makes (what
    choosing it from the list does: the field then holds the suggestion's label)."""
    page.locator(field).press_sequentially(typed)
    suggestion = page.locator(f"{field}-suggestions option")
    expect(suggestion).to_have_count(1)
    label = suggestion.get_attribute("value")
    assert label == person_label(person)
    page.fill(field, label)


def _plan_visit(page, world, screenshot) -> Event:
    page.get_by_role("link", name="Plan a visit").click()
    page.wait_for_url(f"**{reverse('staff:planner')}")
    page.fill("#id_title", "Secretary visits the MARS Centre")
    page.fill("#id_title_zh", "局長參觀火星中心")
    page.select_option("#id_site", str(world["site"].pk))
    # The stops now offer Tai Po's facilities and tenants' premises within reach, no others.
    expect(page.locator("#id_stops-0-facility option")).to_have_count(4)
    page.fill("#id_date", "2030-03-04")
    page.fill("#id_start_time", "10:00")
    pick_person(page, "#id_party-0-person", "sun d", world["minister"])
    expect(page.locator("#id_party-0-role")).to_have_value("guest_of_honour")
    pick_person(page, "#id_party-1-person", "黎", world["escort"])
    page.select_option("#id_party-1-role", "escort")
    stops = [
        ("hall", "", None, "30"),
        ("lab", "Cleanroom gallery, seen through glass", None, "20"),
        ("tenant", "", "tenant_org", "25"),
    ]
    for row, (facility, title, host, minutes) in enumerate(stops):
        expect(page.locator(f"#id_stops-{row}-kind")).to_have_value("tour_stop")
        page.select_option(f"#id_stops-{row}-facility", str(world[facility].pk))
        page.fill(f"#id_stops-{row}-title", title)
        if host:
            page.select_option(f"#id_stops-{row}-host", str(world[host].pk))
        page.fill(f"#id_stops-{row}-minutes", minutes)
    screenshot(page, "planner-filled")

    page.click("#check-visit")

    expect(page.locator("#proposal-summary")).to_contain_text("No clashes: it can be saved.")
    stops_shown = [h.strip() for h in page.locator("#proposal h3").all_inner_texts()]
    assert stops_shown[:3] == [
        "1. 10:00–10:30 Tour stop: MARS Hall",
        "2. 10:35–10:55 Cleanroom gallery, seen through glass",
        "3. 11:15–11:40 Tour stop: Time Medical Systems",
    ]
    assert page.locator("#stop-result-2 .stop-place").inner_text() == (
        "Tour stop · Time Medical premises, Science Park · hosted by Time Medical Systems"
    )
    expect(page.locator("#timeline-strip .strip-stop")).to_have_count(3)
    expect(page.locator("#timeline-strip .strip-travel")).to_have_count(2)
    assert not Event.objects.exists()  # checking saves nothing
    screenshot(page, "planner-checked")

    page.click("#save-visit")

    page.wait_for_url("**/staff/events/*/")
    assert "The visit is planned" in page.inner_text(".messages")
    event = Event.objects.get()
    assert (event.status, event.kind) == (Event.Status.TENTATIVE, Event.Kind.SITE_INSPECTION)
    assert sorted(event.bookings.values_list("status", flat=True)) == ["held"] * 3
    assert dict(event.attendances.values_list("person_id", "role")) == {
        world["minister"].pk: Attendance.Role.GUEST_OF_HONOUR,
        world["escort"].pk: Attendance.Role.ESCORT,
    }
    screenshot(page, "event-planned")
    return event


def _csp_violations(page) -> list[str]:
    """Console messages of the page (collected from now on) that report a blocked resource."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def test_officer_and_guest_journey_in_chromium(
    page, browser, live_server, world, officer, screenshot
):
    violations = _csp_violations(page)
    _log_in(page, live_server, screenshot, officer)
    screenshot(page, "calendar-empty")

    event = _plan_visit(page, world, screenshot)

    # The calendar shows the visit held in both Tai Po facilities, and leads back to it.
    # A link's click does not wait for the next page: wait for it, then for the blocks drawn.
    page.get_by_role("link", name="Back to the calendar").click()
    page.wait_for_url("**/staff/calendar/**")
    held = page.locator("#timeline .ec-event.booking.held")
    expect(held).to_have_count(2)
    assert all("Secretary visits the MARS Centre" in text for text in held.all_inner_texts())
    assert "2030" in page.inner_text("#window-heading")
    screenshot(page, "calendar-week")
    held.first.get_by_role("link").click()
    page.wait_for_url(f"**/staff/events/{event.pk}/")

    # Confirm the held bookings, then the event.
    page.click("#confirm-all-bookings")
    expect(page.locator(".messages")).to_contain_text("confirmed")
    page.click("#action-confirmed")

    expect(page.locator("#event-status")).to_have_text("Confirmed")
    event.refresh_from_db()
    assert event.status == Event.Status.CONFIRMED
    assert set(event.bookings.values_list("status", flat=True)) == {Booking.Status.CONFIRMED}
    screenshot(page, "event-confirmed")

    # Staff put the escort first in this event's order: a number and a button, no script.
    escort = Attendance.objects.get(event=event, person=world["escort"])
    label = f"Place of {world['escort'].display_name} in the order of precedence"
    page.get_by_label(label).fill("1")
    page.locator(f"#attendance-{escort.pk}").get_by_role("button", name="Set").click()

    expect(page.locator("#attendees tbody tr").first).to_have_id(f"attendance-{escort.pk}")
    escort.refresh_from_db()
    assert escort.order_override == 1
    screenshot(page, "event-reordered")

    # Send the invites: the live server sends them inline (django-q2 sync, locmem mail).
    page.get_by_role("link", name="Invitations").click()
    page.click("#send-invites")

    expect(page.locator(".messages")).to_contain_text("2 invites queued.")
    assert sorted(m.to[0] for m in mail.outbox) == [
        '"Ms Winnie Lai (黎慧)" <winnie@example.org>',
        '"Prof Sun Dong (孫東)" <sun.dong@example.gov.hk>',
    ]
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENT}
    screenshot(page, "invitations-sent")

    # The guest of honour opens the link from the mail's text on a phone, and accepts.
    [invite] = [m for m in mail.outbox if "sun.dong@" in m.to[0]]
    assert invite.subject == "Invitation: Secretary visits the MARS Centre (局長參觀火星中心)"
    link = re.search(r"https?://\S+/rsvp/[^/\s]+/\?answer=accepted", invite.body)[0]
    assert link.startswith(live_server.url)
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="en-GB"
    )
    phone.set_default_timeout(10_000)
    guest = phone.new_page()
    violations += _csp_violations(guest)
    guest.goto(link)
    assert "For Prof Sun Dong" in guest.inner_text("main")  # the name as English writes it
    assert guest.get_by_label("I will attend").is_checked()  # preselected by the link
    screenshot(guest, "rsvp-open")
    guest.get_by_label("Accompanying guests").fill("1")
    guest.get_by_label("Dietary requirements").fill("Vegetarian, no MSG")
    with guest.expect_response(lambda r: r.request.method == "POST") as posted:
        guest.get_by_role("button", name="Send my answer").click()

    # A real browser sends Origin with this POST; under a no-referrer policy it was "null" and
    # CSRF refused the answer (403), which the test client never showed.
    assert posted.value.status in (200, 302, 303), posted.value.status
    guest.wait_for_url(re.compile(r"\?saved=1$"))
    assert "Your answer is recorded: Accepted." in guest.inner_text("main")
    screenshot(guest, "rsvp-accepted")
    sun = Attendance.objects.get(event=event, person=world["minister"])
    assert (sun.rsvp, sun.guests, sun.dietary) == ("accepted", 1, "Vegetarian, no MSG")
    phone.close()

    # Check-in on the day: one tap marks the guest of honour as arrived.
    page.goto(f"{live_server.url}/staff/check-in/?date=2030-03-04&site=tai-po")
    assert page.inner_text("#expected-count") == "2"
    screenshot(page, "check-in-expected")
    page.get_by_role("button", name="Mark arrived: Prof Sun Dong (孫東)").click()

    page.wait_for_selector(f"#attendee-{sun.pk} .arrived")
    expect(page.locator("#arrived-count")).to_have_text("1")
    sun.refresh_from_db()
    assert sun.checked_in_at is not None
    screenshot(page, "check-in-arrived")

    # The run-of-show, as printed: print CSS, and a PDF from headless Chromium.
    page.goto(f"{live_server.url}/staff/events/{event.pk}/print/run-of-show/")
    page.emulate_media(media="print")
    titles = list(event.programme.order_by("start").values_list("title", "kind"))
    assert [kind for _title, kind in titles].count(ProgrammeItem.Kind.TOUR_STOP) == 3
    printed = page.inner_text("#run-of-show")
    for title, _kind in titles:
        assert title in printed
    assert (
        "Tour stop: Time Medical Systems" in printed
        and "Transfer to Time Medical Systems" in printed
    )
    screenshot(page, "run-of-show-print")
    pdf = page.pdf(format="A4", print_background=True)
    (screenshot.folder / "run-of-show.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
    boxes = {
        tuple(round(float(n)) for n in box)
        for box in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    }
    assert boxes == {A4_POINTS}

    # The planned itinerary, downloaded as the office's PDF (WeasyPrint), reads back whole.
    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/staff/events/{event.pk}/print/itinerary/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    itinerary = download.value.path().read_bytes()
    assert itinerary.startswith(b"%PDF-")
    text = "\n".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(itinerary)).pages)
    for title, _kind in titles:
        assert " ".join(title.split()) in " ".join(text.split())
    assert "Received by" in text and "Time Medical Systems" in text
    assert violations == []  # nothing the Content-Security-Policy blocked, on any page


def test_api_docs_and_admin_render_under_the_policy_without_a_cdn(page, live_server, screenshot):
    violations = _csp_violations(page)
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url) if not request.url.startswith(live_server.url) else None
        ),
    )

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag")
    title = page.inner_text(".swagger-ui .info .title")
    groups = page.locator(".opblock-tag").count()  # the operations, grouped, rendered
    screenshot(page, "api-docs")
    page.goto(f"{live_server.url}/admin/login/")
    page.wait_for_selector("#login-form")

    assert "Protocol Desk API" in title and groups > 3
    assert elsewhere == []  # Swagger UI came from this server
    assert violations == []
