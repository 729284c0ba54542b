"""Writes through the API call the services: events and their actions, programme, attendees,
bookings. Answers carry the changed objects."""

import datetime as dt
from email.utils import parseaddr

import pytest
from django.core import mail

from scheduling.models import Booking, Event, ProgrammeItem
from tests.factories import EventFactory, PersonFactory, hk
from visitors.models import Attendance, Delivery, Person

pytestmark = pytest.mark.django_db


def test_event_lifecycle_through_actions(world, staff_api):
    body = {
        "title": "Opening of the Hong Kong-Shenzhen I&T Park",
        "site": world["site"].pk,
        "start": "2030-06-01T15:00:00+01:00",  # given in London time
        "end": "2030-06-01T16:00:00+01:00",
        "timezone": "Europe/London",
        "visibility": "public",
        "host_organisation": world["host"].pk,
    }

    created = staff_api.post("/api/v1/events/", body).json()
    path = f"/api/v1/events/{created['id']}/"
    confirmed = staff_api.post(path + "confirm/").json()
    moved = staff_api.post(
        path + "reschedule/",
        {"start": "2030-06-01T10:00:00+02:00", "end": "2030-06-01T12:00:00+02:00"},
    ).json()
    cancelled = staff_api.post(path + "cancel/", {"reason": "Typhoon signal 8"}).json()
    refused = staff_api.post(path + "confirm/")

    assert created["start"] == "2030-06-01T15:00:00+01:00"
    assert (created["status"], confirmed["status"]) == ("draft", "confirmed")
    assert moved["start"] == "2030-06-01T09:00:00+01:00"  # shown in the event's own zone
    assert moved["sequence"] > confirmed["sequence"]
    assert cancelled["status"] == "cancelled"
    assert refused.status_code == 400 and "status" in refused.json()["errors"]
    assert Event.objects.get(pk=created["id"]).history.latest().history_change_reason == (
        "Typhoon signal 8"
    )


def test_an_event_is_completed_through_the_api_only_after_it_ends(world, staff_api):
    coming = world["events"]["public"]  # Mon 4 Mar 2030, 08:00-09:00 in Hong Kong
    over = EventFactory(
        site=world["site"],
        status=Event.Status.CONFIRMED,
        visibility=Event.Visibility.PUBLIC,
        start=hk(2025, 3, 4, 10),
    )

    refused = staff_api.post(f"/api/v1/events/{coming.pk}/complete/", {"reason": "Went well"})
    completed = staff_api.post(f"/api/v1/events/{over.pk}/complete/", {"reason": "Went well"})

    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "status": [
            "The event can be marked completed only after it ends (Mon 4 Mar 2030 09:00 HKT)."
        ]
    }
    coming.refresh_from_db()
    assert coming.status == Event.Status.CONFIRMED
    assert completed.status_code == 200 and completed.json()["status"] == "completed"
    assert over.history.latest().history_change_reason == "Went well"


def test_cancel_through_the_api_keeps_the_reason_attendees_are_told(world, staff_api):
    event, other = world["events"]["public"], world["events"]["partners"]
    reason = "Typhoon signal No. 8 is in force; the ceremony will be held on a later date. " * 2

    answer = staff_api.post(f"/api/v1/events/{event.pk}/cancel/", {"reason": reason})
    refused = staff_api.post(f"/api/v1/events/{other.pk}/cancel/", {"reason": "x" * 501})

    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    event.refresh_from_db()
    assert event.cancel_reason == reason.strip()
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["reason"]
    other.refresh_from_db()
    assert other.status == Event.Status.CONFIRMED


def test_send_invites_queues_a_request_per_attendee(
    world, staff_api, django_capture_on_commit_callbacks
):
    event = world["events"]["public"]
    people = [PersonFactory(), PersonFactory()]
    path = f"/api/v1/events/{event.pk}/"
    for person in people:
        staff_api.post(path + "attendees/", {"person": person.pk, "role": "guest"})

    with django_capture_on_commit_callbacks(execute=True):
        answer = staff_api.post(path + "send-invites/")
    again = staff_api.post(path + "send-invites/").json()

    assert answer.status_code == 200
    assert answer.json()["queued"] == 2
    assert {d["method"] for d in answer.json()["deliveries"]} == {"REQUEST"}
    assert again["queued"] == 0
    assert Delivery.objects.filter(event=event).count() == 2
    assert sorted(parseaddr(m.to[0])[1] for m in mail.outbox) == sorted(p.email for p in people)


def test_send_invites_leaves_out_who_declined_unless_included(world, staff_api):
    event = world["events"]["public"]
    path = f"/api/v1/events/{event.pk}/"
    for person in (PersonFactory(), PersonFactory()):
        staff_api.post(path + "attendees/", {"person": person.pk, "role": "guest"})
    declined = event.attendances.order_by("pk").last()
    Attendance.objects.filter(pk=declined.pk).update(rsvp=Attendance.RSVP.DECLINED)

    plain = staff_api.post(path + "send-invites/").json()
    chosen = staff_api.post(path + "send-invites/", {"include_declined": [declined.pk]}).json()

    assert plain["queued"] == 1
    assert declined.pk not in {d["attendance"] for d in plain["deliveries"]}
    assert [d["attendance"] for d in chosen["deliveries"]] == [declined.pk]


def test_programme_items_are_added_changed_and_removed(world, api_for):
    host = api_for(organisation=world["host"])
    event = world["events"]["restricted"]
    path = f"/api/v1/events/{event.pk}/programme/"

    added = host.post(
        path,
        {
            "title": "Tour of the cleanroom",
            "start": event.start.isoformat(),
            "end": (event.start + dt.timedelta(minutes=30)).isoformat(),
            "visibility": "internal",
        },
    )
    item = added.json()["id"]
    changed = host.patch(f"{path}{item}/", {"title": "Tour of the wafer line"})
    outside = host.patch(f"{path}{item}/", {"end": "2031-01-01T00:00:00+08:00"})
    cues = host.patch(f"{path}{item}/", {"cue_notes": "Escort at door B"})
    removed = host.delete(f"{path}{item}/")

    assert added.status_code == 201 and added.json()["visibility"] == "internal"
    assert changed.json()["title"] == "Tour of the wafer line"
    assert outside.status_code == 400 and "start" in outside.json()["errors"]
    assert cues.status_code == 400 and cues.json()["errors"] == {"cue_notes": ["Staff keys only."]}
    assert removed.status_code == 204
    assert not ProgrammeItem.objects.filter(pk=item).exists()


def test_attendees_are_added_by_email_or_id_and_answers_recorded_by_staff(
    world, api_for, staff_api
):
    host = api_for(organisation=world["host"])
    event = world["events"]["partners"]
    known = PersonFactory(email="known@example.org")
    path = f"/api/v1/events/{event.pk}/attendees/"

    new = host.post(path, {"name": "Ada Lau", "email": "ada@example.org", "role": "speaker"})
    nominated = host.post(path, {"name": "K", "email": "KNOWN@example.org"})
    reused = staff_api.post(path, {"name": "K", "email": "KNOWN@example.org"})
    by_id = staff_api.post(path, {"person": known.pk})
    by_id_partner = host.post(path, {"person": known.pk})
    attendance = new.json()["id"]
    answer_by_host = host.post(f"{path}{attendance}/rsvp/", {"answer": "accepted"})
    answer_by_staff = staff_api.post(f"{path}{attendance}/rsvp/", {"answer": "accepted"})
    removed = host.delete(f"{path}{attendance}/")

    assert new.status_code == 201 and new.json()["person"]["email"] == "ada@example.org"
    # A partner's nomination is its own, never the person on file; staff keys find them.
    assert Attendance.objects.get(pk=nominated.json()["id"]).person.proposed_by == world["host"]
    assert reused.status_code == 201
    assert Attendance.objects.get(pk=reused.json()["id"]).person == known
    assert by_id.status_code == 400 and "person" in by_id.json()["errors"]  # already listed
    assert by_id_partner.status_code == 400 and by_id_partner.json()["errors"] == {
        "person": ["Staff keys only."]
    }
    assert answer_by_host.status_code == 403
    assert answer_by_staff.json()["rsvp"] == "accepted"
    assert removed.status_code == 204
    assert Person.objects.filter(email="ada@example.org").exists()


def test_bookings_are_held_confirmed_and_released(world, public_event_spans_days, api_for):
    host = api_for(organisation=world["host"], scopes=["events:read", "bookings:write"])
    other = api_for(organisation=world["other"], scopes=["events:read", "bookings:write"])
    event = world["events"]["public"]
    body = {
        "event": event.pk,
        "facility": world["hall"].pk,
        "start": "2030-03-05T10:00:00+08:00",
        "end": "2030-03-05T11:00:00+08:00",
    }

    held = host.post("/api/v1/bookings/hold/", body).json()
    foreign = other.post(f"/api/v1/bookings/{held['id']}/confirm/")
    confirmed = host.post(f"/api/v1/bookings/{held['id']}/confirm/").json()
    released = host.post(f"/api/v1/bookings/{held['id']}/release/").json()
    not_for_them = other.post("/api/v1/bookings/", body)

    assert held["status"] == "held" and held["hold_expires_at"]
    assert held["occupied_start"] == "2030-03-05T09:30:00+08:00"
    assert foreign.status_code == 403
    assert confirmed["status"] == "confirmed" and confirmed["hold_expires_at"] is None
    assert released["status"] == "released"
    assert not_for_them.status_code == 403
    assert Booking.objects.get(pk=held["id"]).status == Booking.Status.RELEASED
