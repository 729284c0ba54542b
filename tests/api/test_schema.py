"""The OpenAPI schema is generated without warnings, and the API keeps to it: Schemathesis
calls every operation in process (WSGI, no server) with a partner key and with a staff key."""

import datetime as dt
from io import StringIO

import jsonschema
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


def strict_json_schema(schema, root: dict, seen: frozenset = frozenset()):
    """An OpenAPI 3.0 schema as plain JSON Schema: $refs inlined, nullable as a null type."""
    if isinstance(schema, list):
        return [strict_json_schema(item, root, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        ref = schema["$ref"]
        if ref in seen:
            return {}
        target = root
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return strict_json_schema(target, root, seen | {ref})
    converted = {key: strict_json_schema(value, root, seen) for key, value in schema.items()}
    if converted.pop("nullable", False):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
        if "allOf" in converted or "oneOf" in converted:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


@schemathesis.check
def response_formats_conform(ctx, response, case):
    """Answers keep to the formats the schema declares (date-time, time, patterns), as a strict
    client's validator reads them; schemathesis's own conformance check ignores formats."""
    if "json" not in (response.headers.get("content-type") or [""])[0]:
        return None
    responses = case.operation.definition.raw.get("responses", {})
    documented = responses.get(str(response.status_code))
    media = (documented or {}).get("content", {}).get("application/json")
    if not media or "schema" not in media:
        return None
    root = case.operation.schema.raw_schema
    schema = strict_json_schema(media["schema"], root)
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(response.json())
    ]
    assert not errors, "; ".join(errors[:5])
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    response_formats_conform,
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
    world["hall"].bookable_from, world["hall"].bookable_until = dt.time(8), dt.time(20)
    world["hall"].save()
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


def test_answers_keep_to_the_declared_formats(world, staff_api, call_in_process):
    """A facility's opening hours are wall-clock times, which JSON Schema's "time" format (it
    wants an offset) would refuse: the schema and the answer must agree."""
    world["hall"].bookable_from, world["hall"].bookable_until = dt.time(8), dt.time(20)
    world["hall"].save()
    schema = staff_api.get("/api/schema/", format="json").json()
    facility = staff_api.get(f"/api/v1/facilities/{world['hall'].pk}/").json()
    declared = strict_json_schema({"$ref": "#/components/schemas/Facility"}, schema)

    errors = list(
        jsonschema.Draft7Validator(
            declared, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
        ).iter_errors(facility)
    )

    assert facility["bookable_from"] == "08:00:00"
    assert errors == []
