"""Events: list, read, create, change, the lifecycle actions, invites and the iCalendar copy."""

from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core import spreadsheets
from core.models import Change
from scheduling import services
from scheduling.models import Booking, Event, ProgrammeItem, ProgrammeRole
from scheduling.visibility import programme_item_filter
from visitors import exports
from visitors.invitations import invites_send
from visitors.models import Delivery

from .. import ics
from ..filters import EventFilter
from ..models import Scope
from ..permissions import StaffKeyForActions
from ..renderers import CsvRenderer, ICalendarRenderer, XlsxRenderer
from ..schema import conditional, idempotent, list_parameters
from ..serializers.bookings import with_item_visibility
from ..serializers.common import ReasonInputSerializer
from ..serializers.events import (
    CancelInputSerializer,
    EventCreateSerializer,
    EventSerializer,
    EventUpdateSerializer,
    RescheduleInputSerializer,
    SendInvitesInputSerializer,
    SendInvitesResultSerializer,
)
from ..serializers.lists import envelope_serializer
from ..serializers.output import prefetched
from ..sync import SyncSpec
from .base import ApiViewSet, ConditionalRetrieveMixin, SyncedListMixin

ORDERINGS = {
    "start": ("start", "id"),
    "-start": ("-start", "-id"),
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "id": ("id",),
    "-id": ("-id",),
}
# An event's lists as spreadsheets: staff keys only (dietary and access needs, cue notes).
EXPORTS = {
    "export_attendees": (exports.ATTENDEES, Scope.ATTENDEES_READ, "visitors.view_attendance"),
    "export_run_of_show": (exports.RUN_OF_SHOW, Scope.EVENTS_READ, "scheduling.view_event"),
    "export_catering": (exports.CATERING, Scope.ATTENDEES_READ, "visitors.view_attendance"),
}
EXPORT_FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=list(spreadsheets.FORMATS),
    description="csv (UTF-8 with a BOM, for Excel) or xlsx; or ask by Accept. Default: csv.",
)
SPREADSHEET = {
    "parameters": [EXPORT_FORMAT],
    "responses": {
        (200, spreadsheets.CSV_TYPE): OpenApiResponse(OpenApiTypes.BINARY),
        (200, spreadsheets.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY),
    },
}
WRITE_ACTIONS = (
    "create",
    "partial_update",
    "confirm",
    "complete",
    "cancel",
    "reschedule",
    "send_invites",
)
STAFF_ONLY_FIELDS = ("reference", "internal_notes")


@extend_schema_view(
    list=extend_schema(
        summary="List events",
        parameters=list_parameters(ORDERINGS, "start") + conditional()["parameters"],
        responses=envelope_serializer(EventSerializer, "EventPage"),
    ),
    retrieve=extend_schema(summary="Read an event", **conditional()),
    create=extend_schema(
        summary="Create an event",
        request=EventCreateSerializer,
        responses={201: EventSerializer},
        **idempotent(),
    ),
    partial_update=extend_schema(
        summary="Change an event's details",
        description="Times change through reschedule, status through confirm, complete and cancel.",
        request=EventUpdateSerializer,
        responses=EventSerializer,
    ),
)
class EventViewSet(SyncedListMixin, ConditionalRetrieveMixin, ApiViewSet):
    """Events this key may see (scheduling.visibility); anything else is not found."""

    serializer_class = EventSerializer
    queryset = Event.objects.none()  # for schema introspection; see get_queryset
    filter_backends = [DjangoFilterBackend]
    filterset_class = EventFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    scopes = {
        "list": Scope.EVENTS_READ,
        "retrieve": Scope.EVENTS_READ,
        "ics": Scope.EVENTS_READ,
        **{name: Scope.EVENTS_WRITE for name in WRITE_ACTIONS},
        **{name: scope for name, (_table, scope, _perm) in EXPORTS.items()},
    }
    staff_perms = {
        "create": "scheduling.add_event",
        **{name: "scheduling.change_event" for name in WRITE_ACTIONS if name != "create"},
        **{name: perm for name, (_table, _scope, perm) in EXPORTS.items()},
    }
    permission_classes = [*ApiViewSet.permission_classes, StaffKeyForActions]
    staff_only_actions = tuple(EXPORTS)
    orderings = ORDERINGS
    default_ordering = "start"
    version_fields = ("updated_at", "revision")

    def visible_queryset(self):
        return Event.objects.visible_to(self.audience)

    def get_queryset(self):
        # Plain lists (to_attr), not related managers: see api.serializers.output.prefetched.
        roles = Prefetch(
            "roles",
            # By the item's id, not the model's ordering (the item's, then the event's), which
            # would join both tables only to sort.
            queryset=ProgrammeRole.objects.select_related("person").order_by(
                "item_id", "position", "id"
            ),
            to_attr=prefetched("roles"),
        )
        return self.visible_queryset().prefetch_related(
            Prefetch(
                "programme",
                # Only the items this key may see: internal ones are not even read for others.
                queryset=ProgrammeItem.objects.filter(programme_item_filter(self.audience))
                .select_related("consent")  # a stop's host's consent, in the same query
                .order_by("start", "position", "id")
                .prefetch_related(roles),
                to_attr=prefetched("programme"),
            ),
            Prefetch(
                "bookings",
                queryset=with_item_visibility(Booking.objects.order_by("start", "id")),
                to_attr=prefetched("bookings"),
            ),
        )

    def sync_spec(self) -> SyncSpec:
        return SyncSpec(entity=Change.Entity.EVENT, model=Event, parts_name_event=True)

    def version_q(self, pk: int) -> Q:
        # Every row of the event (attendance too: it can raise the SEQUENCE), and the people
        # its programme names.
        people = ProgrammeRole.objects.filter(item__event_id=pk).values("person_id")
        return Q(event_id=pk) | Q(entity=Change.Entity.PERSON, object_id__in=people)

    def event_of(self, event: Event) -> Event:
        return event

    def rendered(self, event_id: int, code: int = status.HTTP_200_OK) -> Response:
        event = self.get_queryset().get(pk=event_id)
        headers = {"Location": f"/api/v1/events/{event.pk}/"} if code == 201 else {}
        return Response(self.get_serializer(event).data, status=code, headers=headers)

    def create(self, request, *args, **kwargs):
        given = EventCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = self._partner_limits(dict(given.validated_data), creating=True)
        event = services.event_create(by=self.acting_user(), partner_id=self.partner_id(), **data)
        return self.rendered(event.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        event = self.get_object()
        given = EventUpdateSerializer(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        data = self._partner_limits(dict(given.validated_data), creating=False)
        services.event_update(
            event_id=event.pk, by=self.acting_user(), partner_id=self.partner_id(), **data
        )
        return self.rendered(event.pk)

    def _partner_limits(self, data: dict, *, creating: bool) -> dict:
        """A partner key writes events of its own organisation that it can still see."""
        if self.key.is_staff_key:
            return data
        refused = {name: [_("Staff keys only.")] for name in STAFF_ONLY_FIELDS if name in data}
        if "host_organisation" in data and (
            not creating or data["host_organisation"] != self.key.organisation
        ):
            refused["host_organisation"] = [_("A partner key's events are its organisation's.")]
        if data.get("visibility") == Event.Visibility.INTERNAL:
            refused["visibility"] = [_("Internal events are for staff: choose restricted instead.")]
        if refused:
            raise exceptions.ValidationError(refused)
        if creating:
            data["host_organisation"] = self.key.organisation
            # A partner's own event must stay visible to it: restricted (staff, its host and
            # the hosts of its stops) unless it chooses public or partners.
            data.setdefault("visibility", Event.Visibility.RESTRICTED)
        return data

    @extend_schema(summary="Confirm an event", request=ReasonInputSerializer, **idempotent())
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        event = self.get_object()
        given = ReasonInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.event_confirm(event_id=event.pk, by=self.acting_user(), **given.validated_data)
        return self.rendered(event.pk)

    @extend_schema(
        summary="Mark an event completed (final; only after it ends)",
        request=ReasonInputSerializer,
        **idempotent(),
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        event = self.get_object()
        given = ReasonInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.event_complete(event_id=event.pk, by=self.acting_user(), **given.validated_data)
        return self.rendered(event.pk)

    @extend_schema(
        summary="Cancel an event (final; its bookings are released)",
        description="Everyone invited gets a cancellation that gives the reason.",
        request=CancelInputSerializer,
        **idempotent(),
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        event = self.get_object()
        given = CancelInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.event_cancel(event_id=event.pk, by=self.acting_user(), **given.validated_data)
        return self.rendered(event.pk)

    @extend_schema(
        summary="Move an event; its programme and bookings move with it",
        request=RescheduleInputSerializer,
        **idempotent(),
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        event = self.get_object()
        given = RescheduleInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.event_reschedule(event_id=event.pk, by=self.acting_user(), **given.validated_data)
        return self.rendered(event.pk)

    @extend_schema(
        summary="Send invites to attendees of a confirmed event",
        description=(
            "Invites the office would send with a partner's words or to a partner's nominees "
            "are written but held until a staff member approves them on the invitation "
            "console: the answer is then 202 and says how many await approval."
        ),
        request=SendInvitesInputSerializer,
        responses={
            200: SendInvitesResultSerializer,
            202: SendInvitesResultSerializer,
        },
        **idempotent(),
    )
    @action(detail=True, methods=["post"], url_path="send-invites")
    def send_invites(self, request, pk=None):
        event = self.get_object()
        given = SendInvitesInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        rows = invites_send(event_id=event.pk, by=self.acting_user(), **given.validated_data)
        queued = [row for row in rows if row.state != Delivery.State.HELD]
        held = len(rows) - len(queued)
        if held:
            detail = _(
                "%(queued)d queued; %(held)d awaiting staff approval: the office sends invites "
                "that a partner wrote or addressed only after a staff member approves them."
            ) % {"queued": len(queued), "held": held}
        else:
            detail = _("%(queued)d queued.") % {"queued": len(queued)}
        result = {
            "detail": detail,
            "queued": len(queued),
            "awaiting_approval": held,
            "deliveries": rows,
        }
        code = status.HTTP_202_ACCEPTED if held else status.HTTP_200_OK
        return Response(SendInvitesResultSerializer(result).data, status=code)

    @extend_schema(
        summary="The event as an iCalendar object (METHOD:PUBLISH, no attendees)",
        responses={
            (200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR),
        },
        **conditional(),
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, ICalendarRenderer])
    def ics(self, request, pk=None):
        etag, last_modified = self.validators_for(self.object_id())
        etag = etag.replace('W/"', 'W/"ics-', 1)
        cached = self.not_modified(etag, last_modified)
        if cached is not None:
            return cached
        event = self.get_queryset().select_related("site").get(pk=self.object_id())
        response = HttpResponse(
            ics.publish_calendar(event, stamp=last_modified),
            content_type="text/calendar; charset=utf-8",
        )
        response["Content-Disposition"] = f'inline; filename="event-{event.pk}.ics"'
        return self.with_validators(response, etag, last_modified)

    def _export(self) -> HttpResponse:
        table = EXPORTS[self.action][0]
        event = get_object_or_404(self.visible_queryset(), pk=self.object_id())
        self.check_object_permissions(self.request, event)
        file_format = self.request.accepted_renderer.format
        filename = exports.export_filename(event, table, file_format)
        return spreadsheets.download(exports.EXPORTS[table](event), file_format, filename)

    @extend_schema(
        summary="The attendee list as a spreadsheet, in order of precedence (staff keys)",
        description=(
            "Name, Chinese name, post, organisation, e-mail, role, RSVP, guests, call time (on "
            "the event's clock), dietary and accessibility notes; the columns an import reads."
        ),
        **SPREADSHEET,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="export/attendees",
        renderer_classes=[CsvRenderer, XlsxRenderer],
    )
    def export_attendees(self, request, pk=None):
        return self._export()

    @extend_schema(
        summary="The run-of-show as a spreadsheet, with cue notes (staff keys)",
        description="Every item: time, kind, title, facility, people and their part, "
        "visibility and the staff's cue notes.",
        **SPREADSHEET,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="export/run-of-show",
        renderer_classes=[CsvRenderer, XlsxRenderer],
    )
    def export_run_of_show(self, request, pk=None):
        return self._export()

    @extend_schema(
        summary="The caterers' dietary summary as a spreadsheet (staff keys)",
        description="Expected attendees per dietary requirement with their guests counted, and "
        "everyone with a dietary or access note. A CSV holds both tables, one after the other.",
        **SPREADSHEET,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="export/catering",
        renderer_classes=[CsvRenderer, XlsxRenderer],
    )
    def export_catering(self, request, pk=None):
        return self._export()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.exception:
            # Errors are JSON even where the caller asked for text/calendar.
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response
