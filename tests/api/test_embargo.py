"""An embargoed visit is invisible to partners until its release and visible after, with a
webhook at the release (issue 16): lists, detail, sync, feeds and webhooks."""

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from api import feeds, webhooks
from api.models import WebhookDelivery
from scheduling import services, tasks
from tests.factories import OrganisationFactory, PersonFactory, SiteFactory, event_created
from visitors.models import Attendance

pytestmark = pytest.mark.django_db

TYPES = ["event.created", "event.updated", "event.cancelled", "event.deleted"]


@pytest.fixture
def embargo(api_for):
    """A restricted visit hosted by the park, released to partners in an hour; the park's and an
    outsider's keys, feeds, sync tokens and webhook endpoints."""
    park, outsider = OrganisationFactory(), OrganisationFactory()
    keys = {"park": api_for(organisation=park), "outsider": api_for(organisation=outsider)}
    tokens = {who: key.get("/api/v1/events/").json()["sync_token"] for who, key in keys.items()}
    endpoints = {
        who: webhooks.webhook_endpoint_register(
            name=who, url="http://127.0.0.1:9/hooks", event_types=TYPES, organisation=org
        )[0]
        for who, org in (("park", park), ("outsider", outsider))
    }
    start = timezone.now() + dt.timedelta(days=3)
    visit = event_created(
        title="The Secretary's visit",
        site=SiteFactory(),
        start=start,
        end=start + dt.timedelta(hours=2),
        status="confirmed",
        visibility="restricted",
        host_organisation=park,
        release_at=timezone.now() + dt.timedelta(hours=1),
        release_visibility="partners",
    )
    feed_tokens = {
        "park": feeds.feed_create(name="Park", owner_organisation=park)[1],
        "outsider": feeds.feed_create(name="Outsider", owner_organisation=outsider)[1],
    }
    return dict(visit=visit, keys=keys, tokens=tokens, endpoints=endpoints, feed_tokens=feed_tokens)


def _seen(client, embargo, who: str) -> dict:
    """Whether `who` finds the visit in each place a partner looks."""
    key, visit = embargo["keys"][who], embargo["visit"]
    listed = key.get("/api/v1/events/").json()["results"]
    synced = key.get("/api/v1/events/", sync_token=embargo["tokens"][who]).json()["results"]
    feed = client.get(f"/feeds/{embargo['feed_tokens'][who]}.ics").content
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(feed).walk("VEVENT")]
    delivered = WebhookDelivery.objects.filter(endpoint=embargo["endpoints"][who])
    return {
        "list": visit.pk in {e["id"] for e in listed},
        "detail": key.get(f"/api/v1/events/{visit.pk}/").status_code,
        "sync": visit.pk in {e["id"] for e in synced},
        "feed": visit.title in summaries,
        "webhooks": sorted(delivered.values_list("event_type", "object_id")),
    }


def test_an_embargoed_visit_is_invisible_to_partners_until_its_release(client, embargo):
    visit = embargo["visit"]
    services.event_update(event_id=visit.pk, title="The Secretary's visit (revised)")
    visit.refresh_from_db()
    webhooks.webhooks_dispatch()

    assert tasks.events_release_due() == 0  # not yet due
    assert _seen(client, embargo, "outsider") == {
        "list": False,
        "detail": 404,
        "sync": False,
        "feed": False,
        "webhooks": [],
    }
    # Its host sees it all along.
    assert _seen(client, embargo, "park") == {
        "list": True,
        "detail": 200,
        "sync": True,
        "feed": True,
        "webhooks": [("event.created", visit.pk)],  # its update read in the same pass
    }


def test_at_its_release_partners_see_the_visit_and_hear_of_it_by_webhook(
    client, embargo, monkeypatch
):
    visit = embargo["visit"]
    webhooks.webhooks_dispatch()
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    monkeypatch.setattr(tasks.timezone, "now", lambda: later)

    released = tasks.events_release_due()
    monkeypatch.undo()
    webhooks.webhooks_dispatch()
    again = tasks.events_release_due()
    webhooks.webhooks_dispatch()

    assert (released, again) == (1, 0)
    seen = _seen(client, embargo, "outsider")
    assert seen == {
        "list": True,
        "detail": 200,
        "sync": True,
        "feed": True,
        "webhooks": [("event.updated", visit.pk)],  # one, at the release
    }
    body = embargo["keys"]["outsider"].get(f"/api/v1/events/{visit.pk}/").json()
    assert body["visibility"] == "partners"
    delivery = WebhookDelivery.objects.get(endpoint=embargo["endpoints"]["outsider"])
    assert delivery.payload["url"].endswith(f"/api/v1/events/{visit.pk}/")
    assert delivery.state == WebhookDelivery.State.QUEUED


@pytest.fixture
def visit():
    return event_created(
        title="The Secretary's visit",
        visibility="restricted",
        host_organisation=OrganisationFactory(),
        release_at=timezone.now() + dt.timedelta(days=1),
        release_visibility="public",
    )


@pytest.fixture
def reporter():
    return PersonFactory(name="Ming Pao reporter", organisation=OrganisationFactory(kind="media"))


def test_a_partner_cannot_put_the_media_on_an_event_under_embargo(visit, api_for):
    host = api_for(organisation=visit.host_organisation)
    path = f"/api/v1/events/{visit.pk}/attendees/"

    refused = host.post(path, {"name": "A reporter", "email": "news@example.org", "role": "media"})
    confirming = host.post(
        path,
        {
            "name": "A reporter",
            "email": "news@example.org",
            "role": "media",
            "confirmed_embargo": True,
        },
    )
    guest = host.post(path, {"name": "A guest", "email": "guest@example.org"})

    assert refused.status_code == 400
    assert "only staff can invite the media" in refused.json()["errors"]["role"][0]
    assert confirming.json()["errors"] == {"confirmed_embargo": ["Staff keys only."]}
    assert guest.status_code == 201
    assert [a.person.name for a in Attendance.objects.filter(event=visit)] == ["A guest"]


def test_a_staff_key_confirms_in_its_request(visit, reporter, staff_api):
    path = f"/api/v1/events/{visit.pk}/attendees/"

    refused = staff_api.post(path, {"person": reporter.pk})
    added = staff_api.post(path, {"person": reporter.pk, "confirmed_embargo": True})

    assert refused.status_code == 400
    assert "confirmed_embargo" in refused.json()["errors"]
    assert added.status_code == 201
    assert Attendance.objects.get(event=visit).person == reporter
