"""What the list filters and orderings of events and bookings actually return, page after page,
and the validators (Last-Modified, ETag) every list answer carries."""

import calendar
import datetime as dt

import pytest
from django.utils.http import http_date

from core.models import Change
from scheduling import services
from scheduling.models import Booking, Event
from tests.factories import (
    BookingFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"
BOOKINGS = "/api/v1/bookings/"
HOLD_EXPIRES = hk(2030, 3, 1)


def _ids(api, path, **params) -> list[int]:
    """Every id the list answers, through all its pages (two rows a page)."""
    results, _last = api.all_pages(path, page_size=2, **params)
    return [row["id"] for row in results]


def _at(hour: int, minute: int = 0, *, length: int = 60) -> dict:
    start = hk(2030, 3, 4, hour, minute)
    return {"start": start, "end": start + dt.timedelta(minutes=length)}


# --- Event filters ------------------------------------------------------------------------------


def test_event_list_start_and_end_keep_events_overlapping_the_range(staff_api):
    ends_at_start = EventFactory(**_at(8))
    straddles_start = EventFactory(**_at(8, 30))
    inside = EventFactory(**_at(10))
    straddles_end = EventFactory(**_at(11, 30))
    starts_at_end = EventFactory(**_at(12))
    around = EventFactory(**_at(7, length=7 * 60))
    window = {"start": "2030-03-04T09:00:00+08:00", "end": "2030-03-04T12:00:00+08:00"}

    both = _ids(staff_api, EVENTS, **window)
    in_utc = _ids(staff_api, EVENTS, start="2030-03-04T01:00:00Z", end="2030-03-04T04:00:00Z")
    from_start = _ids(staff_api, EVENTS, start=window["start"])
    until_end = _ids(staff_api, EVENTS, end=window["end"])

    overlapping = {straddles_start.pk, inside.pk, straddles_end.pk, around.pk}
    assert sorted(both) == sorted(overlapping)
    assert sorted(in_utc) == sorted(overlapping)
    assert sorted(from_start) == sorted(overlapping | {starts_at_end.pk})
    assert sorted(until_end) == sorted(overlapping | {ends_at_start.pk})


def test_event_list_filters_by_site(staff_api):
    here, there = SiteFactory(), SiteFactory()
    mine = [EventFactory(site=here), EventFactory(site=here, **_at(15))]
    EventFactory(site=there)

    listed = _ids(staff_api, EVENTS, site=here.pk)

    assert sorted(listed) == sorted(e.pk for e in mine)


def test_event_list_filters_by_facility_booked_or_used_by_the_programme(staff_api):
    site = SiteFactory()
    hall, room = FacilityFactory(site=site), FacilityFactory(site=site)
    confirmed = BookingFactory(event=EventFactory(site=site), facility=hall).event
    held = BookingFactory(
        event=EventFactory(site=site, **_at(14)),
        facility=hall,
        status=Booking.Status.HELD,
        hold_expires_at=HOLD_EXPIRES,
    ).event
    released = BookingFactory(
        event=EventFactory(site=site, **_at(17)), facility=hall, status=Booking.Status.RELEASED
    ).event
    programme_only = ProgrammeItemFactory(event=EventFactory(site=site), facility=hall).event
    elsewhere = BookingFactory(event=EventFactory(site=site), facility=room).event

    in_hall = _ids(staff_api, EVENTS, facility=hall.pk)
    in_room = _ids(staff_api, EVENTS, facility=room.pk)

    assert sorted(in_hall) == sorted([confirmed.pk, held.pk, programme_only.pk])
    assert released.pk not in in_hall
    assert in_room == [elsewhere.pk]


def test_event_list_filters_by_one_or_several_kinds(staff_api):
    ceremony = EventFactory(kind=Event.Kind.CEREMONY)
    forum = EventFactory(kind=Event.Kind.FORUM)
    EventFactory(kind=Event.Kind.PANEL)

    one = _ids(staff_api, EVENTS, kind="forum")
    several = _ids(staff_api, EVENTS, kind=["forum", "ceremony"])

    assert one == [forum.pk]
    assert sorted(several) == sorted([ceremony.pk, forum.pk])


def test_event_list_filters_by_status_and_leaves_cancelled_out_unless_asked(staff_api):
    draft = EventFactory(status=Event.Status.DRAFT)
    confirmed = EventFactory(status=Event.Status.CONFIRMED)
    postponed = EventFactory(status=Event.Status.POSTPONED)
    cancelled = EventFactory(status=Event.Status.CANCELLED)

    default = _ids(staff_api, EVENTS)
    only_cancelled = _ids(staff_api, EVENTS, status="cancelled")
    several = _ids(staff_api, EVENTS, status=["draft", "confirmed"])

    assert sorted(default) == sorted([draft.pk, confirmed.pk, postponed.pk])
    assert only_cancelled == [cancelled.pk]
    assert sorted(several) == sorted([draft.pk, confirmed.pk])


def test_event_list_filters_by_host_organisation(staff_api):
    host, other = OrganisationFactory(), OrganisationFactory()
    hosted = [EventFactory(host_organisation=host), EventFactory(host_organisation=host)]
    EventFactory(host_organisation=other)
    EventFactory(host_organisation=None)

    listed = _ids(staff_api, EVENTS, organisation=host.pk)

    assert sorted(listed) == sorted(e.pk for e in hosted)


def test_event_list_updated_since_keeps_events_changed_at_or_after_the_time(staff_api):
    since = hk(2030, 1, 10, 12)
    before, at, after = EventFactory(), EventFactory(), EventFactory()
    for event, updated_at in [
        (before, since - dt.timedelta(seconds=1)),
        (at, since),
        (after, since + dt.timedelta(days=1)),
    ]:
        Event.objects.filter(pk=event.pk).update(updated_at=updated_at)

    listed = _ids(staff_api, EVENTS, updated_since="2030-01-10T04:00:00Z")

    assert sorted(listed) == sorted([at.pk, after.pk])


def test_event_list_filters_combine(staff_api):
    site, host = SiteFactory(), OrganisationFactory()
    wanted = EventFactory(site=site, host_organisation=host, kind=Event.Kind.FORUM, **_at(10))
    EventFactory(site=site, host_organisation=host, kind=Event.Kind.PANEL, **_at(10))
    EventFactory(site=site, host_organisation=host, kind=Event.Kind.FORUM, **_at(20))
    EventFactory(host_organisation=host, kind=Event.Kind.FORUM, **_at(10))

    listed = _ids(
        staff_api,
        EVENTS,
        site=site.pk,
        organisation=host.pk,
        kind="forum",
        start="2030-03-04T09:00:00+08:00",
        end="2030-03-04T12:00:00+08:00",
    )

    assert listed == [wanted.pk]


def test_event_list_filters_never_reach_past_what_the_key_may_see(world, api_for):
    other = api_for(organisation=world["other"])
    host = api_for(organisation=world["host"])
    events = world["events"]

    by_organisation = _ids(other, EVENTS, organisation=world["host"].pk)
    by_facility = _ids(other, EVENTS, facility=world["hall"].pk)
    by_host = _ids(host, EVENTS, organisation=world["host"].pk)

    assert sorted(by_organisation) == sorted([events["public"].pk, events["partners"].pk])
    assert by_facility == by_organisation
    assert sorted(by_host) == sorted(
        [events["public"].pk, events["partners"].pk, events["restricted"].pk]
    )


# --- Booking filters ----------------------------------------------------------------------------


def test_booking_list_filters_select_exactly_the_matching_bookings(staff_api):
    site, elsewhere = SiteFactory(), SiteFactory()
    hall, room = FacilityFactory(site=site), FacilityFactory(site=site)
    host = OrganisationFactory()
    event = EventFactory(site=site, host_organisation=host, **_at(9, length=8 * 60))
    morning = BookingFactory(event=event, facility=hall, **_at(9))
    noon = BookingFactory(
        event=event,
        facility=room,
        status=Booking.Status.HELD,
        hold_expires_at=HOLD_EXPIRES,
        **_at(12),
    )
    late = BookingFactory(event=event, facility=hall, **_at(15), status=Booking.Status.RELEASED)
    other_event = EventFactory(site=elsewhere, **_at(12))
    away = BookingFactory(event=other_event, **_at(12))
    since = hk(2030, 1, 10, 12)
    for booking, updated_at in [
        (morning, since - dt.timedelta(seconds=1)),
        (noon, since),
        (late, since + dt.timedelta(hours=1)),
        (away, since - dt.timedelta(days=1)),
    ]:
        Booking.objects.filter(pk=booking.pk).update(updated_at=updated_at)

    answers = {
        "all": _ids(staff_api, BOOKINGS),
        "start": _ids(staff_api, BOOKINGS, start="2030-03-04T10:00:00+08:00"),
        "end": _ids(staff_api, BOOKINGS, end="2030-03-04T12:00:00+08:00"),
        "range": _ids(
            staff_api, BOOKINGS, start="2030-03-04T10:00:00+08:00", end="2030-03-04T15:00:00+08:00"
        ),
        "event": _ids(staff_api, BOOKINGS, event=event.pk),
        "facility": _ids(staff_api, BOOKINGS, facility=hall.pk),
        "site": _ids(staff_api, BOOKINGS, site=elsewhere.pk),
        "status": _ids(staff_api, BOOKINGS, status=["held", "released"]),
        "organisation": _ids(staff_api, BOOKINGS, organisation=host.pk),
        "updated_since": _ids(staff_api, BOOKINGS, updated_since="2030-01-10T12:00:00+08:00"),
    }

    pk = {"morning": morning.pk, "noon": noon.pk, "late": late.pk, "away": away.pk}
    assert {name: sorted(ids) for name, ids in answers.items()} == {
        "all": sorted(pk.values()),
        "start": sorted([noon.pk, late.pk, away.pk]),  # morning ends at 10:00
        "end": sorted([morning.pk]),  # noon starts at 12:00
        "range": sorted([noon.pk, away.pk]),
        "event": sorted([morning.pk, noon.pk, late.pk]),
        "facility": sorted([morning.pk, late.pk]),
        "site": [away.pk],
        "status": sorted([noon.pk, late.pk]),
        "organisation": sorted([morning.pk, noon.pk, late.pk]),
        "updated_since": sorted([noon.pk, late.pk]),
    }


# --- Ordering -----------------------------------------------------------------------------------


@pytest.fixture
def four_events(db):
    """Two events share a start and two an update time, so that every ordering needs its id."""
    first = EventFactory(**_at(10))
    earliest = EventFactory(**_at(9))
    tied = EventFactory(**_at(10))
    latest = EventFactory(**_at(11))
    stamps = {first: 30, earliest: 10, tied: 10, latest: 20}
    for event, minute in stamps.items():
        updated_at = hk(2030, 1, 1, 12, minute)
        Event.objects.filter(pk=event.pk).update(updated_at=updated_at)
        booking = BookingFactory(event=event)  # in a facility of its own
        Booking.objects.filter(pk=booking.pk).update(updated_at=updated_at)
    return first, earliest, tied, latest


ORDERED = {
    # Positions in four_events: first, earliest, tied, latest.
    None: [1, 0, 2, 3],  # the default is start
    "start": [1, 0, 2, 3],
    "-start": [3, 2, 0, 1],
    "updated_at": [1, 2, 3, 0],
    "-updated_at": [0, 3, 2, 1],
    "id": [0, 1, 2, 3],
    "-id": [3, 2, 1, 0],
}


@pytest.mark.parametrize("ordering", ORDERED)
def test_event_list_orderings_hold_across_pages(staff_api, four_events, ordering):
    params = {"ordering": ordering} if ordering else {}

    listed = _ids(staff_api, EVENTS, **params)

    assert listed == [four_events[i].pk for i in ORDERED[ordering]]


@pytest.mark.parametrize("ordering", ORDERED)
def test_booking_list_orderings_hold_across_pages(staff_api, four_events, ordering):
    params = {"ordering": ordering} if ordering else {}
    bookings = [event.bookings.get() for event in four_events]

    listed = _ids(staff_api, BOOKINGS, **params)

    # Bookings were made in the order of their events, so their ids follow the same order.
    assert listed == [bookings[i].pk for i in ORDERED[ordering]]


# --- Validators of list answers -----------------------------------------------------------------


def _last_change_date() -> str:
    latest = Change.objects.order_by("-id").first()
    return http_date(calendar.timegm(latest.created_at.utctimetuple()))


LISTS = [
    EVENTS,
    BOOKINGS,
    "/api/v1/sites/",
    "/api/v1/facilities/",
    "/api/v1/organisations/",
    "/api/v1/people/",
]


def test_list_answers_carry_last_modified_of_the_latest_change(world, staff_api):
    answers = {path: staff_api.get(path) for path in LISTS}

    assert {path: a["Last-Modified"] for path, a in answers.items()} == dict.fromkeys(
        LISTS, _last_change_date()
    )
    assert all(a["ETag"].startswith('W/"') for a in answers.values())
    assert {e["id"] for e in answers[EVENTS].json()["results"]} == {
        e.pk for e in world["events"].values()
    }


def test_list_answers_304_to_if_modified_since_until_something_changes(world, staff_api):
    first = staff_api.get(EVENTS)
    last_modified = first["Last-Modified"]
    a_second_earlier = http_date(
        calendar.timegm(Change.objects.order_by("-id").first().created_at.utctimetuple()) - 1
    )

    unchanged = staff_api.get(EVENTS, headers={"If-Modified-Since": last_modified})
    older_copy = staff_api.get(EVENTS, headers={"If-Modified-Since": a_second_earlier})

    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == first["ETag"]
    assert unchanged["Last-Modified"] == last_modified
    assert older_copy.status_code == 200
    assert len(older_copy.json()["results"]) == 4


def test_list_if_none_match_answers_304_only_for_the_same_list_and_the_same_key(
    world, staff_api, api_for
):
    partner = api_for(organisation=world["other"])
    listed = staff_api.get(EVENTS)
    etag = listed["ETag"]
    public = world["events"]["public"]

    same = staff_api.get(EVENTS, headers={"If-None-Match": etag})
    filtered = staff_api.get(EVENTS, kind="other")
    filtered_again = staff_api.get(EVENTS, kind="other", headers={"If-None-Match": etag})
    by_partner = partner.get(EVENTS, headers={"If-None-Match": etag})
    services.event_update(event_id=public.pk, title="Renamed")
    after_change = staff_api.get(EVENTS, headers={"If-None-Match": etag})

    assert same.status_code == 304 and same.content == b""
    assert same["ETag"] == etag and same["Last-Modified"] == listed["Last-Modified"]
    assert filtered["ETag"] != etag
    assert filtered_again.status_code == 200
    assert by_partner.status_code == 200
    assert {e["visibility"] for e in by_partner.json()["results"]} == {"public", "partners"}
    assert after_change.status_code == 200
    assert after_change["ETag"] != etag
    assert {e["id"]: e["title"] for e in after_change.json()["results"]}[public.pk] == "Renamed"
