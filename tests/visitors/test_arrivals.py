"""Arrivals: a record per check-in with time and by whom, undone and kept, guests counted,
walk-ins with a reason in precedence order, hosts told of a guest of honour's arrival once,
and check-in codes."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from scheduling.models import Event, ProgrammeRole
from tests.factories import (
    AttendanceFactory,
    EventFactory,
    PersonFactory,
    ProgrammeItemFactory,
    hk,
)
from visitors.arrivals import codes, notices
from visitors.arrivals.models import Arrival, ArrivalNotice
from visitors.arrivals.services import (
    attendance_check_in,
    attendance_check_in_by_code,
    attendance_check_in_undo,
    attendance_for_code,
    walk_in_add,
)
from visitors.models import Attendance

pytestmark = pytest.mark.django_db


@pytest.fixture
def opening():
    """A confirmed opening with a guest of honour, two hosts on the list (one without an
    address) and a tenant's CEO receiving the party at a stop."""
    event = EventFactory(title="MARS Centre opening", status=Event.Status.CONFIRMED)
    guest_of_honour = AttendanceFactory(
        event=event,
        role=Attendance.Role.GUEST_OF_HONOUR,
        person=PersonFactory(name="Alfred Sit", precedence_rank=1),
    )
    host = AttendanceFactory(
        event=event, role=Attendance.Role.HOST, person=PersonFactory(name="Sunny Chai")
    )
    AttendanceFactory(
        event=event, role=Attendance.Role.HOST, person=PersonFactory(name="No Mail", email="")
    )
    stop = ProgrammeItemFactory(event=event)
    ceo = PersonFactory(name="Tenant CEO", email="ceo@tenant.example", language="zh-hant")
    ProgrammeRole.objects.create(item=stop, person=ceo, part=ProgrammeRole.Part.HOST)
    guest = AttendanceFactory(event=event, person=PersonFactory(name="Zoe Guest"), guests=2)
    return event, guest_of_honour, host, guest


def test_check_in_keeps_a_record_with_time_and_by_whom(officer, opening):
    _event, _goh, _host, guest = opening

    attendance_check_in(attendance_id=guest.pk, by=officer, at=hk(2030, 3, 4, 9, 42))
    attendance_check_in(attendance_id=guest.pk, by=None)  # a second tap changes nothing

    arrival = Arrival.objects.get(attendance=guest)
    assert (arrival.at, arrival.by, arrival.guests) == (hk(2030, 3, 4, 9, 42), officer, 2)
    guest.refresh_from_db()
    assert guest.checked_in_at == hk(2030, 3, 4, 9, 42)


def test_undo_keeps_the_arrival_marked_undone_and_a_new_arrival_is_a_new_record(
    officer, viewer, opening
):
    _event, _goh, _host, guest = opening
    attendance_check_in(attendance_id=guest.pk, by=officer, at=hk(2030, 3, 4, 9, 42))

    attendance_check_in_undo(attendance_id=guest.pk, by=viewer)
    attendance_check_in(attendance_id=guest.pk, by=officer, at=hk(2030, 3, 4, 9, 50))

    first, second = Arrival.objects.filter(attendance=guest)
    assert first.undone_at is not None and first.undone_by == viewer
    assert second.undone_at is None and second.at == hk(2030, 3, 4, 9, 50)
    guest.refresh_from_db()
    assert guest.checked_in_at == hk(2030, 3, 4, 9, 50)


def test_guests_arrived_are_counted_and_checked(officer, opening):
    _event, _goh, _host, guest = opening

    attendance_check_in(attendance_id=guest.pk, by=officer, guests=1)

    assert Arrival.objects.get(attendance=guest).headcount == 2
    with pytest.raises(ValidationError, match="between 0 and 50"):
        attendance_check_in(attendance_id=_goh.pk, guests=51)


def test_walk_in_needs_a_reason(officer, opening):
    event, *_ = opening

    with pytest.raises(ValidationError, match="Say why"):
        walk_in_add(event_id=event.pk, name="Amy Walker", reason="  ", by=officer)

    assert not Attendance.objects.filter(person__name="Amy Walker").exists()


def test_walk_in_is_checked_in_and_placed_in_precedence_order(officer, opening):
    event, goh, host, guest = opening

    walk_in = walk_in_add(
        event_id=event.pk,
        name="Amy Walker",
        reason="Stands in for the Permanent Secretary",
        by=officer,
    )

    walk_in.refresh_from_db()
    assert walk_in.is_walk_in and walk_in.walk_in_reason == "Stands in for the Permanent Secretary"
    assert walk_in.checked_in_at is not None
    assert Arrival.objects.get(attendance=walk_in).by == officer
    order = [a.person.name for a in Attendance.objects.filter(event=event).in_precedence_order()]
    # Unranked guests by name: Amy Walker before Zoe Guest, after the head and the hosts.
    assert order == ["Alfred Sit", "No Mail", "Sunny Chai", "Amy Walker", "Zoe Guest"]


def test_guest_of_honour_arrival_tells_each_host_once_after_commit(
    officer, opening, django_capture_on_commit_callbacks
):
    _event, goh, _host, _guest = opening

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attendance_check_in(attendance_id=goh.pk, by=officer)
        assert mail.outbox == []  # nothing leaves before commit
    attendance_check_in_undo(attendance_id=goh.pk, by=officer)  # already told: no news
    attendance_check_in(attendance_id=goh.pk, by=officer)
    notices.notices_send(notice_ids=list(ArrivalNotice.objects.values_list("pk", flat=True)))

    assert len(callbacks) == 1
    assert sorted(message.to[0] for message in mail.outbox) == [
        '"Ms Sunny Chai" <' + _host.person.email + ">",
        '"Ms Tenant CEO" <ceo@tenant.example>',
    ]
    english = next(m for m in mail.outbox if "Sunny" in m.to[0])
    assert english.subject == "Arrived: Ms Alfred Sit, MARS Centre opening"
    assert "Checked in by officer." in english.body
    chinese = next(m for m in mail.outbox if "CEO" in m.to[0])
    assert "已到達" in chinese.body
    assert set(ArrivalNotice.objects.values_list("state", flat=True)) == {"sent"}


def test_arrival_undone_before_the_notice_went_is_no_news(officer, opening):
    _event, goh, _host, _guest = opening
    attendance_check_in(attendance_id=goh.pk, by=officer)  # its task waits for a commit
    queued = list(ArrivalNotice.objects.values_list("pk", flat=True))

    attendance_check_in_undo(attendance_id=goh.pk, by=officer)
    notices.notices_send(notice_ids=queued)  # the task, late

    assert len(queued) == 2
    assert mail.outbox == []
    assert set(ArrivalNotice.objects.values_list("state", flat=True)) == {"superseded"}


def test_only_flagged_attendees_tell_the_hosts(
    officer, opening, django_capture_on_commit_callbacks
):
    _event, goh, _host, guest = opening
    Attendance.objects.filter(pk=goh.pk).update(notify_on_arrival=False)
    Attendance.objects.filter(pk=guest.pk).update(notify_on_arrival=True)

    with django_capture_on_commit_callbacks(execute=True):
        attendance_check_in(attendance_id=goh.pk, by=officer)
        attendance_check_in(attendance_id=guest.pk, by=officer)

    assert {n.attendance_id for n in ArrivalNotice.objects.all()} == {guest.pk}
    assert len(mail.outbox) == 2


def test_back_dated_arrival_tells_nobody(opening):
    _event, goh, _host, _guest = opening

    attendance_check_in(attendance_id=goh.pk, at=hk(2030, 3, 4, 9, 0))

    assert not ArrivalNotice.objects.exists()


def test_code_typed_in_any_case_finds_the_attendee(officer, opening):
    event, _goh, _host, guest = opening
    typed = codes.shown(guest.checkin_code).lower().replace("-", " - ")

    arrived = attendance_check_in_by_code(code=typed, event_ids=[event.pk], by=officer)

    assert arrived.pk == guest.pk and arrived.checked_in_at is not None


def test_code_of_another_event_is_refused_saying_which(opening):
    event, *_ = opening
    other = AttendanceFactory(event=EventFactory(title="Budget forum", start=hk(2030, 3, 5, 10)))

    with pytest.raises(ValidationError) as refusal:
        attendance_for_code(code=other.checkin_code, event_ids=[event.pk])

    assert refusal.value.messages == [
        f"Code {codes.shown(other.checkin_code)} is for Budget forum on Tuesday 5 March 2030, "
        "not for an event on this list."
    ]
    with pytest.raises(ValidationError, match="No attendee has the code ABCD-EFGH"):
        attendance_for_code(code="abcd-efgh", event_ids=[event.pk])


def test_codes_use_an_unambiguous_alphabet_and_differ():
    made = {codes.new_checkin_code() for _ in range(200)}

    assert len(made) == 200
    assert all(len(code) == 8 and not set(code) & set("01OIL") for code in made)
