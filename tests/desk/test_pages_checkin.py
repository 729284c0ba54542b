"""Check-in on the day: who is expected, search, one-tap arrival, counts."""

import re

import pytest
from django.urls import reverse

from scheduling.models import Event
from tests.factories import AttendanceFactory, EventFactory, OrganisationFactory, PersonFactory, hk
from visitors.arrivals.services import attendance_check_in
from visitors.models import Attendance

pytestmark = pytest.mark.django_db

URL = reverse("staff:checkin")


@pytest.fixture
def day():
    """Monday 4 March 2030: a ceremony with four on the list (one declined), and other days."""
    event = EventFactory(title="MARS Centre opening", status=Event.Status.CONFIRMED)
    hkstp = OrganisationFactory(name="Science Park Corporation", name_zh="香港科技園公司")
    people = {
        "alfred": AttendanceFactory(
            event=event,
            role="guest_of_honour",
            person=PersonFactory(name="Alfred Sit", name_zh="薛永恒", precedence_rank=1),
        ),
        "sunny": AttendanceFactory(
            event=event,
            role="host",
            person=PersonFactory(name="Sunny Chai", organisation=hkstp),
            call_time=hk(2030, 3, 4, 9, 15),
        ),
        "zoe": AttendanceFactory(event=event, person=PersonFactory(name="Zoe Guest"), guests=2),
        "dan": AttendanceFactory(
            event=event, person=PersonFactory(name="Dan Declined"), rsvp=Attendance.RSVP.DECLINED
        ),
    }
    EventFactory(title="Tomorrow's forum", start=hk(2030, 3, 5, 10))
    cancelled = EventFactory(title="Called off", status=Event.Status.CANCELLED)
    AttendanceFactory(event=cancelled, person=PersonFactory(name="Not Coming"))
    return people


def _page(client, **params) -> str:
    response = client.get(URL, {"date": "2030-03-04", **params})
    assert response.status_code == 200
    return response.content.decode()


def _counts(page: str) -> tuple[int, int]:
    arrived = int(re.search(r'id="arrived-count">(\d+)<', page)[1])
    expected = int(re.search(r'id="expected-count">(\d+)<', page)[1])
    return arrived, expected


def test_checkin_lists_the_days_attendees_in_precedence_order_with_counts(client, officer, day):
    client.force_login(officer)

    page = _page(client)

    names = re.findall(r'<span class="name">([^<]+)</span>', page)
    assert names[0] == "Ms Alfred Sit (薛永恒)"
    assert set(names) == {
        "Ms Alfred Sit (薛永恒)",
        "Ms Sunny Chai",
        "Ms Zoe Guest",
        "Ms Dan Declined",
    }
    assert "Not Coming" not in page  # a cancelled event has no check-in
    assert _counts(page) == (0, 3)
    assert "call 09:15" in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_checkin_search_matches_chinese_names_and_organisations(client, officer, day):
    client.force_login(officer)

    by_chinese = _page(client, q="薛永")
    by_organisation = _page(client, q="科技園")
    nobody = _page(client, q="nobody at all")

    assert re.findall(r'<span class="name">([^<]+)</span>', by_chinese) == [
        "Ms Alfred Sit (薛永恒)"
    ]
    assert re.findall(r'<span class="name">([^<]+)</span>', by_organisation) == ["Ms Sunny Chai"]
    assert "Nobody matches." in nobody
    assert _counts(by_chinese) == (0, 3)  # the counts are the day's, not the search's


def test_one_tap_marks_arrival_and_returns_to_the_same_list(client, officer, day):
    client.force_login(officer)
    here = f"{URL}?date=2030-03-04&q=Sunny"
    url = reverse("staff:checkin-arrive", args=[day["sunny"].pk])

    response = client.post(url, {"next": here})

    assert response.status_code == 302
    assert response["Location"] == f"{here}#attendee-{day['sunny'].pk}"
    day["sunny"].refresh_from_db()
    first = day["sunny"].checked_in_at
    assert first is not None
    assert day["sunny"].history.first().history_user == officer
    page = _page(client)
    assert _counts(page) == (1, 3)
    assert "Arrived " in re.search(rf'id="attendee-{day["sunny"].pk}">.*?</li>', page, re.S)[0]
    client.post(url, {"next": here})
    day["sunny"].refresh_from_db()
    assert day["sunny"].checked_in_at == first  # a second tap keeps the first arrival time


def _row(page: str, attendance: Attendance) -> str:
    return re.search(rf'id="attendee-{attendance.pk}">.*?</li>', page, re.S)[0]


def _buttons(row: str) -> list[str]:
    """The visible words of each button in a row."""
    return [text.strip() for text in re.findall(r"<button[^>]*>(.*?)</button>", row, re.S)]


def test_the_arrival_button_says_what_it_does_and_names_the_attendee(client, officer, day):
    client.force_login(officer)

    row = _row(_page(client), day["sunny"])

    assert _buttons(row) == ["Mark arrived"]
    assert 'aria-label="Mark arrived: Ms Sunny Chai"' in row  # a screen reader hears whom
    assert "Undo arrival" not in row


def test_accompanying_guests_are_shown_next_to_the_attendee(client, officer, day):
    client.force_login(officer)
    day["alfred"].guests = 1
    day["alfred"].save()

    page = _page(client)

    assert "+2 guests" in _row(page, day["zoe"])
    assert "+1 guest<" in _row(page, day["alfred"])
    assert "guest" not in _row(page, day["sunny"]).casefold()  # she brings none


def test_an_arrival_can_be_undone_from_the_list(client, officer, day):
    client.force_login(officer)
    here = f"{URL}?date=2030-03-04&q=Sunny"
    client.post(reverse("staff:checkin-arrive", args=[day["sunny"].pk]), {"next": here})
    row = _row(_page(client), day["sunny"])
    assert _buttons(row) == ["Undo arrival"]
    assert 'aria-label="Undo arrival: Ms Sunny Chai"' in row
    assert reverse("staff:checkin-undo", args=[day["sunny"].pk]) in row

    response = client.post(reverse("staff:checkin-undo", args=[day["sunny"].pk]), {"next": here})

    assert response.status_code == 302
    assert response["Location"] == f"{here}#attendee-{day['sunny'].pk}"
    day["sunny"].refresh_from_db()
    assert day["sunny"].checked_in_at is None
    record = day["sunny"].history.latest()
    assert (record.history_user, record.history_change_reason) == (officer, "Arrival undone")
    page = client.get(response["Location"]).content.decode()
    assert "Ms Sunny Chai is no longer marked as arrived." in page
    assert _counts(page) == (0, 3)
    assert _buttons(_row(page, day["sunny"])) == ["Mark arrived"]


def test_checkin_never_redirects_off_site(client, officer, day):
    client.force_login(officer)

    response = client.post(
        reverse("staff:checkin-arrive", args=[day["zoe"].pk]), {"next": "https://evil.example/"}
    )

    assert response["Location"].startswith(URL + "?date=")


def test_checkin_for_a_viewer_shows_no_arrival_button(client, viewer, day):
    attendance_check_in(attendance_id=day["alfred"].pk)
    client.force_login(viewer)

    page = _page(client)

    assert "checkin-arrive" not in page and "/arrive/" not in page
    assert "/undo/" not in page and "Undo arrival" not in page
    assert "Not arrived" in page
    assert "Arrived " in _row(page, day["alfred"])


def test_checkin_by_typed_code_in_any_case_marks_the_arrival(client, officer, day):
    client.force_login(officer)
    zoe = day["zoe"]
    typed = f"{zoe.checkin_code[:4].lower()} {zoe.checkin_code[4:].lower()}"

    response = client.post(
        reverse("staff:checkin-code"),
        {"code": typed, "date": "2030-03-04", "next": URL + "?date=2030-03-04"},
        follow=True,
    )

    page = response.content.decode()
    assert "Ms Zoe Guest has arrived." in page
    zoe.refresh_from_db()
    assert zoe.checked_in_at is not None
    assert "Checked in" in page and "by officer" in page
    # Zoe and her two guests: one attendee in, three people.
    assert _counts(page) == (1, 3)
    assert re.search(r'id="arrived-headcount">3<', page)


def test_checkin_code_of_another_day_is_refused_with_its_event(client, officer, day):
    client.force_login(officer)
    tomorrow = Event.objects.get(title="Tomorrow's forum")
    other = AttendanceFactory(event=tomorrow, person=PersonFactory(name="Early Bird"))

    response = client.post(
        reverse("staff:checkin-code"),
        {"code": other.checkin_code, "date": "2030-03-04", "next": URL + "?date=2030-03-04"},
        follow=True,
    )

    page = response.content.decode()
    assert (
        "is for Tomorrow&#x27;s forum on Tuesday 5 March 2030, not for an event on this list."
        in page
    )
    other.refresh_from_db()
    assert other.checked_in_at is None


def test_checkin_undo_is_kept_on_the_list_with_who_did_what(client, officer, viewer, day):
    client.force_login(officer)
    zoe = day["zoe"]
    client.post(reverse("staff:checkin-arrive", args=[zoe.pk]), {"guests": "1"})

    client.post(reverse("staff:checkin-undo", args=[zoe.pk]))

    page = _page(client)
    record = re.search(rf'id="attendee-{zoe.pk}".*?</li>', page, re.S)[0]
    assert re.search(
        r"Checked in \d\d:\d\d by officer with 1 guest; undone \d\d:\d\d by officer", record
    )
    assert _counts(page) == (0, 3)


def test_checkin_walk_in_needs_a_reason_and_joins_the_list_arrived(client, officer, day):
    client.force_login(officer)
    event = day["zoe"].event
    form = {"event": event.pk, "name": "Amy Walker", "role": "guest", "guests": "0"}
    common = {"date": "2030-03-04", "next": URL + "?date=2030-03-04"}

    refused = client.post(reverse("staff:checkin-walk-in"), {**form, **common}, follow=True)
    admitted = client.post(
        reverse("staff:checkin-walk-in"),
        {**form, **common, "reason": "Deputises for the Commissioner"},
        follow=True,
    )

    assert "This field is required." in refused.content.decode()
    page = admitted.content.decode()
    assert "Ms Amy Walker was let in as a walk-in." not in page  # no honorific was given
    assert "Amy Walker was let in as a walk-in." in page
    assert "Walk-in: Deputises for the Commissioner" in page
    names = re.findall(r'<span class="name">([^<]+)</span>', page)
    assert names.index("Amy Walker") < names.index("Ms Dan Declined")  # by name, as anyone
    walk_in = Attendance.objects.get(person__name="Amy Walker")
    assert walk_in.checked_in_at is not None and walk_in.walk_in_reason


def test_checkin_viewer_cannot_check_in_by_code(client, viewer, day):
    client.force_login(viewer)

    response = client.post(reverse("staff:checkin-code"), {"code": day["zoe"].checkin_code})

    assert response.status_code == 403
    day["zoe"].refresh_from_db()
    assert day["zoe"].checked_in_at is None
