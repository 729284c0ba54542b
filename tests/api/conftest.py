"""API test helpers: keys for staff and partners, and a client that sends them."""

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from django.test import Client

from api.models import Scope
from api.services import api_key_create
from desk.visits import VisitPerson, VisitStop, visit_create
from scheduling import services
from scheduling.models import Event, ProgrammeItem
from tests.factories import FacilityFactory, OrganisationFactory, PersonFactory, SiteFactory, hk
from visitors.models import Organisation

ALL_SCOPES = tuple(Scope.values)


@dataclass
class Api:
    """A test client speaking for one key."""

    client: Client
    token: str | None

    def _headers(self, headers):
        base = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**base, **(headers or {})}

    def get(self, path, headers=None, **params):
        return self.client.get(path, params, headers=self._headers(headers))

    def post(self, path, body=None, headers=None):
        return self.client.post(
            path, json.dumps(body or {}), "application/json", headers=self._headers(headers)
        )

    def patch(self, path, body=None, headers=None):
        return self.client.patch(
            path, json.dumps(body or {}), "application/json", headers=self._headers(headers)
        )

    def delete(self, path, headers=None):
        return self.client.delete(path, headers=self._headers(headers))

    def all_pages(self, path, **params):
        """Follow `next` links; returns (results, last answer)."""
        answer = self.get(path, **params).json()
        results = list(answer["results"])
        while answer["next"]:
            answer = self.client.get(answer["next"], headers=self._headers(None)).json()
            results += answer["results"]
        return results, answer


def without_request_id(answer) -> dict:
    """An error body without its request id, which differs from one answer to the next."""
    return {name: value for name, value in answer.json().items() if name != "request_id"}


@pytest.fixture
def api_for(db):
    """api_for(organisation=... | user=..., scopes=...) → an Api speaking for a new key."""

    def make(*, organisation=None, user=None, scopes=ALL_SCOPES, **extra) -> Api:
        _key, token = api_key_create(
            name="test", organisation=organisation, user=user, scopes=scopes, **extra
        )
        return Api(Client(), token)

    return make


@pytest.fixture
def staff_api(api_for, officer):
    return api_for(user=officer)


@pytest.fixture
def world(db, officer):
    """Two partner organisations, A hosting one event of each visibility at one site."""
    host, other = OrganisationFactory(slug="org-a"), OrganisationFactory(slug="org-b")
    site = SiteFactory()
    hall = FacilityFactory(site=site, name="Main hall")
    events = {}
    for hour, visibility in enumerate(Event.Visibility.values):
        events[visibility] = services.event_create(
            title=f"{visibility.title()} event",
            site=site,
            start=hk(2030, 3, 4, 8 + 2 * hour),
            end=hk(2030, 3, 4, 9 + 2 * hour),
            visibility=visibility,
            host_organisation=host,
            status=Event.Status.CONFIRMED,
        )
        services.booking_create(
            event_id=events[visibility].pk,
            facility_id=hall.pk,
            start=events[visibility].start,
            end=events[visibility].end,
            setup_minutes=0,
            teardown_minutes=0,
            status="confirmed",
        )
    return dict(host=host, other=other, site=site, hall=hall, events=events, officer=officer)


@pytest.fixture
def public_event_spans_days(world):
    """The world's public event from 4 March 08:00 to 7 March: room for bookings on other days
    (a booking lies within its event's window)."""
    Event.objects.filter(pk=world["events"]["public"].pk).update(
        start=hk(2030, 3, 4, 8), end=hk(2030, 3, 7, 0)
    )


@dataclass
class Visit:
    """A restricted multi-stop visit as the visit planner makes it (see secretary_visit)."""

    event: Event
    host: Organisation  # the event's host organisation: the park
    tenants: list[Organisation]  # each hosts one stop
    outsider: Organisation  # a tenant hosting no stop
    stops: dict[int, ProgrammeItem]  # a tenant's id → its stop
    briefing: ProgrammeItem  # internal, hosted by the first tenant
    cue: ProgrammeItem  # internal, hosted by nobody


def secretary_visit(
    start: dt.datetime | None = None, organisations: Sequence[Organisation] = ()
) -> Visit:
    """The Secretary's unannounced visit: restricted, hosted by the park, one stop at each of
    three tenants (planned by desk.visits), with an internal briefing at the first tenant's
    and an internal cue for the office. organisations: (park, three tenants, outsider), or new
    ones."""
    park, *tenants, outsider = organisations or [OrganisationFactory() for _ in range(5)]
    site = SiteFactory(internal_travel_minutes=5)
    premises = [FacilityFactory(site=site, setup_minutes=0, teardown_minutes=0) for _ in tenants]
    event = visit_create(
        title="The Secretary's visit",
        site_id=site.pk,
        start=start or hk(2030, 3, 5, 10),
        stops=[
            VisitStop(facility_id=place.pk, minutes=30, host_organisation_id=tenant.pk)
            for place, tenant in zip(premises, tenants, strict=True)
        ],
        people=[VisitPerson(person_id=PersonFactory(organisation=park).pk, role="guest_of_honour")],
        visibility=Event.Visibility.RESTRICTED,
        host_organisation=park,
    )
    stops = {i.host_organisation_id: i for i in event.programme.exclude(host_organisation=None)}
    first = stops[tenants[0].pk]
    internal = ProgrammeItem.Visibility.INTERNAL
    briefing = services.programme_item_create(
        event_id=event.pk,
        title="Security briefing at the first tenant",
        start=first.start,
        end=first.end,
        visibility=internal,
        host_organisation=tenants[0],
    )
    cue = services.programme_item_create(
        event_id=event.pk,
        title="Cue: cars to gate 2",
        start=event.start,
        end=event.start + dt.timedelta(minutes=10),
        visibility=internal,
        cue_notes="Two cars, gate 2",
    )
    return Visit(event, park, tenants, outsider, stops, briefing, cue)


@pytest.fixture
def visit(db) -> Visit:
    return secretary_visit()
