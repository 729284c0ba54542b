"""API test helpers: keys for staff and partners, and a client that sends them."""

import json
from dataclasses import dataclass

import pytest
from django.test import Client

from api.models import Scope
from api.services import api_key_create
from scheduling import services
from scheduling.models import Event
from tests.factories import FacilityFactory, OrganisationFactory, SiteFactory, hk

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
