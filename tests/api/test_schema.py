"""The OpenAPI schema is generated without warnings, and the API keeps to it: Schemathesis
calls every operation in process (WSGI, no server) with a partner key and with a staff key."""

from io import StringIO

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scheduling import services
from tests.factories import PersonFactory
from visitors import services as visitor_services

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target), stdout=StringIO()
    )

    text = target.read_text()
    for path in ("/api/v1/events/{id}/send-invites/", "/api/v1/facilities/{id}/availability/"):
        assert path in text
    assert "bearer" in text


@pytest.fixture
def call_in_process(db):
    """Django closes its connection after every WSGI request; in tests it must stay open, as
    django.test.Client arranges, or the test's transaction would be lost."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def objects(world):
    """Real objects for generated requests to find (their ids are small, like most generated)."""
    event = world["events"]["restricted"]
    services.programme_item_create(
        event_id=event.pk, title="Stop", start=event.start, end=event.end
    )
    visitor_services.attendance_add(event_id=event.pk, person_id=PersonFactory().pk)
    return world


def _fuzz(app, headers: dict[str, str]) -> int:
    """Generated requests against every operation, valid and invalid; returns how many."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    calls = 0
    for found in schema.get_all_operations():
        operation = found.ok()
        for mode, examples in ((GenerationMode.POSITIVE, 5), (GenerationMode.NEGATIVE, 3)):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.generate],
            )
            def call(case):
                nonlocal calls
                calls += 1
                case.call_and_validate(headers=headers, checks=CHECKS)

            call()
    return calls


def test_every_operation_keeps_to_the_schema_for_a_partner_key(call_in_process, objects, api_for):
    token = api_for(organisation=objects["host"]).token

    calls = _fuzz(call_in_process, {"Authorization": f"Bearer {token}"})

    assert calls > 100


def test_every_operation_keeps_to_the_schema_for_a_staff_key(call_in_process, objects, staff_api):
    calls = _fuzz(call_in_process, {"Authorization": f"Bearer {staff_api.token}"})

    assert calls > 100


def test_schema_and_docs_are_served_without_a_key(client):
    schema = client.get("/api/schema/", {"format": "json"})
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert schema.json()["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert "/api/v1/events/{id}/ics/" in schema.json()["paths"]
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
