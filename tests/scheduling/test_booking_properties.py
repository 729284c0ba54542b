"""Whatever staff do with bookings, no two active bookings of one facility ever overlap.

Hypothesis plays random sequences of hold, confirm, release, move and event reschedule over two
facilities with different buffers, and checks after every step that the services refused exactly
the steps that would have overlapped (buffers included) and that the database never holds an
overlap.
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling import services
from scheduling.models import Booking
from scheduling.services import BookingClash
from tests.factories import EventFactory, FacilityFactory, SiteFactory, hk

pytestmark = pytest.mark.django_db

QUARTER = dt.timedelta(minutes=15)
MORNING = hk(2030, 6, 3, 8)

facility_index = st.integers(0, 1)
event_index = st.integers(0, 1)
quarter = st.integers(0, 40)  # start, in quarter hours after 08:00
length = st.integers(1, 8)  # in quarter hours
buffer = st.sampled_from([None, 0, 15, 30])  # None: the facility's default
earlier_booking = st.integers(0, 100)  # picks one of the bookings made so far

operations = st.lists(
    st.one_of(
        st.tuples(st.just("hold"), event_index, facility_index, quarter, length, buffer, buffer),
        st.tuples(st.just("confirm"), earlier_booking),
        st.tuples(st.just("release"), earlier_booking),
        st.tuples(st.just("move"), earlier_booking, facility_index, quarter, length),
        st.tuples(st.just("reschedule"), event_index, st.integers(-8, 8)),
    ),
    min_size=1,
    max_size=14,
)


@dataclass(frozen=True)
class Row:
    pk: int
    facility_id: int
    event_id: int
    occupied: tuple[dt.datetime, dt.datetime]


def _active() -> list[Row]:
    return [
        Row(b.pk, b.facility_id, b.event_id, (b.occupied_start, b.occupied_end))
        for b in Booking.objects.active()
    ]


def _overlaps(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _free(rows: list[Row], facility_id: int, occupied, ignore=frozenset()) -> bool:
    return not any(
        r.facility_id == facility_id and r.pk not in ignore and _overlaps(r.occupied, occupied)
        for r in rows
    )


@pytest.fixture
def world():
    site = SiteFactory()
    facilities = [
        FacilityFactory(site=site, setup_minutes=30, teardown_minutes=15),
        FacilityFactory(site=site, setup_minutes=0, teardown_minutes=10),
    ]
    events = [EventFactory(site=site, start=hk(2030, 6, 1), end=hk(2030, 6, 6)) for _ in range(2)]
    return facilities, events


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=operations)
def test_bookings_never_overlap_whatever_the_sequence_of_operations(world, steps):
    facilities, events = world
    # Each example starts from the fixture's state: roll back what the example wrote.
    with transaction.atomic():
        made: list[int] = []
        for step in steps:
            _play(step, facilities, events, made)
            rows = _active()
            for n, a in enumerate(rows):
                for b in rows[n + 1 :]:
                    assert a.facility_id != b.facility_id or not _overlaps(a.occupied, b.occupied)
        transaction.set_rollback(True)


def _play(step, facilities, events, made: list[int]) -> None:
    rows, kind = _active(), step[0]
    if kind == "hold":
        _, e, f, start, span, setup, teardown = step
        facility = facilities[f]
        begin = MORNING + start * QUARTER
        occupied = (
            begin - dt.timedelta(minutes=facility.setup_minutes if setup is None else setup),
            begin
            + span * QUARTER
            + dt.timedelta(minutes=facility.teardown_minutes if teardown is None else teardown),
        )
        expect_ok = _free(rows, facility.pk, occupied)
        outcome = _attempt(
            lambda: services.booking_hold(
                event_id=events[e].pk,
                facility_id=facility.pk,
                start=begin,
                end=begin + span * QUARTER,
                setup_minutes=setup,
                teardown_minutes=teardown,
            )
        )
        assert outcome == ("ok" if expect_ok else "clash")
        if expect_ok:
            made.append(Booking.objects.latest("pk").pk)
        return
    if kind == "reschedule":
        _, e, quarters = step
        event = events[e]
        event.refresh_from_db()
        delta = quarters * QUARTER
        mine = [r for r in rows if r.event_id == event.pk]
        ids = frozenset(r.pk for r in mine)
        expect_ok = all(
            _free(rows, r.facility_id, (r.occupied[0] + delta, r.occupied[1] + delta), ids)
            for r in mine
        )
        outcome = _attempt(
            lambda: services.event_reschedule(
                event_id=event.pk, start=event.start + delta, end=event.end + delta
            )
        )
        assert outcome == ("ok" if expect_ok or not delta else "clash")
        return
    if not made:
        return
    booking = Booking.objects.get(pk=made[step[1] % len(made)])
    if kind == "confirm":
        outcome = _attempt(lambda: services.booking_confirm(booking_id=booking.pk))
        assert outcome == ("ok" if booking.is_active else "invalid")
    elif kind == "release":
        assert _attempt(lambda: services.booking_release(booking_id=booking.pk)) == "ok"
    elif kind == "move":
        _, _which, f, start, span = step
        facility = facilities[f]
        same = facility.pk == booking.facility_id
        setup = booking.setup_minutes if same else facility.setup_minutes
        teardown = booking.teardown_minutes if same else facility.teardown_minutes
        begin = MORNING + start * QUARTER
        occupied = (
            begin - dt.timedelta(minutes=setup),
            begin + span * QUARTER + dt.timedelta(minutes=teardown),
        )
        outcome = _attempt(
            lambda: services.booking_move(
                booking_id=booking.pk,
                facility_id=facility.pk,
                start=begin,
                end=begin + span * QUARTER,
            )
        )
        if not booking.is_active:
            assert outcome == "invalid"
        else:
            assert outcome == (
                "ok" if _free(rows, facility.pk, occupied, {booking.pk}) else "clash"
            )


def _attempt(action) -> str:
    try:
        action()
    except BookingClash:
        return "clash"
    except ValidationError:
        return "invalid"
    return "ok"
