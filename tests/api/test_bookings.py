"""POST /api/v1/bookings/: a confirmed booking with its own buffers, and the clashes they cause."""

import pytest

from scheduling.models import Booking
from tests.factories import hk

# Bookings lie within their event: these tests book the public event on 4 and 5 March.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_event_spans_days")]


def _body(world, start, end, **extra):
    return {
        "event": world["events"]["public"].pk,
        "facility": world["hall"].pk,
        "start": start,
        "end": end,
        **extra,
    }


def test_booking_post_confirmed_with_buffers_answers_201_and_stores_the_occupied_interval(
    world, staff_api
):
    body = _body(
        world,
        "2030-03-05T10:00:00+08:00",
        "2030-03-05T11:00:00+08:00",
        status="confirmed",
        setup_minutes=45,
        teardown_minutes=20,
    )

    answer = staff_api.post("/api/v1/bookings/", body)

    created = answer.json()
    row = Booking.objects.get(pk=created["id"])
    assert answer.status_code == 201
    assert answer["Location"] == f"/api/v1/bookings/{row.pk}/"
    assert {name: created[name] for name in body} == body
    assert created["occupied_start"] == "2030-03-05T09:15:00+08:00"
    assert created["occupied_end"] == "2030-03-05T11:20:00+08:00"
    assert created["hold_expires_at"] is None
    assert (row.status, row.setup_minutes, row.teardown_minutes) == ("confirmed", 45, 20)
    assert (row.start, row.end) == (hk(2030, 3, 5, 10), hk(2030, 3, 5, 11))
    assert (row.occupied_start, row.occupied_end) == (hk(2030, 3, 5, 9, 15), hk(2030, 3, 5, 11, 20))
    assert row.hold_expires_at is None


def test_booking_post_takes_buffers_from_the_facility_unless_given_even_zero(world, staff_api):
    hall = world["hall"]

    default = staff_api.post(
        "/api/v1/bookings/",
        _body(world, "2030-03-05T10:00:00+08:00", "2030-03-05T11:00:00+08:00"),
    ).json()
    none = staff_api.post(
        "/api/v1/bookings/",
        _body(
            world,
            "2030-03-05T14:00:00+08:00",
            "2030-03-05T15:00:00+08:00",
            setup_minutes=0,
            teardown_minutes=0,
        ),
    ).json()

    assert (default["setup_minutes"], default["teardown_minutes"]) == (30, 15)
    assert (hall.setup_minutes, hall.teardown_minutes) == (30, 15)
    assert default["status"] == "held" and default["hold_expires_at"]
    assert (default["occupied_start"], default["occupied_end"]) == (
        "2030-03-05T09:30:00+08:00",
        "2030-03-05T11:15:00+08:00",
    )
    assert (none["occupied_start"], none["occupied_end"]) == (
        "2030-03-05T14:00:00+08:00",
        "2030-03-05T15:00:00+08:00",
    )
    assert Booking.objects.get(pk=none["id"]).occupied_start == hk(2030, 3, 5, 14)


def test_booking_post_clashing_only_through_its_buffers_answers_409_naming_the_clash(
    world, staff_api
):
    # The hall is booked 12:00-13:00 (internal event) and 14:00-15:00 (restricted event).
    internal, restricted = world["events"]["internal"], world["events"]["restricted"]
    slot = ("2030-03-04T13:30:00+08:00", "2030-03-04T13:50:00+08:00")
    before = Booking.objects.count()

    by_setup = staff_api.post(
        "/api/v1/bookings/",
        _body(world, *slot, status="confirmed", setup_minutes=45, teardown_minutes=0),
    )
    by_teardown = staff_api.post(
        "/api/v1/bookings/",
        _body(world, *slot, status="confirmed", setup_minutes=0, teardown_minutes=20),
    )
    rows_after_clashes = Booking.objects.count()
    fits = staff_api.post(
        "/api/v1/bookings/",
        _body(world, *slot, status="confirmed", setup_minutes=30, teardown_minutes=10),
    )

    clash = by_setup.json()
    assert by_setup.status_code == 409
    assert clash["code"] == "booking_clash"
    assert clash["facility"] == {"id": world["hall"].pk, "name": "Main hall"}
    assert clash["requested"]["occupied_start"] == "2030-03-04T12:45:00+08:00"
    assert [
        (c["kind"], c["what"], c["event_id"], c["booking_id"], c["status"])
        for c in clash["conflicts"]
    ] == [("booking", "Internal event", internal.pk, internal.bookings.get().pk, "confirmed")]
    assert "Internal event" in clash["message"]
    assert by_teardown.status_code == 409
    assert [c["event_id"] for c in by_teardown.json()["conflicts"]] == [restricted.pk]
    assert rows_after_clashes == before
    assert fits.status_code == 201
    assert (fits.json()["occupied_start"], fits.json()["occupied_end"]) == (
        "2030-03-04T13:00:00+08:00",
        "2030-03-04T14:00:00+08:00",
    )
