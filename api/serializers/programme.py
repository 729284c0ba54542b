"""An event's run-of-show: programme items and who takes part."""

from rest_framework import serializers

from scheduling.models import ProgrammeItem, ProgrammeRole, StopConsent
from scheduling.visibility import (
    Audience,
    sees_programme_item,
    sees_staff_details,
    sees_stop_consent,
)
from visitors.models import Person

from ..fields import AwareDateTimeField, IdRelatedField, WholeNumberField
from .common import StrictInputMixin
from .output import Output, RestrictedCharField, RestrictedIntegerField


def item_listed_for(audience: Audience, item: ProgrammeItem) -> bool:
    # item.event is the event whose programme is rendered (set by the prefetch), not a query.
    return sees_programme_item(
        audience, item.event, item.visibility, item_host_id=item.host_organisation_id
    )


class ProgrammeRoleSerializer(Output, serializers.ModelSerializer):
    person = RestrictedIntegerField(
        source="person_id",
        shown_to=sees_staff_details,
        help_text="The person's id: staff keys only.",
    )
    name = serializers.CharField(
        source="person.display_name", read_only=True, help_text="As a programme prints it."
    )

    class Meta:
        model = ProgrammeRole
        fields = ["person", "name", "part"]
        read_only_fields = fields


class StopConsentSerializer(Output, serializers.ModelSerializer):
    """The stop's host's consent to receive the visit then and there: asked, confirmed,
    declined, or another time asked for; asked again (back to requested) when the stop moves."""

    status = serializers.ChoiceField(
        source="answer",
        choices=StopConsent.Answer.choices,
        read_only=True,
        help_text="requested until the host answers, and again once the stop moves.",
    )
    answered_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the host answered; null until then."
    )

    class Meta:
        model = StopConsent
        fields = ["status", "answered_at"]
        read_only_fields = fields

    @classmethod
    def zone_of(cls, consent: StopConsent, context: dict):
        return consent.item.event.zone


class ProgrammeItemSerializer(Output, serializers.ModelSerializer):
    """An item of a run-of-show; in an event's programme, only the items the key may see."""

    listed_for = staticmethod(item_listed_for)
    roles = ProgrammeRoleSerializer(many=True, read_only=True)
    cue_notes = RestrictedCharField(
        shown_to=sees_staff_details, help_text="Staff cues: staff keys only."
    )
    expected_start = serializers.DateTimeField(
        source="expected_or_planned_start",
        read_only=True,
        allow_null=True,
        help_text="When the item is now expected to start: its start until the day moves it "
        "(a late start moves every later item); null when it is skipped.",
    )
    expected_end = serializers.DateTimeField(
        source="expected_or_planned_end", read_only=True, allow_null=True
    )
    consent = StopConsentSerializer(
        read_only=True,
        allow_null=True,
        shown_to=sees_stop_consent,
        help_text="The host's consent to this stop: staff keys and the organisation hosting "
        "the stop only (null for others, and for a stop whose host was not asked).",
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
            "expected_start",
            "expected_end",
            "started_at",
            "finished_at",
            "skipped",
            "consent",
        ]
        read_only_fields = fields

    @classmethod
    def zone_of(cls, item: ProgrammeItem, context: dict):
        return item.event.zone


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
