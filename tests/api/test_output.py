"""An answer's shape has one source, the serializer's declared fields: the schema is generated
from them and the answer is rendered from them (api/serializers/output.py). These tests fail
when the two part: a field answered but not documented, or documented but not answered, or a
field the fast plan reads otherwise than DRF's own machinery would."""

import json

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from api.serializers.bookings import BookingSerializer, with_item_visibility
from api.serializers.events import EventSerializer
from api.serializers.output import Output
from api.serializers.people import (
    AttendanceSerializer,
    AttendeePersonSerializer,
    OrganisationSerializer,
    PersonSerializer,
)
from api.serializers.places import FacilitySerializer, SiteSerializer
from api.serializers.programme import (
    ProgrammeItemSerializer,
    ProgrammeRoleSerializer,
    StopConsentSerializer,
)
from scheduling import services
from scheduling.models import Booking, ProgrammeItem, ProgrammeRole, StopConsent
from scheduling.visibility import STAFF
from tests.factories import FacilityFactory, PersonFactory
from visitors import services as visitor_services
from visitors.models import Attendance

pytestmark = pytest.mark.django_db

WINDOW = {"start": "2030-03-04T00:00:00+08:00", "end": "2030-03-05T00:00:00+08:00"}


@pytest.fixture
def full(world):
    """The restricted event with everything its JSON can hold: a public item with a speaker,
    hosted at the host's premises, whose host confirmed; an internal item, a booking serving
    the internal item, an attendee of the host's."""
    event = world["events"]["restricted"]
    speaker = PersonFactory(organisation=world["host"])
    remarks = services.programme_item_create(
        event_id=event.pk,
        title="Remarks",
        start=event.start,
        end=event.end,
        host_organisation=world["host"],
        roles=[(speaker, "speaker"), (PersonFactory(organisation=world["host"]), "host")],
        cue_notes="Lectern mic live.",
    )
    asked = services.stop_consent_request(item_id=remarks.pk)
    consent = services.stop_consent_answer(
        consent_id=asked.pk, version=asked.version, answer="confirmed"
    )
    internal = services.programme_item_create(
        event_id=event.pk, title="Transfer", start=event.start, end=event.end, visibility="internal"
    )
    booking = services.booking_create(
        event_id=event.pk,
        facility_id=FacilityFactory(site=world["site"]).pk,
        start=event.start,
        end=event.end,
        programme_item_id=internal.pk,
    )
    attendance = visitor_services.attendance_add(event_id=event.pk, person_id=speaker.pk)
    return {
        **world,
        "event": event,
        "booking": booking,
        "attendance": attendance,
        "consent": consent,
    }


# (path in the schema, its values, query) of every kind of answer that renders objects.
ANSWERS = [
    ("/api/v1/events/", {}, {}),
    ("/api/v1/events/{id}/", {"id": "event"}, {}),
    ("/api/v1/events/{event_pk}/programme/", {"event_pk": "event"}, {}),
    ("/api/v1/events/{event_pk}/attendees/", {"event_pk": "event"}, {}),
    ("/api/v1/bookings/", {}, {}),
    ("/api/v1/bookings/{id}/", {"id": "booking"}, {}),
    ("/api/v1/sites/", {}, {}),
    ("/api/v1/sites/{id}/availability/", {"id": "site"}, WINDOW),
    ("/api/v1/facilities/", {}, {}),
    ("/api/v1/facilities/{id}/availability/", {"id": "hall"}, WINDOW),
]
STAFF_ANSWERS = [("/api/v1/organisations/", {}, {}), ("/api/v1/people/", {}, {})]


def _documented(schema: dict, root: dict) -> dict:
    """A schema with its $ref (and a lone allOf, as a nullable nested object has) followed."""
    while "$ref" in schema or len(schema.get("allOf", ())) == 1:
        if "$ref" in schema:
            target = root
            for part in schema["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            schema = target
        else:
            schema = schema["allOf"][0]
    return schema


def _disagreements(value, schema: dict, root: dict, path: str, seen: set[str]) -> list[str]:
    """Where `value` has other fields than `schema` documents; `seen` collects the paths of the
    objects compared, to show nested ones were reached."""
    schema = _documented(schema, root)
    if isinstance(value, dict) and "properties" in schema:
        seen.add(path)
        answered, documented = set(value), set(schema["properties"])
        found = []
        if answered - documented:
            found.append(f"{path}: answered, not documented: {sorted(answered - documented)}")
        if documented - answered:
            found.append(f"{path}: documented, not answered: {sorted(documented - answered)}")
        for name in sorted(answered & documented):
            found += _disagreements(
                value[name], schema["properties"][name], root, f"{path}.{name}", seen
            )
        return found
    if isinstance(value, list) and "items" in schema:
        return [
            problem
            for row in value
            for problem in _disagreements(row, schema["items"], root, f"{path}[]", seen)
        ]
    return []


@pytest.mark.parametrize("who", ["staff", "partner"])
def test_every_answer_has_exactly_the_fields_its_schema_documents(who, full, staff_api, api_for):
    api = staff_api if who == "staff" else api_for(organisation=full["host"])
    root = staff_api.get("/api/schema/", format="json").json()
    answers = ANSWERS + (STAFF_ANSWERS if who == "staff" else [])
    problems, seen = [], set()

    for template, values, query in answers:
        path = template.format(**{name: full[obj].pk for name, obj in values.items()})
        answer = api.get(path, **query)
        assert answer.status_code == 200, (path, answer.content)
        documented = root["paths"][template]["get"]["responses"]["200"]["content"]
        problems += _disagreements(
            answer.json(), documented["application/json"]["schema"], root, template, seen
        )

    assert problems == []
    # The nested objects were reached, not only the envelopes.
    for nested in (
        "/api/v1/events/{id}/.programme[].roles[]",
        "/api/v1/events/{id}/.programme[].consent",
        "/api/v1/events/{event_pk}/programme/.results[].consent",
        "/api/v1/events/{id}/.bookings[]",
        "/api/v1/events/{event_pk}/attendees/.results[].person",
        "/api/v1/sites/{id}/availability/.facilities[].busy[].occupants[]",
        "/api/v1/facilities/{id}/availability/.free[]",
    ):
        assert nested in seen


def _output_serializers() -> list[type[Output]]:
    found, todo = [], list(Output.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def _drf_rendered(cls: type[Output], obj, context: dict) -> dict:
    """What DRF's own Serializer.to_representation makes of the fields that are not nested
    serializers (those render through their own plans either way)."""
    serializer = cls(context=context)
    plain = {
        name: field
        for name, field in serializer.fields.items()
        if not isinstance(field, serializers.BaseSerializer)
    }
    rendered = {}
    for name, field in plain.items():
        value = field.get_attribute(obj)
        rendered[name] = None if value is None else field.to_representation(value)
    return json.loads(JSONRenderer().render(rendered))


def test_the_plan_reads_every_field_as_drf_would(full):
    """For staff (who see every field) and times in Hong Kong (DRF's default zone is the
    settings', the plan's the event's), the plan's answer is DRF's, field by field."""
    event, attendance = full["event"], full["attendance"]
    item = ProgrammeItem.objects.filter(event=event).select_related("event").first()
    objects = {
        EventSerializer: event,
        ProgrammeItemSerializer: item,
        ProgrammeRoleSerializer: ProgrammeRole.objects.filter(item=item).first(),
        StopConsentSerializer: StopConsent.objects.select_related("item__event").get(
            pk=full["consent"].pk
        ),
        BookingSerializer: with_item_visibility(Booking.objects).get(pk=full["booking"].pk),
        AttendanceSerializer: Attendance.objects.get(pk=attendance.pk),
        AttendeePersonSerializer: attendance.person,
        PersonSerializer: attendance.person,
        OrganisationSerializer: full["host"],
        SiteSerializer: full["site"],
        FacilitySerializer: full["hall"],
    }
    context = {"audience": STAFF}
    model_serializers = {
        cls for cls in _output_serializers() if issubclass(cls, serializers.ModelSerializer)
    }

    assert model_serializers <= set(objects), "a new output serializer needs an object here"
    for cls, obj in objects.items():
        ours = json.loads(JSONRenderer().render(cls(obj, context=context).data))
        drf = _drf_rendered(cls, obj, context)
        assert {name: ours[name] for name in drf} == drf, cls.__name__
        assert list(ours) == list(cls(context=context).fields), cls.__name__


def test_an_attendees_times_are_in_the_events_zone_as_every_other_time(world, staff_api):
    event = world["events"]["public"]
    event.timezone = "Europe/London"
    event.save(update_fields=["timezone"])
    attendance = visitor_services.attendance_add(
        event_id=event.pk, person_id=PersonFactory().pk, call_time=event.start
    )

    body = staff_api.get(f"/api/v1/events/{event.pk}/attendees/{attendance.pk}/").json()
    shown = staff_api.get(f"/api/v1/events/{event.pk}/").json()

    assert body["call_time"] == shown["start"] == "2030-03-04T00:00:00+00:00"
    assert body["updated_at"].endswith("+00:00")
