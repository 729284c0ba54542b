"""Shapes in and out. Serializers check the shape of input only; the services hold the rules.

Output: times are ISO 8601 with their offset, in the event's own zone (the site's for places).
Fields a caller may not see are present and null (``internal_notes``, ``cue_notes``, an
attendee's e-mail...), so every answer has the same shape whoever asks.
"""

import datetime as dt
import zoneinfo
from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from scheduling.models import Booking, Event, Facility, ProgrammeItem, ProgrammeRole, Site
from scheduling.visibility import Audience, sees_contact_details, sees_internal_programme
from visitors.models import Attendance, Organisation, Person

from .fields import (
    MAX_ID,
    AwareDateTimeField,
    IdRelatedField,
    WallClockTimeField,
    WholeNumberField,
    rfc3339,
)


class StrictInputMixin:
    """Refuse fields the serializer does not know, instead of silently ignoring them."""

    refused_hints: dict[str, str] = {}

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            unknown = set(self.initial_data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [self.refused_hints.get(name, "Unknown field.")]
                        for name in sorted(unknown)
                    }
                )
        return super().validate(attrs)


def _audience(serializer) -> Audience:
    return serializer.context["audience"]


PREFETCHED = "prefetched_"

# The JSON of events, their programme and bookings, written out by hand: an event page renders
# hundreds of these, and DRF's field machinery costs far more than the data. The serializers
# below still declare every field, for the schema; the Schemathesis test checks that the two
# agree.


def _related(obj, name: str) -> list:
    """Rows prefetched into a plain list (``Prefetch(name, to_attr=PREFETCHED + name)``) skip
    a related manager per object; anything else is fetched the ordinary way."""
    prefetched = getattr(obj, PREFETCHED + name, None)
    return prefetched if prefetched is not None else list(getattr(obj, name).all())


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


def booking_json(
    booking: Booking,
    *,
    event: Event,
    audience: Audience,
    visible_item_ids: set[int] | None = None,
) -> dict[str, Any]:
    """A booking; its programme item is named only to those who may see that item.
    visible_item_ids (the event's items this audience sees) saves fetching each booking's item."""
    zone = event.zone
    item_id = booking.programme_item_id
    if item_id is not None:
        if visible_item_ids is not None:
            visible = item_id in visible_item_ids
        else:
            visible = booking.programme_item.visibility == ProgrammeItem.Visibility.PUBLIC or (
                sees_internal_programme(audience, event)
            )
        item_id = item_id if visible else None
    return {
        "id": booking.pk,
        "event": booking.event_id,
        "facility": booking.facility_id,
        "programme_item": item_id,
        "status": booking.status,
        "start": rfc3339(booking.start, zone),
        "end": rfc3339(booking.end, zone),
        "setup_minutes": booking.setup_minutes,
        "teardown_minutes": booking.teardown_minutes,
        "occupied_start": rfc3339(booking.occupied_start, zone),
        "occupied_end": rfc3339(booking.occupied_end, zone),
        "hold_expires_at": rfc3339(booking.hold_expires_at, zone),
        "backup_of": booking.backup_of_id,
        "backup_deadline": rfc3339(booking.backup_deadline, zone),
        "capacity_override_reason": booking.capacity_override_reason if audience.is_staff else None,
        "released_at": rfc3339(booking.released_at, zone),
        "updated_at": rfc3339(booking.updated_at, zone),
    }


def event_json(event: Event, *, audience: Audience) -> dict[str, Any]:
    """An event with the programme items this audience may see and its bookings."""
    zone, staff = event.zone, audience.is_staff
    internal = sees_internal_programme(audience, event)
    items = [
        item
        for item in _related(event, "programme")
        if internal or item.visibility == ProgrammeItem.Visibility.PUBLIC
    ]
    visible_item_ids = {item.pk for item in items}
    return {
        "id": event.pk,
        "uid": event.uid,
        "reference": event.reference,
        "sequence": event.sequence,
        "title": event.title,
        "title_zh": event.title_zh,
        "kind": event.kind,
        "status": event.status,
        "visibility": event.visibility,
        "site": event.site_id,
        "timezone": event.timezone,
        "start": rfc3339(event.start, zone),
        "end": rfc3339(event.end, zone),
        "host_organisation": event.host_organisation_id,
        "description": event.description,
        "internal_notes": event.internal_notes if staff else None,
        "programme": [programme_item_json(item, zone=zone, staff=staff) for item in items],
        "bookings": [
            booking_json(booking, event=event, audience=audience, visible_item_ids=visible_item_ids)
            for booking in _related(event, "bookings")
        ],
        "created_at": rfc3339(event.created_at, zone),
        "updated_at": rfc3339(event.updated_at, zone),
    }


# --- Places ------------------------------------------------------------------------------------


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "name_zh", "slug", "address", "timezone", "internal_travel_minutes"]
        read_only_fields = fields


class FacilitySerializer(serializers.ModelSerializer):
    bookable_from = WallClockTimeField(read_only=True, allow_null=True)
    bookable_until = WallClockTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Facility
        fields = [
            "id",
            "site",
            "name",
            "name_zh",
            "kind",
            "capacity",
            "setup_minutes",
            "teardown_minutes",
            "is_bookable",
            "bookable_from",
            "bookable_until",
            "description",
        ]
        read_only_fields = fields


class SiteTimeField(serializers.DateTimeField):
    """A time written in the zone the serializer's context names (the site's)."""

    def to_representation(self, value):
        zone = self.context.get("zone")
        return rfc3339(value, zone) if zone else super().to_representation(value)


class IntervalSerializer(serializers.Serializer):
    start = SiteTimeField()
    end = SiteTimeField()


class OccupantSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["booking", "closure", "hours", "unbookable"])
    what = serializers.CharField(
        help_text="The event title when this key may see it, else “Booked”."
    )
    start = SiteTimeField()
    end = SiteTimeField()
    event_id = serializers.IntegerField(allow_null=True)
    booking_id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField(help_text="A booking's status (held or confirmed), else empty.")


class BusySerializer(serializers.Serializer):
    start = SiteTimeField()
    end = SiteTimeField()
    occupants = OccupantSerializer(many=True)


class FacilityAvailabilitySerializer(serializers.Serializer):
    facility_id = serializers.IntegerField()
    name = serializers.CharField()
    capacity = serializers.IntegerField()
    is_bookable = serializers.BooleanField()
    start = SiteTimeField()
    end = SiteTimeField()
    busy = BusySerializer(many=True)
    free = IntervalSerializer(many=True)


class SiteAvailabilitySerializer(serializers.Serializer):
    site_id = serializers.IntegerField()
    start = SiteTimeField()
    end = SiteTimeField()
    closures = BusySerializer(many=True)
    facilities = FacilityAvailabilitySerializer(many=True)


class AvailabilityQuerySerializer(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        if attrs["end"] - attrs["start"] > dt.timedelta(days=92):
            raise serializers.ValidationError({"end": ["Ask for 92 days at most at a time."]})
        return attrs


# --- Programme ---------------------------------------------------------------------------------


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


# --- Bookings ----------------------------------------------------------------------------------


class BookingSerializer(serializers.ModelSerializer):
    programme_item = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The programme item it serves, when this key may see that item.",
    )
    capacity_override_reason = serializers.CharField(
        read_only=True, allow_null=True, help_text="Staff keys only."
    )

    class Meta:
        model = Booking
        fields = [
            "id",
            "event",
            "facility",
            "programme_item",
            "status",
            "start",
            "end",
            "setup_minutes",
            "teardown_minutes",
            "occupied_start",
            "occupied_end",
            "hold_expires_at",
            "backup_of",
            "backup_deadline",
            "capacity_override_reason",
            "released_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, booking: Booking) -> dict[str, Any]:
        return booking_json(booking, event=booking.event, audience=_audience(self))


class BookingInputSerializer(StrictInputMixin, serializers.Serializer):
    event = WholeNumberField(min_value=1, max_value=MAX_ID)
    facility = WholeNumberField(min_value=1, max_value=MAX_ID)
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    status = serializers.ChoiceField(
        choices=[Booking.Status.HELD, Booking.Status.CONFIRMED], default=Booking.Status.HELD
    )
    setup_minutes = WholeNumberField(
        min_value=0, max_value=24 * 60, required=False, help_text="Default: the facility's."
    )
    teardown_minutes = WholeNumberField(
        min_value=0, max_value=24 * 60, required=False, help_text="Default: the facility's."
    )
    programme_item = WholeNumberField(min_value=1, max_value=MAX_ID, required=False)
    hold_expires_at = AwareDateTimeField(required=False)
    backup_of = WholeNumberField(min_value=1, max_value=MAX_ID, required=False)
    backup_deadline = AwareDateTimeField(required=False)
    capacity_override_reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True
    )


class BookingHoldInputSerializer(BookingInputSerializer):
    status = None  # a hold is held


class BookingConfirmInputSerializer(StrictInputMixin, serializers.Serializer):
    final = serializers.BooleanField(
        default=False, help_text="The go/no-go call: release this booking's backups (or primary)."
    )


class ReasonInputSerializer(StrictInputMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


# --- Events ------------------------------------------------------------------------------------


class EventSerializer(serializers.ModelSerializer):
    programme = ProgrammeItemSerializer(
        many=True, read_only=True, help_text="The items this key may see, in running order."
    )
    bookings = BookingSerializer(many=True, read_only=True)
    internal_notes = serializers.CharField(
        read_only=True, allow_null=True, help_text="Staff keys only."
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

    def to_representation(self, event: Event) -> dict[str, Any]:
        return event_json(event, audience=_audience(self))


EVENT_TIME_HINT = "Times and status change through the reschedule, confirm and cancel actions."


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


class SendInvitesInputSerializer(StrictInputMixin, serializers.Serializer):
    attendance_ids = serializers.ListField(
        child=WholeNumberField(min_value=1, max_value=MAX_ID),
        required=False,
        allow_null=True,
        default=None,
        help_text="Only these attendees (default: everyone not yet invited at this SEQUENCE).",
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


# --- Attendees, people, organisations ----------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    website = serializers.CharField(read_only=True, help_text="A URL, or empty.")

    class Meta:
        model = Organisation
        fields = ["id", "name", "name_zh", "slug", "kind", "website", "notes"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
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


class AttendeePersonSerializer(serializers.ModelSerializer):
    """The person on an attendee list: the e-mail address for those who may have it
    (sees_contact_details), the phone for staff keys only."""

    email = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()

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

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_email(self, person: Person) -> str | None:
        return person.email if sees_contact_details(_audience(self), person) else None

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="Staff keys only."))
    def get_phone(self, person: Person) -> str | None:
        return person.phone if _audience(self).is_staff else None


class AttendanceSerializer(serializers.ModelSerializer):
    person_id = serializers.SerializerMethodField(help_text="Staff keys only.")
    person = AttendeePersonSerializer(read_only=True)
    dietary = serializers.SerializerMethodField(help_text="Staff keys only.")
    accessibility = serializers.SerializerMethodField(help_text="Staff keys only.")
    notes = serializers.SerializerMethodField(help_text="Staff keys only.")
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

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_person_id(self, attendance: Attendance) -> int | None:
        return attendance.person_id if _audience(self).is_staff else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_dietary(self, attendance: Attendance) -> str | None:
        return attendance.dietary if _audience(self).is_staff else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_accessibility(self, attendance: Attendance) -> str | None:
        return attendance.accessibility if _audience(self).is_staff else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_notes(self, attendance: Attendance) -> str | None:
        return attendance.notes if _audience(self).is_staff else None


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

    def validate(self, attrs):
        attrs = super().validate(attrs)
        by_id = "person" in attrs
        by_email = "name" in attrs or "email" in attrs
        if by_id == by_email:
            raise serializers.ValidationError(
                {"person": ["Give either a person id, or a name and an e-mail address."]}
            )
        if by_email and not (attrs.get("name", "").strip() and attrs.get("email")):
            raise serializers.ValidationError(
                {"email": ["A new attendee needs both a name and an e-mail address."]}
            )
        return attrs


class AttendanceUpdateSerializer(StrictInputMixin, serializers.Serializer):
    role = serializers.ChoiceField(choices=Attendance.Role.choices, required=False)
    guests = WholeNumberField(min_value=0, max_value=50, required=False)
    call_time = AwareDateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, help_text="Staff keys only.")


class RsvpInputSerializer(StrictInputMixin, serializers.Serializer):
    answer = serializers.ChoiceField(choices=Attendance.RSVP.choices)
    guests = WholeNumberField(min_value=0, max_value=50, required=False)


# --- Lists -------------------------------------------------------------------------------------


class TombstoneSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.ChoiceField(
        choices=["deleted", "cancelled", "removed"],
        help_text="removed: no longer visible to this key, or no longer matching the filters.",
    )


def envelope_serializer(item: type[serializers.Serializer], name: str):
    """The list envelope around `item` (a distinct component per item type)."""
    envelope = type(
        name,
        (serializers.Serializer,),
        {
            "results": item(many=True),
            "deleted": TombstoneSerializer(
                many=True, help_text="Sync answers only: objects to drop from your copy."
            ),
            "next": serializers.URLField(
                allow_null=True, help_text="The next page (or the rest of a sync); null at the end."
            ),
            "sync_token": serializers.CharField(
                help_text="Send as ?sync_token= later to get only what changed since this list."
            ),
            "__doc__": f"A page of {item.Meta.model._meta.verbose_name_plural}.",
        },
    )
    # The envelope is the whole answer of a list action, not an item of an array.
    return extend_schema_serializer(many=False)(envelope)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages by field name; non_field_errors for the request as a whole.",
    )
