"""The visit planner on a phone (390 × 844): the form, a long facility name and the proposed
itinerary with its timeline strip fit the screen's width, and the facilities follow the site.

Screenshots go under var/screenshots/<test name>/ (git-ignored).
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from scheduling.models import Facility, TravelTime
from tests.browser.test_checkin_phone import PHONE, WIDEST, WIDTHS
from tests.browser.test_journey import pick_person
from tests.factories import FacilityFactory, OrganisationFactory, PersonFactory, SiteFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    tai_po = SiteFactory(name="Tai Po InnoPark", internal_travel_minutes=5)
    science_park = SiteFactory(name="Hong Kong Science Park")
    TravelTime.objects.create(from_site=tai_po, to_site=science_park, minutes=15)
    return {
        "site": tai_po,
        "science_park": science_park,
        "hall": FacilityFactory(
            site=tai_po,
            name="MARS Centre – Multi-function Hall and Exhibition Gallery",
            name_zh="微電子中心多功能廳及展覽廊",
        ),
        "lab": FacilityFactory(
            site=tai_po, name="MARS Centre – Production Line 3 (Cleanroom)", kind="lab"
        ),
        "auditorium": FacilityFactory(site=science_park, name="Charles K. Kao Auditorium"),
        "tenant": FacilityFactory(
            site=science_park,
            name="Time Medical Systems premises",
            kind=Facility.Kind.TENANT_PREMISES,
        ),
        "tenant_org": OrganisationFactory(name="Time Medical Systems Limited"),
        "minister": PersonFactory(
            honorific="The Honourable Professor",
            name="Sun Dong",
            name_zh="孫東",
            post_nominals="JP",
            organisation=OrganisationFactory(
                name="Innovation, Technology and Industry Bureau of the Government"
            ),
        ),
    }


def test_planner_on_a_phone_fits_the_screen_and_offers_the_sites_facilities(
    browser, live_server, officer, world, screenshot
):
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
    planner = reverse("staff:planner")
    page.goto(f"{live_server.url}/staff/login/?next={planner}")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{planner}")
    assert page.evaluate(WIDTHS) == [390, 390], page.evaluate(WIDEST)
    screenshot(page, "planner-phone")

    # The site chosen, each stop offers its facilities and tenants' premises within reach.
    facilities = page.locator("#id_stops-0-facility option")
    page.select_option("#id_site", str(world["science_park"].pk))
    expect(facilities).to_have_count(3)
    page.select_option("#id_site", str(world["site"].pk))
    expect(facilities).to_have_count(4)
    assert "Charles K. Kao Auditorium" not in " ".join(facilities.all_inner_texts())
    expect(page.locator("#choose-site")).to_be_hidden()  # the script does what it would

    page.fill("#id_title", "The Secretary for Innovation, Technology and Industry visits")
    page.fill("#id_date", "2030-03-04")
    page.fill("#id_start_time", "10:00")
    pick_person(page, "#id_party-0-person", "孫", world["minister"])
    page.select_option("#id_stops-0-kind", "arrival")
    page.select_option("#id_stops-0-facility", str(world["hall"].pk))
    page.fill("#id_stops-0-minutes", "10")
    page.select_option("#id_stops-1-facility", str(world["lab"].pk))
    page.fill("#id_stops-1-minutes", "30")
    page.select_option("#id_stops-2-facility", str(world["tenant"].pk))
    page.select_option("#id_stops-2-host", str(world["tenant_org"].pk))
    page.fill("#id_stops-2-minutes", "25")
    page.select_option("#id_stops-3-kind", "departure")
    page.select_option("#id_stops-3-facility", str(world["tenant"].pk))
    page.fill("#id_stops-3-minutes", "5")
    assert page.evaluate(WIDTHS) == [390, 390], page.evaluate(WIDEST)

    page.click("#check-visit")

    expect(page.locator("#proposal-summary")).to_contain_text("No clashes: it can be saved.")
    expect(page.locator("#timeline-strip .strip-stop")).to_have_count(4)
    assert page.locator("#proposal h3").all_inner_texts() == [
        "1. 10:00–10:10 Arrival at MARS Centre – Multi-function Hall and Exhibition Gallery",
        "2. 10:15–10:45 Tour stop: MARS Centre – Production Line 3 (Cleanroom)",
        "3. 11:00–11:25 Tour stop: Time Medical Systems Limited",
        "4. 11:25–11:30 Departure from Time Medical Systems premises",
    ]
    strip = page.locator("#timeline-strip svg").bounding_box()
    assert strip["x"] >= 0 and strip["x"] + strip["width"] <= 390
    assert page.evaluate(WIDTHS) == [390, 390], page.evaluate(WIDEST)
    screenshot(page, "planner-phone-checked")
    context.close()
