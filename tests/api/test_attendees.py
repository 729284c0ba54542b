"""An event's attendee list through the API: the one order of precedence, page after page."""

import pytest

from tests.factories import AttendanceFactory, PersonFactory
from visitors import precedence
from visitors.models import Attendance

pytestmark = pytest.mark.django_db


def _attend(event, role, name, rank=None, name_zh=""):
    person = PersonFactory(name=name, name_zh=name_zh, precedence_rank=rank)
    return AttendanceFactory(event=event, person=person, role=role)


def test_attendee_list_follows_the_order_of_precedence_across_pages(world, staff_api):
    event = world["events"]["partners"]
    # Created out of order, so that ids alone would give a different list.
    staff = _attend(event, "staff", "Aaron")
    unranked_host = _attend(event, "host", "Sunny")
    guest_of_honour = _attend(event, "guest_of_honour", "Zed")
    commissioner = _attend(event, "guest", "Rebecca", rank=3)
    tied_by_rank = _attend(event, "officiating_guest", "Annie", rank=3)
    secretary = _attend(event, "officiating_guest", "Alfred", rank=1)
    same_name_later_zh = _attend(event, "guest", "Chloe", name_zh="張")
    same_name = _attend(event, "guest", "Chloe")
    twin = _attend(event, "guest", "Chloe")
    escort = _attend(event, "escort", "Bella")
    expected = [
        guest_of_honour,
        secretary,
        tied_by_rank,
        commissioner,
        unranked_host,
        same_name,
        twin,
        same_name_later_zh,
        escort,
        staff,
    ]

    listed, last = staff_api.all_pages(f"/api/v1/events/{event.pk}/attendees/", page_size=2)
    by_id, _ = staff_api.all_pages(
        f"/api/v1/events/{event.pk}/attendees/", page_size=3, ordering="id"
    )

    shared = list(Attendance.objects.filter(event=event).in_precedence_order())
    assert shared == expected
    assert sorted(expected, key=precedence.sort_key) == expected
    assert [row["id"] for row in listed] == [a.pk for a in expected]
    assert [row["person"]["name"] for row in listed][:4] == ["Zed", "Alfred", "Annie", "Rebecca"]
    assert last["next"] is None
    assert [row["id"] for row in by_id] == sorted(a.pk for a in expected)


def test_staff_place_an_attendee_and_list_sync_and_etag_follow(world, staff_api):
    event = world["events"]["partners"]
    guest_of_honour = _attend(event, "guest_of_honour", "Zed")
    escort = _attend(event, "escort", "Bella", rank=2)
    path = f"/api/v1/events/{event.pk}/attendees/"
    before = staff_api.get(path)
    token = before.json()["sync_token"]

    answer = staff_api.patch(f"{path}{escort.pk}/", {"order_override": 1})
    listed = staff_api.get(path)
    delta = staff_api.get(path, sync_token=token).json()
    cleared = staff_api.patch(f"{path}{escort.pk}/", {"order_override": None})

    assert answer.status_code == 200, answer.content
    assert answer.json()["order_override"] == 1
    assert [row["id"] for row in listed.json()["results"]] == [escort.pk, guest_of_honour.pk]
    assert listed.json()["results"][0]["order_override"] == 1
    assert listed["ETag"] != before["ETag"]
    assert [(row["id"], row["order_override"]) for row in delta["results"]] == [(escort.pk, 1)]
    assert cleared.json()["order_override"] is None
    reasons = [r.history_change_reason for r in escort.history.order_by("history_id")]
    assert reasons[-2:] == [
        "Placed in the order of precedence: 1",
        "Order of precedence: usual rules",
    ]
    assert escort.history.latest().history_user == world["officer"]


@pytest.mark.parametrize("place", [0, -1, 32768, 1.5, "１", True, "first"])
def test_a_place_the_order_cannot_hold_is_refused_naming_the_field(world, staff_api, place):
    event = world["events"]["partners"]
    attendance = _attend(event, "guest", "Bella")

    answer = staff_api.patch(
        f"/api/v1/events/{event.pk}/attendees/{attendance.pk}/", {"order_override": place}
    )

    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == ["order_override"]
    attendance.refresh_from_db()
    assert attendance.order_override is None


def test_a_partner_key_cannot_reorder_or_read_the_place(world, api_for):
    event = world["events"]["restricted"]  # hosted by the partner's organisation
    theirs = _attend(event, "guest", "Bella")
    placed = _attend(event, "guest", "Zed")
    placed.order_override = 1
    placed.save()
    partner = api_for(organisation=world["host"])
    path = f"/api/v1/events/{event.pk}/attendees/"

    refused = partner.patch(f"{path}{theirs.pk}/", {"order_override": 1, "guests": 2})
    listed = partner.get(path).json()["results"]
    allowed = partner.patch(f"{path}{theirs.pk}/", {"guests": 2})

    assert refused.status_code == 400
    assert refused.json()["errors"] == {"order_override": ["Staff keys only."]}
    theirs.refresh_from_db()
    assert (theirs.order_override, theirs.guests, theirs.history.count()) == (None, 2, 2)
    assert [r.history_change_reason for r in theirs.history.all()][0] == "Updated: guests"
    assert [(row["id"], row["order_override"]) for row in listed] == [
        (placed.pk, None),
        (theirs.pk, None),
    ]
    assert allowed.status_code == 200 and allowed.json()["order_override"] is None


def test_pages_hand_out_every_attendee_once_in_order_with_places_and_ties(world, staff_api):
    event = world["events"]["partners"]
    rows = [
        _attend(event, "guest", "Chloe", rank=4),
        _attend(event, "guest", "Chloe", rank=4),  # a twin: only the id tells them apart
        _attend(event, "staff", "Aaron"),
        _attend(event, "guest_of_honour", "Zed"),
        _attend(event, "officiating_guest", "Yan", rank=9),
        _attend(event, "officiating_guest", "Xu", rank=9),
        _attend(event, "host", "Sunny", rank=1),
        _attend(event, "escort", "Bella"),
        _attend(event, "media", "Dora", rank=2),
    ]
    for attendance, place in zip(rows, [2, 2, 1, None, 3, None, None, 2, None], strict=True):
        attendance.order_override = place
        attendance.save()
    expected = sorted(rows, key=precedence.sort_key)
    path = f"/api/v1/events/{event.pk}/attendees/"

    pages = {size: staff_api.all_pages(path, page_size=size)[0] for size in (1, 2, 4)}

    assert list(Attendance.objects.filter(event=event).in_precedence_order()) == expected
    assert [a.person.name for a in expected] == [
        "Aaron", "Chloe", "Chloe", "Bella", "Yan", "Zed", "Xu", "Sunny", "Dora",
    ]  # fmt: skip
    for listed in pages.values():
        assert [row["id"] for row in listed] == [a.pk for a in expected]
