"""The partner API makes the same changes the staff pages do, with the same consequences: a
new call time reaches that attendee alone, and a booking outside its event is refused."""

import pytest
from django.core import mail

from scheduling.models import Booking, Event
from tests.factories import AttendanceFactory, BookingFactory, EventFactory, FacilityFactory, hk
from visitors import invitations
from visitors.models import Attendance, Delivery

pytestmark = pytest.mark.django_db


def test_a_new_call_time_through_the_api_sends_that_person_an_update(
    staff_api, settings, django_capture_on_commit_callbacks
):
    settings.INVITE_COALESCE_SECONDS = 0
    event = EventFactory(
        status=Event.Status.CONFIRMED, start=hk(2031, 3, 4, 10), end=hk(2031, 3, 4, 12)
    )
    BookingFactory(event=event, status=Booking.Status.CONFIRMED)
    staff, guest = (
        AttendanceFactory(event=event, role=Attendance.Role.STAFF, call_time=hk(2031, 3, 4, 9)),
        AttendanceFactory(event=event),
    )
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invites_send(event_id=event.pk)
    event.refresh_from_db()
    before = event.sequence
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answer = staff_api.patch(
            f"/api/v1/events/{event.pk}/attendees/{staff.pk}/",
            {"call_time": "2031-03-04T09:30:00+08:00"},
        )

    assert answer.status_code == 200
    event.refresh_from_db()
    assert event.sequence == before + 1
    [update] = mail.outbox
    assert update.to[0].endswith(f"<{staff.person.email}>") or update.to == [staff.person.email]
    assert "Your call time: 09:00 → 09:30" in update.body
    assert not Delivery.objects.filter(person=guest.person, sequence=event.sequence).exists()


def test_a_booking_outside_its_event_is_refused_naming_the_field(staff_api):
    hall = FacilityFactory(setup_minutes=15, teardown_minutes=15)
    event = EventFactory(site=hall.site, start=hk(2030, 3, 4, 11, 30), end=hk(2030, 3, 4, 12))

    answer = staff_api.post(
        "/api/v1/bookings/",
        {
            "event": event.pk,
            "facility": hall.pk,
            "start": "2030-03-04T14:00:00+08:00",
            "end": "2030-03-04T15:00:00+08:00",
        },
    )

    assert answer.status_code == 400
    assert "must lie within its event" in answer.json()["errors"]["start"][0]
    assert not Booking.objects.filter(event=event).exists()
    # Set-up and teardown widen the window: 11:15–12:15 is this booking's limit.
    inside = staff_api.post(
        "/api/v1/bookings/",
        {
            "event": event.pk,
            "facility": hall.pk,
            "start": "2030-03-04T11:15:00+08:00",
            "end": "2030-03-04T12:15:00+08:00",
        },
    )
    assert inside.status_code == 201, inside.json()
