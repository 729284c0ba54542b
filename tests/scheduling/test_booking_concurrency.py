"""Racing bookings: exactly one wins, on SQLite (serialised writers) and PostgreSQL (constraint)."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from scheduling import services
from scheduling.models import Booking
from scheduling.services import BookingClash
from tests.factories import BookingFactory, EventFactory, FacilityFactory, hk

THREADS = 20


def _in_own_connection(work):
    """Run work in this thread's own database connection and close it afterwards."""
    try:
        return work()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_booking_hold_race_for_one_slot_has_exactly_one_winner():
    facility = FacilityFactory()
    # Different events, so that nothing but the facility slot is shared between the racers.
    events = [EventFactory(site=facility.site) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[tuple[str, object]] = [("missing", None)] * THREADS

    def attempt(n: int) -> None:
        def work():
            barrier.wait(timeout=30)
            try:
                booking = services.booking_hold(
                    event_id=events[n].pk,
                    facility_id=facility.pk,
                    # Partly overlapping requests, all within one another's buffers.
                    start=hk(2030, 3, 4, 10, n % 3),
                    end=hk(2030, 3, 4, 12),
                )
                outcomes[n] = ("booked", booking.pk)
            except BookingClash as clash:
                outcomes[n] = ("clash", clash)
            except Exception as exc:  # any other error fails the test below, with its text
                outcomes[n] = ("error", repr(exc))

        _in_own_connection(work)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    errors = [detail for kind, detail in outcomes if kind not in ("booked", "clash")]
    assert errors == []
    [winner] = [pk for kind, pk in outcomes if kind == "booked"]
    clashes = [clash for kind, clash in outcomes if kind == "clash"]
    assert len(clashes) == THREADS - 1
    assert all([c["booking_id"] for c in clash.conflicts] == [winner] for clash in clashes)
    assert list(
        Booking.objects.active().filter(facility=facility).values_list("pk", flat=True)
    ) == [winner]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_booking_hold_that_loses_the_race_at_the_constraint_reports_the_winner():
    facility = FacilityFactory()
    first, second = EventFactory(site=facility.site), EventFactory(site=facility.site)
    written, commit = threading.Event(), threading.Event()
    winner: list[int] = []

    def hold_without_committing() -> None:
        def work():
            with transaction.atomic():
                booking = services.booking_hold(
                    event_id=first.pk, facility_id=facility.pk, start=first.start, end=first.end
                )
                winner.append(booking.pk)
                written.set()
                commit.wait(timeout=10)

        _in_own_connection(work)

    racer = threading.Thread(target=hold_without_committing)
    racer.start()
    written.wait(timeout=10)
    # The check below cannot see the uncommitted row, so the insert waits on it; commit the
    # winner while it waits and the constraint refuses the loser.
    threading.Timer(0.5, commit.set).start()

    with pytest.raises(BookingClash) as raised:
        services.booking_hold(
            event_id=second.pk, facility_id=facility.pk, start=second.start, end=second.end
        )

    racer.join(timeout=10)
    assert isinstance(raised.value.__cause__, IntegrityError)
    assert [c["booking_id"] for c in raised.value.conflicts] == winner
    assert Booking.objects.filter(event=second).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_exclusion_constraint_refuses_an_overlap_written_behind_the_services_back():
    taken = BookingFactory(start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 12))
    overlapping = dict(
        facility=taken.facility,
        event__site=taken.facility.site,
        # Only the set-up buffer overlaps the teardown of the first booking.
        start=hk(2030, 3, 4, 12, 30),
        end=hk(2030, 3, 4, 13),
        setup_minutes=30,
    )

    with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
        BookingFactory(**overlapping)
    released = BookingFactory(**overlapping, status=Booking.Status.RELEASED)
    touching = BookingFactory(**{**overlapping, "setup_minutes": 15})

    assert released.pk is not None  # released bookings occupy nothing
    assert touching.occupied_start == taken.occupied_end == hk(2030, 3, 4, 12, 15)


@pytest.mark.postgres
@pytest.mark.django_db
def test_exclusion_constraint_refuses_a_move_behind_the_services_back():
    first = BookingFactory(start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 11))
    second = BookingFactory(
        facility=first.facility,
        event__site=first.facility.site,
        start=hk(2030, 3, 4, 14),
        end=hk(2030, 3, 4, 15),
    )
    second.start -= dt.timedelta(hours=4)

    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
