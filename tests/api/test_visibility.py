"""Who sees what through the API: the visibility matrix, personal data, and the walk of every
endpoint with another organisation's key, which must answer as if nothing were there."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from api.feeds import feed_create
from scheduling import services
from scheduling.models import Event, ProgrammeItem
from tests.api.conftest import without_request_id
from tests.factories import FacilityFactory, OrganisationFactory, PersonFactory, hk
from visitors import services as visitor_services

pytestmark = pytest.mark.django_db

VISIBLE = {
    "staff": {"public", "partners", "internal", "restricted"},
    "host": {"public", "partners", "restricted"},
    "other": {"public", "partners"},
}


def _apis(world, api_for, staff_api):
    return {
        "staff": staff_api,
        "host": api_for(organisation=world["host"]),
        "other": api_for(organisation=world["other"]),
    }


def test_visibility_matrix_lists_and_details(world, api_for, staff_api):
    apis = _apis(world, api_for, staff_api)

    for who, api in apis.items():
        listed = {e["visibility"] for e in api.get("/api/v1/events/").json()["results"]}
        booked = {b["event"] for b in api.get("/api/v1/bookings/").json()["results"]}
        details = {
            visibility: api.get(f"/api/v1/events/{event.pk}/").status_code
            for visibility, event in world["events"].items()
        }

        assert listed == VISIBLE[who], who
        assert booked == {world["events"][v].pk for v in VISIBLE[who]}, who
        assert details == {v: 200 if v in VISIBLE[who] else 404 for v in details}, who


def test_internal_programme_items_and_staff_fields_stay_with_staff_and_host(
    world, api_for, staff_api
):
    event = world["events"]["public"]
    items = {
        visibility: services.programme_item_create(
            event_id=event.pk,
            title=f"{visibility} item",
            start=event.start,
            end=event.end,
            visibility=visibility,
            cue_notes="Minister's car at gate 2",
        )
        for visibility in ("public", "internal")
    }
    holding_room = FacilityFactory(site=event.site)
    services.booking_hold(  # the minister's holding room, for the internal item only
        event_id=event.pk,
        facility_id=holding_room.pk,
        start=event.start,
        end=event.end,
        programme_item_id=items["internal"].pk,
    )
    apis = _apis(world, api_for, staff_api)

    seen = {
        who: api.get(f"/api/v1/events/{event.pk}/").json()["programme"] for who, api in apis.items()
    }
    listed = {
        who: api.get(f"/api/v1/events/{event.pk}/programme/").json()["results"]
        for who, api in apis.items()
    }

    assert [i["title"] for i in seen["staff"]] == ["public item", "internal item"]
    assert [i["title"] for i in seen["host"]] == ["public item", "internal item"]
    assert [i["title"] for i in seen["other"]] == ["public item"]
    assert [i["title"] for i in listed["other"]] == ["public item"]
    assert {i["cue_notes"] for i in seen["staff"]} == {"Minister's car at gate 2"}
    assert {i["cue_notes"] for i in seen["host"] + seen["other"]} == {None}
    # The booking for the internal item shows, but names the item only to those who see it.
    for who, api in apis.items():
        listed_event = next(
            e
            for e in api.get("/api/v1/events/?page_size=200").json()["results"]
            if e["id"] == event.pk
        )
        detail = api.get(f"/api/v1/events/{event.pk}/").json()
        for body in (listed_event, detail):
            named = {b["facility"]: b["programme_item"] for b in body["bookings"]}
            expected = None if who == "other" else items["internal"].pk
            assert named[holding_room.pk] == expected, who


def test_attendee_contact_data_only_for_staff_with_attendees_read(world, api_for, staff_api):
    event = world["events"]["partners"]
    person = PersonFactory(email="minister@gov.example", phone="+852 1234 5678")
    attendance = visitor_services.attendance_add(
        event_id=event.pk, person_id=person.pk, role="guest_of_honour", notes="Arrives by car"
    )
    apis = {
        **_apis(world, api_for, staff_api),
        "host_without_scope": api_for(organisation=world["host"], scopes=["events:read"]),
    }
    path = f"/api/v1/events/{event.pk}/attendees/"

    answers = {who: api.get(path) for who, api in apis.items()}
    rows = {who: a.json()["results"][0] for who, a in answers.items() if a.status_code == 200}

    assert rows["staff"]["person"]["email"] == "minister@gov.example"
    assert rows["staff"]["notes"] == "Arrives by car"
    # Someone of another organisation: the host sees who, not how to reach them.
    assert rows["host"]["person"]["display_name"] == person.display_name
    assert (rows["host"]["person"]["email"], rows["host"]["person"]["phone"]) == (None, None)
    assert rows["host"]["notes"] is None
    assert rows["other"]["person"]["display_name"] == person.display_name
    assert (rows["other"]["person"]["email"], rows["other"]["person"]["phone"]) == (None, None)
    assert answers["host_without_scope"].status_code == 403
    assert rows["host"]["id"] == attendance.pk


def test_availability_shows_hidden_events_as_busy_without_title(world, api_for, staff_api):
    other = api_for(organisation=world["other"])
    hall = world["hall"]
    window = {"start": "2030-03-04T00:00:00+08:00", "end": "2030-03-05T00:00:00+08:00"}

    seen = other.get(f"/api/v1/facilities/{hall.pk}/availability/", **window).json()
    by_staff = staff_api.get(f"/api/v1/facilities/{hall.pk}/availability/", **window).json()
    site = other.get(f"/api/v1/sites/{world['site'].pk}/availability/", **window).json()

    occupants = [o for busy in seen["busy"] for o in busy["occupants"]]
    assert sorted(o["what"] for o in occupants) == [
        "Booked",
        "Booked",
        "Partners event",
        "Public event",
    ]
    hidden = [o for o in occupants if o["what"] == "Booked"]
    assert {(o["event_id"], o["booking_id"]) for o in hidden} == {(None, None)}
    assert len([b for b in by_staff["busy"] for o in b["occupants"]]) == 4
    assert "Restricted event" not in str(site) and "Internal event" not in str(site)
    assert seen["busy"][0]["start"].endswith("+08:00")


def test_clash_answer_names_only_events_the_key_may_see(world, api_for):
    other_org = world["other"]
    other = api_for(organisation=other_org)
    mine = services.event_create(
        title="B's launch",
        site=world["site"],
        start=hk(2030, 3, 4, 14),
        end=hk(2030, 3, 4, 15),
        visibility="partners",
        host_organisation=other_org,
    )
    restricted = world["events"]["restricted"]

    answer = other.post(
        "/api/v1/bookings/",
        {
            "event": mine.pk,
            "facility": world["hall"].pk,
            "start": restricted.start.isoformat(),
            "end": restricted.end.isoformat(),
        },
    )

    body = answer.json()
    assert answer.status_code == 409
    assert body["code"] == "booking_clash"
    assert [(c["what"], c["event_id"], c["booking_id"]) for c in body["conflicts"]] == [
        ("Booked", None, None)
    ]
    assert "Restricted event" not in body["message"]
    assert body["suggestions"]["slots"]


def _restricted_world(world):
    event = world["events"]["restricted"]
    item = services.programme_item_create(  # hosted by a third tenant, which sees the event
        event_id=event.pk,
        title="Secret stop",
        start=event.start,
        end=event.end,
        host_organisation=OrganisationFactory(),
    )
    person = PersonFactory(organisation=world["host"])
    attendance = visitor_services.attendance_add(event_id=event.pk, person_id=person.pk)
    feed, _token = feed_create(name="A's visits", owner_organisation=world["host"])
    return {
        "events": event.pk,
        "feeds": feed.pk,
        "bookings": event.bookings.get().pk,
        "programme": item.pk,
        "attendees": attendance.pk,
        "people": person.pk,
        "organisations": world["host"].pk,
    }


def _fill(path: str, ids: dict) -> str:
    """Put the restricted objects' ids into a path template of the schema."""
    path = path.replace("{event_pk}", str(ids["events"]))
    collection = re.findall(r"/([a-z]+)/\{id\}", path)
    return path.replace("{id}", str(ids[collection[-1]])) if collection else path


def test_every_endpoint_answers_404_to_another_organisations_key(world, api_for):
    ids = _restricted_world(world)
    other = api_for(organisation=world["other"])
    paths = SchemaGenerator(patterns=None).get_schema(request=None, public=True)["paths"]
    walked = []

    for template, operations in paths.items():
        if "{" not in template or template.startswith(("/api/v1/sites/", "/api/v1/facilities/")):
            continue  # sites and facilities are not restricted: every key sees them
        path = _fill(template, ids)
        for method in operations:
            answer = getattr(other, method)(path) if method != "get" else other.get(path)
            walked.append((method, template))

            assert answer.status_code == 404, (method, path, answer.content)
            assert answer.json()["code"] == "not_found"

    assert len(walked) >= 23  # every operation on an object, nested ones included
    assert {m for m, _ in walked} == {"get", "post", "patch", "delete"}


def test_bodies_naming_an_invisible_event_answer_as_for_no_event(world, api_for):
    other = api_for(organisation=world["other"], scopes=["bookings:write", "events:read"])
    restricted = world["events"]["restricted"]
    body = {"facility": world["hall"].pk, "start": "2030-03-05T10:00:00+08:00"}
    body["end"] = "2030-03-05T11:00:00+08:00"

    hidden = other.post("/api/v1/bookings/", {**body, "event": restricted.pk})
    missing = other.post("/api/v1/bookings/", {**body, "event": 987654})

    assert hidden.status_code == missing.status_code == 400
    assert without_request_id(hidden) == without_request_id(missing)


def test_lists_and_syncs_never_leak_invisible_events(world, api_for):
    other = api_for(organisation=world["other"])
    token = other.get("/api/v1/events/").json()["sync_token"]
    restricted = world["events"]["restricted"]
    services.event_update(event_id=restricted.pk, title="Visit of the Chief Executive")
    services.event_cancel(event_id=world["events"]["internal"].pk)
    item = services.programme_item_create(
        event_id=world["events"]["public"].pk,
        title="Transfer",
        start=world["events"]["public"].start,
        end=world["events"]["public"].end,
        visibility=ProgrammeItem.Visibility.INTERNAL,
    )

    delta = other.get("/api/v1/events/", sync_token=token).json()
    items = other.get(
        f"/api/v1/events/{world['events']['public'].pk}/programme/", sync_token=token
    ).json()

    assert [e["id"] for e in delta["results"]] == [world["events"]["public"].pk]
    assert delta["deleted"] == []
    assert items["results"] == [] and items["deleted"] == []
    assert "Chief Executive" not in str(delta)
    assert item.pk not in {i["id"] for i in items["results"]}
    assert Event.objects.filter(pk=restricted.pk, title__contains="Chief").exists()


def test_a_restricted_visit_is_seen_by_every_stop_host_and_by_no_one_else(visit, api_for):
    event = visit.event
    booked = set(event.bookings.values_list("pk", flat=True))
    seers = [visit.host, *visit.tenants]

    for organisation in [*seers, visit.outsider]:
        api = api_for(organisation=organisation)
        listed = {e["id"] for e in api.get("/api/v1/events/").json()["results"]}
        bookings = {b["id"] for b in api.get("/api/v1/bookings/").json()["results"]}
        detail = api.get(f"/api/v1/events/{event.pk}/")
        programme = api.get(f"/api/v1/events/{event.pk}/programme/")

        sees = organisation in seers
        assert (event.pk in listed) is sees, organisation
        assert (bookings == booked) if sees else not bookings & booked, organisation
        assert detail.status_code == (200 if sees else 404), organisation
        assert programme.status_code == (200 if sees else 404), organisation
        if not sees:
            assert "Secretary" not in str(api.get("/api/v1/events/").json())


def test_a_stop_host_sees_the_public_programme_and_its_own_stop_not_the_others_internal_items(
    visit, api_for
):
    event = visit.event
    first, second = visit.tenants[:2]
    public = {i.title for i in event.programme.filter(visibility="public")}
    apis = {
        "host": api_for(organisation=visit.host),
        "first": api_for(organisation=first),
        "second": api_for(organisation=second),
    }

    seen = {who: api.get(f"/api/v1/events/{event.pk}/").json() for who, api in apis.items()}
    listed = {
        who: api.get(f"/api/v1/events/{event.pk}/programme/").json()["results"]
        for who, api in apis.items()
    }
    briefing = {
        who: api.get(f"/api/v1/events/{event.pk}/programme/{visit.briefing.pk}/").status_code
        for who, api in apis.items()
    }

    assert {visit.stops[t.pk].title for t in visit.tenants} <= public
    expected = {
        "host": public | {visit.briefing.title, visit.cue.title},
        "first": public | {visit.briefing.title},
        "second": public,
    }
    for who, titles in expected.items():
        assert {i["title"] for i in seen[who]["programme"]} == titles, who
        assert {i["title"] for i in listed[who]} == titles, who
    assert briefing == {"host": 200, "first": 200, "second": 404}
    assert {i["cue_notes"] for who in apis for i in seen[who]["programme"]} == {None}


def test_availability_names_a_visit_to_its_stop_hosts_only(visit, api_for):
    place = visit.stops[visit.tenants[1].pk].facility
    window = {"start": "2030-03-05T00:00:00+08:00", "end": "2030-03-06T00:00:00+08:00"}
    path = f"/api/v1/facilities/{place.pk}/availability/"

    named = {
        who: {
            o["what"]
            for b in api_for(organisation=org).get(path, **window).json()["busy"]
            for o in b["occupants"]
        }
        for who, org in {"stop host": visit.tenants[0], "outsider": visit.outsider}.items()
    }

    assert named == {"stop host": {"The Secretary's visit"}, "outsider": {"Booked"}}
