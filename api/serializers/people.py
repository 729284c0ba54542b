"""Organisations, people and attendee lists."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from scheduling.visibility import sees_contact_details, sees_staff_details
from visitors.models import MAX_PLACE, Attendance, Organisation, Person

from ..fields import MAX_ID, AwareDateTimeField, WholeNumberField
from .common import StrictInputMixin
from .output import Output, RestrictedCharField, RestrictedIntegerField

PLACE_HELP = (
    "Place in this event's order of precedence: 1 is first; null follows the usual rules "
    "(guest of honour, officiating guests, then rank, role and name)."
)


class OrganisationSerializer(Output, serializers.ModelSerializer):
    website = serializers.CharField(read_only=True, help_text="A URL, or empty.")

    class Meta:
        model = Organisation
        fields = ["id", "name", "name_zh", "slug", "kind", "website", "notes"]
        read_only_fields = fields


class PersonSerializer(Output, serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="An e-mail address, or empty.")

    class Meta:
        model = Person
        fields = [
            "id",
            "display_name",
            "honorific",
            "name",
            "name_zh",
            "post",
            "post_nominals",
            "organisation",
            "email",
            "phone",
            "precedence_rank",
            "dietary",
            "accessibility",
            "languages",
            "interpreter_needed",
            "notes",
        ]
        read_only_fields = fields


class AttendeePersonSerializer(Output, serializers.ModelSerializer):
    """The person on an attendee list: the e-mail address for those who may have it
    (sees_contact_details), the phone for staff keys only."""

    email = RestrictedCharField(shown_to=sees_contact_details)
    phone = RestrictedCharField(shown_to=sees_staff_details, help_text="Staff keys only.")

    class Meta:
        model = Person
        fields = [
            "display_name",
            "honorific",
            "name",
            "name_zh",
            "post",
            "organisation",
            "email",
            "phone",
        ]
        read_only_fields = fields


class AttendanceSerializer(Output, serializers.ModelSerializer):
    """An attendee; times in the event's own zone."""

    person_id = RestrictedIntegerField(shown_to=sees_staff_details, help_text="Staff keys only.")
    person = AttendeePersonSerializer(read_only=True)
    dietary = RestrictedCharField(shown_to=sees_staff_details, help_text="Staff keys only.")
    accessibility = RestrictedCharField(shown_to=sees_staff_details, help_text="Staff keys only.")
    notes = RestrictedCharField(shown_to=sees_staff_details, help_text="Staff keys only.")
    order_override = RestrictedIntegerField(
        shown_to=sees_staff_details,
        help_text=f"Staff keys only. {PLACE_HELP}",
    )
    awaiting_approval = serializers.BooleanField(
        read_only=True,
        help_text="Invites to this attendee wait until a staff member approves them.",
    )

    class Meta:
        model = Attendance
        fields = [
            "id",
            "event",
            "person_id",
            "person",
            "role",
            "order_override",
            "rsvp",
            "rsvp_at",
            "guests",
            "call_time",
            "checked_in_at",
            "dietary",
            "accessibility",
            "notes",
            "awaiting_approval",
            "updated_at",
        ]
        read_only_fields = fields

    @classmethod
    def zone_of(cls, attendance: Attendance, context: dict):
        return attendance.event.zone


class AttendanceAddSerializer(StrictInputMixin, serializers.Serializer):
    person = WholeNumberField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="An existing person (staff keys only).",
    )
    name = serializers.CharField(
        max_length=200,
        required=False,
        help_text=(
            "With email. Staff keys: the person on file with that address, or a new one. "
            "Partner keys: a nomination of the partner's own, which staff match to people on "
            "file; the answer shows only what the partner supplied."
        ),
    )
    email = serializers.EmailField(required=False)
    honorific = serializers.CharField(max_length=40, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Attendance.Role.choices, default=Attendance.Role.GUEST)
    guests = WholeNumberField(min_value=0, max_value=50, required=False)
    call_time = AwareDateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, help_text="Staff keys only.")
    confirmed_embargo = serializers.BooleanField(
        required=False,
        help_text=(
            "Staff keys only: confirm that the media may be put on the list of an event under "
            "embargo (refused with code embargo_media otherwise)."
        ),
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        by_id = "person" in attrs
        by_email = "name" in attrs or "email" in attrs
        if by_id == by_email:
            raise serializers.ValidationError(
                {"person": [_("Give either a person id, or a name and an e-mail address.")]}
            )
        if by_email and not (attrs.get("name", "").strip() and attrs.get("email")):
            raise serializers.ValidationError(
                {"email": [_("A new attendee needs both a name and an e-mail address.")]}
            )
        return attrs


class AttendanceUpdateSerializer(StrictInputMixin, serializers.Serializer):
    role = serializers.ChoiceField(choices=Attendance.Role.choices, required=False)
    guests = WholeNumberField(min_value=0, max_value=50, required=False)
    call_time = AwareDateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, help_text="Staff keys only.")
    order_override = WholeNumberField(
        min_value=1,
        max_value=MAX_PLACE,
        required=False,
        allow_null=True,
        help_text=f"Staff keys only: a partner key is refused (400). {PLACE_HELP}",
    )


class RsvpInputSerializer(StrictInputMixin, serializers.Serializer):
    answer = serializers.ChoiceField(choices=Attendance.RSVP.choices)
    guests = WholeNumberField(min_value=0, max_value=50, required=False)
