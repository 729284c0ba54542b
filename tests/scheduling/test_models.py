import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from scheduling.models import Booking, Closure, Facility, Site
from tests.factories import (
    BookingFactory,
    EventFactory,
    FacilityFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)

pytestmark = pytest.mark.django_db


def test_site_refuses_a_zone_that_is_not_iana():
    site = Site(name="Somewhere", slug="somewhere", address="1 Road", timezone="GMT+8")

    with pytest.raises(ValidationError) as error:
        site.full_clean()

    assert "timezone" in error.value.message_dict


def test_event_end_after_start_is_enforced_by_the_database():
    event = EventFactory()

    with pytest.raises(IntegrityError):
        type(event).objects.filter(pk=event.pk).update(end=event.start)


def test_facility_bookable_hours_need_both_ends_in_order():
    facility = FacilityFactory.build(
        site=SiteFactory(), bookable_from=dt.time(22), bookable_until=dt.time(8)
    )

    with pytest.raises(ValidationError) as error:
        facility.full_clean()

    assert "bookable_until" in error.value.message_dict


def test_closure_covers_a_site_or_a_facility_not_both():
    facility = FacilityFactory()
    closure = Closure(
        site=facility.site, facility=facility, start=hk(2030, 1, 1), end=hk(2030, 1, 2)
    )

    with pytest.raises(ValidationError):
        closure.full_clean()
    with pytest.raises(IntegrityError):
        Closure.objects.create(start=hk(2030, 1, 1), end=hk(2030, 1, 2))


def test_programme_item_outside_its_event_is_invalid():
    event = EventFactory(start=hk(2030, 5, 5, 15), end=hk(2030, 5, 5, 17))
    item = ProgrammeItemFactory.build(
        event=event, start=hk(2030, 5, 5, 14, 30), end=hk(2030, 5, 5, 15, 30)
    )

    with pytest.raises(ValidationError) as error:
        item.full_clean()

    assert "start" in error.value.message_dict


def test_booking_stores_its_occupied_interval_with_buffers():
    facility = FacilityFactory(setup_minutes=45, teardown_minutes=20)

    booking = BookingFactory(
        facility=facility,
        event=EventFactory(site=facility.site),
        start=hk(2030, 5, 5, 15),
        end=hk(2030, 5, 5, 17),
    )

    assert booking.occupied_start == hk(2030, 5, 5, 14, 15)
    assert booking.occupied_end == hk(2030, 5, 5, 17, 20)


def test_booking_occupied_interval_follows_a_partial_save():
    booking = BookingFactory(setup_minutes=30, teardown_minutes=15)

    booking.start += dt.timedelta(hours=1)
    booking.end += dt.timedelta(hours=1)
    booking.save(update_fields=["start", "end"])

    booking.refresh_from_db()
    assert booking.occupied_start == booking.start - dt.timedelta(minutes=30)
    assert booking.occupied_end == booking.end + dt.timedelta(minutes=15)


def test_held_booking_needs_an_expiry_in_the_database():
    with pytest.raises(IntegrityError):
        BookingFactory(status=Booking.Status.HELD, hold_expires_at=None)


def test_booking_clean_derives_occupancy_and_a_hold_expiry():
    facility = FacilityFactory()
    booking = Booking(
        facility=facility,
        event=EventFactory(site=facility.site),
        start=hk(2030, 5, 5, 15),
        end=hk(2030, 5, 5, 16),
        setup_minutes=10,
        teardown_minutes=5,
        status=Booking.Status.HELD,
    )

    booking.full_clean()

    assert booking.occupied_start == hk(2030, 5, 5, 14, 50)
    assert booking.hold_expires_at is not None


def test_facility_names_are_unique_per_site_only():
    facility = FacilityFactory(name="Multi-function Hall")

    FacilityFactory(name="Multi-function Hall")  # another site: fine
    with pytest.raises(IntegrityError):
        Facility.objects.create(site=facility.site, name="Multi-function Hall", capacity=10)


def test_event_local_times_are_in_its_zone():
    event = EventFactory(timezone="Europe/London", start=hk(2030, 7, 1, 18), end=hk(2030, 7, 1, 19))

    assert event.local_start.hour == 11  # BST is UTC+1, Hong Kong UTC+8
    assert str(event.local_start.tzinfo) == "Europe/London"


def test_booking_may_occupy_a_facility_for_two_weeks_at_most():
    facility = FacilityFactory(setup_minutes=60, teardown_minutes=0)
    booking = Booking(
        facility=facility,
        event=EventFactory(site=facility.site),
        start=hk(2030, 5, 1, 9),
        end=hk(2030, 5, 15, 9),
        setup_minutes=60,
        teardown_minutes=0,
        status=Booking.Status.CONFIRMED,
    )

    with pytest.raises(ValidationError) as error:
        booking.full_clean()

    assert "end" in error.value.message_dict


def test_occupying_finds_a_long_booking_that_began_long_before():
    booking = BookingFactory(
        start=hk(2030, 5, 1, 9),
        end=hk(2030, 5, 13, 9),
        setup_minutes=0,
        teardown_minutes=0,
        event=EventFactory(start=hk(2030, 5, 1, 9), end=hk(2030, 5, 13, 9)),
    )

    found = Booking.objects.occupying(hk(2030, 5, 12, 10), hk(2030, 5, 12, 11))

    assert list(found) == [booking]
