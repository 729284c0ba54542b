"""Every list endpoint costs the same number of queries for 10 items as for 100."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling import services
from scheduling.models import ProgrammeRole, StopConsent
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)

pytestmark = pytest.mark.django_db


def _grow(world, n: int) -> None:
    """Add n of everything every list shows, with the relations its JSON embeds."""
    anchor = world["anchor"]
    for i in range(n):
        start = hk(2030, 7, 1, 9) + dt.timedelta(days=len(world["made"]))
        event = EventFactory(visibility="partners", start=start, site=world["site"])
        world["made"].append(event)
        # Stops hosted by the partner's organisation, every other one asked for consent.
        item = ProgrammeItemFactory(event=event, host_organisation=world["org"])
        ProgrammeRole.objects.create(item=item, person=PersonFactory())
        BookingFactory(event=event, facility=world["hall"])
        stop = ProgrammeItemFactory(
            event=anchor,
            start=anchor.start + dt.timedelta(minutes=i % 50),
            host_organisation=world["org"],
        )
        if i % 2:
            for asked in (item, stop):
                StopConsent.objects.create(
                    item=asked, person=PersonFactory(), requested_at=anchor.start
                )
        # Every part of the order of precedence in play: places (some shared), the head roles.
        AttendanceFactory(
            event=anchor,
            person=PersonFactory(precedence_rank=i % 7 or None),
            role=("guest_of_honour", "officiating_guest", "guest", "staff")[i % 4],
            order_override=i % 5 or None,
        )
        FacilityFactory(site=world["site"])
        SiteFactory()
        OrganisationFactory()


def _count(api, path: str, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        answer = api.get(path, page_size=200, **params)
    assert answer.status_code == 200, answer.content
    return len(queries.captured_queries), len(answer.json()["results"])


LISTS = [
    "/api/v1/events/",
    "/api/v1/bookings/",
    "/api/v1/sites/",
    "/api/v1/facilities/",
    "/api/v1/organisations/",
    "/api/v1/people/",
    "/api/v1/events/{anchor}/programme/",
    "/api/v1/events/{anchor}/attendees/",
]


@pytest.mark.parametrize("who", ["staff", "partner"])
def test_every_list_costs_the_same_queries_for_10_and_100_items(who, staff_api, api_for):
    org = OrganisationFactory()
    site = SiteFactory()
    anchor = EventFactory(visibility="partners", host_organisation=org, site=site)
    anchor.end = anchor.start + dt.timedelta(hours=2)
    world = {
        "org": org,
        "site": site,
        "hall": FacilityFactory(site=site),
        "anchor": anchor,
        "made": [],
    }
    api = staff_api if who == "staff" else api_for(organisation=org)
    paths = [p.format(anchor=anchor.pk) for p in LISTS]
    if who == "partner":
        paths = [p for p in paths if "organisations" not in p and "people" not in p]

    api.get("/api/v1/sites/")  # the key's first use writes last_used_at; not counted below
    _grow(world, 10)
    small = {path: _count(api, path) for path in paths}
    _grow(world, 90)
    large = {path: _count(api, path) for path in paths}

    assert {p: q for p, (q, _n) in small.items()} == {p: q for p, (q, _n) in large.items()}
    assert all(large[p][1] >= 100 > small[p][1] >= 10 for p in paths)


def test_a_sync_answer_costs_the_same_queries_for_10_and_100_changes(staff_api):
    site = SiteFactory()
    hall = FacilityFactory(site=site)

    def change(n, year):
        token = staff_api.get("/api/v1/events/").json()["sync_token"]
        for i in range(n):
            event = services.event_create(
                title=f"e{i}",
                site=site,
                start=hk(year, 8, 1) + dt.timedelta(days=i),
                end=hk(year, 8, 1, 2) + dt.timedelta(days=i),
                visibility="public",
            )
            if i % 2 == 0:  # fewer than 200 log rows in all: one page
                services.booking_create(
                    event_id=event.pk, facility_id=hall.pk, start=event.start, end=event.end
                )
            if i % 3 == 0:
                services.event_cancel(event_id=event.pk)
        with CaptureQueriesContext(connection) as queries:
            answer = staff_api.get("/api/v1/events/", sync_token=token, page_size=200).json()
        return len(queries.captured_queries), len(answer["results"]) + len(answer["deleted"])

    small, large = change(10, 2030), change(100, 2031)

    assert small[0] == large[0]
    assert (small[1], large[1]) == (10, 100)
