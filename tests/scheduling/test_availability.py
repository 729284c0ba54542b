import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.availability import Interval, facility_availability, site_availability
from scheduling.models import Booking, Closure, Event
from tests.factories import BookingFactory, ClosureFactory, FacilityFactory, SiteFactory, hk

pytestmark = pytest.mark.django_db


def _book(facility, start, end, **kwargs) -> Booking:
    return BookingFactory(
        facility=facility, event__site=facility.site, start=start, end=end, **kwargs
    )


def test_facility_availability_merges_overlapping_and_touching_busy_time():
    hall = FacilityFactory(setup_minutes=0, teardown_minutes=0)
    first = _book(hall, hk(2030, 3, 4, 10), hk(2030, 3, 4, 11))
    touching = _book(hall, hk(2030, 3, 4, 11), hk(2030, 3, 4, 12))
    closure = ClosureFactory(facility=hall, start=hk(2030, 3, 4, 11, 30), end=hk(2030, 3, 4, 13))
    later = _book(hall, hk(2030, 3, 4, 15), hk(2030, 3, 4, 16))

    found = facility_availability(
        facility_id=hall.pk, start=hk(2030, 3, 4, 8), end=hk(2030, 3, 4, 18)
    )

    assert [(b.start, b.end) for b in found.busy] == [
        (hk(2030, 3, 4, 10), hk(2030, 3, 4, 13)),
        (hk(2030, 3, 4, 15), hk(2030, 3, 4, 16)),
    ]
    assert [(o.kind, o.booking_id or o.closure_id) for o in found.busy[0].occupants] == [
        ("booking", first.pk),
        ("booking", touching.pk),
        ("closure", closure.pk),
    ]
    assert found.busy[1].occupants[0].what == later.event.title
    assert found.free == (
        Interval(hk(2030, 3, 4, 8), hk(2030, 3, 4, 10)),
        Interval(hk(2030, 3, 4, 13), hk(2030, 3, 4, 15)),
        Interval(hk(2030, 3, 4, 16), hk(2030, 3, 4, 18)),
    )


def test_facility_availability_counts_buffers_and_clips_to_the_range():
    hall = FacilityFactory(setup_minutes=30, teardown_minutes=15)
    early = _book(hall, hk(2030, 3, 4, 7), hk(2030, 3, 4, 9))
    _book(hall, hk(2030, 3, 4, 12), hk(2030, 3, 4, 13))
    _book(hall, hk(2030, 3, 4, 14), hk(2030, 3, 4, 15), status=Booking.Status.RELEASED)

    found = facility_availability(
        facility_id=hall.pk, start=hk(2030, 3, 4, 8), end=hk(2030, 3, 4, 18)
    )

    assert [(b.start, b.end) for b in found.busy] == [
        (hk(2030, 3, 4, 8), hk(2030, 3, 4, 9, 15)),
        (hk(2030, 3, 4, 11, 30), hk(2030, 3, 4, 13, 15)),
    ]
    # The occupant keeps its own interval, buffers included.
    occupant = found.busy[0].occupants[0]
    assert (occupant.start, occupant.end) == (early.occupied_start, hk(2030, 3, 4, 9, 15))
    assert found.is_free(hk(2030, 3, 4, 13, 15), hk(2030, 3, 4, 18))
    assert not found.is_free(hk(2030, 3, 4, 13), hk(2030, 3, 4, 14))


def test_facility_availability_is_busy_outside_bookable_hours_in_the_sites_zone():
    site = SiteFactory(timezone="Asia/Hong_Kong")
    hall = FacilityFactory(site=site, bookable_from=dt.time(9), bookable_until=dt.time(17))

    found = facility_availability(facility_id=hall.pk, start=hk(2030, 3, 4), end=hk(2030, 3, 6))

    assert [(b.start, b.end) for b in found.busy] == [
        (hk(2030, 3, 4, 0), hk(2030, 3, 4, 9)),
        (hk(2030, 3, 4, 17), hk(2030, 3, 5, 9)),
        (hk(2030, 3, 5, 17), hk(2030, 3, 6, 0)),
    ]
    assert {o.kind for b in found.busy for o in b.occupants} == {"hours"}
    assert found.busy[1].occupants[0].what == "Outside bookable hours (09:00–17:00)"
    assert [(f.start, f.end) for f in found.free] == [
        (hk(2030, 3, 4, 9), hk(2030, 3, 4, 17)),
        (hk(2030, 3, 5, 9), hk(2030, 3, 5, 17)),
    ]


def test_facility_availability_of_an_unbookable_facility_has_no_free_time():
    store = FacilityFactory(is_bookable=False)

    found = facility_availability(
        facility_id=store.pk, start=hk(2030, 3, 4, 8), end=hk(2030, 3, 4, 18)
    )

    assert found.free == ()
    assert [o.kind for o in found.busy[0].occupants] == ["unbookable"]


def test_facility_availability_names_events_only_where_can_see_allows():
    hall = FacilityFactory()
    public = _book(hall, hk(2030, 3, 4, 9), hk(2030, 3, 4, 10))
    Event.objects.filter(pk=public.event_id).update(visibility=Event.Visibility.PUBLIC)
    _book(hall, hk(2030, 3, 4, 14), hk(2030, 3, 4, 15), event__title="Unannounced visit")

    found = facility_availability(
        facility_id=hall.pk,
        start=hk(2030, 3, 4, 8),
        end=hk(2030, 3, 4, 18),
        can_see=lambda event: event.visibility == Event.Visibility.PUBLIC,
    )

    occupants = [o for b in found.busy for o in b.occupants]
    assert [(o.what, o.event_id) for o in occupants] == [
        (public.event.title, public.event_id),
        ("Booked", None),
    ]


def test_site_availability_covers_every_facility_and_its_site_closures():
    site = SiteFactory()
    hall = FacilityFactory(site=site, name="Hall", setup_minutes=0, teardown_minutes=0)
    lab = FacilityFactory(site=site, name="Lab")
    _book(hall, hk(2030, 3, 4, 10), hk(2030, 3, 4, 11))
    holiday = ClosureFactory(
        facility=None,
        site=site,
        start=hk(2030, 3, 4, 16),
        end=hk(2030, 3, 5, 0),
        reason=Closure.Reason.PUBLIC_HOLIDAY,
    )
    ClosureFactory(facility=None, site=SiteFactory(), start=hk(2030, 3, 4), end=hk(2030, 3, 5))

    found = site_availability(site_id=site.pk, start=hk(2030, 3, 4, 8), end=hk(2030, 3, 4, 18))

    assert [f.name for f in found.facilities] == ["Hall", "Lab"]
    assert [(c.start, c.end) for c in found.closures] == [(hk(2030, 3, 4, 16), hk(2030, 3, 4, 18))]
    assert found.closures[0].occupants[0].closure_id == holiday.pk
    hall_found, lab_found = found.facilities
    assert [(b.start, b.end) for b in hall_found.busy] == [
        (hk(2030, 3, 4, 10), hk(2030, 3, 4, 11)),
        (hk(2030, 3, 4, 16), hk(2030, 3, 4, 18)),
    ]
    assert lab_found.facility_id == lab.pk
    assert lab_found.free == (Interval(hk(2030, 3, 4, 8), hk(2030, 3, 4, 16)),)


def test_site_availability_of_a_site_without_facilities_still_reports_closures():
    site = SiteFactory()
    ClosureFactory(facility=None, site=site, start=hk(2030, 3, 4), end=hk(2030, 3, 5))

    found = site_availability(site_id=site.pk, start=hk(2030, 3, 4, 8), end=hk(2030, 3, 4, 18))

    assert found.facilities == ()
    assert [(c.start, c.end) for c in found.closures] == [(hk(2030, 3, 4, 8), hk(2030, 3, 4, 18))]


def test_availability_refuses_naive_times():
    hall = FacilityFactory()

    with pytest.raises(ValidationError):
        facility_availability(
            facility_id=hall.pk, start=dt.datetime(2030, 3, 4), end=hk(2030, 3, 5)
        )


@pytest.mark.parametrize("bookings", [2, 40])
def test_availability_costs_two_queries_whatever_the_number_of_bookings(
    bookings, django_assert_num_queries
):
    site = SiteFactory()
    halls = [FacilityFactory(site=site, setup_minutes=0, teardown_minutes=0) for _ in range(3)]
    ClosureFactory(facility=halls[0], start=hk(2030, 3, 4), end=hk(2030, 3, 4, 1))
    ClosureFactory(facility=None, site=site, start=hk(2030, 3, 5), end=hk(2030, 3, 6))
    ClosureFactory(facility=None, site=site, start=hk(2030, 3, 7), end=hk(2030, 3, 8))
    for n in range(bookings):
        _book(
            halls[n % 3],
            hk(2030, 3, 4) + dt.timedelta(hours=n),
            hk(2030, 3, 4, 1) + dt.timedelta(hours=n),
        )

    with django_assert_num_queries(2):
        found = site_availability(site_id=site.pk, start=hk(2030, 3, 4), end=hk(2030, 3, 11))
    with django_assert_num_queries(2):
        facility_availability(facility_id=halls[0].pk, start=hk(2030, 3, 4), end=hk(2030, 3, 11))

    assert sum(len(b.occupants) for f in found.facilities for b in f.busy) == bookings + 1 + 2 * 3


def test_availability_reads_bookings_through_the_occupancy_index():
    hall = FacilityFactory()
    booking = _book(hall, hk(2030, 3, 4, 10), hk(2030, 3, 4, 12))
    # A year of bookings and fresh statistics, so that the planner has a real choice: reading
    # the whole facility through its foreign-key index, or only the window through this one.
    day = dt.timedelta(days=1)
    Booking.objects.bulk_create(
        Booking(
            facility=hall,
            event=booking.event,
            status=booking.status,
            setup_minutes=booking.setup_minutes,
            teardown_minutes=booking.teardown_minutes,
            start=booking.start + n * day,
            end=booking.end + n * day,
            occupied_start=booking.occupied_start + n * day,
            occupied_end=booking.occupied_end + n * day,
        )
        for n in range(1, 366)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scheduling_booking")

    with CaptureQueriesContext(connection) as captured:
        facility_availability(facility_id=hall.pk, start=hk(2030, 3, 4), end=hk(2030, 3, 5))

    [sql] = [q["sql"] for q in captured.captured_queries if 'FROM "scheduling_booking"' in q["sql"]]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A tiny table is cheaper to scan; ask what the planner does when it is not.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " ".join(str(column) for row in cursor.fetchall() for column in row)
    assert "booking_occupancy" in plan
