import datetime as dt
from collections import Counter

import pytest
from django.db.models.signals import post_init

from desk.warnings import (
    CLOSED_OVER_BOOKING,
    DEFAULT_TRAVEL_MINUTES,
    OVER_CAPACITY,
    PASSENGER_TWO_VEHICLES,
    PERSON_DOUBLE_BOOKED,
    PERSON_TRAVEL_TIME,
    TRAVEL_TIME,
    UNCONFIRMED_BOOKING,
    VEHICLE_WITHOUT_DRIVER,
    event_warnings,
    warnings_for_events,
)
from scheduling import services
from scheduling.models import Booking, Closure, Event, ProgrammeItem, TravelTime
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    ClosureFactory,
    EventFactory,
    FacilityFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)
from visitors.models import Attendance, Delegation, Vehicle

pytestmark = pytest.mark.django_db

CONFIRMED = Event.Status.CONFIRMED
# programme, attendances near others, the same people elsewhere, roles, bookings with something
# to say, closures, the events spoken of and their sites, the venues of the events people move
# between (bookings and programme), travel times, the delegations' cars and their passengers.
QUERIES = 13


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
        (Attendance.RSVP.ACCEPTED, CONFIRMED, hk(2030, 3, 4, 12)),  # back to back, same site
    ],
)
def test_event_warnings_no_attendance_clash_when_person_is_free(rsvp, other_status, other_start):
    person = PersonFactory()
    event = EventFactory(status=CONFIRMED, start=hk(2030, 3, 4, 10))
    other = EventFactory(site=event.site, status=other_status, start=other_start)
    AttendanceFactory(event=event, person=person)
    AttendanceFactory(event=other, person=person, rsvp=rsvp)

    warnings = event_warnings(event_id=event.pk)

    assert warnings == []


@pytest.mark.parametrize("status", [Event.Status.DRAFT, Event.Status.TENTATIVE])
def test_event_warnings_attendance_clash_with_an_event_not_yet_confirmed_says_so(status):
    person = PersonFactory(honorific="Dr", name="Sunny Chai")
    event = EventFactory(status=status, start=hk(2030, 3, 4, 10))
    other = EventFactory(title="Board meeting", status=status, start=hk(2030, 3, 4, 11))
    AttendanceFactory(event=event, person=person)
    AttendanceFactory(event=other, person=person)

    warnings = event_warnings(event_id=event.pk)

    assert codes(warnings) == [PERSON_DOUBLE_BOOKED]
    assert warnings[0].message == (
        f"Dr Sunny Chai is expected at both this event and “Board meeting” ({status}, "
        "Mon 4 Mar 2030 11:00–13:00 HKT), which overlap."
    )


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


# --- Closures laid over bookings -----------------------------------------------------------------


def _theatre_booking(status=Booking.Status.CONFIRMED) -> Booking:
    """Lecture Theatre booked 10:30–11:30 (occupied 10:00–11:45) for a confirmed event."""
    site = SiteFactory(name="Science Park")
    theatre = FacilityFactory(
        site=site, name="Lecture Theatre", setup_minutes=30, teardown_minutes=15
    )
    event = EventFactory(
        site=site, status=CONFIRMED, start=hk(2030, 3, 4, 10, 30), end=hk(2030, 3, 4, 11, 30)
    )
    return BookingFactory(
        event=event, facility=theatre, status=status, hold_expires_at=hk(2030, 3, 1)
    )


def test_event_warnings_closure_laid_over_a_confirmed_booking():
    booking = _theatre_booking()
    closure = ClosureFactory(
        facility=booking.facility,
        start=hk(2030, 3, 4, 10),
        end=hk(2030, 3, 4, 12),
        reason=Closure.Reason.OTHER,
        note="Typhoon signal 8",
    )

    warnings = event_warnings(event_id=booking.event_id)

    assert codes(warnings) == [CLOSED_OVER_BOOKING]
    assert (warnings[0].booking_id, warnings[0].closure_id) == (booking.pk, closure.pk)
    assert warnings[0].message == (
        "Lecture Theatre is closed Mon 4 Mar 2030 10:00–12:00 HKT (Typhoon signal 8) over this "
        "event's booking 10:30–11:30."
    )


def test_event_warnings_site_closure_over_a_held_booking_names_site_and_facility():
    booking = _theatre_booking(status=Booking.Status.HELD)
    Event.objects.filter(pk=booking.event_id).update(status=Event.Status.TENTATIVE)
    ClosureFactory(
        facility=None,
        site=booking.facility.site,
        start=hk(2030, 3, 4),
        end=hk(2030, 3, 5),
        reason=Closure.Reason.PUBLIC_HOLIDAY,
        note="Chung Yeung",
    )

    warnings = event_warnings(event_id=booking.event_id)

    assert codes(warnings) == [CLOSED_OVER_BOOKING]
    assert warnings[0].message == (
        "Science Park (the whole site) is closed Mon 4 Mar 2030 00:00 – Tue 5 Mar 2030 00:00 HKT "
        "(Public holiday: Chung Yeung) over this event's booking of Lecture Theatre 10:30–11:30."
    )


def test_event_warnings_closure_over_only_the_set_up_says_so():
    booking = _theatre_booking()
    ClosureFactory(facility=booking.facility, start=hk(2030, 3, 4, 9), end=hk(2030, 3, 4, 10, 15))

    warnings = event_warnings(event_id=booking.event_id)

    assert [w.message for w in warnings] == [
        "Lecture Theatre is closed Mon 4 Mar 2030 09:00–10:15 HKT (Maintenance) over the set-up "
        "or teardown of this event's booking 10:30–11:30 (occupied 10:00–11:45)."
    ]


@pytest.mark.parametrize(
    ("scope", "start", "end"),
    [
        ("facility", hk(2030, 3, 4, 8), hk(2030, 3, 4, 10)),  # ends as the set-up begins
        ("facility", hk(2030, 3, 4, 11, 45), hk(2030, 3, 4, 13)),  # after the teardown
        ("other facility", hk(2030, 3, 4, 10), hk(2030, 3, 4, 12)),
        ("other site", hk(2030, 3, 4, 10), hk(2030, 3, 4, 12)),
    ],
)
def test_event_warnings_no_closure_warning_beside_the_booking(scope, start, end):
    booking = _theatre_booking()
    where = {
        "facility": {"facility": booking.facility},
        "other facility": {"facility": FacilityFactory(site=booking.facility.site)},
        "other site": {"facility": None, "site": SiteFactory()},
    }[scope]
    ClosureFactory(start=start, end=end, **where)

    warnings = event_warnings(event_id=booking.event_id)

    assert warnings == []


def test_event_warnings_no_closure_warning_for_a_released_booking():
    booking = _theatre_booking()
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.RELEASED)
    ClosureFactory(facility=booking.facility, start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 12))

    warnings = event_warnings(event_id=booking.event_id)

    assert warnings == []


# --- People moving between events ----------------------------------------------------------------


def _secretary_between_parks(*, due_at: dt.datetime | None, minutes: int | None = 25):
    """The Secretary leaves a visit at I&T Park at 11:45 for a forum at Science Park at noon."""
    it_park = SiteFactory(name="I&T Park")
    science_park = SiteFactory(name="Science Park")
    if minutes is not None:
        TravelTime.objects.create(from_site=it_park, to_site=science_park, minutes=minutes)
    secretary = PersonFactory(honorific="", name="Secretary for Innovation")
    visit = EventFactory(
        title="Robotics lab visit",
        site=it_park,
        status=CONFIRMED,
        start=hk(2030, 3, 4, 10, 30),
        end=hk(2030, 3, 4, 11, 45),
    )
    forum = EventFactory(
        title="Biotech forum",
        site=science_park,
        status=Event.Status.TENTATIVE,
        start=hk(2030, 3, 4, 12),
        end=hk(2030, 3, 4, 13),
    )
    AttendanceFactory(event=visit, person=secretary)
    AttendanceFactory(event=forum, person=secretary, call_time=due_at)
    return secretary, visit, forum


def test_event_warnings_person_without_travel_time_between_events_warns_on_both():
    secretary, visit, forum = _secretary_between_parks(due_at=hk(2030, 3, 4, 11, 50))

    on_visit = event_warnings(event_id=visit.pk)
    on_forum = event_warnings(event_id=forum.pk)

    assert codes(on_visit) == [PERSON_TRAVEL_TIME]
    assert on_visit[0].person_id == secretary.pk and on_visit[0].related_event_id == forum.pk
    assert (on_visit[0].minutes_needed, on_visit[0].minutes_available) == (25, 5)
    assert on_visit[0].message == (
        "Secretary for Innovation leaves “Robotics lab visit” at I&T Park at 11:45 and is due at "
        "“Biotech forum” at Science Park at 11:50; travel takes 25 min."
    )
    assert codes(on_forum) == [PERSON_TRAVEL_TIME]
    assert on_forum[0].related_event_id == visit.pk
    assert on_forum[0].message == on_visit[0].message


@pytest.mark.parametrize(
    ("due_at", "minutes"),
    [
        (None, 15),  # due at the start, 12:00: 15 min is enough
        (hk(2030, 3, 4, 12, 10), 25),
    ],
)
def test_event_warnings_no_person_travel_warning_with_time_to_travel(due_at, minutes):
    _secretary, visit, forum = _secretary_between_parks(due_at=due_at, minutes=minutes)

    warnings = warnings_for_events(event_ids=[visit.pk, forum.pk])

    assert warnings == {}


def test_event_warnings_person_travel_without_a_travel_time_row_assumes_the_default():
    _secretary, visit, _forum = _secretary_between_parks(due_at=None, minutes=None)

    warnings = event_warnings(event_id=visit.pk)

    assert (warnings[0].minutes_needed, warnings[0].minutes_available) == (
        DEFAULT_TRAVEL_MINUTES,
        15,
    )


def test_event_warnings_person_travel_goes_by_the_venue_not_the_events_site():
    secretary, visit, forum = _secretary_between_parks(due_at=None)
    # The forum's site is Science Park, but it takes place in a hall at I&T Park.
    BookingFactory(event=forum, facility=FacilityFactory(site=visit.site))

    warnings = event_warnings(event_id=visit.pk)

    assert warnings == []


def test_event_warnings_person_travel_only_to_the_next_event():
    secretary, visit, forum = _secretary_between_parks(due_at=None, minutes=25)
    lunch = EventFactory(
        title="Lunch", site=visit.site, start=hk(2030, 3, 4, 11, 45), end=hk(2030, 3, 4, 12)
    )
    AttendanceFactory(event=lunch, person=secretary)

    warnings = warnings_for_events(event_ids=[visit.pk, lunch.pk])

    assert visit.pk not in warnings  # straight on to lunch, at the same site
    assert codes(warnings[lunch.pk]) == [PERSON_TRAVEL_TIME]  # 0 min to reach the forum


def test_event_warnings_call_time_makes_events_overlap():
    secretary, visit, forum = _secretary_between_parks(due_at=hk(2030, 3, 4, 11, 30))

    warnings = event_warnings(event_id=visit.pk)

    assert codes(warnings) == [PERSON_DOUBLE_BOOKED]
    assert warnings[0].message == (
        "Secretary for Innovation is expected at both this event and “Biotech forum” "
        "(tentative, Mon 4 Mar 2030 12:00–13:00 HKT, due from 11:30), which overlap."
    )


def test_event_warnings_person_travel_ignores_cancelled_and_declined():
    secretary, visit, forum = _secretary_between_parks(due_at=hk(2030, 3, 4, 11, 50))
    other = EventFactory(site=forum.site, start=hk(2030, 3, 4, 12), status=CONFIRMED)
    AttendanceFactory(event=other, person=secretary, rsvp=Attendance.RSVP.DECLINED)
    services.event_cancel(event_id=forum.pk)

    warnings = event_warnings(event_id=visit.pk)

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
    speaker who is also booked elsewhere and due at another site straight after, attendees,
    held bookings and a closure over one of them."""
    site = SiteFactory(internal_travel_minutes=10)
    other_site, next_site = SiteFactory(), SiteFactory()
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
        AttendanceFactory(event=EventFactory(site=next_site, start=event.end), person=speaker)
    ClosureFactory(facility=facilities[0], start=start, end=start + dt.timedelta(hours=1))
    party = Delegation.objects.create(event=event, name="Visiting party")
    for n in range(size):  # cars without drivers, each carrying the same aide
        car = Vehicle.objects.create(delegation=party, position=n + 1, plate=f"AB {n}")
        car.passengers.add(speaker)
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

    with django_assert_max_num_queries(QUERIES):
        warnings = event_warnings(event_id=event.pk)

    assert codes(warnings).count(PERSON_DOUBLE_BOOKED) == size
    assert codes(warnings).count(PERSON_TRAVEL_TIME) == size
    assert codes(warnings).count(TRAVEL_TIME) == size - 1
    assert codes(warnings).count(CLOSED_OVER_BOOKING) == 1
    assert codes(warnings).count(UNCONFIRMED_BOOKING) == 2
    assert codes(warnings).count(VEHICLE_WITHOUT_DRIVER) == size
    assert codes(warnings).count(PASSENGER_TWO_VEHICLES) == 1


def test_warnings_for_events_keys_each_event_with_warnings_in_the_same_queries(
    django_assert_max_num_queries,
):
    events = [_busy_event(3) for _ in range(4)]
    quiet = EventFactory()

    with django_assert_max_num_queries(QUERIES):
        found = warnings_for_events(event_ids=[e.pk for e in events] + [quiet.pk])

    assert set(found) == {e.pk for e in events}
    for event in events:
        assert found[event.pk] == event_warnings(event_id=event.pk)
        assert {w.event_id for w in found[event.pk]} == {event.pk}


def test_warnings_for_events_loads_only_the_rows_with_something_to_say():
    # A busy week's calendar asks about thousands of events that mostly have nothing to say:
    # the database picks the rows that do, and nothing else is built.
    quiet = [EventFactory(status=CONFIRMED) for _ in range(5)]
    for event in quiet:
        BookingFactory(event=event, status=Booking.Status.CONFIRMED)
        AttendanceFactory(event=event, guests=2)
    closed = EventFactory(status=CONFIRMED)
    booking = BookingFactory(event=closed, status=Booking.Status.CONFIRMED)
    ClosureFactory(facility=booking.facility, start=booking.start, end=booking.end)
    built = Counter()

    def count(sender, **kwargs):
        built[sender.__name__] += 1

    post_init.connect(count)
    try:
        found = warnings_for_events(event_ids=[e.pk for e in quiet] + [closed.pk])
    finally:
        post_init.disconnect(count)

    assert codes(found[closed.pk]) == [CLOSED_OVER_BOOKING]
    assert set(found) == {closed.pk}
    assert (built["Booking"], built["Event"], built["Attendance"]) == (1, 1, 0)
