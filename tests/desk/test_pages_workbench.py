"""The event page as the workbench: programme items, attendees and bookings changed in place,
through the services, with errors next to the field and what was typed kept."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from scheduling.models import Booking, Event, ProgrammeItem, ProgrammeRole
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)
from visitors.models import Attendance, Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    site = SiteFactory(name="InnoPark Tai Po")
    hall = FacilityFactory(site=site, name="MARS Hall", capacity=200)
    FacilityFactory(site=site, name="Lobby", capacity=200)
    event = EventFactory(title="MARS Centre opening", site=site, status=Event.Status.TENTATIVE)
    ProgrammeItemFactory(
        event=event, title="Arrival", start=hk(2030, 3, 4, 10, 0), end=hk(2030, 3, 4, 10, 10)
    )
    ProgrammeItemFactory(
        event=event, title="Remarks", start=hk(2030, 3, 4, 10, 15), end=hk(2030, 3, 4, 10, 45)
    )
    BookingFactory(
        event=event, facility=hall, status=Booking.Status.HELD, hold_expires_at=hk(2030, 3, 1)
    )
    return event


@pytest.fixture
def confirmed(event):
    """The event confirmed, its one attendee sent the invite: changes they see queue updates."""
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CONFIRMED)
    event.refresh_from_db()
    attendance = AttendanceFactory(event=event, person__name="Alfred Sit")
    Delivery.objects.create(
        event=event,
        person=attendance.person,
        attendance=attendance,
        method=Delivery.Method.REQUEST,
        sequence=event.sequence,
        state=Delivery.State.SENT,
        next_attempt_at=hk(2030, 1, 1),
    )
    return event


def _url(name, *args):
    return reverse(f"staff:{name}", args=args)


def _titles(event) -> list[str]:
    return list(event.programme.values_list("title", flat=True))


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


# --- Programme -------------------------------------------------------------------------------


def test_programme_add_creates_the_item_with_its_people(client, officer, event):
    client.force_login(officer)
    speaker = PersonFactory(name="Sun Dong", name_zh="孫東")
    hall = event.bookings.get().facility
    tenant = OrganisationFactory(name="Time Medical")

    response = client.post(
        _url("programme-add", event.pk),
        {
            "title": "Ribbon cutting",
            "kind": ProgrammeItem.Kind.CEREMONY,
            "start": "2030-03-04T11:00",
            "end": "2030-03-04T11:20",
            "facility": hall.pk,
            "visibility": "public",
            "cue_notes": "Scissors on the tray",
            "description": "The Secretary cuts the ribbon.",
            "host_organisation": tenant.pk,
            "person_0": "孫東",
            "part_0": ProgrammeRole.Part.OFFICIATING,
            "person_1": "",
            "part_1": "",
        },
    )

    item = event.programme.get(title="Ribbon cutting")
    assert response.status_code == 302
    assert response["Location"] == _url("event", event.pk) + f"#item-{item.pk}"
    assert item.start == hk(2030, 3, 4, 11, 0) and item.facility == hall
    assert item.cue_notes == "Scissors on the tray" and item.host_organisation == tenant
    assert item.description == "The Secretary cuts the ribbon."
    assert [(r.person, r.part) for r in item.roles.all()] == [(speaker, "officiating")]


def test_programme_add_outside_the_event_keeps_what_was_typed(client, officer, event):
    client.force_login(officer)

    response = client.post(
        _url("programme-add", event.pk),
        {
            "title": "Late lunch",
            "kind": "other",
            "start": "2030-03-04T13:00",
            "end": "2030-03-04T14:00",
            "visibility": "public",
            "person_0": "Nobody Known",
            "part_0": "speaker",
        },
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert _titles(event) == ["Arrival", "Remarks"]
    assert 'value="Late lunch"' in page and 'value="Nobody Known"' in page
    assert "No one on file is called “Nobody Known”" in page
    assert re.search(r'<details class="workbench no-print" id="programme-add" open>', page)


def test_programme_add_to_a_confirmed_event_says_attendees_get_an_update(
    client, officer, confirmed
):
    client.force_login(officer)

    response = client.post(
        _url("programme-add", confirmed.pk),
        {
            "title": "Photo call",
            "kind": "photo_call",
            "start": "2030-03-04T11:00",
            "end": "2030-03-04T11:10",
            "visibility": "public",
        },
        follow=True,
    )

    assert "Attendees will be sent an update." in _messages(response)
    update = Delivery.objects.filter(event=confirmed, state=Delivery.State.QUEUED).get()
    assert "Photo call" in update.changes["en"][0]


def test_an_internal_item_sends_no_update(client, officer, confirmed):
    client.force_login(officer)

    response = client.post(
        _url("programme-add", confirmed.pk),
        {
            "title": "Security sweep",
            "kind": "other",
            "start": "2030-03-04T11:00",
            "end": "2030-03-04T11:10",
            "visibility": "internal",
        },
        follow=True,
    )

    assert "“Security sweep” is in the programme." in _messages(response)
    assert "Attendees will be sent an update." not in _messages(response)
    assert not Delivery.objects.filter(state=Delivery.State.QUEUED).exists()


def test_programme_edit_page_shows_the_item_and_saves_changes(client, officer, event):
    client.force_login(officer)
    item = event.programme.get(title="Remarks")

    shown = client.get(_url("programme-edit", event.pk, item.pk)).content.decode()
    response = client.post(
        _url("programme-edit", event.pk, item.pk),
        {
            "title": "Welcome remarks",
            "kind": "remarks",
            "start": "2030-03-04T10:20",
            "end": "2030-03-04T10:40",
            "visibility": "internal",
            "cue_notes": "Mic 2",
        },
    )

    assert 'value="Remarks"' in shown and 'value="2030-03-04T10:15"' in shown
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.start, item.visibility) == (
        "Welcome remarks",
        hk(2030, 3, 4, 10, 20),
        "internal",
    )


def test_programme_edit_refused_shows_the_error_next_to_the_field(client, officer, event):
    client.force_login(officer)
    item = event.programme.get(title="Remarks")

    response = client.post(
        _url("programme-edit", event.pk, item.pk),
        {"title": "", "kind": "remarks", "start": "2030-03-04T10:40", "end": "2030-03-04T10:20"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "The end must be after the start." in page and 'value="2030-03-04T10:40"' in page
    item.refresh_from_db()
    assert item.title == "Remarks"


def test_programme_move_swaps_neighbours_keeping_the_slots(client, officer, event):
    client.force_login(officer)
    remarks = event.programme.get(title="Remarks")

    response = client.post(_url("programme-move", event.pk, remarks.pk), {"direction": "earlier"})

    assert response.status_code == 302
    assert _titles(event) == ["Remarks", "Arrival"]
    spans = [(i.start, i.end) for i in event.programme.all()]
    assert spans == [
        (hk(2030, 3, 4, 10, 0), hk(2030, 3, 4, 10, 30)),
        (hk(2030, 3, 4, 10, 35), hk(2030, 3, 4, 10, 45)),
    ]


def test_programme_move_past_the_end_is_refused_with_a_message(client, officer, event):
    client.force_login(officer)
    arrival = event.programme.get(title="Arrival")

    response = client.post(
        _url("programme-move", event.pk, arrival.pk), {"direction": "earlier"}, follow=True
    )
    bad = client.post(_url("programme-move", event.pk, arrival.pk), {"direction": "sideways"})

    assert "Arrival: It is already the first item." in _messages(response)
    assert bad.status_code == 400
    assert _titles(event) == ["Arrival", "Remarks"]


def test_programme_delete_removes_the_item(client, officer, event):
    client.force_login(officer)
    arrival = event.programme.get(title="Arrival")

    response = client.post(_url("programme-delete", event.pk, arrival.pk), follow=True)

    assert _titles(event) == ["Remarks"]
    assert "“Arrival” is removed from the programme." in _messages(response)


def test_programme_item_of_another_event_is_not_found(client, officer, event):
    client.force_login(officer)
    other = ProgrammeItemFactory()

    for name in ("programme-edit", "programme-move", "programme-delete"):
        response = client.post(_url(name, event.pk, other.pk), {"direction": "later"})

        assert response.status_code == 404, name
    assert ProgrammeItem.objects.filter(pk=other.pk).exists()


# --- Attendees -------------------------------------------------------------------------------


def test_attendee_add_by_chinese_name_with_role_and_call_time(client, officer, event):
    client.force_login(officer)
    minister = PersonFactory(honorific="Prof", name="Sun Dong", name_zh="孫東")

    response = client.post(
        _url("attendee-add", event.pk),
        {
            "person": "孫東",
            "role": "guest_of_honour",
            "call_time": "2030-03-04T09:30",
            "guests": "1",
            "notes": "Side gate",
        },
    )

    attendance = event.attendances.get(person=minister)
    assert response["Location"].endswith(f"#attendance-{attendance.pk}")
    assert attendance.role == "guest_of_honour" and attendance.guests == 1
    assert attendance.call_time == hk(2030, 3, 4, 9, 30) and attendance.notes == "Side gate"


def test_attendee_add_twice_is_refused_next_to_the_person(client, officer, event):
    client.force_login(officer)
    person = PersonFactory(name="Alfred Sit")
    AttendanceFactory(event=event, person=person)

    response = client.post(
        _url("attendee-add", event.pk),
        {"person": "Alfred Sit", "role": "guest", "guests": "0", "notes": "kept"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "This person is already on the attendee list." in page
    assert 'value="Alfred Sit"' in page and "kept</textarea>" in page
    assert event.attendances.count() == 1


def test_attendees_add_several_from_a_list_and_an_organisation(client, officer, event):
    client.force_login(officer)
    first, second = PersonFactory(name="Ada Lau"), PersonFactory(name="Bo Chan")
    delegation = OrganisationFactory(name="Time Medical")
    members = [PersonFactory(organisation=delegation) for _ in range(2)]
    AttendanceFactory(event=event, person=members[0])

    response = client.post(
        _url("attendees-add", event.pk),
        {"people": "Ada Lau\nbo chan", "organisation": delegation.pk, "role": "guest"},
        follow=True,
    )

    listed = set(event.attendances.values_list("person_id", flat=True))
    assert listed == {first.pk, second.pk, *(m.pk for m in members)}
    assert "3 people added to the list." in _messages(response)


def test_attendees_add_with_one_unknown_name_adds_nobody(client, officer, event):
    client.force_login(officer)
    PersonFactory(name="Ada Lau")

    response = client.post(
        _url("attendees-add", event.pk), {"people": "Ada Lau\nWho Else", "role": "guest"}
    )

    assert response.status_code == 400
    assert "No one on file is called “Who Else”" in response.content.decode()
    assert "Ada Lau\nWho Else</textarea>" in response.content.decode()
    assert not event.attendances.exists()


def test_attendee_edit_changes_role_and_call_time_and_queues_their_update(
    client, officer, confirmed
):
    client.force_login(officer)
    attendance = confirmed.attendances.get()
    prefix = f"a{attendance.pk}-"

    response = client.post(
        _url("attendee-edit", confirmed.pk, attendance.pk),
        {
            prefix + "role": "speaker",
            prefix + "call_time": "2030-03-04T09:00",
            prefix + "guests": "2",
            prefix + "notes": "",
        },
        follow=True,
    )

    attendance.refresh_from_db()
    assert (attendance.role, attendance.guests) == ("speaker", 2)
    assert attendance.call_time == hk(2030, 3, 4, 9, 0)
    assert "Ms Alfred Sit will be sent an update." in _messages(response)
    assert Delivery.objects.filter(state=Delivery.State.QUEUED, person=attendance.person).exists()


def test_attendee_edit_refused_keeps_the_row_open_with_the_error(client, officer, event):
    client.force_login(officer)
    attendance = AttendanceFactory(event=event)
    prefix = f"a{attendance.pk}-"

    response = client.post(
        _url("attendee-edit", event.pk, attendance.pk),
        {prefix + "role": "guest", prefix + "guests": "99", prefix + "notes": "typed"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 50." in page
    assert 'value="99"' in page and "typed</textarea>" in page
    assert '<details class="row-edit" open>' in page


def test_attendee_remove_sends_the_cancel(client, officer, confirmed):
    client.force_login(officer)
    attendance = confirmed.attendances.get()

    response = client.post(_url("attendee-remove", confirmed.pk, attendance.pk), follow=True)

    assert not confirmed.attendances.exists()
    cancel = Delivery.objects.get(method=Delivery.Method.CANCEL)
    assert cancel.person == attendance.person
    assert "Ms Alfred Sit will be sent a cancellation." in _messages(response)


def test_attendee_of_another_event_is_not_found(client, officer, event):
    client.force_login(officer)
    other = AttendanceFactory()

    for name in ("attendee-edit", "attendee-remove", "attendance-order"):
        assert client.post(_url(name, event.pk, other.pk)).status_code == 404, name
    assert Attendance.objects.filter(pk=other.pk).exists()


# --- Bookings --------------------------------------------------------------------------------


def _lobby(event):
    return event.site.facilities.get(name="Lobby")


def test_booking_add_holds_a_free_facility(client, officer, event):
    client.force_login(officer)

    response = client.post(
        _url("booking-add", event.pk),
        {"facility": _lobby(event).pk, "start": "2030-03-04T10:00", "end": "2030-03-04T11:00"},
    )

    booking = event.bookings.get(facility=_lobby(event))
    assert response["Location"].endswith(f"#booking-{booking.pk}")
    assert booking.status == Booking.Status.HELD and booking.start == hk(2030, 3, 4, 10, 0)


def test_booking_add_that_clashes_explains_and_suggests(client, officer, event):
    client.force_login(officer)
    taken = EventFactory(title="Board meeting", site=event.site, start=hk(2030, 3, 4, 8, 0))
    BookingFactory(
        event=taken, facility=_lobby(event), start=hk(2030, 3, 4, 9, 0), end=hk(2030, 3, 4, 11)
    )

    response = client.post(
        _url("booking-add", event.pk),
        {"facility": _lobby(event).pk, "start": "2030-03-04T10:00", "end": "2030-03-04T11:00"},
    )

    page = response.content.decode()
    assert response.status_code == 409
    assert '<div class="clash" role="alert">' in page and "Board meeting" in page
    assert "Free instead" in page and 'name="start" value="2030-03-04T11:' in page
    assert 'value="2030-03-04T10:00"' in page
    assert not event.bookings.filter(facility=_lobby(event)).exists()


def test_booking_add_outside_the_event_is_refused_next_to_the_start(client, officer, event):
    client.force_login(officer)

    response = client.post(
        _url("booking-add", event.pk),
        {"facility": _lobby(event).pk, "start": "2030-03-04T15:00", "end": "2030-03-04T16:00"},
    )

    assert response.status_code == 400
    assert "must lie within its event" in response.content.decode()
    assert event.bookings.count() == 1


def test_booking_move_to_another_facility_and_time(client, officer, event):
    client.force_login(officer)
    booking = event.bookings.get()
    prefix = f"b{booking.pk}-"

    response = client.post(
        _url("booking-move", event.pk, booking.pk),
        {
            prefix + "facility": _lobby(event).pk,
            prefix + "start": "2030-03-04T10:30",
            prefix + "end": "2030-03-04T11:30",
        },
    )

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.facility == _lobby(event) and booking.start == hk(2030, 3, 4, 10, 30)


def test_booking_move_onto_a_clash_is_shown_in_its_row(client, officer, event):
    client.force_login(officer)
    booking = event.bookings.get()
    taken = EventFactory(title="Board meeting", site=event.site)
    BookingFactory(event=taken, facility=_lobby(event))
    prefix = f"b{booking.pk}-"

    response = client.post(
        _url("booking-move", event.pk, booking.pk),
        {
            prefix + "facility": _lobby(event).pk,
            prefix + "start": "2030-03-04T10:30",
            prefix + "end": "2030-03-04T11:30",
        },
    )

    page = response.content.decode()
    row = re.search(rf'<tr id="booking-{booking.pk}">.*?</tr>', page, re.S)[0]
    assert response.status_code == 409
    assert '<div class="clash" role="alert">' in row and "Board meeting" in row
    booking.refresh_from_db()
    assert booking.facility.name == "MARS Hall"


def test_booking_release_and_confirm(client, officer, event):
    client.force_login(officer)
    held = event.bookings.get()
    other = BookingFactory(
        event=event,
        facility=_lobby(event),
        status=Booking.Status.HELD,
        hold_expires_at=hk(2030, 3, 1),
    )

    client.post(_url("booking-release", event.pk, held.pk))
    response = client.post(_url("bookings-confirm", event.pk), {"booking": other.pk})

    held.refresh_from_db()
    other.refresh_from_db()
    assert held.status == Booking.Status.RELEASED and other.status == Booking.Status.CONFIRMED
    assert response["Location"].endswith("#bookings-heading")


def test_booking_of_another_event_is_not_found(client, officer, event):
    client.force_login(officer)
    other = BookingFactory()

    for name in ("booking-move", "booking-release"):
        assert client.post(_url(name, event.pk, other.pk)).status_code == 404, name
    assert Booking.objects.get(pk=other.pk).is_active


# --- Who may ---------------------------------------------------------------------------------


def test_viewers_see_no_workbench_and_are_refused(client, viewer, event):
    client.force_login(viewer)
    item = event.programme.first()
    booking = event.bookings.get()
    attendance = AttendanceFactory(event=event)
    writes = [
        _url("programme-add", event.pk),
        _url("programme-edit", event.pk, item.pk),
        _url("programme-move", event.pk, item.pk),
        _url("programme-delete", event.pk, item.pk),
        _url("attendee-add", event.pk),
        _url("attendees-add", event.pk),
        _url("attendee-edit", event.pk, attendance.pk),
        _url("attendee-remove", event.pk, attendance.pk),
        _url("booking-add", event.pk),
        _url("booking-move", event.pk, booking.pk),
        _url("booking-release", event.pk, booking.pk),
    ]

    page = client.get(_url("event", event.pk)).content.decode()

    assert not any(url in page for url in writes) and "<details" not in page
    for url in writes:
        assert client.post(url, {"direction": "later"}).status_code == 403, url
    assert client.get(_url("programme-edit", event.pk, item.pk)).status_code == 403
    assert _titles(event) == ["Arrival", "Remarks"] and booking.is_active


def test_a_final_event_offers_no_workbench(client, officer, event):
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    client.force_login(officer)

    page = client.get(_url("event", event.pk)).content.decode()
    response = client.post(
        _url("programme-delete", event.pk, event.programme.first().pk), follow=True
    )

    assert 'id="programme-add-form"' not in page and 'id="booking-add-form"' not in page
    assert any("its programme is closed" in said for said in _messages(response))
    assert _titles(event) == ["Arrival", "Remarks"]


def test_times_are_read_in_the_event_zone(client, officer, event):
    Event.objects.filter(pk=event.pk).update(
        timezone="Europe/London", start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 22)
    )
    client.force_login(officer)

    client.post(
        _url("programme-add", event.pk),
        {
            "title": "London call",
            "kind": "other",
            "start": "2030-03-04T09:00",
            "end": "2030-03-04T09:30",
            "visibility": "public",
        },
    )

    item = event.programme.get(title="London call")
    assert item.start == dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC)
