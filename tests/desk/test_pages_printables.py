"""Printables for A4: run-of-show with cues, itinerary, attendee list by precedence, name cards."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from scheduling.models import ProgrammeItem, ProgrammeRole
from tests.factories import (
    AttendanceFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeItemFactory,
    hk,
)
from visitors import services
from visitors.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    hall = FacilityFactory(name="MARS Hall", name_zh="火星廳")
    event = EventFactory(title="MARS Centre inspection", title_zh="視察火星中心", site=hall.site)
    tenant = OrganisationFactory(name="Time Medical Systems", name_zh="時代醫療")
    ProgrammeItemFactory(
        event=event,
        title="Transfer to the lab",
        kind=ProgrammeItem.Kind.TRANSFER,
        start=hk(2030, 3, 4, 10, 0),
        end=hk(2030, 3, 4, 10, 10),
    )
    stop = ProgrammeItemFactory(
        event=event,
        title="Tour stop: Time Medical",
        kind=ProgrammeItem.Kind.TOUR_STOP,
        facility=hall,
        host_organisation=tenant,
        start=hk(2030, 3, 4, 10, 10),
        end=hk(2030, 3, 4, 10, 40),
        cue_notes="No photography inside",
    )
    host = PersonFactory(name="Simon Yeung", post="Chief Executive")
    ProgrammeRole.objects.create(item=stop, person=host, part=ProgrammeRole.Part.HOST)
    minister = PersonFactory(
        honorific="Prof",
        name="Sun Dong",
        name_zh="孫東",
        precedence_rank=1,
        post="Secretary for Innovation, Technology and Industry",
    )
    AttendanceFactory(event=event, person=PersonFactory(name="Zoe Guest"), dietary="Vegetarian")
    AttendanceFactory(
        event=event, person=minister, role="guest_of_honour", call_time=hk(2030, 3, 4, 9, 45)
    )
    AttendanceFactory(event=event, person=PersonFactory(name="Declined Person"), rsvp="declined")
    AttendanceFactory(event=event, person=PersonFactory(name="", name_zh="陳大文", honorific=""))
    return event


def _text(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", markup)


def _listed(page: str) -> list[str]:
    """The names on the attendee list, in order, as they read."""
    return [_text(cell) for cell in re.findall(r"<td>\d+</td>\s*<td>(.*?)</td>", page)]


def _print(client, event, kind) -> str:
    response = client.get(reverse("staff:print", args=[event.pk, kind]))
    assert response.status_code == 200
    return response.content.decode()


def test_printables_use_the_a4_print_stylesheet(client, viewer, event):
    client.force_login(viewer)

    page = _print(client, event, "attendees")

    assert '<link rel="stylesheet" href="/static/staff/print.css">' in page
    with open(finders.find("staff/print.css"), encoding="utf-8") as css:
        stylesheet = css.read()
    assert "@page { size: A4 portrait;" in stylesheet
    assert "break-inside: avoid" in stylesheet


def test_run_of_show_prints_every_item_with_place_people_cues_and_call_times(client, viewer, event):
    client.force_login(viewer)

    page = _print(client, event, "run-of-show")

    table = re.search(r'<table id="run-of-show">.*?</table>', page, re.S)[0]
    assert table.index("10:00–10:10") < table.index("10:10–10:40")
    assert '<tr class="transfer">' in table
    assert "No photography inside" in table and "MARS Hall" in table
    assert "Ms Simon Yeung (Host at the stop)" in table
    assert "Run-of-show: MARS Centre inspection" in page and "視察火星中心" in page
    assert "(HKT, Asia/Hong_Kong)" in page
    assert re.search(
        r'Prof Sun Dong <span class="name-zh" lang="zh-Hant">\(孫東\)</span></td>'
        r"<td>Guest of honour</td><td[^>]*>09:45",
        page,
    )


def test_itinerary_shows_places_and_hosts_but_no_cues(client, viewer, event):
    client.force_login(viewer)

    page = _print(client, event, "itinerary")

    assert "Time Medical Systems" in page and "時代醫療" in page
    assert "Ms Simon Yeung, Chief Executive" in page
    assert "No photography" not in page
    assert "On the move" in page


def test_attendee_list_is_in_order_of_precedence_with_needs(client, viewer, event):
    client.force_login(viewer)

    page = _print(client, event, "attendees")

    names = _listed(page)
    assert names[0] == "Prof Sun Dong (孫東)"
    assert set(names[1:]) == {"Ms Zoe Guest", "Ms Declined Person", "陳大文"}
    assert "Diet: Vegetarian" in page


def test_printed_order_puts_places_then_the_guest_of_honour_above_senior_guests(
    client, viewer, event
):
    Person.objects.filter(name="Sun Dong").update(precedence_rank=5)  # the guest of honour
    AttendanceFactory(
        event=event, person=PersonFactory(name="Alfred Sit", precedence_rank=1), role="guest"
    )
    escort = AttendanceFactory(event=event, person=PersonFactory(name="Escort"), role="escort")
    services.attendance_update(attendance_id=escort.pk, order_override=1)
    client.force_login(viewer)

    attendees = _print(client, event, "attendees")
    cards = _print(client, event, "name-cards")

    names = _listed(attendees)
    assert names[:3] == ["Ms Escort", "Prof Sun Dong (孫東)", "Ms Alfred Sit"]
    carded = re.findall(r'<section class="card" aria-label="([^"]+)"', cards)
    assert carded[:3] == ["Ms Escort", "Prof Sun Dong (孫東)", "Ms Alfred Sit"]


def test_name_cards_print_english_and_chinese_names_for_everyone_expected(client, viewer, event):
    client.force_login(viewer)

    page = _print(client, event, "name-cards")

    assert page.count('<section class="card"') == 3
    assert "Declined Person" not in page
    assert '<div class="name primary">Prof Sun Dong</div>' in page
    assert '<div class="name-zh secondary" lang="zh-Hant">孫東</div>' in page
    # Known by a Chinese name alone: that name is the card's first and larger.
    assert '<div class="name-zh primary" lang="zh-Hant">陳大文</div>' in page


def test_an_unknown_printable_is_not_found(client, viewer, event):
    client.force_login(viewer)

    response = client.get(reverse("staff:print", args=[event.pk, "menu"]))

    assert response.status_code == 404
