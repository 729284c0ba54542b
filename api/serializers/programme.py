"""An event's run-of-show: programme items and who takes part."""

import zoneinfo
from typing import Any

from rest_framework import serializers

from scheduling.models import ProgrammeItem, ProgrammeRole
from visitors.models import Person

from ..fields import (
    AwareDateTimeField,
    IdRelatedField,
    WholeNumberField,
    rfc3339,
)
from .common import StrictInputMixin, _audience, _related


def role_json(role: ProgrammeRole, *, staff: bool) -> dict[str, Any]:
    return {
        "person": role.person_id if staff else None,
        "name": role.person.display_name,
        "part": role.part,
    }


def programme_item_json(item: ProgrammeItem, *, zone: zoneinfo.ZoneInfo, staff: bool) -> dict:
    return {
        "id": item.pk,
        "event": item.event_id,
        "position": item.position,
        "start": rfc3339(item.start, zone),
        "end": rfc3339(item.end, zone),
        "title": item.title,
        "title_zh": item.title_zh,
        "kind": item.kind,
        "visibility": item.visibility,
        "facility": item.facility_id,
        "host_organisation": item.host_organisation_id,
        "description": item.description,
        "cue_notes": item.cue_notes if staff else None,
        "roles": [role_json(role, staff=staff) for role in _related(item, "roles")],
    }


class ProgrammeRoleSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The person's id: staff keys only."
    )
    name = serializers.CharField(read_only=True, help_text="As a programme prints it.")

    class Meta:
        model = ProgrammeRole
        fields = ["person", "name", "part"]
        read_only_fields = fields

    def to_representation(self, role: ProgrammeRole) -> dict[str, Any]:
        return role_json(role, staff=_audience(self).is_staff)


class ProgrammeItemSerializer(serializers.ModelSerializer):
    roles = ProgrammeRoleSerializer(many=True, read_only=True)
    cue_notes = serializers.CharField(
        read_only=True, allow_null=True, help_text="Staff cues: staff keys only."
    )

    class Meta:
        model = ProgrammeItem
        fields = [
            "id",
            "event",
            "position",
            "start",
            "end",
            "title",
            "title_zh",
            "kind",
            "visibility",
            "facility",
            "host_organisation",
            "description",
            "cue_notes",
            "roles",
        ]
        read_only_fields = fields

    def to_representation(self, item: ProgrammeItem) -> dict[str, Any]:
        return programme_item_json(item, zone=item.event.zone, staff=_audience(self).is_staff)


class RoleInputSerializer(serializers.Serializer):
    person = IdRelatedField(queryset=Person.objects.all())
    part = serializers.ChoiceField(choices=ProgrammeRole.Part.choices)


class ProgrammeItemInputSerializer(StrictInputMixin, serializers.ModelSerializer):
    serializer_related_field = IdRelatedField
    position = WholeNumberField(min_value=0, max_value=32767, required=False)
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    roles = RoleInputSerializer(
        many=True, required=False, help_text="Staff keys only: who takes part, in order."
    )

    class Meta:
        model = ProgrammeItem
        fields = [
            "position",
            "start",
            "end",
            "title",
            "title_zh",
            "kind",
            "visibility",
            "facility",
            "host_organisation",
            "description",
            "cue_notes",
            "roles",
        ]
        extra_kwargs = {"cue_notes": {"help_text": "Staff keys only."}}
