"""Closures: saved over bookings (they are facts), answering with the bookings they lie over."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from scheduling import services
from scheduling.models import Booking, Closure
from tests.factories import BookingFactory, ClosureFactory, EventFactory, FacilityFactory, hk

pytestmark = pytest.mark.django_db


@pytest.fixture
def theatre():
    return FacilityFactory(name="Lecture Theatre", setup_minutes=30, teardown_minutes=15)


def _booked(facility, start: dt.datetime, status=Booking.Status.CONFIRMED) -> Booking:
    event = EventFactory(site=facility.site, start=start, end=start + dt.timedelta(hours=1))
    return BookingFactory(event=event, facility=facility, status=status, hold_expires_at=start)


def test_closure_create_over_bookings_keeps_them_and_names_them(theatre):
    morning = _booked(theatre, hk(2030, 3, 4, 10, 30))  # occupied 10:00–11:45
    noon = _booked(theatre, hk(2030, 3, 4, 12, 30), status=Booking.Status.HELD)  # 12:00–13:45
    _booked(theatre, hk(2030, 3, 4, 15))  # occupied 14:30–16:15: after the closure
    _booked(FacilityFactory(site=theatre.site), hk(2030, 3, 4, 10, 30))  # another room

    saved = services.closure_create(
        facility_id=theatre.pk,
        start=hk(2030, 3, 4, 11),
        end=hk(2030, 3, 4, 14, 30),
        reason=Closure.Reason.OTHER,
        note="Typhoon signal 8",
    )

    assert Closure.objects.get() == saved.closure
    assert (saved.closure.note, saved.closure.facility_id) == ("Typhoon signal 8", theatre.pk)
    assert saved.overlapping == [morning, noon]
    assert Booking.objects.active().count() == 4  # a closure releases nothing


def test_closure_create_of_a_whole_site_names_bookings_of_all_its_facilities(theatre):
    here = _booked(theatre, hk(2030, 3, 4, 10))
    next_door = _booked(FacilityFactory(site=theatre.site), hk(2030, 3, 4, 16))
    _booked(FacilityFactory(), hk(2030, 3, 4, 10))  # another site
    Booking.objects.filter(pk=_booked(theatre, hk(2030, 3, 4, 14)).pk).update(
        status=Booking.Status.RELEASED
    )

    saved = services.closure_create(
        site_id=theatre.site_id,
        start=hk(2030, 3, 4),
        end=hk(2030, 3, 5),
        reason=Closure.Reason.PUBLIC_HOLIDAY,
    )

    assert saved.closure.site_id == theatre.site_id and saved.closure.facility_id is None
    assert saved.overlapping == [here, next_door]


def test_closure_create_with_nothing_booked_names_nothing(theatre):
    _booked(theatre, hk(2030, 3, 4, 10, 30))  # occupied from 10:00

    saved = services.closure_create(
        facility_id=theatre.pk, start=hk(2030, 3, 4, 8), end=hk(2030, 3, 4, 10)
    )

    assert saved.overlapping == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start": hk(2030, 3, 4, 12), "end": hk(2030, 3, 4, 10)}, "end"),
        ({"start": dt.datetime(2030, 3, 4, 10), "end": hk(2030, 3, 4, 12)}, "start"),
        ({"start": hk(2030, 3, 4, 10), "end": hk(2030, 3, 4, 12), "both": True}, "facility"),
    ],
)
def test_closure_create_refuses_what_a_closure_cannot_be(theatre, fields, field):
    scope = {"facility_id": theatre.pk}
    if fields.pop("both", False):
        scope["site_id"] = theatre.site_id

    with pytest.raises(ValidationError) as refused:
        services.closure_create(**scope, **fields)

    assert field in refused.value.message_dict
    assert not Closure.objects.exists()


def test_closure_update_moves_the_closure_and_names_what_it_now_lies_over(theatre):
    afternoon = _booked(theatre, hk(2030, 3, 4, 15))
    closure = ClosureFactory(facility=theatre, start=hk(2030, 3, 4, 8), end=hk(2030, 3, 4, 9))

    saved = services.closure_update(closure_id=closure.pk, end=hk(2030, 3, 4, 18))

    closure.refresh_from_db()
    assert (closure.start, closure.end) == (hk(2030, 3, 4, 8), hk(2030, 3, 4, 18))
    assert closure.reason == Closure.Reason.MAINTENANCE  # what was not given stays
    assert saved.overlapping == [afternoon]


def test_closure_update_of_a_missing_closure_is_refused():
    with pytest.raises(ValidationError) as refused:
        services.closure_update(closure_id=404, note="x")

    assert refused.value.message_dict == {"closure": ["No such closure."]}
