import datetime as dt
import json

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from scheduling import services
from scheduling.models import Booking, Closure, Event, Facility
from scheduling.services import BookingClash
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    ClosureFactory,
    EventFactory,
    FacilityFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)
from visitors.models import Attendance

pytestmark = pytest.mark.django_db

# A window wide enough for every booking a test makes on 4 March (bookings lie within their event).
MARCH_4 = {"start": hk(2030, 3, 4, 8), "end": hk(2030, 3, 4, 20)}


def hold(event, facility, start, end, **kwargs) -> Booking:
    return services.booking_hold(
        event_id=event.pk, facility_id=facility.pk, start=start, end=end, **kwargs
    )


# --- Buffers and back-to-back ----------------------------------------------------------------


def test_booking_hold_takes_buffers_from_the_facility_and_expires_by_default(officer):
    facility = FacilityFactory(setup_minutes=30, teardown_minutes=15)
    event = EventFactory(site=facility.site)
    before = timezone.now()

    booking = hold(event, facility, hk(2030, 3, 4, 10), hk(2030, 3, 4, 12), by=officer)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.HELD
    assert (booking.setup_minutes, booking.teardown_minutes) == (30, 15)
    assert (booking.occupied_start, booking.occupied_end) == (
        hk(2030, 3, 4, 9, 30),
        hk(2030, 3, 4, 12, 15),
    )
    expected_expiry = before + dt.timedelta(hours=settings.BOOKING_HOLD_HOURS)
    assert abs(booking.hold_expires_at - expected_expiry) < dt.timedelta(minutes=1)
    assert booking.created_by == officer
    record = booking.history.latest()
    assert (record.history_user, record.history_change_reason) == (officer, "Held")


def test_booking_hold_refuses_a_slot_that_overlaps_only_through_buffers():
    facility = FacilityFactory(setup_minutes=30, teardown_minutes=15)
    taken = BookingFactory(facility=facility, start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 12))
    other = EventFactory(site=facility.site, title="Press briefing", **MARCH_4)

    # 12:20 minus 30 minutes of set-up reaches into the 12:00–12:15 teardown.
    with pytest.raises(BookingClash) as raised:
        hold(other, facility, hk(2030, 3, 4, 12, 20), hk(2030, 3, 4, 13))

    [conflict] = raised.value.conflicts
    assert conflict["kind"] == "booking"
    assert conflict["booking_id"] == taken.pk
    assert conflict["what"] == taken.event.title
    assert (conflict["start"], conflict["end"]) == (hk(2030, 3, 4, 9, 30), hk(2030, 3, 4, 12, 15))
    assert not Booking.objects.filter(event=other).exists()


def test_booking_hold_accepts_back_to_back_occupied_intervals():
    facility = FacilityFactory(setup_minutes=30, teardown_minutes=15)
    BookingFactory(facility=facility, start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 12))
    event = EventFactory(site=facility.site, **MARCH_4)

    # Occupied from 12:15, exactly when the first booking's teardown ends (half-open).
    booking = hold(event, facility, hk(2030, 3, 4, 12, 45), hk(2030, 3, 4, 14))

    assert booking.occupied_start == hk(2030, 3, 4, 12, 15)
    assert Booking.objects.active().filter(facility=facility).count() == 2


def test_booking_buffers_can_be_overridden_per_booking():
    facility = FacilityFactory(setup_minutes=30, teardown_minutes=15)
    BookingFactory(
        facility=facility,
        start=hk(2030, 3, 4, 10),
        end=hk(2030, 3, 4, 12),
        setup_minutes=0,
        teardown_minutes=0,
    )
    event = EventFactory(site=facility.site, **MARCH_4)

    booking = hold(
        event,
        facility,
        hk(2030, 3, 4, 12),
        hk(2030, 3, 4, 13),
        setup_minutes=0,
        teardown_minutes=5,
    )

    assert (booking.occupied_start, booking.occupied_end) == (
        hk(2030, 3, 4, 12),
        hk(2030, 3, 4, 13, 5),
    )


def test_booking_create_confirmed_has_no_expiry_and_past_bookings_are_allowed():
    facility = FacilityFactory()
    event = EventFactory(site=facility.site, start=hk(2021, 11, 26, 10), end=hk(2021, 11, 26, 12))

    booking = services.booking_create(
        event_id=event.pk,
        facility_id=facility.pk,
        start=event.start,
        end=event.end,
        status=Booking.Status.CONFIRMED,
    )

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.hold_expires_at is None
    assert booking.history.latest().history_change_reason == "Booked"


def test_booking_hold_refuses_naive_times_and_an_end_before_the_start():
    facility = FacilityFactory()
    event = EventFactory(site=facility.site)

    with pytest.raises(ValidationError) as naive:
        hold(event, facility, dt.datetime(2030, 3, 4, 10), hk(2030, 3, 4, 12))
    with pytest.raises(ValidationError) as backwards:
        hold(event, facility, hk(2030, 3, 4, 12), hk(2030, 3, 4, 10))

    assert "start" in naive.value.error_dict
    assert "end" in backwards.value.error_dict
    assert not Booking.objects.exists()


def test_booking_hold_refuses_a_cancelled_event():
    facility = FacilityFactory()
    event = EventFactory(site=facility.site, status=Event.Status.CANCELLED)

    with pytest.raises(ValidationError) as raised:
        hold(event, facility, hk(2030, 3, 4, 10), hk(2030, 3, 4, 12))

    assert "event" in raised.value.error_dict


# --- Closures, bookable hours, bookable facilities -------------------------------------------


def test_booking_refused_during_a_facility_closure():
    facility = FacilityFactory()
    closure = ClosureFactory(
        facility=facility,
        start=hk(2030, 3, 4, 0),
        end=hk(2030, 3, 5, 0),
        reason=Closure.Reason.MAINTENANCE,
        note="Stage rigging",
    )
    event = EventFactory(site=facility.site)

    with pytest.raises(BookingClash) as raised:
        hold(event, facility, hk(2030, 3, 4, 10), hk(2030, 3, 4, 12))

    [conflict] = raised.value.conflicts
    assert conflict["kind"] == "closure"
    assert conflict["closure_id"] == closure.pk
    assert conflict["scope"] == "facility"
    assert conflict["what"] == "Maintenance: Stage rigging"
    assert (conflict["start"], conflict["end"]) == (hk(2030, 3, 4, 0), hk(2030, 3, 5, 0))


def test_booking_refused_during_a_site_wide_closure_but_not_at_another_site():
    facility = FacilityFactory()
    elsewhere = FacilityFactory()
    ClosureFactory(
        facility=None,
        site=facility.site,
        start=hk(2030, 3, 4, 0),
        end=hk(2030, 3, 5, 0),
        reason=Closure.Reason.PUBLIC_HOLIDAY,
    )
    event = EventFactory(site=facility.site)

    with pytest.raises(BookingClash) as raised:
        hold(event, facility, hk(2030, 3, 4, 10), hk(2030, 3, 4, 12))
    booking = hold(event, elsewhere, hk(2030, 3, 4, 10), hk(2030, 3, 4, 12))

    [conflict] = raised.value.conflicts
    assert (conflict["kind"], conflict["scope"], conflict["reason"]) == (
        "closure",
        "site",
        Closure.Reason.PUBLIC_HOLIDAY,
    )
    assert booking.facility == elsewhere


def test_booking_may_touch_a_closure():
    facility = FacilityFactory(setup_minutes=0, teardown_minutes=0)
    ClosureFactory(facility=facility, start=hk(2030, 3, 4, 12), end=hk(2030, 3, 4, 18))
    event = EventFactory(site=facility.site)

    booking = hold(event, facility, hk(2030, 3, 4, 10), hk(2030, 3, 4, 12))

    assert booking.pk is not None


def test_booking_must_lie_within_bookable_hours_buffers_included():
    facility = FacilityFactory(
        setup_minutes=30, teardown_minutes=15, bookable_from=dt.time(8), bookable_until=dt.time(18)
    )
    event = EventFactory(site=facility.site, start=hk(2030, 3, 4, 8), end=hk(2030, 3, 5, 18))

    # Occupied 08:00–18:00 exactly: inside.
    fits = hold(event, facility, hk(2030, 3, 4, 8, 30), hk(2030, 3, 4, 17, 45))
    with pytest.raises(BookingClash) as raised:
        # Occupied until 18:15 the next day.
        hold(event, facility, hk(2030, 3, 5, 16), hk(2030, 3, 5, 18))

    assert fits.pk is not None
    [conflict] = raised.value.conflicts
    assert conflict["kind"] == "hours"
    assert conflict["bookable_hours"] == "08:00–18:00"
    assert "outside its bookable hours (08:00–18:00)" in raised.value.messages[0]


def test_bookable_hours_are_read_in_the_sites_time_zone():
    site = SiteFactory(timezone="Europe/London")
    facility = FacilityFactory(
        site=site,
        setup_minutes=0,
        teardown_minutes=0,
        bookable_from=dt.time(9),
        bookable_until=dt.time(17),
    )
    event = EventFactory(site=site, start=hk(2030, 7, 1, 9), end=hk(2030, 7, 2, 12))

    # 17:00–18:00 in Hong Kong is 09:00–10:00 in London (summer): inside London's hours.
    booking = hold(event, facility, hk(2030, 7, 1, 16), hk(2030, 7, 1, 17))
    with pytest.raises(BookingClash):
        # 10:00 in Hong Kong is 03:00 in London.
        hold(event, facility, hk(2030, 7, 2, 10), hk(2030, 7, 2, 11))

    assert booking.pk is not None


def test_booking_over_midnight_is_refused_when_hours_are_limited():
    facility = FacilityFactory(
        setup_minutes=0, teardown_minutes=0, bookable_from=dt.time(0), bookable_until=dt.time(23)
    )
    event = EventFactory(site=facility.site, start=hk(2030, 3, 4, 20), end=hk(2030, 3, 5, 2))

    with pytest.raises(BookingClash) as raised:
        hold(event, facility, hk(2030, 3, 4, 22), hk(2030, 3, 5, 1))

    assert [c["kind"] for c in raised.value.conflicts] == ["hours"]


def test_booking_refused_in_a_facility_that_is_not_bookable():
    facility = FacilityFactory(is_bookable=False)
    event = EventFactory(site=facility.site)

    with pytest.raises(ValidationError) as raised:
        hold(event, facility, hk(2030, 3, 4, 10), hk(2030, 3, 4, 12))

    assert not isinstance(raised.value, BookingClash)
    assert raised.value.error_dict["facility"][0].code == "not_bookable"


# --- Capacity ------------------------------------------------------------------------------


def _guests(event, *parties: tuple[int, str]) -> None:
    for guests, rsvp in parties:
        AttendanceFactory(event=event, guests=guests, rsvp=rsvp)


def test_booking_over_capacity_is_refused_without_a_reason():
    facility = FacilityFactory(capacity=10)
    event = EventFactory(site=facility.site)
    # 3 people with 3 guests each = 12 expected; the declined party of 20 does not count.
    _guests(event, *[(3, Attendance.RSVP.ACCEPTED)] * 3, (19, Attendance.RSVP.DECLINED))

    with pytest.raises(ValidationError) as raised:
        hold(event, facility, hk(2030, 3, 4, 10), hk(2030, 3, 4, 12))

    [error] = raised.value.error_dict["capacity_override_reason"]
    assert error.code == "over_capacity"
    assert "holds 10 people and 12 are expected" in error.message
    assert not Booking.objects.exists()


def test_booking_over_capacity_with_a_reason_stores_it_and_records_it_in_history(officer):
    facility = FacilityFactory(capacity=10)
    event = EventFactory(site=facility.site)
    _guests(event, *[(3, Attendance.RSVP.NEEDS_ACTION)] * 3)

    booking = hold(
        event,
        facility,
        hk(2030, 3, 4, 10),
        hk(2030, 3, 4, 12),
        capacity_override_reason="Standing reception; fire officer agreed 15",
        by=officer,
    )

    booking.refresh_from_db()
    assert booking.capacity_override_reason == "Standing reception; fire officer agreed 15"
    record = booking.history.latest()
    assert "Standing reception; fire officer agreed 15" in record.history_change_reason
    assert record.history_user == officer


def test_booking_headcount_ignores_declined_attendees():
    facility = FacilityFactory(capacity=3)
    event = EventFactory(site=facility.site)
    _guests(event, (2, Attendance.RSVP.ACCEPTED), (10, Attendance.RSVP.DECLINED))

    booking = hold(event, facility, hk(2030, 3, 4, 10), hk(2030, 3, 4, 12))

    assert booking.capacity_override_reason == ""


# --- Lifecycle --------------------------------------------------------------------------------


def test_booking_confirm_ends_the_hold_and_is_idempotent(officer):
    booking = BookingFactory(
        status=Booking.Status.HELD, hold_expires_at=timezone.now() + dt.timedelta(hours=1)
    )

    services.booking_confirm(booking_id=booking.pk, by=officer)
    services.booking_confirm(booking_id=booking.pk, by=officer)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.hold_expires_at is None
    assert [r.history_change_reason for r in booking.history.all()].count("Confirmed") == 1


def test_booking_release_frees_the_slot_and_is_idempotent(officer):
    booking = BookingFactory()
    other = EventFactory(site=booking.event.site)

    services.booking_release(booking_id=booking.pk, by=officer, reason="Moved online")
    released_at = Booking.objects.get(pk=booking.pk).released_at
    services.booking_release(booking_id=booking.pk, by=officer)
    again = hold(other, booking.facility, booking.start, booking.end)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.RELEASED
    assert booking.released_at == released_at
    assert booking.history.latest().history_change_reason == "Moved online"
    assert again.status == Booking.Status.HELD


def test_released_booking_cannot_be_confirmed_or_moved():
    booking = BookingFactory(status=Booking.Status.RELEASED)

    with pytest.raises(ValidationError) as confirm:
        services.booking_confirm(booking_id=booking.pk)
    with pytest.raises(ValidationError) as move:
        services.booking_move(
            booking_id=booking.pk, start=hk(2030, 3, 5, 10), end=hk(2030, 3, 5, 11)
        )

    assert confirm.value.error_dict["status"][0].code == "released"
    assert move.value.error_dict["status"][0].code == "released"


# --- Backups (rain plans) -----------------------------------------------------------------------


def _primary_with_backup(deadline=None):
    lawn = FacilityFactory(name="Lawn")
    hall = FacilityFactory(site=lawn.site, name="Hall")
    event = EventFactory(site=lawn.site)
    primary = hold(event, lawn, event.start, event.end)
    backup = hold(
        event, hall, event.start, event.end, backup_of_id=primary.pk, backup_deadline=deadline
    )
    return primary, backup


def test_booking_confirm_final_keeps_the_primary_and_releases_its_backups(officer):
    primary, backup = _primary_with_backup(deadline=hk(2030, 3, 3, 12))

    services.booking_confirm(booking_id=primary.pk, by=officer, final=True)

    primary.refresh_from_db()
    backup.refresh_from_db()
    assert primary.status == Booking.Status.CONFIRMED
    assert backup.status == Booking.Status.RELEASED
    assert backup.history.latest().history_change_reason == "Go/no-go: backup not needed"
    assert backup.history.latest().history_user == officer


def test_booking_confirm_without_final_keeps_the_backups():
    primary, backup = _primary_with_backup()

    services.booking_confirm(booking_id=primary.pk)

    backup.refresh_from_db()
    assert backup.status == Booking.Status.HELD


def test_booking_confirm_final_on_a_backup_makes_it_the_plan_that_goes_ahead():
    primary, backup = _primary_with_backup(deadline=hk(2030, 3, 3, 12))

    services.booking_confirm(booking_id=backup.pk, final=True)

    primary.refresh_from_db()
    backup.refresh_from_db()
    assert backup.status == Booking.Status.CONFIRMED
    assert backup.backup_deadline is None
    assert primary.status == Booking.Status.RELEASED


def test_booking_backup_must_back_up_a_booking_of_the_same_event():
    primary = BookingFactory()
    facility = FacilityFactory()
    other_event = EventFactory(site=facility.site)

    with pytest.raises(ValidationError) as raised:
        hold(other_event, facility, primary.start, primary.end, backup_of_id=primary.pk)

    assert "backup_of" in raised.value.error_dict


# --- Moves ------------------------------------------------------------------------------------


def test_booking_move_may_overlap_its_own_old_interval(officer):
    booking = BookingFactory(
        start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 12), event__end=hk(2030, 3, 4, 14)
    )

    services.booking_move(
        booking_id=booking.pk, start=hk(2030, 3, 4, 11), end=hk(2030, 3, 4, 13), by=officer
    )

    booking.refresh_from_db()
    assert (booking.start, booking.occupied_end) == (hk(2030, 3, 4, 11), hk(2030, 3, 4, 13, 15))
    assert booking.history.latest().history_user == officer


def test_booking_move_into_another_booking_is_refused_and_changes_nothing():
    first = BookingFactory(start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 12))
    second = BookingFactory(
        facility=first.facility,
        event__site=first.facility.site,
        event__start=hk(2030, 3, 4, 12),
        event__end=hk(2030, 3, 4, 16),
        start=hk(2030, 3, 4, 14),
        end=hk(2030, 3, 4, 15),
    )

    with pytest.raises(BookingClash) as raised:
        services.booking_move(
            booking_id=second.pk, start=hk(2030, 3, 4, 12), end=hk(2030, 3, 4, 13)
        )

    second.refresh_from_db()
    assert [c["booking_id"] for c in raised.value.conflicts] == [first.pk]
    assert second.start == hk(2030, 3, 4, 14)


def test_booking_move_to_another_facility_takes_its_buffers_and_checks_capacity():
    booking = BookingFactory()
    small = FacilityFactory(site=booking.facility.site, capacity=1, setup_minutes=5)
    _guests(booking.event, (2, Attendance.RSVP.ACCEPTED))

    with pytest.raises(ValidationError) as raised:
        services.booking_move(
            booking_id=booking.pk, facility_id=small.pk, start=booking.start, end=booking.end
        )
    services.booking_move(
        booking_id=booking.pk,
        facility_id=small.pk,
        start=booking.start,
        end=booking.end,
        capacity_override_reason="Principals only",
    )

    assert "capacity_override_reason" in raised.value.error_dict
    booking.refresh_from_db()
    assert booking.facility == small
    assert booking.setup_minutes == 5
    assert booking.capacity_override_reason == "Principals only"


# --- Event reschedule: all bookings move or none ----------------------------------------------


def test_event_reschedule_with_one_clashing_booking_moves_nothing():
    event = EventFactory(start=hk(2030, 5, 5, 10), end=hk(2030, 5, 5, 12))
    item = ProgrammeItemFactory(event=event, start=hk(2030, 5, 5, 10), end=hk(2030, 5, 5, 11))
    hall = FacilityFactory(site=event.site)
    vip_room = FacilityFactory(site=event.site)
    free_one = BookingFactory(event=event, facility=hall)
    blocked = BookingFactory(event=event, facility=vip_room)
    rival = BookingFactory(
        facility=vip_room,
        event__site=event.site,
        start=hk(2030, 5, 6, 10),
        end=hk(2030, 5, 6, 12),
    )

    with pytest.raises(BookingClash) as raised:
        services.event_reschedule(
            event_id=event.pk, start=hk(2030, 5, 6, 10), end=hk(2030, 5, 6, 12)
        )

    assert [c["booking_id"] for c in raised.value.conflicts] == [rival.pk]
    for row in (event, item, free_one, blocked):
        row.refresh_from_db()
    assert (event.start, event.sequence) == (hk(2030, 5, 5, 10), 0)
    assert item.start == hk(2030, 5, 5, 10)
    assert free_one.start == blocked.start == hk(2030, 5, 5, 10)


@pytest.mark.parametrize("hours", [2, -2])
def test_event_reschedule_moves_its_back_to_back_bookings_together(hours):
    # Its own bookings are not clashes for one another, and on PostgreSQL the rows move in an
    # order that never overlaps a sibling still waiting to move.
    event = EventFactory(start=hk(2030, 5, 5, 10), end=hk(2030, 5, 5, 13))
    hall = FacilityFactory(site=event.site, setup_minutes=0, teardown_minutes=0)
    parts = [
        BookingFactory(
            event=event, facility=hall, start=hk(2030, 5, 5, h), end=hk(2030, 5, 5, h + 1)
        )
        for h in (10, 11, 12)
    ]
    delta = dt.timedelta(hours=hours)

    services.event_reschedule(event_id=event.pk, start=event.start + delta, end=event.end + delta)

    for part, hour in zip(parts, (10, 11, 12), strict=True):
        part.refresh_from_db()
        assert part.start == hk(2030, 5, 5, hour) + delta


def test_event_reschedule_into_a_closure_is_refused():
    event = EventFactory(start=hk(2030, 5, 5, 10), end=hk(2030, 5, 5, 12))
    booking = BookingFactory(event=event)
    ClosureFactory(facility=booking.facility, start=hk(2030, 5, 6, 0), end=hk(2030, 5, 7, 0))

    with pytest.raises(BookingClash) as raised:
        services.event_reschedule(
            event_id=event.pk, start=hk(2030, 5, 6, 10), end=hk(2030, 5, 6, 12)
        )

    assert raised.value.conflicts[0]["kind"] == "closure"
    assert raised.value.messages[0].startswith(f"“{event.title}” cannot move: ")
    event.refresh_from_db()
    assert event.start == hk(2030, 5, 5, 10)


# --- What a clash says --------------------------------------------------------------------------


def test_booking_clash_suggests_nearest_slots_that_day_and_the_next():
    hall = FacilityFactory(
        name="Hall A",
        setup_minutes=30,
        teardown_minutes=15,
        bookable_from=dt.time(8),
        bookable_until=dt.time(20),
    )
    BookingFactory(
        facility=hall, event__site=hall.site, start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 12)
    )
    event = EventFactory(site=hall.site)

    with pytest.raises(BookingClash) as raised:
        # Occupied 10:30–12:15: 1 h 45 min with buffers.
        hold(event, hall, hk(2030, 3, 4, 11), hk(2030, 3, 4, 12))

    slots = [(s["start"], s["end"]) for s in raised.value.suggestions["slots"]]
    # 08:00–09:30 is too short; the afternoon is nearest that day; the next day is free at the
    # time asked.
    assert slots == [
        (hk(2030, 3, 4, 12, 45), hk(2030, 3, 4, 13, 45)),
        (hk(2030, 3, 5, 11), hk(2030, 3, 5, 12)),
    ]
    first = raised.value.suggestions["slots"][0]
    assert (first["occupied_start"], first["occupied_end"]) == (
        hk(2030, 3, 4, 12, 15),
        hk(2030, 3, 4, 14),
    )


def test_booking_clash_suggests_slots_around_closures_and_within_hours():
    hall = FacilityFactory(
        setup_minutes=0, teardown_minutes=0, bookable_from=dt.time(9), bookable_until=dt.time(18)
    )
    BookingFactory(
        facility=hall, event__site=hall.site, start=hk(2030, 3, 4, 9), end=hk(2030, 3, 4, 17)
    )
    ClosureFactory(facility=hall, start=hk(2030, 3, 5, 0), end=hk(2030, 3, 5, 12))
    event = EventFactory(site=hall.site)

    with pytest.raises(BookingClash) as raised:
        hold(event, hall, hk(2030, 3, 4, 10), hk(2030, 3, 4, 12))

    slots = [(s["start"], s["end"]) for s in raised.value.suggestions["slots"]]
    # That day only 17:00–18:00 is free (too short); the next day from noon, when the closure ends.
    assert slots == [(hk(2030, 3, 5, 12), hk(2030, 3, 5, 14))]


def test_booking_clash_suggests_other_free_facilities_of_the_kind_and_size():
    hall = FacilityFactory(name="Hall A", capacity=100)
    site = hall.site
    BookingFactory(facility=hall, event__site=site)
    roomy = FacilityFactory(site=site, name="Hall B", capacity=180, setup_minutes=60)
    snug = FacilityFactory(site=site, name="Hall C", capacity=50)
    FacilityFactory(site=site, name="Hall E", capacity=40)  # less than half the size asked for
    FacilityFactory(site=site, name="Arena", capacity=300)  # more than twice the size
    FacilityFactory(site=site, name="Lawn", capacity=100, kind=Facility.Kind.OUTDOOR)
    FacilityFactory(site=site, name="Plant room", capacity=100, is_bookable=False)
    busy = FacilityFactory(site=site, name="Hall D", capacity=120)
    BookingFactory(facility=busy, event__site=site)
    FacilityFactory(name="Hall elsewhere", capacity=100)  # another site
    event = EventFactory(site=site)
    _guests(event, (9, Attendance.RSVP.ACCEPTED))  # 10 expected

    with pytest.raises(BookingClash) as raised:
        hold(event, hall, event.start, event.end)

    offered = raised.value.suggestions["facilities"]
    assert [(f["facility_id"], f["name"]) for f in offered] == [
        (snug.pk, "Hall C"),
        (roomy.pk, "Hall B"),
    ]
    # Hall B's own set-up time applies there.
    assert offered[1]["occupied_start"] == event.start - dt.timedelta(minutes=60)
    assert "Free at that time: Hall C, Hall B." in raised.value.messages[0]


def test_booking_clash_offers_a_lounge_no_plaza_and_nothing_smaller_than_the_party():
    """The defect seen at HSITP: its 20-seat VIP lounge was busy and the 500-person plaza and
    the 300-seat hall were offered instead."""
    lounge = FacilityFactory(name="VIP Lounge", kind=Facility.Kind.MEETING_ROOM, capacity=20)
    site = lounge.site
    BookingFactory(facility=lounge, event__site=site)
    FacilityFactory(site=site, name="Plaza", kind=Facility.Kind.OUTDOOR, capacity=500)
    FacilityFactory(site=site, name="Hall", kind=Facility.Kind.HALL, capacity=300)
    FacilityFactory(site=site, name="Cabin", kind=Facility.Kind.MEETING_ROOM, capacity=12)
    FacilityFactory(site=site, name="Boardroom", kind=Facility.Kind.MEETING_ROOM, capacity=24)
    event = EventFactory(site=site)
    _guests(event, *[(0, Attendance.RSVP.ACCEPTED)] * 14)  # 14 expected: the cabin is too small

    with pytest.raises(BookingClash) as raised:
        hold(event, lounge, event.start, event.end)

    assert [f["name"] for f in raised.value.suggestions["facilities"]] == ["Boardroom"]


def test_booking_clash_offers_no_other_tenants_premises():
    """A tenant's premises are where that tenant works: another tenant's are no substitute."""
    premises = FacilityFactory(name="Time Medical", kind=Facility.Kind.TENANT_PREMISES)
    BookingFactory(facility=premises, event__site=premises.site)
    FacilityFactory(site=premises.site, name="Köln 3D", kind=Facility.Kind.TENANT_PREMISES)
    event = EventFactory(site=premises.site)

    with pytest.raises(BookingClash) as raised:
        hold(event, premises, event.start, event.end)

    assert raised.value.suggestions["facilities"] == []
    assert raised.value.suggestions["slots"]


def test_booking_clash_message_names_what_is_in_the_way_in_local_time():
    hall = FacilityFactory(name="Multi-function Hall")
    taken = BookingFactory(
        facility=hall,
        event__site=hall.site,
        event__title="MARS Centre announcement",
        start=hk(2030, 3, 4, 10),
        end=hk(2030, 3, 4, 12),
    )
    event = EventFactory(site=hall.site)

    with pytest.raises(BookingClash) as raised:
        hold(event, hall, hk(2030, 3, 4, 11), hk(2030, 3, 4, 12))

    message = raised.value.messages[0]
    assert message.startswith(
        "Multi-function Hall is not free on Mon 4 Mar 2030, 10:30–12:15 (set-up and teardown "
        "included): booked for “MARS Centre announcement”, 09:30–12:15."
    )
    # Suggestions are given as event times, the way they would be booked.
    assert message.endswith(
        "It could take place 12:45–13:45, 08:15–09:15 or Tue 5 Mar 2030, 11:00–12:00."
    )
    assert raised.value.code == "booking_clash"
    assert taken.event.title in json.dumps(raised.value.as_dict())


def test_booking_clash_as_dict_hides_titles_the_caller_may_not_see():
    hall = FacilityFactory()
    secret = BookingFactory(
        facility=hall,
        event__site=hall.site,
        event__title="Unannounced ministerial visit",
        event__visibility=Event.Visibility.RESTRICTED,
    )
    event = EventFactory(site=hall.site)
    with pytest.raises(BookingClash) as raised:
        hold(event, hall, event.start, event.end)

    body = raised.value.as_dict(can_see=lambda e: e.visibility == Event.Visibility.PUBLIC)

    text = json.dumps(body)
    assert "Unannounced" not in text
    assert str(secret.event_id) not in [str(c.get("event_id")) for c in body["conflicts"]]
    assert body["conflicts"][0]["what"] == "Booked"
    assert body["conflicts"][0]["booking_id"] is None  # as availability shows it: no id
    assert "booked for another event" in body["message"]
    assert body["code"] == "booking_clash"
    assert body["requested"]["start"] == event.start.isoformat()
