"""Every change reaches the people it concerns: call times move with their event, one person's
new call time or role goes to that person alone, programme changes raise the SEQUENCE and send
the update, and every update says in words what changed."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from scheduling import services as scheduling_services
from scheduling.models import Booking, Event, ProgrammeItem
from tests.factories import BookingFactory, FacilityFactory, ProgrammeItemFactory, hk
from tests.visitors.test_invitations import (
    address,
    calendar_of,
    confirmed_event,
    invite_all,
    sent_versions,
)
from visitors import services
from visitors.models import Attendance, Delivery

pytestmark = pytest.mark.django_db

# A fixed morning, so that no time of day the suite runs at puts a change across midnight.
MORNING = {"start": hk(2031, 3, 4, 10), "end": hk(2031, 3, 4, 12)}


@pytest.fixture(autouse=True)
def no_coalescing(settings):
    settings.INVITE_COALESCE_SECONDS = 0


def body_of(message) -> str:
    return message.body


def dtstart_of(message) -> dt.datetime:
    return calendar_of(message).walk("VEVENT")[0].decoded("DTSTART")


def test_call_times_move_with_their_event(django_capture_on_commit_callbacks):
    event, (guest, escort) = confirmed_event(2, **MORNING)
    call = event.start - dt.timedelta(minutes=70)
    services.attendance_update(attendance_id=escort.pk, role=Attendance.Role.ESCORT, call_time=call)
    invite_all(event, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    later = dt.timedelta(minutes=30)

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_reschedule(
            event_id=event.pk, start=event.start + later, end=event.end + later
        )

    escort.refresh_from_db()
    guest.refresh_from_db()
    assert escort.call_time == call + later
    assert guest.call_time is None
    [update] = [m for m in mail.outbox if address(escort) in m.to[0]]
    assert dtstart_of(update) == call + later  # still 70 minutes before the new start
    assert escort.history.latest().history_change_reason == "Call time moved with the event"


def test_a_new_call_time_goes_to_that_person_alone(django_capture_on_commit_callbacks):
    event, (guest, staff) = confirmed_event(2, **MORNING)
    first_call = event.start - dt.timedelta(minutes=45)
    services.attendance_update(attendance_id=staff.pk, role=Attendance.Role.STAFF)
    services.attendance_update(attendance_id=staff.pk, call_time=first_call)
    invite_all(event, django_capture_on_commit_callbacks)
    event.refresh_from_db()
    before = event.sequence
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.attendance_update(
            attendance_id=staff.pk, call_time=first_call + dt.timedelta(minutes=30)
        )

    event.refresh_from_db()
    assert event.sequence == before + 1
    assert sent_versions(event) == [(address(staff), "REQUEST", before + 1)]
    [update] = mail.outbox
    assert dtstart_of(update) == first_call + dt.timedelta(minutes=30)
    assert "Your call time:" in body_of(update)


def test_notes_change_sends_nothing(django_capture_on_commit_callbacks):
    event, (guest,) = confirmed_event(1, **MORNING)
    invite_all(event, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.attendance_update(attendance_id=guest.pk, notes="Prefers the lift.")

    assert mail.outbox == []


@pytest.mark.parametrize("change", ["create", "edit", "move", "delete"])
def test_programme_changes_raise_the_sequence_and_send_the_update(
    change, django_capture_on_commit_callbacks
):
    event, attendances = confirmed_event(2, **MORNING)
    item = ProgrammeItemFactory(
        event=event,
        title="Welcome remarks",
        start=event.start,
        end=event.start + dt.timedelta(minutes=15),
    )
    invite_all(event, django_capture_on_commit_callbacks)
    event.refresh_from_db()
    before, modified = event.sequence, event.updated_at
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        if change == "create":
            scheduling_services.programme_item_create(
                event_id=event.pk,
                title="Fireside chat",
                start=event.start + dt.timedelta(minutes=30),
                end=event.start + dt.timedelta(minutes=60),
            )
        elif change == "edit":
            scheduling_services.programme_item_update(item_id=item.pk, title="Opening remarks")
        elif change == "move":
            scheduling_services.programme_item_update(
                item_id=item.pk,
                start=item.start + dt.timedelta(minutes=10),
                end=item.end + dt.timedelta(minutes=10),
            )
        else:
            scheduling_services.programme_item_delete(item_id=item.pk)

    event.refresh_from_db()
    assert event.sequence == before + 1
    assert event.updated_at > modified
    assert sent_versions(event) == sorted(
        (address(a), "REQUEST", event.sequence) for a in attendances
    )
    words = {
        "create": "Added to the programme: Fireside chat",
        "edit": "Programme: Welcome remarks → Opening remarks",
        "move": "Welcome remarks: 10:00–10:15 → 10:10–10:25",
        "delete": "Removed from the programme: Welcome remarks",
    }[change]
    if change == "move":
        local = timezone.localtime(item.start, event.zone)
        moved = local + dt.timedelta(minutes=10)
        words = (
            f"Welcome remarks: {local:%H:%M}–{local + dt.timedelta(minutes=15):%H:%M} → "
            f"{moved:%H:%M}–{moved + dt.timedelta(minutes=15):%H:%M}"
        )
    assert all(words in body_of(m) for m in mail.outbox), body_of(mail.outbox[0])


def test_an_update_says_what_changed_in_words(django_capture_on_commit_callbacks):
    event, (guest,) = confirmed_event(1, **MORNING)
    invite_all(event, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    local = timezone.localtime(event.start, event.zone)
    end = timezone.localtime(event.end, event.zone)
    later = dt.timedelta(minutes=30)

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_reschedule(
            event_id=event.pk, start=event.start + later, end=event.end + later
        )

    [update] = mail.outbox
    assert (
        f"Time: {local:%H:%M}–{end:%H:%M} → {local + later:%H:%M}–{end + later:%H:%M}"
        in body_of(update)
    )


def test_coalesced_changes_keep_every_line(django_capture_on_commit_callbacks, settings):
    settings.INVITE_COALESCE_SECONDS = 120
    event, (guest,) = confirmed_event(1, **MORNING)
    invite_all(event, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_update(event_id=event.pk, title="Renamed ceremony")
        scheduling_services.programme_item_create(
            event_id=event.pk,
            title="Lion dance",
            start=event.start,
            end=event.start + dt.timedelta(minutes=10),
        )
    [waiting] = Delivery.objects.filter(state=Delivery.State.QUEUED)

    assert waiting.changes["en"][0].startswith("Title:")
    assert waiting.changes["en"][-1].startswith("Added to the programme: Lion dance")


def test_a_dropped_stop_releases_its_booking_and_is_no_longer_where(
    django_capture_on_commit_callbacks,
):
    event, (guest,) = confirmed_event(1, **MORNING)
    main = Booking.objects.get(event=event)
    tenant = FacilityFactory(site=event.site, name="Koln 3D Technology")
    stop = ProgrammeItemFactory(
        event=event,
        kind=ProgrammeItem.Kind.TOUR_STOP,
        title="Koln 3D Technology",
        facility=tenant,
        start=event.start + dt.timedelta(minutes=30),
        end=event.start + dt.timedelta(minutes=60),
    )
    stop_booking = BookingFactory(
        event=event, facility=tenant, programme_item=stop, start=stop.start, end=stop.end
    )
    invite_all(event, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        released = scheduling_services.programme_item_delete(item_id=stop.pk)

    stop_booking.refresh_from_db()
    main.refresh_from_db()
    assert stop_booking.status == Booking.Status.RELEASED
    assert main.status == Booking.Status.CONFIRMED
    assert [b.pk for b in released] == [stop_booking.pk]
    [update] = mail.outbox
    assert "Stop removed: Koln 3D Technology" in body_of(update)
    assert "Koln 3D" not in str(calendar_of(update).walk("VEVENT")[0].get("LOCATION", ""))


# --- Names and addresses an invite prints ------------------------------------------------------


def test_renaming_the_venue_sends_an_update_and_keeps_answers(django_capture_on_commit_callbacks):
    event, (guest,) = confirmed_event(1, **MORNING)
    hall = Booking.objects.get(event=event).facility
    old_name = hall.name
    invite_all(event, django_capture_on_commit_callbacks)
    services.rsvp_record(attendance_id=guest.pk, answer=Attendance.RSVP.ACCEPTED)
    event.refresh_from_db()
    before = event.sequence
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.facility_update(facility_id=hall.pk, name="Charles Kao Auditorium")

    event.refresh_from_db()
    guest.refresh_from_db()
    assert event.sequence == before + 1
    [update] = mail.outbox
    assert f"Renamed: {old_name} → Charles Kao Auditorium" in body_of(update)
    location = str(calendar_of(update).walk("VEVENT")[0]["LOCATION"])
    assert "Charles Kao Auditorium" in location
    assert guest.rsvp == Attendance.RSVP.ACCEPTED  # a new name is not a new place


def test_a_new_site_address_reaches_the_events_there_and_capacity_reaches_nobody(
    django_capture_on_commit_callbacks,
):
    event, (guest,) = confirmed_event(1, **MORNING)
    hall = Booking.objects.get(event=event).facility
    invite_all(event, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.facility_update(facility_id=hall.pk, capacity=hall.capacity + 50)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.site_update(site_id=event.site_id, address="2 Science Park West Avenue")

    [update] = mail.outbox
    assert "New address: 2 Science Park West Avenue" in body_of(update)


def test_past_and_cancelled_events_hear_nothing_of_a_rename(django_capture_on_commit_callbacks):
    event, _attendances = confirmed_event(1, **MORNING)
    invite_all(event, django_capture_on_commit_callbacks)
    scheduling_services.event_cancel(event_id=event.pk)
    mail.outbox.clear()
    event.refresh_from_db()
    before = event.sequence

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.site_update(site_id=event.site_id, name="Hong Kong Science Park")

    event.refresh_from_db()
    assert (event.sequence, mail.outbox) == (before, [])


# --- One SEQUENCE per update an attendee receives ------------------------------------------------


def test_changes_while_an_update_waits_join_it_at_one_sequence(
    django_capture_on_commit_callbacks, settings
):
    """A move, a dropped stop and one person's new call time within the coalescing window:
    each attendee gets one update, one SEQUENCE above their invite, saying all of it."""
    settings.INVITE_COALESCE_SECONDS = 120
    event, (guest, staff) = confirmed_event(2, **MORNING)
    services.attendance_update(attendance_id=staff.pk, role=Attendance.Role.STAFF)
    services.attendance_update(
        attendance_id=staff.pk, call_time=event.start - dt.timedelta(minutes=45)
    )
    stop = ProgrammeItemFactory(
        event=event, title="Koln 3D", start=event.start, end=event.start + dt.timedelta(minutes=20)
    )
    invite_all(event, django_capture_on_commit_callbacks)
    event.refresh_from_db()
    invited, revision = event.sequence, event.revision

    later = event.start + dt.timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_reschedule(
            event_id=event.pk, start=later, end=event.end + dt.timedelta(minutes=30)
        )
        scheduling_services.programme_item_delete(item_id=stop.pk)
        services.attendance_update(
            attendance_id=staff.pk, call_time=later - dt.timedelta(minutes=15)
        )

    event.refresh_from_db()
    assert event.sequence == invited + 1
    assert event.revision == revision + 2  # feeds show each change as it comes
    waiting = {row.person_id: row for row in Delivery.objects.filter(state=Delivery.State.QUEUED)}
    assert {row.sequence for row in waiting.values()} == {invited + 1}
    assert set(waiting) == {guest.person_id, staff.person_id}
    guest_lines = waiting[guest.person_id].changes["en"]
    assert [line.split(":")[0] for line in guest_lines] == ["Time", "Removed from the programme"]
    assert waiting[staff.person_id].changes["en"][-1].startswith("Your call time:")
    assert not Delivery.objects.filter(state=Delivery.State.SUPERSEDED).exists()


def test_a_change_after_the_update_left_raises_the_sequence_again(
    django_capture_on_commit_callbacks,
):
    event, attendances = confirmed_event(2, **MORNING)
    invite_all(event, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):  # no window: sent at once
        scheduling_services.event_update(event_id=event.pk, title="First new title")
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_update(event_id=event.pk, title="Second new title")

    event.refresh_from_db()
    assert sorted(v[2] for v in sent_versions(event) if v[2] > 0) == [1, 1, 2, 2]
    assert event.sequence == 2


@pytest.mark.parametrize("state", [Delivery.State.SENDING, Delivery.State.SENT])
def test_a_change_raises_the_sequence_once_anyone_may_have_the_waiting_update(
    state, django_capture_on_commit_callbacks, settings
):
    """One attendee's update is being sent (or was): the others' waiting ones cannot take a
    change at that SEQUENCE, or the first would keep the old words at the same version."""
    settings.INVITE_COALESCE_SECONDS = 120
    event, attendances = confirmed_event(2, **MORNING)
    invite_all(event, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_update(event_id=event.pk, title="First new title")
    event.refresh_from_db()
    first = Delivery.objects.filter(sequence=event.sequence).order_by("pk").first()
    Delivery.objects.filter(pk=first.pk).update(state=state)

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_update(event_id=event.pk, title="Second new title")

    event.refresh_from_db()
    assert event.sequence == first.sequence + 1
    newest = Delivery.objects.filter(sequence=event.sequence, state=Delivery.State.QUEUED)
    assert newest.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_cannot_claim_an_update_while_a_change_joins_it(
    django_capture_on_commit_callbacks, settings
):
    """The change locks the waiting rows it joins: a worker's claim skips them until the change
    commits, so no update leaves with words the change is replacing."""
    import threading

    from django.db import connection, transaction

    from visitors.sending import OUTBOX
    from visitors.sequences import update_joins_waiting

    settings.INVITE_COALESCE_SECONDS = 0
    event, attendances = confirmed_event(1, **MORNING)
    Delivery.objects.create(
        event=event,
        person=attendances[0].person,
        attendance=attendances[0],
        method=Delivery.Method.REQUEST,
        sequence=event.sequence,
        next_attempt_at=timezone.now(),
    )
    joined, claimed = threading.Event(), []

    def claim() -> None:
        joined.wait(10)
        try:
            ids = list(Delivery.objects.values_list("pk", flat=True))
            claimed.extend(OUTBOX.claim(ids, timezone.now()))
        finally:
            connection.close()

    worker = threading.Thread(target=claim)
    worker.start()
    with transaction.atomic():
        locked = Event.objects.locked(event.pk)
        assert update_joins_waiting(locked)
        joined.set()
        worker.join(10)
    assert claimed == []
    assert OUTBOX.claim(list(Delivery.objects.values_list("pk", flat=True)), timezone.now())
