"""Events, with their programme and bookings, and the lifecycle actions' input."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from scheduling.models import Event
from scheduling.models.events import CANCEL_REASON_MAX_LENGTH
from scheduling.visibility import sees_staff_details

from ..fields import MAX_ID, AwareDateTimeField, IdRelatedField, WholeNumberField
from .bookings import BookingSerializer
from .common import StrictInputMixin
from .output import Output, RestrictedCharField
from .programme import ProgrammeItemSerializer


class EventSerializer(Output, serializers.ModelSerializer):
    """An event with the programme items this key may see and its bookings; times in the
    event's own zone."""

    programme = ProgrammeItemSerializer(
        many=True, read_only=True, help_text="The items this key may see, in running order."
    )
    bookings = BookingSerializer(many=True, read_only=True)
    internal_notes = RestrictedCharField(shown_to=sees_staff_details, help_text="Staff keys only.")
    sequence = serializers.IntegerField(
        source="revision",
        read_only=True,
        help_text="The SEQUENCE feeds and .ics answers write: rises with every change shown.",
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "uid",
            "reference",
            "sequence",
            "title",
            "title_zh",
            "kind",
            "status",
            "visibility",
            "site",
            "timezone",
            "start",
            "end",
            "host_organisation",
            "description",
            "internal_notes",
            "programme",
            "bookings",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @classmethod
    def zone_of(cls, event: Event, context: dict):
        return event.zone


EVENT_TIME_HINT = _(
    "Times and status change through the reschedule, confirm, complete and cancel actions."
)


class EventCreateSerializer(StrictInputMixin, serializers.ModelSerializer):
    serializer_related_field = IdRelatedField
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    status = serializers.ChoiceField(
        choices=[Event.Status.DRAFT, Event.Status.TENTATIVE, Event.Status.CONFIRMED],
        default=Event.Status.DRAFT,
    )
    timezone = serializers.CharField(
        max_length=64, required=False, help_text="IANA zone; defaults to the site's."
    )

    class Meta:
        model = Event
        fields = [
            "title",
            "title_zh",
            "kind",
            "status",
            "visibility",
            "site",
            "timezone",
            "start",
            "end",
            "host_organisation",
            "reference",
            "description",
            "internal_notes",
        ]
        extra_kwargs = {
            "host_organisation": {"help_text": "Partner keys: always their own organisation."},
            "internal_notes": {"help_text": "Staff keys only."},
            # Uniqueness is the service's to check (inside its transaction), not the shape's.
            "reference": {"validators": [], "help_text": "Staff keys only."},
        }


class EventUpdateSerializer(StrictInputMixin, serializers.ModelSerializer):
    serializer_related_field = IdRelatedField
    refused_hints = {"start": EVENT_TIME_HINT, "end": EVENT_TIME_HINT, "status": EVENT_TIME_HINT}
    timezone = serializers.CharField(max_length=64, required=False)

    class Meta:
        model = Event
        fields = [
            "title",
            "title_zh",
            "kind",
            "visibility",
            "site",
            "timezone",
            "host_organisation",
            "reference",
            "description",
            "internal_notes",
        ]
        extra_kwargs = {"reference": {"validators": []}}


class RescheduleInputSerializer(StrictInputMixin, serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    reason = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class CancelInputSerializer(StrictInputMixin, serializers.Serializer):
    reason = serializers.CharField(
        max_length=CANCEL_REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Told to everyone invited in the cancellation, and kept in the history.",
    )


class SendInvitesInputSerializer(StrictInputMixin, serializers.Serializer):
    attendance_ids = serializers.ListField(
        child=WholeNumberField(min_value=1, max_value=MAX_ID),
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "Only these attendees (default: everyone not yet invited at this SEQUENCE who has "
            "not declined). Naming someone who declined sends them a fresh invite."
        ),
    )
    include_declined = serializers.ListField(
        child=WholeNumberField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        help_text="Attendees who declined to invite all the same; others who declined are "
        "left out.",
    )


class InviteQueuedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    attendance = serializers.IntegerField(source="attendance_id", allow_null=True)
    method = serializers.CharField()
    sequence = serializers.IntegerField()
    state = serializers.CharField()


class SendInvitesResultSerializer(serializers.Serializer):
    detail = serializers.CharField()
    queued = serializers.IntegerField(help_text="Invites queued by this request.")
    awaiting_approval = serializers.IntegerField(
        help_text="Invites written but held until a staff member approves them (answer 202)."
    )
    deliveries = InviteQueuedSerializer(many=True)
