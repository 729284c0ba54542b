"""A tour stop's host's consent in the API: its status and when it was given, on each programme
item, for staff keys and the organisation hosting that stop only (issue 16)."""

import datetime as dt

import pytest

from scheduling.models import ProgrammeItem, ProgrammeRole, StopConsent
from scheduling.services.consent import stop_consent_answer, stop_consent_request
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _asked(item: ProgrammeItem, answer: str | None = None, **given) -> StopConsent:
    """Ask the stop's host (a person of the tenant, in the HOST role), and answer if told."""
    host = PersonFactory(organisation=item.host_organisation)
    ProgrammeRole.objects.create(item=item, person=host, part=ProgrammeRole.Part.HOST)
    consent = stop_consent_request(item_id=item.pk)
    if answer is not None:
        consent = stop_consent_answer(
            consent_id=consent.pk, version=consent.version, answer=answer, **given
        )
    return consent


def _consents(api, event_pk: int) -> dict[str, dict]:
    """Each item's consent by title, from the event, its programme and each item's own answer;
    the three must agree."""
    event = api.get(f"/api/v1/events/{event_pk}/").json()["programme"]
    programme = api.get(f"/api/v1/events/{event_pk}/programme/").json()["results"]
    one_by_one = [
        api.get(f"/api/v1/events/{event_pk}/programme/{item['id']}/").json() for item in programme
    ]
    shown = [{item["title"]: item["consent"] for item in answer} for answer in (event, programme)]
    shown.append({item["title"]: item["consent"] for item in one_by_one})
    assert shown[0] == shown[1] == shown[2]
    return shown[0]


def test_a_stops_consent_is_shown_to_staff_and_to_that_stops_host_only(visit, api_for, staff_api):
    first, second, third = (visit.stops[tenant.pk] for tenant in visit.tenants)
    confirmed = _asked(first, "confirmed")
    _asked(second)  # asked, no answer yet
    apis = {
        "staff": staff_api,
        "park": api_for(organisation=visit.host),  # the event's host, not the stops'
        "first": api_for(organisation=visit.tenants[0]),
        "second": api_for(organisation=visit.tenants[1]),
        "third": api_for(organisation=visit.tenants[2]),
    }

    seen = {who: _consents(api, visit.event.pk) for who, api in apis.items()}

    answered = confirmed.answered_at.astimezone(visit.event.zone).isoformat()
    first_shown = {"status": "confirmed", "answered_at": answered}
    second_shown = {"status": "requested", "answered_at": None}
    assert seen["staff"][first.title] == first_shown
    assert seen["staff"][second.title] == second_shown
    assert seen["staff"][third.title] is None  # never asked
    assert seen["first"][first.title] == first_shown
    assert seen["second"][second.title] == second_shown
    assert seen["first"][second.title] is None and seen["second"][first.title] is None
    assert {seen["park"][stop.title] for stop in (first, second, third)} == {None}
    assert {seen["third"][stop.title] for stop in (first, second)} == {None}
    statuses = {
        who: sorted(c["status"] for c in seen[who].values() if c is not None) for who in apis
    }
    assert statuses == {
        "staff": ["confirmed", "requested"],
        "park": [],
        "first": ["confirmed"],
        "second": ["requested"],
        "third": [],
    }


@pytest.mark.parametrize(
    "answer, given",
    [
        ("declined", {"note": "Line shut for maintenance"}),
        ("another_time", {"proposed_start": dt.datetime(2030, 3, 5, 15, tzinfo=dt.UTC)}),
    ],
)
def test_a_stops_host_sees_its_answer_and_when_it_gave_it(visit, api_for, answer, given):
    stop = visit.stops[visit.tenants[0].pk]
    consent = _asked(stop, answer, **given)
    host = api_for(organisation=visit.tenants[0])

    shown = host.get(f"/api/v1/events/{visit.event.pk}/programme/{stop.pk}/").json()["consent"]

    assert shown["status"] == answer
    assert dt.datetime.fromisoformat(shown["answered_at"]) == consent.answered_at
    assert shown["answered_at"].endswith("+08:00")  # on the event's clock, as its other times


def test_an_answer_is_news_to_a_cached_answer_and_a_sync(visit, api_for):
    stop = visit.stops[visit.tenants[0].pk]
    host = api_for(organisation=visit.tenants[0])
    path = f"/api/v1/events/{visit.event.pk}/programme/{stop.pk}/"
    listed = f"/api/v1/events/{visit.event.pk}/programme/"
    etag, token = host.get(path)["ETag"], host.get(listed).json()["sync_token"]
    consent = _asked(stop)
    asked = host.get(path, headers={"If-None-Match": etag})
    asked_token = host.get(listed, sync_token=token).json()["sync_token"]

    stop_consent_answer(consent_id=consent.pk, version=consent.version, answer="declined")
    answered = host.get(path, headers={"If-None-Match": asked["ETag"]})
    synced = host.get(listed, sync_token=asked_token).json()

    assert asked.status_code == 200 and asked.json()["consent"]["status"] == "requested"
    assert answered.status_code == 200 and answered.json()["consent"]["status"] == "declined"
    assert [(item["id"], item["consent"]["status"]) for item in synced["results"]] == [
        (stop.pk, "declined")
    ]
