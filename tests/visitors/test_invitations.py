"""When invite messages are queued: invites, updates, coalescing, add/remove, cancellation,
reminders, RSVP reset, resend, and the back-office actions that call these services."""

import datetime as dt
from email.utils import parseaddr

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from scheduling import services as scheduling_services
from scheduling.models import Booking, Event
from scheduling.services.bookings import booking_move
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    PersonFactory,
)
from tests.scheduling.test_admin import messages_of
from visitors import invitations, sending, services
from visitors.models import Attendance, Delivery
from visitors.reminders import reminders_queue

pytestmark = pytest.mark.django_db

SOON = dt.timedelta(days=30)


def confirmed_event(attendees: int = 3, **fields) -> tuple[Event, list[Attendance]]:
    """A confirmed event a month ahead with its hall booked for good, and some attendees."""
    start = (timezone.now() + SOON).replace(microsecond=0)
    fields = {"start": start, "end": start + dt.timedelta(hours=2), **fields}
    event = EventFactory(status=Event.Status.CONFIRMED, **fields)
    BookingFactory(event=event, status=Booking.Status.CONFIRMED)
    return event, AttendanceFactory.create_batch(attendees, event=event)


def calendar_of(message) -> Calendar:
    ics = next(c for c, mimetype in message.alternatives if mimetype.startswith("text/calendar"))
    return Calendar.from_ical(ics)


def sent_versions(event: Event) -> list[tuple[str, str, int]]:
    """(recipient, METHOD, SEQUENCE) of every message in the outbox about this event."""
    found = []
    for message in mail.outbox:
        calendar = calendar_of(message)
        vevent = calendar.walk("VEVENT")[0]
        if str(vevent["UID"]) == event.uid:
            found.append((recipient(message), str(calendar["METHOD"]), int(vevent["SEQUENCE"])))
    return sorted(found)


def recipient(message) -> str:
    (to,) = message.to
    return parseaddr(to)[1]


def address(attendance: Attendance) -> str:
    return attendance.person.email


def invite_all(event: Event, capture) -> list[Delivery]:
    with capture(execute=True):
        rows = invitations.invites_send(event_id=event.pk)
    return rows


# --- invites_send -------------------------------------------------------------------------------


def test_invites_send_queues_one_request_each_and_sends_only_after_commit(
    django_capture_on_commit_callbacks,
):
    event, attendances = confirmed_event(3)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = invitations.invites_send(event_id=event.pk)
        outbox_before_commit = len(mail.outbox)

    assert outbox_before_commit == 0
    assert len(callbacks) == 1  # one task for the batch
    assert {row.person_id for row in rows} == {a.person_id for a in attendances}
    assert sent_versions(event) == sorted(
        (address(a), "REQUEST", event.sequence) for a in attendances
    )
    for row in Delivery.objects.all():
        assert (row.state, row.attempts) == (Delivery.State.SENT, 1)
        assert row.sent_at is not None
    assert {row.message_id for row in Delivery.objects.all()} == {
        m.extra_headers["Message-ID"] for m in mail.outbox
    }


@pytest.mark.parametrize(
    "status", [Event.Status.DRAFT, Event.Status.TENTATIVE, Event.Status.POSTPONED]
)
def test_invites_send_refuses_events_not_confirmed(status):
    event = EventFactory(status=status)
    AttendanceFactory(event=event)

    with pytest.raises(ValidationError) as error:
        invitations.invites_send(event_id=event.pk)

    assert "confirmed events only" in error.value.message_dict["status"][0]
    assert not Delivery.objects.exists()


def test_invites_send_refuses_a_cancelled_event():
    event, _attendances = confirmed_event(1)
    scheduling_services.event_cancel(event_id=event.pk)

    with pytest.raises(ValidationError) as error:
        invitations.invites_send(event_id=event.pk)

    assert "cancelled" in error.value.message_dict["status"][0]
    assert not Delivery.objects.exists()


def test_invites_send_refuses_an_event_whose_booking_is_only_held():
    event, _attendances = confirmed_event(2)
    held = BookingFactory(
        event=event,
        status=Booking.Status.HELD,
        hold_expires_at=timezone.now() + dt.timedelta(hours=4),
        facility__name="Lecture Theatre",
    )

    with pytest.raises(ValidationError) as error:
        invitations.invites_send(event_id=event.pk)

    assert "Lecture Theatre" in error.value.message_dict["bookings"][0]
    assert not Delivery.objects.exists()
    scheduling_services.booking_confirm(booking_id=held.pk)
    assert len(invitations.invites_send(event_id=event.pk)) == 2


def test_invites_send_is_not_held_up_by_a_held_rain_plan():
    event, _attendances = confirmed_event(2)
    primary = event.bookings.get()
    BookingFactory(
        event=event,
        status=Booking.Status.HELD,
        hold_expires_at=timezone.now() + dt.timedelta(hours=4),
        backup_of=primary,
    )

    rows = invitations.invites_send(event_id=event.pk)

    assert len(rows) == 2


def test_invites_send_again_at_the_same_sequence_creates_nothing(
    django_capture_on_commit_callbacks,
):
    event, _attendances = confirmed_event(3)
    invite_all(event, django_capture_on_commit_callbacks)

    again = invite_all(event, django_capture_on_commit_callbacks)

    assert again == []
    assert Delivery.objects.count() == 3
    assert len(mail.outbox) == 3


def test_invites_send_to_chosen_attendees_only(django_capture_on_commit_callbacks):
    event, (first, second, third) = confirmed_event(3)

    with django_capture_on_commit_callbacks(execute=True):
        rows = invitations.invites_send(event_id=event.pk, attendance_ids=[first.pk, third.pk])

    assert {row.attendance_id for row in rows} == {first.pk, third.pk}
    assert [recipient(m) for m in sorted(mail.outbox, key=lambda m: m.to)] == sorted(
        [address(first), address(third)]
    )


def test_invites_send_refuses_attendances_of_another_event():
    event, _attendances = confirmed_event(1)
    stranger = AttendanceFactory()

    with pytest.raises(ValidationError) as error:
        invitations.invites_send(event_id=event.pk, attendance_ids=[stranger.pk])

    assert str(stranger.pk) in error.value.message_dict["attendance_ids"][0]
    assert not Delivery.objects.exists()


def test_invites_send_skips_people_without_an_email_address():
    event, (with_email,) = confirmed_event(1)
    AttendanceFactory(event=event, person=PersonFactory(email=""))

    rows = invitations.invites_send(event_id=event.pk)

    assert [row.person_id for row in rows] == [with_email.person_id]


def test_invites_send_to_everyone_leaves_out_attendees_who_declined():
    event, (first, declined, third) = confirmed_event(3)
    Attendance.objects.filter(pk=declined.pk).update(rsvp=Attendance.RSVP.DECLINED)

    rows = invitations.invites_send(event_id=event.pk)

    assert {row.attendance_id for row in rows} == {first.pk, third.pk}


def test_invites_send_includes_a_declined_attendee_staff_chose(django_capture_on_commit_callbacks):
    event, (first, declined, other_declined) = confirmed_event(3)
    Attendance.objects.filter(pk__in=[declined.pk, other_declined.pk]).update(
        rsvp=Attendance.RSVP.DECLINED
    )

    with django_capture_on_commit_callbacks(execute=True):
        rows = invitations.invites_send(event_id=event.pk, include_declined=[declined.pk])

    assert {row.attendance_id for row in rows} == {first.pk, declined.pk}
    assert sorted(recipient(m) for m in mail.outbox) == sorted([address(first), address(declined)])


def test_invites_send_to_a_declined_attendee_named_alone_sends_it():
    event, (_first, declined) = confirmed_event(2)
    Attendance.objects.filter(pk=declined.pk).update(rsvp=Attendance.RSVP.DECLINED)

    rows = invitations.invites_send(event_id=event.pk, attendance_ids=[declined.pk])

    assert [row.attendance_id for row in rows] == [declined.pk]


def test_invites_send_refuses_to_include_declined_attendees_of_another_event():
    event, _attendances = confirmed_event(1)
    stranger = AttendanceFactory(rsvp=Attendance.RSVP.DECLINED)

    with pytest.raises(ValidationError) as error:
        invitations.invites_send(event_id=event.pk, include_declined=[stranger.pk])

    assert str(stranger.pk) in error.value.message_dict["include_declined"][0]
    assert not Delivery.objects.exists()


# --- Updates, coalescing, RSVP reset ------------------------------------------------------------


def test_edits_within_the_window_coalesce_into_one_update(
    django_capture_on_commit_callbacks, settings
):
    settings.INVITE_COALESCE_SECONDS = 120
    event, attendances = confirmed_event(2)
    invite_all(event, django_capture_on_commit_callbacks)
    first_sequence = event.sequence
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_update(event_id=event.pk, title="Opening ceremony (new title)")
        scheduling_services.event_update(event_id=event.pk, description="Now with a lion dance.")
        scheduling_services.event_reschedule(
            event_id=event.pk,
            start=event.start + dt.timedelta(hours=1),
            end=event.end + dt.timedelta(hours=1),
        )

    event.refresh_from_db()
    # One update per attendee, one SEQUENCE for the batch; feeds counted every change.
    assert event.sequence == first_sequence + 1
    assert event.revision == first_sequence + 3
    waiting = Delivery.objects.filter(state=Delivery.State.QUEUED)
    assert sorted(waiting.values_list("person_id", "sequence")) == sorted(
        (a.person_id, event.sequence) for a in attendances
    )
    for row in waiting:
        lines = row.changes["en"]
        assert lines[0].startswith("Title: ") and lines[1] == "The description was updated."
        assert lines[2].startswith("Time: ") and len(lines) == 3
    due = {row.next_attempt_at for row in waiting}
    assert len(due) == 1
    # The window runs from the first edit, not the last.
    assert (
        before + dt.timedelta(seconds=120)
        <= due.pop()
        <= timezone.now() + dt.timedelta(seconds=120)
    )
    assert not Delivery.objects.filter(state=Delivery.State.SUPERSEDED).exists()
    assert len(mail.outbox) == 2  # only the invites so far

    early = sending.deliveries_sweep(now=timezone.now() + dt.timedelta(seconds=60))
    window_closed = timezone.now() + dt.timedelta(seconds=121)
    swept = sending.deliveries_sweep(now=window_closed)
    sending.deliveries_send(delivery_ids=swept, now=window_closed)  # the task it enqueued

    assert early == []
    updates = [v for v in sent_versions(event) if v[2] == event.sequence]
    assert updates == sorted((address(a), "REQUEST", event.sequence) for a in attendances)
    assert not Delivery.objects.filter(state=Delivery.State.QUEUED).exists()


def test_an_update_right_after_invites_replaces_the_unsent_invite(
    django_capture_on_commit_callbacks, settings
):
    settings.INVITE_COALESCE_SECONDS = 120
    event, (attendance,) = confirmed_event(1)

    with django_capture_on_commit_callbacks(execute=True):
        invitations.invites_send(event_id=event.pk)
        scheduling_services.event_update(event_id=event.pk, title="Renamed before it went out")

    event.refresh_from_db()
    assert sent_versions(event) == [(address(attendance), "REQUEST", event.sequence)]
    assert calendar_of(mail.outbox[0]).walk("VEVENT")[0]["SUMMARY"] == "Renamed before it went out"


def test_reschedule_resets_answers_and_sends_the_update(
    django_capture_on_commit_callbacks, officer, settings
):
    settings.INVITE_COALESCE_SECONDS = 0
    event, (accepted, declined, silent) = confirmed_event(3)
    invite_all(event, django_capture_on_commit_callbacks)
    services.rsvp_record(attendance_id=accepted.pk, answer=Attendance.RSVP.ACCEPTED)
    services.rsvp_record(attendance_id=declined.pk, answer=Attendance.RSVP.DECLINED)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_reschedule(
            event_id=event.pk,
            start=event.start + dt.timedelta(days=1),
            end=event.end + dt.timedelta(days=1),
            by=officer,
        )

    event.refresh_from_db()
    for attendance in (accepted, declined, silent):
        attendance.refresh_from_db()
        assert attendance.rsvp == Attendance.RSVP.NEEDS_ACTION
        assert attendance.rsvp_at is None
    latest = accepted.history.latest()
    assert (latest.history_change_reason, latest.history_user) == (
        "Answer reset: time or place changed",
        officer,
    )
    assert sent_versions(event) == sorted(
        (address(a), "REQUEST", event.sequence) for a in (accepted, declined, silent)
    )
    partstats = {
        str(calendar_of(m).walk("VEVENT")[0]["ATTENDEE"].params["PARTSTAT"]) for m in mail.outbox
    }
    assert partstats == {"NEEDS-ACTION"}


def test_a_new_site_resets_answers_and_a_new_title_does_not():
    event, (attendance,) = confirmed_event(1)
    services.rsvp_record(attendance_id=attendance.pk, answer=Attendance.RSVP.ACCEPTED)

    scheduling_services.event_update(event_id=event.pk, title="Same place, new name")
    attendance.refresh_from_db()
    after_title = attendance.rsvp
    scheduling_services.event_update(event_id=event.pk, site=BookingFactory().event.site)
    attendance.refresh_from_db()

    assert after_title == Attendance.RSVP.ACCEPTED
    assert attendance.rsvp == Attendance.RSVP.NEEDS_ACTION


def test_an_update_goes_only_to_current_attendees_who_were_invited(
    django_capture_on_commit_callbacks, settings
):
    settings.INVITE_COALESCE_SECONDS = 0
    event, (invited, not_invited) = confirmed_event(2)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invites_send(event_id=event.pk, attendance_ids=[invited.pk])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_update(event_id=event.pk, description="Dress code: formal")

    event.refresh_from_db()
    assert sent_versions(event) == [(address(invited), "REQUEST", event.sequence)]
    assert not Delivery.objects.filter(person=not_invited.person).exists()


def test_nothing_is_queued_for_changes_before_invites_went_out(
    django_capture_on_commit_callbacks,
):
    event, _attendances = confirmed_event(2)

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_update(event_id=event.pk, title="Draft title")
        scheduling_services.event_cancel(event_id=event.pk)

    assert not Delivery.objects.exists()
    assert mail.outbox == []


# --- Attendees added and removed ----------------------------------------------------------------


def test_attendee_added_after_invites_went_out_gets_a_request(
    django_capture_on_commit_callbacks,
):
    event, _attendances = confirmed_event(2)
    invite_all(event, django_capture_on_commit_callbacks)
    newcomer = PersonFactory()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        attendance = services.attendance_add(event_id=event.pk, person_id=newcomer.pk)

    event.refresh_from_db()
    assert sent_versions(event) == [(address(attendance), "REQUEST", event.sequence)]


def test_attendee_added_before_invites_gets_nothing_yet():
    event, _attendances = confirmed_event(1)

    services.attendance_add(event_id=event.pk, person_id=PersonFactory().pk)

    assert not Delivery.objects.exists()


def test_removed_attendee_alone_gets_a_cancel_with_a_higher_sequence(
    django_capture_on_commit_callbacks,
):
    event, (leaving, staying) = confirmed_event(2)
    invite_all(event, django_capture_on_commit_callbacks)
    invited_at = event.sequence
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.attendance_remove(attendance_id=leaving.pk)

    event.refresh_from_db()
    assert event.sequence == invited_at + 1
    assert sent_versions(event) == [(address(leaving), "CANCEL", invited_at + 1)]
    cancel = Delivery.objects.get(method=Delivery.Method.CANCEL)
    assert (cancel.person_id, cancel.attendance_id) == (leaving.person_id, None)
    assert not Delivery.objects.filter(person=staying.person, sequence__gt=invited_at).exists()


def test_removed_before_the_invite_went_out_gets_no_cancel(django_capture_on_commit_callbacks):
    event, (leaving, _staying) = confirmed_event(2)
    invitations.invites_send(event_id=event.pk)  # queued; the task never ran

    services.attendance_remove(attendance_id=leaving.pk)

    mine = Delivery.objects.get(person=leaving.person)
    assert mine.state == Delivery.State.SUPERSEDED
    assert not Delivery.objects.filter(method=Delivery.Method.CANCEL).exists()


def test_readded_attendee_gets_a_request_that_outranks_their_cancel(
    django_capture_on_commit_callbacks,
):
    event, (person_attendance,) = confirmed_event(1)
    invite_all(event, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.attendance_remove(attendance_id=person_attendance.pk)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        back = services.attendance_add(event_id=event.pk, person_id=person_attendance.person_id)

    event.refresh_from_db()
    cancel = Delivery.objects.get(method=Delivery.Method.CANCEL)
    assert sent_versions(event) == [(address(back), "REQUEST", event.sequence)]
    assert event.sequence > cancel.sequence


# --- Status changes -----------------------------------------------------------------------------


def test_cancelled_event_sends_cancel_to_everyone_invited_and_stops_reminders(
    django_capture_on_commit_callbacks, settings
):
    settings.REMINDER_HOURS_BEFORE = 24
    start = timezone.now() + dt.timedelta(hours=10)
    event, attendances = confirmed_event(3, start=start, end=start + dt.timedelta(hours=2))
    invite_all(event, django_capture_on_commit_callbacks)
    for attendance in attendances:
        services.rsvp_record(attendance_id=attendance.pk, answer=Attendance.RSVP.ACCEPTED)
    reminders = reminders_queue()  # queued, not yet sent
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_cancel(event_id=event.pk)

    event.refresh_from_db()
    assert len(reminders) == 3
    assert sent_versions(event) == sorted(
        (address(a), "CANCEL", event.sequence) for a in attendances
    )
    status = {str(calendar_of(m).walk("VEVENT")[0]["STATUS"]) for m in mail.outbox}
    assert status == {"CANCELLED"}
    assert set(
        Delivery.objects.filter(method=Delivery.Method.REMINDER).values_list("state", flat=True)
    ) == {Delivery.State.SUPERSEDED}
    assert reminders_queue() == []
    assert not event.bookings.active().exists()


def test_cancel_tells_everyone_invited_the_reason_given(django_capture_on_commit_callbacks):
    event, attendances = confirmed_event(2)
    invite_all(event, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_cancel(event_id=event.pk, reason="The minister is abroad.")

    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert "Reason for the cancellation: The minister is abroad." in message.body
        assert str(calendar_of(message).walk("VEVENT")[0]["COMMENT"]) == "The minister is abroad."


def test_cancel_goes_only_to_people_who_may_have_the_invite(django_capture_on_commit_callbacks):
    event, (got_it, waiting) = confirmed_event(2)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invites_send(event_id=event.pk, attendance_ids=[got_it.pk])
    invitations.invites_send(event_id=event.pk, attendance_ids=[waiting.pk])  # never sent
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_cancel(event_id=event.pk)

    event.refresh_from_db()
    assert sent_versions(event) == [(address(got_it), "CANCEL", event.sequence)]
    assert Delivery.objects.get(person=waiting.person).state == Delivery.State.SUPERSEDED


def test_postponing_a_confirmed_event_tells_those_who_have_the_invite(
    django_capture_on_commit_callbacks, settings
):
    settings.INVITE_COALESCE_SECONDS = 0
    event, attendances = confirmed_event(2)
    invite_all(event, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_transition(event_id=event.pk, to=Event.Status.POSTPONED)
    event.refresh_from_db()
    postponed_at = event.sequence
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_confirm(event_id=event.pk)

    event.refresh_from_db()
    assert sent_versions(event) == sorted(
        [(address(a), "REQUEST", postponed_at) for a in attendances]
        + [(address(a), "REQUEST", event.sequence) for a in attendances]
    )


# --- Reminders ----------------------------------------------------------------------------------


def test_reminders_go_once_to_accepted_attendees_of_confirmed_events_starting_soon(
    django_capture_on_commit_callbacks, settings
):
    settings.REMINDER_HOURS_BEFORE = 24
    start = timezone.now() + dt.timedelta(hours=20)
    event, (accepted, undecided) = confirmed_event(
        2, start=start, end=start + dt.timedelta(hours=1)
    )
    services.rsvp_record(attendance_id=accepted.pk, answer=Attendance.RSVP.ACCEPTED)
    later, (later_accepted,) = confirmed_event(1)  # a month away
    services.rsvp_record(attendance_id=later_accepted.pk, answer=Attendance.RSVP.ACCEPTED)
    tentative = EventFactory(
        status=Event.Status.TENTATIVE, start=start, end=start + dt.timedelta(hours=1)
    )
    AttendanceFactory(event=tentative, rsvp=Attendance.RSVP.ACCEPTED)

    with django_capture_on_commit_callbacks(execute=True):
        first = reminders_queue()
    with django_capture_on_commit_callbacks(execute=True):
        second = reminders_queue()

    assert [(row.person_id, row.method) for row in first] == [
        (accepted.person_id, Delivery.Method.REMINDER)
    ]
    assert second == []
    assert [recipient(m) for m in mail.outbox] == [address(accepted)]
    assert Delivery.objects.get().state == Delivery.State.SENT


def test_a_reminder_is_due_again_when_the_event_moves_later(settings):
    settings.REMINDER_HOURS_BEFORE = 24
    start = timezone.now() + dt.timedelta(hours=20)
    event, (accepted,) = confirmed_event(1, start=start, end=start + dt.timedelta(hours=1))
    services.rsvp_record(attendance_id=accepted.pk, answer=Attendance.RSVP.ACCEPTED)
    reminders_queue()
    scheduling_services.event_reschedule(
        event_id=event.pk,
        start=start + dt.timedelta(days=7),
        end=start + dt.timedelta(days=7, hours=1),
    )
    services.rsvp_record(attendance_id=accepted.pk, answer=Attendance.RSVP.ACCEPTED)

    too_early = reminders_queue()
    in_time = reminders_queue(now=timezone.now() + dt.timedelta(days=7))

    assert too_early == []
    assert [row.person_id for row in in_time] == [accepted.person_id]


# --- Resend and the back office -----------------------------------------------------------------


def failed_row(event: Event, attendance: Attendance) -> Delivery:
    return Delivery.objects.create(
        event=event,
        person=attendance.person,
        attendance=attendance,
        method=Delivery.Method.REQUEST,
        sequence=event.sequence,
        state=Delivery.State.FAILED,
        attempts=6,
        next_attempt_at=timezone.now() - dt.timedelta(hours=1),
        last_error="451 Try again later",
    )


def test_delivery_resend_queues_a_failed_row_with_fresh_attempts(
    django_capture_on_commit_callbacks, officer
):
    event, (attendance,) = confirmed_event(1)
    row = failed_row(event, attendance)

    with django_capture_on_commit_callbacks(execute=True):
        sending.delivery_resend(delivery_id=row.pk, by=officer)

    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (Delivery.State.SENT, 1, "")
    assert [recipient(m) for m in mail.outbox] == [address(attendance)]


def test_delivery_resend_refuses_a_row_that_has_not_failed(django_capture_on_commit_callbacks):
    event, (attendance,) = confirmed_event(1)
    (row,) = invite_all(event, django_capture_on_commit_callbacks)

    with pytest.raises(ValidationError) as error:
        sending.delivery_resend(delivery_id=row.pk)

    assert "Only a failed message" in error.value.message_dict["state"][0]


def test_delivery_admin_lists_the_outbox_read_only_and_filters_by_state(
    client, officer, django_capture_on_commit_callbacks
):
    event, (ok, broken) = confirmed_event(2)
    failed = failed_row(event, broken)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invites_send(event_id=event.pk, attendance_ids=[ok.pk])
    client.force_login(officer)
    url = reverse("admin:visitors_delivery_changelist")

    everything = client.get(url)
    only_failed = client.get(url, {"state__exact": "failed"})
    detail = client.get(reverse("admin:visitors_delivery_change", args=[failed.pk]))

    assert len(everything.context["cl"].result_list) == 2
    assert list(only_failed.context["cl"].result_list) == [failed]
    assert "451 Try again later" in only_failed.content.decode()
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]
    assert client.get(reverse("admin:visitors_delivery_add")).status_code == 403


def test_delivery_admin_resend_action_queues_failed_rows_and_names_refusals(
    client, officer, django_capture_on_commit_callbacks
):
    event, (ok, broken) = confirmed_event(2)
    failed = failed_row(event, broken)
    with django_capture_on_commit_callbacks(execute=True):
        (sent,) = invitations.invites_send(event_id=event.pk, attendance_ids=[ok.pk])
    client.force_login(officer)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:visitors_delivery_changelist"),
            {"action": "resend", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )

    failed.refresh_from_db()
    assert failed.state == Delivery.State.SENT
    assert [recipient(m) for m in mail.outbox] == [address(broken)]
    shown = messages_of(response)
    assert "1 queued again." in shown
    assert any("not resent: Only a failed message" in line for line in shown)


def test_delivery_admin_resend_needs_the_change_permission(client, viewer):
    event, (attendance,) = confirmed_event(1)
    failed = failed_row(event, attendance)
    client.force_login(viewer)

    response = client.get(reverse("admin:visitors_delivery_changelist"))
    client.post(
        reverse("admin:visitors_delivery_changelist"),
        {"action": "resend", "_selected_action": [failed.pk]},
    )

    model_admin = response.context["cl"].model_admin
    assert "resend" not in model_admin.get_actions(response.wsgi_request)
    failed.refresh_from_db()
    assert failed.state == Delivery.State.FAILED


def test_event_admin_send_invites_action_queues_and_reports_refusals(
    client, officer, django_capture_on_commit_callbacks
):
    ready, attendances = confirmed_event(2, title="Opening of the I&T Park")
    draft = EventFactory(title="Forum still in draft")
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:scheduling_event_changelist"),
            {"action": "send_invites", "_selected_action": [ready.pk, draft.pk]},
            follow=True,
        )

    shown = messages_of(response)
    assert "“Opening of the I&T Park”: 2 invites queued." in shown
    assert any(line.startswith("No invites for “Forum still in draft”") for line in shown)
    assert sorted(recipient(m) for m in mail.outbox) == sorted(address(a) for a in attendances)
    assert not Delivery.objects.filter(event=draft).exists()


def test_attendance_admin_sends_the_invite_to_the_selected_attendees_only(
    client, officer, django_capture_on_commit_callbacks
):
    ready, (first, second, third) = confirmed_event(3, title="Opening of the I&T Park")
    draft = EventFactory(title="Forum still in draft")
    waiting = AttendanceFactory(event=draft)
    client.force_login(officer)
    chosen = [first.pk, third.pk, waiting.pk]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:visitors_attendance_changelist"),
            {"action": "send_invites", "_selected_action": chosen},
            follow=True,
        )
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(
            reverse("admin:visitors_attendance_changelist"),
            {"action": "send_invites", "_selected_action": [first.pk]},
            follow=True,
        )

    shown = messages_of(response)
    assert "“Opening of the I&T Park”: 2 queued." in shown
    assert any(line.startswith("No invites for “Forum still in draft”") for line in shown)
    assert sorted(recipient(m) for m in mail.outbox) == sorted([address(first), address(third)])
    assert messages_of(again) == [
        "“Opening of the I&T Park”: 0 queued (1 already have this version or have no e-mail "
        "address)."
    ]
    assert not Delivery.objects.filter(attendance=second).exists()
    assert not Delivery.objects.filter(event=draft).exists()


def test_a_change_rolled_back_leaves_no_outbox_row_and_no_task(django_capture_on_commit_callbacks):
    event, attendances = confirmed_event(2)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invitations.invites_send(event_id=event.pk)
        raise RuntimeError("the request failed after the service ran")

    assert callbacks == []
    assert not Delivery.objects.exists()
    assert mail.outbox == []


def test_the_outbox_refuses_a_second_row_for_the_same_change():
    event, (attendance,) = confirmed_event(1)
    fields = {
        "event": event,
        "person": attendance.person,
        "attendance": attendance,
        "method": Delivery.Method.REQUEST,
        "sequence": event.sequence,
        "next_attempt_at": timezone.now(),
    }
    Delivery.objects.create(**fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(**fields)

    assert Delivery.objects.count() == 1
    Delivery.objects.create(**{**fields, "method": Delivery.Method.CANCEL})  # another change
    Delivery.objects.create(**{**fields, "sequence": event.sequence + 1})
    assert Delivery.objects.count() == 3


def test_moving_the_main_booking_to_another_hall_sends_an_update_and_resets_answers(
    django_capture_on_commit_callbacks, settings
):
    settings.INVITE_COALESCE_SECONDS = 0
    event, (attendance,) = confirmed_event(1)
    invite_all(event, django_capture_on_commit_callbacks)
    services.rsvp_record(attendance_id=attendance.pk, answer=Attendance.RSVP.ACCEPTED)
    booking = event.bookings.get()
    other_hall = FacilityFactory(site=event.site, name="Rain-plan Hall")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        booking_move(
            booking_id=booking.pk, start=booking.start, end=booking.end, facility_id=other_hall.pk
        )

    event.refresh_from_db()
    attendance.refresh_from_db()
    assert event.sequence == 1
    assert sent_versions(event) == [(address(attendance), "REQUEST", 1)]
    assert "Rain-plan Hall" in str(calendar_of(mail.outbox[0]).walk("VEVENT")[0]["LOCATION"])
    assert attendance.rsvp == Attendance.RSVP.NEEDS_ACTION


def test_moving_a_booking_within_its_hall_sends_nothing_new(
    django_capture_on_commit_callbacks, settings
):
    settings.INVITE_COALESCE_SECONDS = 0
    event, _attendances = confirmed_event(1)
    invite_all(event, django_capture_on_commit_callbacks)
    booking = event.bookings.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        booking_move(
            booking_id=booking.pk,
            start=booking.start,
            end=booking.end - dt.timedelta(minutes=30),
        )

    event.refresh_from_db()
    assert event.sequence == 0 and mail.outbox == []
