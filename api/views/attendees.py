"""An event's attendee list, nested under the event: /api/v1/events/{event_pk}/attendees/.

Reading needs attendees:read. Phones, dietary and accessibility needs and staff notes go to staff
keys only; an e-mail address goes to a partner key only for its own organisation's people and
the people it nominated itself (scheduling.visibility.sees_contact_details). A partner adds
people by name and address as nominations of its own, never matched to people on file, so
that nothing it writes tells it who is on file; invites to them wait for staff approval.
"""

from django.db.models import Q
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.models import Change
from visitors import precedence
from visitors import services as visitor_services
from visitors.models import Attendance, Person

from ..filters import AttendanceFilter
from ..models import Scope
from ..permissions import StaffKeyForActions
from ..schema import conditional, idempotent, list_parameters
from ..serializers.lists import envelope_serializer
from ..serializers.people import (
    AttendanceAddSerializer,
    AttendanceSerializer,
    AttendanceUpdateSerializer,
    RsvpInputSerializer,
)
from ..sync import SyncSpec
from .base import ApiViewSet, ConditionalRetrieveMixin, SyncedListMixin
from .programme import EVENT_PK, EventPartMixin

# The order of precedence is visitors.precedence's, the same as every other attendee list.
ORDERINGS = {"precedence": precedence.ORDER_FIELDS, "id": ("id",)}
WRITES = ("create", "partial_update", "destroy", "rsvp")
STAFF_ONLY_UPDATES = ("notes", "order_override")


@extend_schema_view(
    list=extend_schema(
        summary="List an event's attendees, in order of precedence",
        parameters=[
            EVENT_PK,
            *list_parameters(ORDERINGS, "precedence"),
            *conditional()["parameters"],
        ],
        responses=envelope_serializer(AttendanceSerializer, "AttendancePage"),
    ),
    retrieve=extend_schema(
        summary="Read an attendee", parameters=[EVENT_PK, *conditional()["parameters"]]
    ),
    create=extend_schema(
        summary="Add an attendee: a person by id (staff keys), or by name and e-mail",
        parameters=[EVENT_PK, *idempotent()["parameters"]],
        request=AttendanceAddSerializer,
        responses={201: AttendanceSerializer},
    ),
    partial_update=extend_schema(
        summary="Change an attendee's role, guests, call time or place in the order",
        parameters=[EVENT_PK],
        request=AttendanceUpdateSerializer,
        responses=AttendanceSerializer,
    ),
    destroy=extend_schema(
        summary="Take someone off the list", parameters=[EVENT_PK], responses={204: None}
    ),
)
class AttendeeViewSet(EventPartMixin, SyncedListMixin, ConditionalRetrieveMixin, ApiViewSet):
    serializer_class = AttendanceSerializer
    queryset = Attendance.objects.none()  # for schema introspection; see get_queryset
    permission_classes = [*ApiViewSet.permission_classes, StaffKeyForActions]
    filter_backends = [DjangoFilterBackend]
    filterset_class = AttendanceFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    scopes = {
        "list": Scope.ATTENDEES_READ,
        "retrieve": Scope.ATTENDEES_READ,
        **{name: Scope.ATTENDEES_WRITE for name in WRITES},
    }
    staff_perms = {
        "create": "visitors.add_attendance",
        "partial_update": "visitors.change_attendance",
        "destroy": "visitors.delete_attendance",
        "rsvp": "visitors.change_attendance",
    }
    staff_only_actions = ("rsvp",)
    orderings = ORDERINGS
    default_ordering = "precedence"
    version_fields = ("updated_at",)

    def visible_queryset(self):
        return Attendance.objects.filter(event=self.event)

    def get_queryset(self):
        return precedence.annotate_precedence(
            self.visible_queryset().select_related("event", "person")
        )

    def sync_spec(self) -> SyncSpec:
        return SyncSpec(
            entity=Change.Entity.ATTENDANCE,
            model=Attendance,
            follows_event=True,
            event_id=self.event.pk,
        )

    def version_q(self, pk: int) -> Q:
        person = Attendance.objects.filter(pk=pk).values("person_id")
        return (
            Q(entity=Change.Entity.ATTENDANCE, object_id=pk)
            | Q(entity=Change.Entity.EVENT, event_id=self.event.pk)
            | Q(entity=Change.Entity.PERSON, object_id__in=person)
        )

    def rendered(self, attendance_id: int, code: int = status.HTTP_200_OK) -> Response:
        attendance = self.get_queryset().get(pk=attendance_id)
        return Response(self.get_serializer(attendance).data, status=code)

    def create(self, request, *args, **kwargs):
        self.check_object_permissions(request, self.event)
        given = AttendanceAddSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        if not self.key.is_staff_key:
            refused = {
                name: [_("Staff keys only.")]
                for name in ("person", "notes", "confirmed_embargo")
                if name in data
            }
            if refused:
                raise exceptions.ValidationError(refused)
            # A nomination in the partner's own name: never matched to people on file.
            attendance = visitor_services.attendance_propose(
                event_id=self.event.pk, partner_id=self.partner_id(), **data
            )
        elif "person" in data:
            if not Person.objects.filter(pk=data["person"]).exists():
                raise exceptions.ValidationError({"person": [_("No such person.")]})
            attendance = visitor_services.attendance_add(
                event_id=self.event.pk, person_id=data.pop("person"), by=self.acting_user(), **data
            )
        else:
            attendance = visitor_services.attendance_add_by_address(
                event_id=self.event.pk, by=self.acting_user(), **data
            )
        return self.rendered(attendance.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        attendance = self.get_object()
        given = AttendanceUpdateSerializer(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        if not self.key.is_staff_key:
            # Notes are the office's; the order is the office's word on everyone's place, which
            # a partner must not change for other organisations' people.
            refused = {name: [_("Staff keys only.")] for name in STAFF_ONLY_UPDATES if name in data}
            if refused:
                raise exceptions.ValidationError(refused)
        visitor_services.attendance_update(
            attendance_id=attendance.pk, by=self.acting_user(), **data
        )
        return self.rendered(attendance.pk)

    def destroy(self, request, *args, **kwargs):
        attendance = self.get_object()
        visitor_services.attendance_remove(attendance_id=attendance.pk, by=self.acting_user())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Record an attendee's answer (staff keys)",
        parameters=[EVENT_PK, *idempotent()["parameters"]],
        request=RsvpInputSerializer,
        responses=AttendanceSerializer,
    )
    @action(detail=True, methods=["post"])
    def rsvp(self, request, *args, **kwargs):
        attendance = self.get_object()
        given = RsvpInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        visitor_services.rsvp_record(
            attendance_id=attendance.pk, by=self.acting_user(), **given.validated_data
        )
        return self.rendered(attendance.pk)
