import pytest

from tests.factories import AttendanceFactory, EventFactory, PersonFactory
from visitors import precedence
from visitors.models import Attendance

pytestmark = pytest.mark.django_db


def test_attendees_are_ordered_by_rank_then_role_then_name():
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

    assert ordered == [secretary, tied, commissioner, guest_of_honour, host, staff]
    assert sorted(ordered, key=precedence.sort_key) == ordered
