import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from core.models import Change
from scheduling.models import Event
from tests.factories import AttendanceFactory, EventFactory, PersonFactory, hk
from tests.visitors.test_invitations import confirmed_event
from visitors import invitations, services
from visitors.arrivals import services as arrivals
from visitors.models import Attendance, Delivery, Person

pytestmark = pytest.mark.django_db


def test_person_create_accepts_chinese_only_and_english_only_names():
    chinese = services.person_create(name_zh="薛永恒", post="創新及科技局局長")
    english = services.person_create(name="Alfred Sit", honorific="Mr", post_nominals="JP")

    assert Person.objects.get(pk=chinese.pk).display_name == "薛永恒"
    assert english.display_name == "Mr Alfred Sit, JP"


def test_person_display_name_combines_both_scripts():
    person = PersonFactory(
        honorific="Dr", name="Sunny Chai", name_zh="查毅超", post_nominals="BBS, JP"
    )

    assert person.display_name == "Dr Sunny Chai, BBS, JP (查毅超)"


def test_person_create_refuses_a_nameless_person():
    with pytest.raises(ValidationError) as error:
        services.person_create(name="  ", email="nobody@example.org")

    assert "name" in error.value.message_dict
    assert not Person.objects.exists()


def test_person_email_is_unique_ignoring_case():
    PersonFactory(email="rebecca.pun@example.gov.hk")

    with pytest.raises(ValidationError):
        services.person_create(name="Someone", email="Rebecca.Pun@example.gov.hk")
    with pytest.raises(IntegrityError):
        Person.objects.create(name="Someone", email="REBECCA.PUN@example.gov.hk")


def test_people_without_email_do_not_collide():
    services.person_create(name="A")
    services.person_create(name="B")

    assert Person.objects.filter(email="").count() == 2


def test_attendance_add_records_role_and_who_added(officer):
    event, person = EventFactory(), PersonFactory()

    attendance = services.attendance_add(
        event_id=event.pk,
        person_id=person.pk,
        role=Attendance.Role.GUEST_OF_HONOUR,
        guests=1,
        by=officer,
    )

    assert attendance.rsvp == Attendance.RSVP.NEEDS_ACTION
    assert attendance.headcount == 2
    assert attendance.history.get().history_user == officer


def test_attendance_update_places_someone_and_keeps_why_in_history_and_change_log(officer):
    event = EventFactory()
    senior = AttendanceFactory(event=event, person=PersonFactory(precedence_rank=1))
    attendance = AttendanceFactory(event=event, role=Attendance.Role.STAFF)
    logged = Change.objects.filter(entity=Change.Entity.ATTENDANCE, object_id=attendance.pk)
    before = logged.count()

    services.attendance_update(attendance_id=attendance.pk, order_override=1, by=officer)

    assert list(event.attendances.in_precedence_order()) == [attendance, senior]
    record = attendance.history.latest()
    assert (record.order_override, record.history_user) == (1, officer)
    assert record.history_change_reason == "Placed in the order of precedence: 1"
    assert logged.count() == before + 1
    assert logged.latest("id").verb == Change.Verb.UPDATED


def test_attendance_update_back_to_the_usual_rules_says_so(officer):
    attendance = AttendanceFactory(order_override=3)

    services.attendance_update(
        attendance_id=attendance.pk, order_override=None, role="host", by=officer
    )

    attendance.refresh_from_db()
    assert (attendance.order_override, attendance.role) == (None, "host")
    assert attendance.history.latest().history_change_reason == (
        "Updated: role; Order of precedence: usual rules"
    )


def test_attendance_update_refuses_a_place_before_1():
    attendance = AttendanceFactory()

    with pytest.raises(ValidationError) as error:
        services.attendance_update(attendance_id=attendance.pk, order_override=0)

    assert "order_override" in error.value.message_dict
    attendance.refresh_from_db()
    assert attendance.order_override is None


def test_attendance_update_of_the_place_sends_no_invite(django_capture_on_commit_callbacks):
    event, attendances = confirmed_event(2)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invites_send(event_id=event.pk)
    event.refresh_from_db()
    sent, deliveries, sequence = len(mail.outbox), Delivery.objects.count(), event.sequence

    with django_capture_on_commit_callbacks(execute=True):
        services.attendance_update(attendance_id=attendances[1].pk, order_override=1)

    event.refresh_from_db()
    assert sent == 2
    assert (len(mail.outbox), Delivery.objects.count()) == (sent, deliveries)
    assert event.sequence == sequence


def test_attendance_add_twice_is_a_clear_error():
    attendance = AttendanceFactory()

    with pytest.raises(ValidationError) as error:
        services.attendance_add(event_id=attendance.event_id, person_id=attendance.person_id)

    assert "person" in error.value.message_dict
    assert Attendance.objects.count() == 1


def test_attendance_add_to_a_cancelled_event_is_refused():
    event = EventFactory(status=Event.Status.CANCELLED)

    with pytest.raises(ValidationError) as error:
        services.attendance_add(event_id=event.pk, person_id=PersonFactory().pk)

    assert "event" in error.value.message_dict


def test_attendance_call_time_must_be_before_the_end():
    event = EventFactory(start=hk(2030, 5, 5, 15), end=hk(2030, 5, 5, 17))

    with pytest.raises(ValidationError) as error:
        services.attendance_add(
            event_id=event.pk,
            person_id=PersonFactory().pk,
            role=Attendance.Role.STAFF,
            call_time=hk(2030, 5, 5, 18),
        )

    assert "call_time" in error.value.message_dict


def test_attendance_remove_keeps_the_audit_trail(officer):
    attendance = AttendanceFactory()

    services.attendance_remove(attendance_id=attendance.pk, by=officer, reason="Delegated")

    assert not Attendance.objects.exists()
    deleted = Attendance.history.filter(id=attendance.pk).latest()
    assert deleted.history_type == "-" and deleted.history_user == officer


def test_rsvp_record_latest_answer_wins():
    attendance = AttendanceFactory()

    services.rsvp_record(attendance_id=attendance.pk, answer="accepted", guests=2)
    services.rsvp_record(attendance_id=attendance.pk, answer="declined")

    attendance.refresh_from_db()
    assert attendance.rsvp == "declined" and attendance.guests == 2 and attendance.rsvp_at


def test_rsvp_record_refuses_unknown_answers():
    attendance = AttendanceFactory()

    with pytest.raises(ValidationError):
        services.rsvp_record(attendance_id=attendance.pk, answer="maybe")


def test_check_in_keeps_the_first_arrival():
    attendance = AttendanceFactory()

    arrivals.attendance_check_in(attendance_id=attendance.pk, at=hk(2030, 3, 4, 9, 50))
    arrivals.attendance_check_in(attendance_id=attendance.pk, at=hk(2030, 3, 4, 10, 5))

    attendance.refresh_from_db()
    assert attendance.checked_in_at == hk(2030, 3, 4, 9, 50)


def test_undoing_an_arrival_clears_it_and_the_history_keeps_who_and_when(officer):
    attendance = AttendanceFactory()
    arrivals.attendance_check_in(attendance_id=attendance.pk, at=hk(2030, 3, 4, 9, 50))
    logged = Change.objects.filter(entity=Change.Entity.ATTENDANCE, object_id=attendance.pk)
    before = logged.count()

    undone = arrivals.attendance_check_in_undo(attendance_id=attendance.pk, by=officer)

    attendance.refresh_from_db()
    assert undone.checked_in_at is None and attendance.checked_in_at is None
    record = attendance.history.latest()
    assert (record.history_user, record.history_change_reason) == (officer, "Arrival undone")
    assert record.prev_record.checked_in_at == hk(2030, 3, 4, 9, 50)  # the arrival it undid
    assert logged.count() == before + 1  # API sync and webhooks hear of it


def test_undoing_an_arrival_that_never_was_changes_nothing(officer):
    attendance = AttendanceFactory()
    records = attendance.history.count()

    arrivals.attendance_check_in_undo(attendance_id=attendance.pk, by=officer)

    attendance.refresh_from_db()
    assert attendance.checked_in_at is None
    assert attendance.history.count() == records


def test_after_an_undo_the_next_arrival_is_recorded_afresh():
    attendance = AttendanceFactory()
    arrivals.attendance_check_in(attendance_id=attendance.pk, at=hk(2030, 3, 4, 9, 50))
    arrivals.attendance_check_in_undo(attendance_id=attendance.pk)

    arrivals.attendance_check_in(attendance_id=attendance.pk, at=hk(2030, 3, 4, 10, 5))

    attendance.refresh_from_db()
    assert attendance.checked_in_at == hk(2030, 3, 4, 10, 5)


def test_undoing_the_arrival_of_no_such_attendance_is_refused():
    with pytest.raises(ValidationError):
        arrivals.attendance_check_in_undo(attendance_id=999_999)


def test_attendances_add_puts_a_whole_delegation_on_in_the_same_queries_whatever_its_size(
    django_capture_on_commit_callbacks,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for size in (3, 30):
        event = EventFactory(status=Event.Status.CONFIRMED)
        listed = PersonFactory()
        AttendanceFactory(event=event, person=listed)
        people = [PersonFactory() for _ in range(size)]
        with CaptureQueriesContext(connection) as queries:
            added, already = services.attendances_add(
                event_id=event.pk, person_ids=[p.pk for p in people] + [listed.pk]
            )
        counts[size] = len(queries)

        assert {a.person_id for a in added} == {p.pk for p in people}
        assert already == [listed.pk]
        assert event.attendances.count() == size + 1

    assert counts[30] == counts[3]
