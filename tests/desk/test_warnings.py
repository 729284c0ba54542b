import datetime as dt

import pytest

from desk.warnings import (
    DEFAULT_TRAVEL_MINUTES,
    OVER_CAPACITY,
    PERSON_DOUBLE_BOOKED,
    TRAVEL_TIME,
    UNCONFIRMED_BOOKING,
    event_warnings,
    warnings_for_events,
)
from scheduling import services
from scheduling.models import Booking, Event, ProgrammeItem, TravelTime
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)
from visitors.models import Attendance

pytestmark = pytest.mark.django_db

CONFIRMED = Event.Status.CONFIRMED


def codes(warnings) -> list[str]:
    return [warning.code for warning in warnings]


def item(event, title, start, end, facility=None, people=()) -> ProgrammeItem:
    return services.programme_item_create(
        event_id=event.pk,
        title=title,
        start=start,
        end=end,
        facility=facility,
        roles=[(person, "speaker") for person in people],
    )


# --- People attending two events -----------------------------------------------------------------


def test_event_warnings_person_at_two_overlapping_confirmed_events_warns_on_both():
    person = PersonFactory(honorific="Dr", name="Sunny Chai", post_nominals="BBS, JP")
    forum = EventFactory(title="Crafting Tomorrow", status=CONFIRMED, start=hk(2030, 3, 4, 10))
    visit = EventFactory(title="MARS visit", status=CONFIRMED, start=hk(2030, 3, 4, 11))
    AttendanceFactory(event=forum, person=person)
    AttendanceFactory(event=visit, person=person, rsvp=Attendance.RSVP.ACCEPTED)

    on_forum = event_warnings(event_id=forum.pk)
    on_visit = event_warnings(event_id=visit.pk)

    assert codes(on_forum) == [PERSON_DOUBLE_BOOKED]
    assert on_forum[0].person_id == person.pk and on_forum[0].related_event_id == visit.pk
    assert on_forum[0].message == (
        "Dr Sunny Chai, BBS, JP is expected at both this event and “MARS visit” "
        "(Mon 4 Mar 2030 11:00–13:00 HKT), which overlap."
    )
    assert codes(on_visit) == [PERSON_DOUBLE_BOOKED]
    assert on_visit[0].related_event_id == forum.pk


@pytest.mark.parametrize(
    ("rsvp", "other_status", "other_start"),
    [
        (Attendance.RSVP.DECLINED, CONFIRMED, hk(2030, 3, 4, 11)),  # declined: not coming
        (Attendance.RSVP.ACCEPTED, Event.Status.CANCELLED, hk(2030, 3, 4, 11)),
        (Attendance.RSVP.ACCEPTED, Event.Status.TENTATIVE, hk(2030, 3, 4, 11)),
        (Attendance.RSVP.ACCEPTED, CONFIRMED, hk(2030, 3, 4, 12)),  # back to back
    ],
)
def test_event_warnings_no_attendance_clash_when_person_is_free(rsvp, other_status, other_start):
    person = PersonFactory()
    event = EventFactory(status=CONFIRMED, start=hk(2030, 3, 4, 10))
    other = EventFactory(status=other_status, start=other_start)
    AttendanceFactory(event=event, person=person)
    AttendanceFactory(event=other, person=person, rsvp=rsvp)

    warnings = event_warnings(event_id=event.pk)

    assert warnings == []


def test_event_warnings_attendance_clash_ignores_declined_attendee_of_this_event():
    person = PersonFactory()
    event = EventFactory(status=CONFIRMED, start=hk(2030, 3, 4, 10))
    other = EventFactory(status=CONFIRMED, start=hk(2030, 3, 4, 11))
    AttendanceFactory(event=event, person=person, rsvp=Attendance.RSVP.DECLINED)
    AttendanceFactory(event=other, person=person)

    warnings = event_warnings(event_id=event.pk)

    assert warnings == []


# --- People taking part in two programme items ---------------------------------------------------


def test_event_warnings_speaker_in_overlapping_items_of_two_events_warns_on_both():
    speaker = PersonFactory(honorific="Mr", name="Alfred Sit", post_nominals="JP")
    forum = EventFactory(status=Event.Status.TENTATIVE, start=hk(2030, 3, 4, 10))
    ceremony = EventFactory(status=Event.Status.DRAFT, start=hk(2030, 3, 4, 10))
    keynote = item(forum, "Keynote", hk(2030, 3, 4, 10, 30), hk(2030, 3, 4, 11), people=[speaker])
    remarks = item(
        ceremony, "Welcome remarks", hk(2030, 3, 4, 10, 45), hk(2030, 3, 4, 11), people=[speaker]
    )

    on_forum = event_warnings(event_id=forum.pk)
    on_ceremony = event_warnings(event_id=ceremony.pk)

    assert codes(on_forum) == [PERSON_DOUBLE_BOOKED]
    assert on_forum[0].item_ids == (keynote.pk, remarks.pk)
    assert on_forum[0].person_id == speaker.pk and on_forum[0].related_event_id == ceremony.pk
    assert on_forum[0].message == (
        "Mr Alfred Sit, JP takes part in “Keynote” (Mon 4 Mar 2030 10:30–11:00 HKT) and in "
        f"“Welcome remarks” (Mon 4 Mar 2030 10:45–11:00 HKT, in “{ceremony.title}”), "
        "which overlap."
    )
    assert codes(on_ceremony) == [PERSON_DOUBLE_BOOKED]
    assert on_ceremony[0].item_ids == (remarks.pk, keynote.pk)


def test_event_warnings_speaker_clash_reported_once_when_events_also_overlap():
    speaker = PersonFactory()
    forum = EventFactory(status=CONFIRMED, start=hk(2030, 3, 4, 10))
    ceremony = EventFactory(status=CONFIRMED, start=hk(2030, 3, 4, 10))
    AttendanceFactory(event=forum, person=speaker)
    AttendanceFactory(event=ceremony, person=speaker)
    item(forum, "Keynote", hk(2030, 3, 4, 10), hk(2030, 3, 4, 11), people=[speaker])
    item(ceremony, "Remarks", hk(2030, 3, 4, 10), hk(2030, 3, 4, 11), people=[speaker])

    warnings = event_warnings(event_id=forum.pk)

    assert codes(warnings) == [PERSON_DOUBLE_BOOKED]
    assert len(warnings[0].item_ids) == 2


def test_event_warnings_overlapping_items_within_one_event_reported_once():
    moderator = PersonFactory()
    event = EventFactory(start=hk(2030, 3, 4, 10))
    panel = item(event, "Panel", hk(2030, 3, 4, 10), hk(2030, 3, 4, 11), people=[moderator])
    chat = item(
        event, "Fireside chat", hk(2030, 3, 4, 10, 30), hk(2030, 3, 4, 11, 30), people=[moderator]
    )

    warnings = event_warnings(event_id=event.pk)

    assert codes(warnings) == [PERSON_DOUBLE_BOOKED]
    assert warnings[0].item_ids == (panel.pk, chat.pk)
    assert warnings[0].related_event_id == event.pk
    assert "also in this event" in warnings[0].message


def test_event_warnings_no_role_clash_with_cancelled_event_or_back_to_back_items():
    speaker = PersonFactory()
    event = EventFactory(start=hk(2030, 3, 4, 10))
    cancelled = EventFactory(start=hk(2030, 3, 4, 10))
    item(event, "Remarks", hk(2030, 3, 4, 10), hk(2030, 3, 4, 10, 30), people=[speaker])
    item(event, "Toast", hk(2030, 3, 4, 10, 30), hk(2030, 3, 4, 11), people=[speaker])
    item(cancelled, "Keynote", hk(2030, 3, 4, 10), hk(2030, 3, 4, 11), people=[speaker])
    services.event_cancel(event_id=cancelled.pk)

    warnings = event_warnings(event_id=event.pk)

    assert warnings == []


# --- Travel between programme items --------------------------------------------------------------


def test_event_warnings_too_little_time_between_facilities_of_one_site():
    site = SiteFactory(internal_travel_minutes=10)
    hall = FacilityFactory(site=site, name="Multi-function Hall")
    line = FacilityFactory(site=site, name="Production Line 3")
    event = EventFactory(site=site, start=hk(2030, 3, 4, 10))
    remarks = item(event, "Remarks", hk(2030, 3, 4, 10), hk(2030, 3, 4, 10, 30), facility=hall)
    tour = item(event, "Tour", hk(2030, 3, 4, 10, 35), hk(2030, 3, 4, 11), facility=line)

    warnings = event_warnings(event_id=event.pk)

    assert codes(warnings) == [TRAVEL_TIME]
    assert warnings[0].item_ids == (remarks.pk, tour.pk)
    assert (warnings[0].minutes_needed, warnings[0].minutes_available) == (10, 5)
    assert warnings[0].message == (
        "Only 5 min between “Remarks” at Multi-function Hall (ends 10:30) and “Tour” at "
        "Production Line 3 (starts 10:35); moving between them takes 10 min."
    )


def test_event_warnings_travel_times_in_the_events_time_zone():
    site = SiteFactory(internal_travel_minutes=10)
    event = EventFactory(site=site, timezone="Europe/London", start=hk(2030, 7, 4, 17))
    item(
        event,
        "Remarks",
        hk(2030, 7, 4, 17),
        hk(2030, 7, 4, 17, 30),
        facility=FacilityFactory(site=site),
    )
    item(
        event,
        "Tour",
        hk(2030, 7, 4, 17, 35),
        hk(2030, 7, 4, 18),
        facility=FacilityFactory(site=site),
    )

    warnings = event_warnings(event_id=event.pk)

    assert "(ends 10:30)" in warnings[0].message and "(starts 10:35)" in warnings[0].message


@pytest.mark.parametrize(
    ("rows", "needed"),
    [
        ({("tai-po", "science-park"): 25, ("science-park", "tai-po"): 40}, 25),
        ({("science-park", "tai-po"): 40}, 40),  # only the reverse direction is known
        ({}, DEFAULT_TRAVEL_MINUTES),
    ],
)
def test_event_warnings_travel_between_sites_uses_row_then_reverse_then_default(rows, needed):
    sites = {slug: SiteFactory(slug=slug) for slug in ("tai-po", "science-park")}
    for (origin, destination), minutes in rows.items():
        TravelTime.objects.create(
            from_site=sites[origin], to_site=sites[destination], minutes=minutes
        )
    event = EventFactory(site=sites["tai-po"], start=hk(2030, 3, 4, 9), end=hk(2030, 3, 4, 13))
    item(
        event,
        "Stop 1",
        hk(2030, 3, 4, 9),
        hk(2030, 3, 4, 10),
        facility=FacilityFactory(site=sites["tai-po"]),
    )
    item(
        event,
        "Stop 2",
        hk(2030, 3, 4, 10, 20),
        hk(2030, 3, 4, 11),
        facility=FacilityFactory(site=sites["science-park"]),
    )

    warnings = event_warnings(event_id=event.pk)

    assert codes(warnings) == [TRAVEL_TIME]
    assert (warnings[0].minutes_needed, warnings[0].minutes_available) == (needed, 20)


def test_event_warnings_no_travel_warning_when_time_is_enough_or_facility_is_the_same():
    site = SiteFactory(internal_travel_minutes=10)
    hall, lab = FacilityFactory(site=site), FacilityFactory(site=site)
    event = EventFactory(site=site, start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 13))
    item(event, "Remarks", hk(2030, 3, 4, 10), hk(2030, 3, 4, 10, 30), facility=hall)
    item(event, "Toast", hk(2030, 3, 4, 10, 30), hk(2030, 3, 4, 11), facility=hall)
    item(event, "Lab tour", hk(2030, 3, 4, 11, 10), hk(2030, 3, 4, 12), facility=lab)

    warnings = event_warnings(event_id=event.pk)

    assert warnings == []


def test_event_warnings_transfer_item_without_facility_counts_as_travel_time():
    tai_po, science_park = SiteFactory(), SiteFactory()
    TravelTime.objects.create(from_site=tai_po, to_site=science_park, minutes=30)
    event = EventFactory(site=tai_po, start=hk(2030, 3, 4, 9), end=hk(2030, 3, 4, 13))
    item(
        event,
        "Stop 1",
        hk(2030, 3, 4, 9),
        hk(2030, 3, 4, 10),
        facility=FacilityFactory(site=tai_po),
    )
    item(event, "Transfer by coach", hk(2030, 3, 4, 10), hk(2030, 3, 4, 10, 30))
    item(
        event,
        "Stop 2",
        hk(2030, 3, 4, 10, 30),
        hk(2030, 3, 4, 11),
        facility=FacilityFactory(site=science_park),
    )

    warnings = event_warnings(event_id=event.pk)

    assert warnings == []


# --- Bookings ------------------------------------------------------------------------------------


def test_event_warnings_over_capacity_counts_guests_but_not_declined():
    event = EventFactory(status=CONFIRMED)
    booking = BookingFactory(
        event=event,
        facility=FacilityFactory(site=event.site, name="VIP Room", capacity=3),
        capacity_override_reason="Standing reception",
    )
    AttendanceFactory(event=event, guests=2)
    AttendanceFactory(event=event, guests=1)
    AttendanceFactory(event=event, guests=5, rsvp=Attendance.RSVP.DECLINED)

    warnings = event_warnings(event_id=event.pk)

    assert codes(warnings) == [OVER_CAPACITY]
    assert (warnings[0].booking_id, warnings[0].headcount, warnings[0].capacity) == (
        booking.pk,
        5,
        3,
    )
    assert warnings[0].message == (
        "5 people are expected but VIP Room holds 3 (override: Standing reception)."
    )


def test_event_warnings_no_capacity_warning_at_capacity_or_for_released_booking():
    event = EventFactory(status=CONFIRMED)
    BookingFactory(event=event, facility=FacilityFactory(site=event.site, capacity=2))
    BookingFactory(
        event=event,
        facility=FacilityFactory(site=event.site, capacity=1),
        status=Booking.Status.RELEASED,
    )
    AttendanceFactory(event=event, guests=1)

    warnings = event_warnings(event_id=event.pk)

    assert warnings == []


def test_event_warnings_confirmed_event_with_held_booking():
    event = EventFactory(status=CONFIRMED, start=hk(2030, 3, 4, 10))
    held = BookingFactory(
        event=event,
        facility=FacilityFactory(site=event.site, name="Forecourt"),
        status=Booking.Status.HELD,
        hold_expires_at=hk(2030, 2, 1, 18),
    )
    BookingFactory(event=event, facility=FacilityFactory(site=event.site))

    warnings = event_warnings(event_id=event.pk)

    assert codes(warnings) == [UNCONFIRMED_BOOKING]
    assert warnings[0].booking_id == held.pk
    assert warnings[0].message == (
        "Forecourt (Mon 4 Mar 2030 10:00–12:00 HKT) is only held, not confirmed; "
        "the hold expires Fri 1 Feb 2030 18:00 HKT."
    )


def test_event_warnings_held_booking_of_tentative_event_is_normal():
    event = EventFactory(status=Event.Status.TENTATIVE)
    BookingFactory(event=event, status=Booking.Status.HELD, hold_expires_at=hk(2030, 2, 1, 18))

    warnings = event_warnings(event_id=event.pk)

    assert warnings == []


# --- Cost and batches ----------------------------------------------------------------------------


def test_event_warnings_cancelled_event_has_none():
    event = EventFactory(status=CONFIRMED)
    BookingFactory(event=event, status=Booking.Status.HELD, hold_expires_at=hk(2030, 2, 1, 18))
    event.status = Event.Status.CANCELLED
    event.save()

    warnings = event_warnings(event_id=event.pk)

    assert warnings == []


def _busy_event(size: int) -> Event:
    """A confirmed event with `size` programme items hopping between facilities, each with a
    speaker who is also booked elsewhere, attendees and held bookings."""
    site = SiteFactory(internal_travel_minutes=10)
    other_site = SiteFactory()
    start = hk(2030, 3, 4, 8)
    event = EventFactory(
        site=site, status=CONFIRMED, start=start, end=start + dt.timedelta(hours=12)
    )
    elsewhere = EventFactory(status=CONFIRMED, start=start, end=start + dt.timedelta(hours=12))
    facilities = [FacilityFactory(site=site), FacilityFactory(site=other_site)]
    for n in range(size):
        speaker = PersonFactory()
        at = start + dt.timedelta(minutes=20 * n)
        facility = facilities[n % 2]
        ProgrammeItemFactory(
            event=event, start=at, end=at + dt.timedelta(minutes=15), facility=facility
        ).roles.create(person=speaker)
        ProgrammeItemFactory(
            event=elsewhere, start=at, end=at + dt.timedelta(minutes=15)
        ).roles.create(person=speaker)
        AttendanceFactory(event=event, person=speaker)
        AttendanceFactory(event=elsewhere, person=speaker)
    for facility in facilities:
        BookingFactory(
            event=event,
            facility=facility,
            status=Booking.Status.HELD,
            hold_expires_at=start,
            capacity_override_reason="Tight",
        )
    return event


@pytest.mark.parametrize("size", [2, 30])
def test_event_warnings_query_count_does_not_grow_with_the_programme(
    size, django_assert_max_num_queries
):
    event = _busy_event(size)

    with django_assert_max_num_queries(6):
        warnings = event_warnings(event_id=event.pk)

    assert codes(warnings).count(PERSON_DOUBLE_BOOKED) == size
    assert codes(warnings).count(TRAVEL_TIME) == size - 1
    assert codes(warnings).count(UNCONFIRMED_BOOKING) == 2


def test_warnings_for_events_keys_each_event_in_the_same_queries(django_assert_max_num_queries):
    events = [_busy_event(3) for _ in range(4)]
    quiet = EventFactory()

    with django_assert_max_num_queries(6):
        found = warnings_for_events(event_ids=[e.pk for e in events] + [quiet.pk])

    assert set(found) == {e.pk for e in events} | {quiet.pk}
    assert found[quiet.pk] == []
    for event in events:
        assert found[event.pk] == event_warnings(event_id=event.pk)
        assert {w.event_id for w in found[event.pk]} == {event.pk}
