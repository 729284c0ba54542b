"""The audit trail's bulk copy (core.audit.history_copy_created) writes the history row
simple-history itself writes for a created row: every column, who, why and when."""

import datetime as dt

import pytest
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core import audit
from tests.factories import EventFactory, PersonFactory
from visitors.models import Attendance

pytestmark = pytest.mark.django_db(transaction=False)

OWN = {"history_id"}


def _attendance(event, person, **values) -> Attendance:
    return Attendance(
        event=event,
        person=person,
        role=Attendance.Role.SPEAKER,
        rsvp=Attendance.RSVP.ACCEPTED,
        rsvp_at=dt.datetime(2030, 3, 1, 9, 15, 30, 123456, tzinfo=dt.UTC),
        guests=2,
        call_time=dt.datetime(2030, 3, 4, 9, 30, tzinfo=dt.UTC),
        dietary="素食",
        notes="Arrives by car; 陳大文 will escort",
        **values,
    )


def _history(attendance: Attendance) -> dict:
    row = attendance.history.values().get()
    return {name: value for name, value in row.items() if name not in OWN}


@pytest.mark.parametrize("user", [True, False], ids=["by an officer", "by no one"])
def test_the_copy_is_the_row_simple_history_writes(user, django_user_model):
    event = EventFactory()
    by = django_user_model.objects.create_user("officer") if user else None
    now = timezone.now()
    by_library = bulk_create_with_history(
        [_attendance(event, PersonFactory())],
        Attendance,
        default_user=by,
        default_change_reason="Imported from guests.xlsx",
        default_date=now,
    )[0]
    copied = Attendance.objects.bulk_create([_attendance(event, PersonFactory())])[0]

    audit.history_copy_created(
        Attendance, [copied.pk], by=by, reason="Imported from guests.xlsx", date=now
    )

    library, ours = _history(by_library), _history(copied)
    assert ours.pop("id") == copied.pk and library.pop("id") == by_library.pk
    assert ours.pop("person_id") == copied.person_id
    library.pop("person_id")
    assert ours.pop("created_at") == copied.created_at
    library.pop("created_at")
    assert ours.pop("checkin_code") == copied.checkin_code  # each row's own, made at random
    library.pop("checkin_code")
    assert ours == library
    assert ours["history_type"] == "+" and ours["history_date"] == now
    assert ours["history_user_id"] == (by.pk if by else None)


def test_many_rows_are_copied_in_order_of_their_ids_in_chunks(monkeypatch):
    monkeypatch.setattr(audit, "BATCH", 2)
    event = EventFactory()
    people = PersonFactory.create_batch(5)
    made = Attendance.objects.bulk_create([_attendance(event, person) for person in people])
    ids = [attendance.pk for attendance in made]

    audit.history_copy_created(
        Attendance, ids[::-1], by=None, reason="Added to attendee list", date=timezone.now()
    )
    history = Attendance.history.model.objects.order_by("history_id")

    assert list(history.values_list("id", flat=True)) == sorted(ids)
    assert set(history.values_list("history_change_reason", flat=True)) == {
        "Added to attendee list"
    }
