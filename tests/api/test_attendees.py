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
