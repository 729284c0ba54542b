"""Many people and attendances at once (visitors.bulk): the single add's rules, all or none."""

import pytest
from django.core.exceptions import ValidationError

from core.models import Change
from scheduling.models import Event
from tests.factories import AttendanceFactory, EventFactory, OrganisationFactory, PersonFactory
from visitors import bulk
from visitors.models import Attendance, Person

pytestmark = pytest.mark.django_db


def test_people_create_refuses_the_whole_list_for_one_bad_person():
    PersonFactory(email="taken@example.org")

    with pytest.raises(ValidationError) as refused:
        bulk.people_create(
            people=[
                bulk.NewPerson(name="Fine", email="fine@example.org"),
                bulk.NewPerson(name="Twice", email="twice@example.org"),
                bulk.NewPerson(name="Again", email="TWICE@example.org"),
                bulk.NewPerson(name="Taken", email="Taken@example.org"),
                bulk.NewPerson(email="nameless@example.org"),
            ]
        )

    said = " ".join(refused.value.messages)
    assert "twice@example.org is listed twice." in said
    assert "Another person already has the e-mail address taken@example.org." in said
    assert "Give an English or a Chinese name." in said
    assert not Person.objects.filter(name="Fine").exists()


def test_people_create_logs_each_person_for_sync():
    made = bulk.people_create(people=[bulk.NewPerson(name_zh="孫東"), bulk.NewPerson(name="A")])

    logged = Change.objects.filter(entity=Change.Entity.PERSON, verb=Change.Verb.CREATED)
    assert set(logged.values_list("object_id", flat=True)) == {person.pk for person in made}


def test_attendances_create_refuses_anyone_already_listed(officer):
    event = EventFactory()
    listed = AttendanceFactory(event=event).person
    new = PersonFactory()

    with pytest.raises(ValidationError) as refused:
        bulk.attendances_create(
            event_id=event.pk,
            entries=[bulk.NewAttendance(person_id=new.pk), bulk.NewAttendance(person_id=listed.pk)],
            by=officer,
        )

    assert "is already on the attendee list" in " ".join(refused.value.messages)
    assert event.attendances.count() == 1


def test_attendances_create_keeps_history_log_and_the_approval_rule(officer):
    partner = OrganisationFactory()
    event = EventFactory(status=Event.Status.TENTATIVE, proposed_by=partner)
    people = [PersonFactory(), PersonFactory()]

    made = bulk.attendances_create(
        event_id=event.pk,
        entries=[
            bulk.NewAttendance(person_id=people[0].pk, role="speaker", rsvp="accepted"),
            bulk.NewAttendance(person_id=people[1].pk),
        ],
        by=officer,
        reason="Imported from list.xlsx",
    )

    first = Attendance.objects.get(pk=made[0].pk)
    assert (first.role, first.rsvp, first.rsvp_at is not None) == ("speaker", "accepted", True)
    assert first.invite_approved_by == officer  # a staff member added them to a partner's event
    assert first.history.get().history_change_reason == "Imported from list.xlsx"
    logged = Change.objects.filter(entity=Change.Entity.ATTENDANCE, event_id=event.pk)
    assert set(logged.values_list("object_id", flat=True)) == {a.pk for a in made}


def test_attendances_create_refuses_a_final_event():
    event = EventFactory(status=Event.Status.COMPLETED)

    with pytest.raises(ValidationError, match="its list is closed"):
        bulk.attendances_create(
            event_id=event.pk, entries=[bulk.NewAttendance(person_id=PersonFactory().pk)]
        )
