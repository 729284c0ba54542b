"""Sites and facilities, and when they are free.

Availability shows every busy interval; a booking for an event this key may not see is busy
time without a title ("Booked") and without ids.
"""

import zoneinfo

from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from core.models import Change
from scheduling.availability import facility_availability, site_availability
from scheduling.models import Facility, Site
from scheduling.visibility import event_test

from ..filters import FacilityFilter
from ..models import Scope
from ..schema import conditional, list_parameters
from ..serializers.lists import envelope_serializer
from ..serializers.places import (
    AvailabilityQuerySerializer,
    FacilityAvailabilitySerializer,
    FacilitySerializer,
    SiteAvailabilitySerializer,
    SiteSerializer,
)
from ..sync import SyncSpec
from .base import ApiViewSet, ConditionalRetrieveMixin, SyncedListMixin

SITE_ORDERINGS = {"name": ("name", "id"), "id": ("id",)}
FACILITY_ORDERINGS = {"name": ("name", "id"), "capacity": ("capacity", "id"), "id": ("id",)}


class AvailabilityMixin:
    def _window(self, request):
        given = AvailabilityQuerySerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        return given.validated_data["start"], given.validated_data["end"]

    def _can_see(self):
        if self.audience.is_staff:
            return None
        return event_test(self.audience)


@extend_schema_view(
    list=extend_schema(
        summary="List sites",
        parameters=list_parameters(SITE_ORDERINGS, "name") + conditional()["parameters"],
        responses=envelope_serializer(SiteSerializer, "SitePage"),
    ),
    retrieve=extend_schema(summary="Read a site", **conditional()),
)
class SiteViewSet(AvailabilityMixin, SyncedListMixin, ConditionalRetrieveMixin, ApiViewSet):
    serializer_class = SiteSerializer
    http_method_names = ["get", "head", "options"]
    scopes = {
        "list": Scope.EVENTS_READ,
        "retrieve": Scope.EVENTS_READ,
        "availability": Scope.EVENTS_READ,
    }
    orderings = SITE_ORDERINGS
    default_ordering = "name"

    def visible_queryset(self):
        return Site.objects.all()

    def sync_spec(self) -> SyncSpec:
        return SyncSpec(entity=Change.Entity.SITE, model=Site)

    def version_q(self, pk: int) -> Q:
        return Q(entity=Change.Entity.SITE, object_id=pk)

    @extend_schema(
        summary="Busy and free time of every facility of a site",
        parameters=[AvailabilityQuerySerializer],
        responses=SiteAvailabilitySerializer,
    )
    @action(detail=True, methods=["get"])
    def availability(self, request, pk=None):
        site = self.get_object()
        start, end = self._window(request)
        found = site_availability(site_id=site.pk, start=start, end=end, can_see=self._can_see())
        zone = {"zone": zoneinfo.ZoneInfo(site.timezone)}
        return Response(SiteAvailabilitySerializer(found, context=zone).data)


@extend_schema_view(
    list=extend_schema(
        summary="List facilities",
        parameters=list_parameters(FACILITY_ORDERINGS, "name") + conditional()["parameters"],
        responses=envelope_serializer(FacilitySerializer, "FacilityPage"),
    ),
    retrieve=extend_schema(summary="Read a facility", **conditional()),
)
class FacilityViewSet(AvailabilityMixin, SyncedListMixin, ConditionalRetrieveMixin, ApiViewSet):
    serializer_class = FacilitySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = FacilityFilter
    http_method_names = ["get", "head", "options"]
    scopes = {
        "list": Scope.EVENTS_READ,
        "retrieve": Scope.EVENTS_READ,
        "availability": Scope.EVENTS_READ,
    }
    orderings = FACILITY_ORDERINGS
    default_ordering = "name"

    def visible_queryset(self):
        return Facility.objects.select_related("site")

    def sync_spec(self) -> SyncSpec:
        return SyncSpec(entity=Change.Entity.FACILITY, model=Facility)

    def version_q(self, pk: int) -> Q:
        return Q(entity=Change.Entity.FACILITY, object_id=pk)

    @extend_schema(
        summary="Busy and free time of a facility",
        parameters=[AvailabilityQuerySerializer],
        responses=FacilityAvailabilitySerializer,
    )
    @action(detail=True, methods=["get"])
    def availability(self, request, pk=None):
        facility = self.get_object()
        start, end = self._window(request)
        found = facility_availability(
            facility_id=facility.pk, start=start, end=end, can_see=self._can_see()
        )
        zone = {"zone": zoneinfo.ZoneInfo(facility.site.timezone)}
        return Response(FacilityAvailabilitySerializer(found, context=zone).data)
