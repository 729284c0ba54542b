"""Organisations and people: staff keys only (partner keys are told these do not exist)."""

from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view

from core.models import Change
from visitors.models import Organisation, Person

from ..filters import OrganisationFilter, PersonFilter
from ..models import Scope
from ..permissions import StaffKeyOnly
from ..schema import conditional, list_parameters
from ..serializers.lists import envelope_serializer
from ..serializers.people import OrganisationSerializer, PersonSerializer
from ..sync import SyncSpec
from .base import ApiViewSet, ConditionalRetrieveMixin, SyncedListMixin

ORGANISATION_ORDERINGS = {"name": ("name", "id"), "id": ("id",)}
PERSON_ORDERINGS = {"name": ("name", "id"), "id": ("id",)}


@extend_schema_view(
    list=extend_schema(
        summary="List organisations (staff keys)",
        parameters=list_parameters(ORGANISATION_ORDERINGS, "name") + conditional()["parameters"],
        responses=envelope_serializer(OrganisationSerializer, "OrganisationPage"),
    ),
    retrieve=extend_schema(summary="Read an organisation (staff keys)", **conditional()),
)
class OrganisationViewSet(SyncedListMixin, ConditionalRetrieveMixin, ApiViewSet):
    serializer_class = OrganisationSerializer
    permission_classes = [StaffKeyOnly, *ApiViewSet.permission_classes]
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrganisationFilter
    http_method_names = ["get", "head", "options"]
    scopes = {"list": Scope.EVENTS_READ, "retrieve": Scope.EVENTS_READ}
    orderings = ORGANISATION_ORDERINGS
    default_ordering = "name"

    def visible_queryset(self):
        return Organisation.objects.all()

    def sync_spec(self) -> SyncSpec:
        return SyncSpec(entity=Change.Entity.ORGANISATION, model=Organisation)

    def version_q(self, pk: int) -> Q:
        return Q(entity=Change.Entity.ORGANISATION, object_id=pk)


@extend_schema_view(
    list=extend_schema(
        summary="List people (staff keys)",
        parameters=list_parameters(PERSON_ORDERINGS, "name") + conditional()["parameters"],
        responses=envelope_serializer(PersonSerializer, "PersonPage"),
    ),
    retrieve=extend_schema(summary="Read a person (staff keys)", **conditional()),
)
class PersonViewSet(SyncedListMixin, ConditionalRetrieveMixin, ApiViewSet):
    serializer_class = PersonSerializer
    permission_classes = [StaffKeyOnly, *ApiViewSet.permission_classes]
    filter_backends = [DjangoFilterBackend]
    filterset_class = PersonFilter
    http_method_names = ["get", "head", "options"]
    scopes = {"list": Scope.ATTENDEES_READ, "retrieve": Scope.ATTENDEES_READ}
    orderings = PERSON_ORDERINGS
    default_ordering = "name"

    def visible_queryset(self):
        return Person.objects.all()

    def sync_spec(self) -> SyncSpec:
        return SyncSpec(entity=Change.Entity.PERSON, model=Person)

    def version_q(self, pk: int) -> Q:
        return Q(entity=Change.Entity.PERSON, object_id=pk)
