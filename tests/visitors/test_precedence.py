import pytest
from django.core.exceptions import ValidationError

from tests.factories import AttendanceFactory, EventFactory, PersonFactory
from visitors import precedence
from visitors.models import Attendance

pytestmark = pytest.mark.django_db


def test_attendees_are_ordered_head_of_event_then_rank_then_role_then_name():
    event = EventFactory()
    staff = AttendanceFactory(event=event, role="staff", person=PersonFactory(name="Aaron"))
    commissioner = AttendanceFactory(
        event=event, role="guest", person=PersonFactory(name="Rebecca Pun", precedence_rank=3)
    )
    secretary = AttendanceFactory(
        event=event,
        role="officiating_guest",
        person=PersonFactory(name="Alfred Sit", precedence_rank=1),
    )
    host = AttendanceFactory(event=event, role="host", person=PersonFactory(name="Sunny Chai"))
    guest_of_honour = AttendanceFactory(
        event=event, role="guest_of_honour", person=PersonFactory(name="Zed")
    )
    tied = AttendanceFactory(
        event=event,
        role="officiating_guest",
        person=PersonFactory(name="Annie Choi", precedence_rank=3),
    )

    ordered = list(Attendance.objects.filter(event=event).in_precedence_order())

    assert ordered == [guest_of_honour, secretary, tied, commissioner, host, staff]
    assert sorted(ordered, key=precedence.sort_key) == ordered


def test_guest_of_honour_and_officiants_head_their_event_above_a_plain_guest_of_higher_rank():
    event = EventFactory()
    guest_of_honour = AttendanceFactory(
        event=event, role="guest_of_honour", person=PersonFactory(name="Delegation Head")
    )
    senior_guest = AttendanceFactory(
        event=event, role="guest", person=PersonFactory(name="Alfred Sit", precedence_rank=1)
    )
    junior_officiant = AttendanceFactory(
        event=event,
        role="officiating_guest",
        person=PersonFactory(name="Annie Choi", precedence_rank=9),
    )
    senior_officiant = AttendanceFactory(
        event=event,
        role="officiating_guest",
        person=PersonFactory(name="Zoe Ho", precedence_rank=4),
    )

    ordered = list(Attendance.objects.filter(event=event).in_precedence_order())

    assert ordered == [guest_of_honour, senior_officiant, junior_officiant, senior_guest]
    assert sorted(ordered, key=precedence.sort_key) == ordered


def test_placed_attendances_come_first_by_place_and_a_shared_place_follows_the_rules():
    event = EventFactory()
    guest_of_honour = AttendanceFactory(
        event=event, role="guest_of_honour", person=PersonFactory(name="Delegation Head")
    )
    senior_guest = AttendanceFactory(
        event=event, role="guest", person=PersonFactory(name="Alfred Sit", precedence_rank=1)
    )
    second = AttendanceFactory(
        event=event, role="staff", order_override=2, person=PersonFactory(name="Aaron")
    )
    first = AttendanceFactory(
        event=event, role="guest", order_override=1, person=PersonFactory(name="Zed")
    )
    sharing_second = AttendanceFactory(
        event=event,
        role="guest",
        order_override=2,
        person=PersonFactory(name="Bella", precedence_rank=5),
    )

    ordered = list(Attendance.objects.filter(event=event).in_precedence_order())

    assert ordered == [first, sharing_second, second, guest_of_honour, senior_guest]
    assert sorted(ordered, key=precedence.sort_key) == ordered


def test_a_place_in_the_order_starts_at_1():
    attendance = AttendanceFactory.build(
        event=EventFactory(), person=PersonFactory(), order_override=0
    )

    with pytest.raises(ValidationError) as refused:
        attendance.full_clean()

    assert "order_override" in refused.value.message_dict
