"""Organisations and people are for staff keys: a partner key is told they do not exist."""

import pytest

from tests.api.conftest import without_request_id
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _staff_only_paths(world, person):
    return [
        "/api/v1/organisations/",
        f"/api/v1/organisations/{world['host'].pk}/",
        f"/api/v1/organisations/{world['other'].pk}/",
        "/api/v1/people/",
        f"/api/v1/people/{person.pk}/",
    ]


def test_partner_keys_get_404_from_organisations_and_people_and_learn_nothing(world, api_for):
    person = PersonFactory(
        name="Chan Siu Ming", email="siuming@org-a.example", organisation=world["host"]
    )
    host = api_for(organisation=world["host"])  # even for its own organisation and people
    nothing_here = host.get("/api/v1/events/987654321/")

    answers = [host.get(path) for path in _staff_only_paths(world, person)]
    queried = [
        host.get("/api/v1/organisations/", kind="tenant"),
        host.get("/api/v1/people/", email=person.email),
        host.get("/api/v1/people/", sync_token="anything"),
        host.client.head(
            f"/api/v1/people/{person.pk}/", headers={"Authorization": f"Bearer {host.token}"}
        ),
    ]

    for answer in answers + queried:
        assert answer.status_code == 404, answer.request["PATH_INFO"]
        assert not answer.has_header("ETag") and not answer.has_header("Last-Modified")
    for answer in answers + queried[:3]:
        assert without_request_id(answer) == without_request_id(nothing_here)
        text = answer.content.decode()
        assert "Chan Siu Ming" not in text and "org-a" not in text and "siuming" not in text


def test_staff_keys_list_and_read_organisations_and_people(world, staff_api):
    person = PersonFactory(
        name="Chan Siu Ming",
        email="siuming@org-a.example",
        precedence_rank=12,
        organisation=world["host"],
    )

    organisations = staff_api.get("/api/v1/organisations/")
    organisation = staff_api.get(f"/api/v1/organisations/{world['host'].pk}/")
    people = staff_api.get("/api/v1/people/", email="SIUMING@org-a.example")
    detail = staff_api.get(f"/api/v1/people/{person.pk}/")

    assert organisations.status_code == 200
    assert {o["slug"] for o in organisations.json()["results"]} == {"org-a", "org-b"}
    assert organisation.json()["id"] == world["host"].pk
    assert organisation.json()["name"] == world["host"].name
    assert organisation["ETag"] and organisation["Last-Modified"]
    assert [p["id"] for p in people.json()["results"]] == [person.pk]
    assert {
        name: detail.json()[name]
        for name in ("id", "name", "email", "organisation", "precedence_rank")
    } == {
        "id": person.pk,
        "name": "Chan Siu Ming",
        "email": "siuming@org-a.example",
        "organisation": world["host"].pk,
        "precedence_rank": 12,
    }
