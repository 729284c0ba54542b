"""The JSON of one event: every field of the contract, with its value."""

import datetime as dt

import pytest

from scheduling import services
from tests.factories import HK, hk

pytestmark = pytest.mark.django_db


@pytest.fixture
def forum(world):
    event = services.event_create(
        title="Smart Manufacturing Forum",
        kind="forum",
        site=world["site"],
        start=hk(2030, 3, 6, 10),
        end=hk(2030, 3, 6, 12),
        visibility="partners",
        host_organisation=world["host"],
        status="confirmed",
    )
    items = {
        visibility: services.programme_item_create(
            event_id=event.pk,
            title=f"{visibility.title()} remarks",
            start=hk(2030, 3, 6, 10, minute),
            end=hk(2030, 3, 6, 10, minute + 15),
            visibility=visibility,
        )
        for visibility, minute in (("public", 0), ("internal", 15))
    }
    booking = services.booking_create(
        event_id=event.pk,
        facility_id=world["hall"].pk,
        start=event.start,
        end=event.end,
        setup_minutes=30,
        teardown_minutes=15,
        status="confirmed",
    )
    event.refresh_from_db()
    return {"event": event, "items": items, "booking": booking}


def _item(item):
    return {
        "id": item.pk,
        "title": item.title,
        "visibility": item.visibility,
        "start": item.start.astimezone(HK).isoformat(),
        "end": item.end.astimezone(HK).isoformat(),
    }


def test_event_detail_json_carries_the_contract_fields_with_their_values(
    world, forum, staff_api, api_for
):
    event, items, booking = forum["event"], forum["items"], forum["booking"]
    partner = api_for(organisation=world["other"])

    as_partner = partner.get(f"/api/v1/events/{event.pk}/").json()
    as_staff = staff_api.get(f"/api/v1/events/{event.pk}/").json()

    expected = {
        "id": event.pk,
        "uid": event.uid,
        "title": "Smart Manufacturing Forum",
        "kind": "forum",
        "status": "confirmed",
        "visibility": "partners",
        "site": world["site"].pk,
        "timezone": "Asia/Hong_Kong",
        "start": "2030-03-06T10:00:00+08:00",
        "end": "2030-03-06T12:00:00+08:00",
        "host_organisation": world["host"].pk,
        "updated_at": event.updated_at.astimezone(HK).isoformat(),
    }
    for body in (as_partner, as_staff):
        assert {name: body[name] for name in expected} == expected
        assert dt.datetime.fromisoformat(body["start"]) == event.start
        assert dt.datetime.fromisoformat(body["updated_at"]) == event.updated_at
        assert [
            {name: b[name] for name in ("id", "event", "facility", "status", "start", "end")}
            | {"occupied": (b["occupied_start"], b["occupied_end"])}
            for b in body["bookings"]
        ] == [
            {
                "id": booking.pk,
                "event": event.pk,
                "facility": world["hall"].pk,
                "status": "confirmed",
                "start": "2030-03-06T10:00:00+08:00",
                "end": "2030-03-06T12:00:00+08:00",
                "occupied": ("2030-03-06T09:30:00+08:00", "2030-03-06T12:15:00+08:00"),
            }
        ]
    assert [
        {name: i[name] for name in ("id", "title", "visibility", "start", "end")}
        for i in as_partner["programme"]
    ] == [_item(items["public"])]
    assert [
        {name: i[name] for name in ("id", "title", "visibility", "start", "end")}
        for i in as_staff["programme"]
    ] == [_item(items["public"]), _item(items["internal"])]
    assert as_staff["programme"][0]["start"] == "2030-03-06T10:00:00+08:00"
