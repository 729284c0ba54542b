"""On the day: staff mark the run-of-show from a phone; the board says what is on now, what is
next and when, and answers its own refresh with the board alone."""

import datetime as dt

import pytest
from django.urls import reverse

from scheduling import services
from scheduling.models import Event
from scheduling.services import live
from tests.factories import FacilityFactory, event_created, hk
from visitors.delegations.services import delegation_create, vehicle_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit():
    event = event_created(
        title="MARS Centre inspection", status=Event.Status.CONFIRMED, start=hk(2030, 3, 4, 10)
    )
    items = [
        services.programme_item_create(
            event_id=event.pk,
            title=title,
            title_zh=title_zh,
            start=event.start + dt.timedelta(minutes=35 * n),
            end=event.start + dt.timedelta(minutes=35 * n + 30),
        )
        for n, (title, title_zh) in enumerate(
            [("Arrival", "抵達"), ("Cleanroom tour", "無塵室參觀"), ("Photo call", "拍照")]
        )
    ]
    return event, items


def _mark(client, item, action, **data):
    return client.post(reverse("staff:live-mark", args=[item.pk]), {"action": action, **data})


def test_an_officer_marks_a_late_start_and_the_board_shows_the_next_item_expected_later(
    client, officer, visit
):
    event, (arrival, tour, _photo) = visit
    client.force_login(officer)
    late = arrival.start + dt.timedelta(minutes=10)
    live.programme_item_start(item_id=arrival.pk, at=late)  # the cars were late

    page = client.get(reverse("staff:live", args=[event.pk])).content.decode()
    assert 'value="finish"' in page and "expected 10:10" in page

    answer = _mark(client, arrival, "finish")
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"#item-{arrival.pk}")
    tour.refresh_from_db()
    assert tour.expected_start is not None

    board = client.get(reverse("staff:board", args=[event.pk]), {"part": "board"})
    text = board.content.decode()
    assert "<html" not in text  # the board alone, for the page's refresh
    assert "Cleanroom tour" in text and "無塵室參觀" in text
    assert (
        client.get(reverse("staff:board", args=[event.pk])).content.decode().count('id="board-now"')
        == 1
    )


def test_extend_and_skip_from_the_page_and_a_bad_request_is_refused_in_words(
    client, officer, visit
):
    event, (arrival, tour, photo) = visit
    client.force_login(officer)
    _mark(client, arrival, "start")

    _mark(client, arrival, "extend", minutes="5")
    _mark(client, photo, "skip")
    refused = _mark(client, tour, "extend", minutes="many")

    arrival.refresh_from_db()
    photo.refresh_from_db()
    assert arrival.extra_minutes == 5 and photo.skipped
    page = client.get(refused["Location"]).content.decode()
    assert "Give the minutes as a whole number." in page
    assert "Skipped" in client.get(reverse("staff:board", args=[event.pk])).content.decode()


def test_viewers_see_the_board_but_cannot_mark(client, viewer, visit):
    event, (arrival, _tour, _photo) = visit
    client.force_login(viewer)

    assert client.get(reverse("staff:board", args=[event.pk])).status_code == 200
    assert _mark(client, arrival, "start").status_code == 403
    arrival.refresh_from_db()
    assert arrival.started_at is None


def test_the_board_says_where_the_party_was_last_between_items(client, officer, visit):
    event, (arrival, tour, _photo) = visit
    hall = FacilityFactory(site=event.site, name="MARS Centre lobby")
    services.programme_item_update(item_id=arrival.pk, facility=hall)
    client.force_login(officer)
    board = reverse("staff:board", args=[event.pk])
    assert "The party was last at" not in client.get(board, {"part": "board"}).content.decode()

    live.programme_item_start(item_id=arrival.pk, at=arrival.start)
    live.programme_item_finish(item_id=arrival.pk, at=arrival.end)

    text = client.get(board, {"part": "board"}).content.decode()
    assert "Nothing is on at the moment. The party was last at MARS Centre lobby." in text


def test_the_board_lists_the_cars_with_their_call_moved_as_the_departure_is(client, officer, visit):
    event, (arrival, _tour, photo) = visit
    departure = services.programme_item_create(
        event_id=event.pk,
        title="Departure",
        kind="departure",
        start=photo.end,
        end=photo.end + dt.timedelta(minutes=5),
    )
    party = delegation_create(event_id=event.pk, name="Bureau")
    vehicle_create(
        delegation_id=party.pk,
        plate="AM 1",
        driver="Chan Tai Man",
        driver_phone="9123 4567",
        car_call_at=departure.start - dt.timedelta(minutes=10),
        pick_up_point="East gate",
        departure_item=departure,
    )
    vehicle_create(delegation_id=party.pk, plate="AM 2388")  # no call set yet
    client.force_login(officer)
    board = reverse("staff:board", args=[event.pk])

    planned = client.get(board, {"part": "board"}).content.decode()
    assert "Car call 11:30" in planned and "Car call 11:30 <strong" not in planned
    assert 'href="tel:91234567"' in planned and "pick-up at East gate" in planned
    assert "No car call set" in planned

    live.programme_item_start(item_id=arrival.pk, at=arrival.start + dt.timedelta(minutes=20))

    late = client.get(board, {"part": "board"}).content.decode()
    # The gaps between items absorb ten of the twenty minutes: the departure slips by ten.
    assert 'Car call 11:40 <strong class="slip">(planned 11:30)</strong>' in late
    assert late.index("AM 1") < late.index("AM 2388")  # calls in order, the unset last
