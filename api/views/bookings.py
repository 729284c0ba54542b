"""Facility bookings: list, read, book (held or confirmed), hold, confirm, release.

A clash answers 409 with what is in the way and what is free instead; events this key may not
see are named only as "another booking".
"""

from django.db.models import Q
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.models import Change
from scheduling import services
from scheduling.models import Booking, Event
from scheduling.visibility import event_filter

from ..filters import BookingFilter
from ..models import Scope
from ..schema import conditional, idempotent, list_parameters
from ..serializers.bookings import (
    BookingConfirmInputSerializer,
    BookingHoldInputSerializer,
    BookingInputSerializer,
    BookingSerializer,
    with_item_visibility,
)
from ..serializers.common import ReasonInputSerializer
from ..serializers.lists import envelope_serializer
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
WRITES = ("create", "hold", "confirm", "release")


@extend_schema_view(
    list=extend_schema(
        summary="List bookings",
        parameters=list_parameters(ORDERINGS, "start") + conditional()["parameters"],
        responses=envelope_serializer(BookingSerializer, "BookingPage"),
    ),
    retrieve=extend_schema(summary="Read a booking", **conditional()),
)
class BookingViewSet(SyncedListMixin, ConditionalRetrieveMixin, ApiViewSet):
    """Bookings of events this key may see."""

    serializer_class = BookingSerializer
    queryset = Booking.objects.none()  # for schema introspection; see get_queryset
    filter_backends = [DjangoFilterBackend]
    filterset_class = BookingFilter
    http_method_names = ["get", "post", "head", "options"]
    scopes = {
        "list": Scope.EVENTS_READ,
        "retrieve": Scope.EVENTS_READ,
        **{name: Scope.BOOKINGS_WRITE for name in WRITES},
    }
    staff_perms = {
        "create": "scheduling.add_booking",
        "hold": "scheduling.add_booking",
        "confirm": "scheduling.change_booking",
        "release": "scheduling.change_booking",
    }
    orderings = ORDERINGS
    default_ordering = "start"
    version_fields = ("updated_at",)

    def visible_queryset(self):
        return Booking.objects.filter(event_filter(self.audience, prefix="event__"))

    def get_queryset(self):
        return with_item_visibility(self.visible_queryset().select_related("event"))

    def sync_spec(self) -> SyncSpec:
        return SyncSpec(entity=Change.Entity.BOOKING, model=Booking, follows_event=True)

    def version_q(self, pk: int) -> Q:
        event = Booking.objects.filter(pk=pk).values("event_id")
        return Q(entity=Change.Entity.BOOKING, object_id=pk) | Q(
            entity=Change.Entity.EVENT, event_id__in=event
        )

    def event_of(self, obj) -> Event:
        return obj if isinstance(obj, Event) else obj.event

    def rendered(self, booking_id: int, code: int = status.HTTP_200_OK) -> Response:
        booking = self.get_queryset().get(pk=booking_id)
        headers = {"Location": f"/api/v1/bookings/{booking.pk}/"} if code == 201 else {}
        return Response(self.get_serializer(booking).data, status=code, headers=headers)

    @extend_schema(
        summary="Book a facility for an event (held or confirmed)",
        request=BookingInputSerializer,
        responses={201: BookingSerializer},
        **idempotent(),
    )
    def create(self, request, *args, **kwargs):
        return self._book(BookingInputSerializer)

    @extend_schema(
        summary="Hold a facility until the hold is confirmed or expires",
        request=BookingHoldInputSerializer,
        responses={201: BookingSerializer},
        **idempotent(),
    )
    @action(detail=False, methods=["post"])
    def hold(self, request):
        return self._book(BookingHoldInputSerializer)

    def _book(self, serializer_class) -> Response:
        given = serializer_class(data=self.request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        event = Event.objects.visible_to(self.audience).filter(pk=data.pop("event")).first()
        if event is None:
            raise exceptions.ValidationError({"event": [_("No such event.")]})
        self.check_object_permissions(self.request, event)
        booking = services.booking_create(
            event_id=event.pk,
            facility_id=data.pop("facility"),
            programme_item_id=data.pop("programme_item", None),
            backup_of_id=data.pop("backup_of", None),
            by=self.acting_user(),
            **data,
        )
        return self.rendered(booking.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Confirm a held booking",
        request=BookingConfirmInputSerializer,
        responses=BookingSerializer,
        **idempotent(),
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        booking = self.get_object()
        given = BookingConfirmInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.booking_confirm(
            booking_id=booking.pk, by=self.acting_user(), **given.validated_data
        )
        return self.rendered(booking.pk)

    @extend_schema(
        summary="Release a booking: the facility is free again",
        request=ReasonInputSerializer,
        responses=BookingSerializer,
        **idempotent(),
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        booking = self.get_object()
        given = ReasonInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.booking_release(
            booking_id=booking.pk, by=self.acting_user(), **given.validated_data
        )
        return self.rendered(booking.pk)
