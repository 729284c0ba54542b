"""An event's run-of-show, nested under the event: /api/v1/events/{event_pk}/programme/.

Internal items (transfers, cues) are listed for staff, the event's host organisation and the
organisation hosting the item (scheduling.visibility); for anyone else they do not exist.
"""

from functools import cached_property

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.models import Change
from scheduling import services
from scheduling.models import Event, ProgrammeItem, ProgrammeRole
from scheduling.visibility import programme_item_filter

from ..models import Scope
from ..schema import conditional, idempotent, list_parameters
from ..serializers.lists import envelope_serializer
from ..serializers.output import prefetched
from ..serializers.programme import ProgrammeItemInputSerializer, ProgrammeItemSerializer
from ..sync import SyncSpec
from .base import ApiViewSet, ConditionalRetrieveMixin, SyncedListMixin, object_id

ORDERINGS = {"start": ("start", "position", "id"), "id": ("id",)}
EVENT_PK = OpenApiParameter("event_pk", OpenApiTypes.INT, OpenApiParameter.PATH)
WRITES = ("create", "partial_update", "destroy")


class EventPartMixin:
    """Views nested under an event: the event must be visible to the key, or nothing is."""

    @cached_property
    def event(self) -> Event:
        event = (
            Event.objects.visible_to(self.audience)
            .filter(pk=object_id(self.kwargs["event_pk"]))
            .first()
        )
        if event is None:
            raise exceptions.NotFound()
        return event

    def check_list_access(self) -> None:
        self.event  # noqa: B018 (404 before anything else)

    def event_of(self, obj) -> Event:
        return self.event


@extend_schema_view(
    list=extend_schema(
        summary="List an event's programme",
        parameters=[EVENT_PK, *list_parameters(ORDERINGS, "start"), *conditional()["parameters"]],
        responses=envelope_serializer(ProgrammeItemSerializer, "ProgrammeItemPage"),
    ),
    retrieve=extend_schema(
        summary="Read a programme item", parameters=[EVENT_PK, *conditional()["parameters"]]
    ),
    create=extend_schema(
        summary="Add a programme item",
        parameters=[EVENT_PK, *idempotent()["parameters"]],
        request=ProgrammeItemInputSerializer,
        responses={201: ProgrammeItemSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a programme item",
        parameters=[EVENT_PK],
        request=ProgrammeItemInputSerializer,
        responses=ProgrammeItemSerializer,
    ),
    destroy=extend_schema(
        summary="Remove a programme item", parameters=[EVENT_PK], responses={204: None}
    ),
)
class ProgrammeItemViewSet(EventPartMixin, SyncedListMixin, ConditionalRetrieveMixin, ApiViewSet):
    serializer_class = ProgrammeItemSerializer
    queryset = ProgrammeItem.objects.none()  # for schema introspection; see get_queryset
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    scopes = {
        "list": Scope.EVENTS_READ,
        "retrieve": Scope.EVENTS_READ,
        **{name: Scope.EVENTS_WRITE for name in WRITES},
    }
    staff_perms = {
        "create": "scheduling.add_programmeitem",
        "partial_update": "scheduling.change_programmeitem",
        "destroy": "scheduling.delete_programmeitem",
    }
    orderings = ORDERINGS
    default_ordering = "start"

    def visible_queryset(self):
        return ProgrammeItem.objects.filter(event=self.event).filter(
            programme_item_filter(self.audience)
        )

    def get_queryset(self):
        return (
            self.visible_queryset()
            .select_related("event", "consent")
            .prefetch_related(
                Prefetch(
                    "roles",
                    queryset=ProgrammeRole.objects.select_related("person"),
                    to_attr=prefetched("roles"),
                )
            )
        )

    def sync_spec(self) -> SyncSpec:
        return SyncSpec(
            entity=Change.Entity.PROGRAMME_ITEM,
            model=ProgrammeItem,
            follows_event=True,
            event_id=self.event.pk,
        )

    def version_q(self, pk: int) -> Q:
        people = ProgrammeRole.objects.filter(item_id=pk).values("person_id")
        return (
            Q(entity=Change.Entity.PROGRAMME_ITEM, object_id=pk)
            | Q(entity=Change.Entity.EVENT, event_id=self.event.pk)
            | Q(entity=Change.Entity.PERSON, object_id__in=people)
        )

    def rendered(self, item_id: int, code: int = status.HTTP_200_OK) -> Response:
        item = self.get_queryset().get(pk=item_id)
        return Response(self.get_serializer(item).data, status=code)

    def _input(self, *, partial: bool) -> dict:
        given = ProgrammeItemInputSerializer(data=self.request.data, partial=partial)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        if not self.key.is_staff_key:
            refused = {
                name: [_("Staff keys only.")] for name in ("cue_notes", "roles") if name in data
            }
            if refused:
                raise exceptions.ValidationError(refused)
        if "roles" in data:
            data["roles"] = [(role["person"], role["part"]) for role in data["roles"]]
        return data

    def create(self, request, *args, **kwargs):
        self.check_object_permissions(request, self.event)
        data = self._input(partial=False)
        item = services.programme_item_create(
            event_id=self.event.pk, by=self.acting_user(), partner_id=self.partner_id(), **data
        )
        return self.rendered(item.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        data = self._input(partial=True)
        services.programme_item_update(
            item_id=item.pk, by=self.acting_user(), partner_id=self.partner_id(), **data
        )
        return self.rendered(item.pk)

    def destroy(self, request, *args, **kwargs):
        item = self.get_object()
        services.programme_item_delete(
            item_id=item.pk, by=self.acting_user(), partner_id=self.partner_id()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
