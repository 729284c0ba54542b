"""The delegations page on a phone (390 × 844): a party with long names fits the screen's width,
and a car is added with its passengers, car call and drop-off with taps and typing.

Screenshots go under var/screenshots/<test name>/ (git-ignored).
"""

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from scheduling.models import Event
from tests.browser.test_checkin_phone import PHONE, WIDEST, WIDTHS
from tests.factories import (
    AttendanceFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    hk,
)
from visitors.delegations.services import delegation_create, vehicle_create
from visitors.models import Vehicle

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def party():
    event = EventFactory(
        title="Opening Ceremony of the Microelectronics Research and Development Centre",
        title_zh="微電子研究及發展中心開幕典禮",
        status=Event.Status.TENTATIVE,
    )
    FacilityFactory(
        site=event.site,
        name="MARS Centre – Main Lobby and Covered Drop-off Area",
        name_zh="微電子中心大堂及有蓋落客區",
    )
    bureau = OrganisationFactory(
        name="Innovation, Technology and Industry Bureau of the Government",
        name_zh="創新科技及工業局",
    )
    people = [
        PersonFactory(
            honorific="The Honourable Professor",
            name="Sun Dong",
            name_zh="孫東",
            post_nominals="JP",
            organisation=bureau,
        ),
        PersonFactory(
            name="Alexander Maximilian Fitzgerald-Montgomery Chan",
            name_zh="歐陽司徒慕容上官",
            organisation=bureau,
        ),
    ]
    for person in people:
        AttendanceFactory(event=event, person=person)
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
        passengers=[people[0]],
    )
    return party, people


def test_a_car_is_added_on_a_phone_and_the_page_fits_the_screen(
    browser, live_server, officer, party, screenshot
):
    delegation, (minister, aide) = party
    event = delegation.event
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
    url = reverse("staff:delegations", args=[event.pk])
    page.goto(f"{live_server.url}/staff/login/?next={url}")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{url}")
    assert page.evaluate(WIDTHS) == [390, 390], page.evaluate(WIDEST)
    screenshot(page, "delegations-phone")

    prefix = f"#id_d{delegation.pk}-car"
    page.locator(f"#delegation-{delegation.pk}-car-add > summary").tap()
    page.fill(f"{prefix}-plate", "am 2046")
    page.fill(f"{prefix}-make", "Mercedes-Benz V-Class")
    page.fill(f"{prefix}-colour", "black")
    page.fill(f"{prefix}-driver", "Mr Chan Tai-man")
    page.fill(f"{prefix}-driver_phone", "+852 9123 4567")
    page.get_by_label(aide.display_name).nth(1).check()  # the add form's, after the first car's
    page.fill(f"{prefix}-car_call_at", "2030-03-04T11:40")
    page.select_option(f"{prefix}-drop_off_facility", label=None, index=1)
    page.fill(f"{prefix}-pick_up_point", "East gate, lay-by 2")
    assert page.evaluate(WIDTHS) == [390, 390], page.evaluate(WIDEST)
    screenshot(page, "car-form")
    page.get_by_role("button", name="Add the car").tap()

    expect(page.locator(".messages")).to_contain_text("Car 2: AM 2046 black Mercedes-Benz V-Class")
    car = Vehicle.objects.get(plate="AM 2046")
    row = page.locator(f"#car-{car.pk}")
    expect(row).to_contain_text("Mr Chan Tai-man")
    expect(row).to_contain_text(aide.display_name)
    expect(row.locator("td.time")).to_contain_text("11:40")
    expect(row).to_contain_text("East gate, lay-by 2")
    assert car.car_call_at == hk(2030, 3, 4, 11, 40)
    assert list(car.passengers.all()) == [aide]
    assert car.drop_off_facility is not None
    # Each cell of the row is on its own line, named by its column.
    box = row.locator("td[data-label='Passengers']").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate(WIDTHS) == [390, 390], page.evaluate(WIDEST)
    screenshot(page, "car-added")
    assert car.car_call_at - event.start == dt.timedelta(hours=1, minutes=40)
    context.close()
