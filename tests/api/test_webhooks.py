"""Webhooks: signed, thin, visible only to who may see, retried with back-off, disabled by 410.

A real HTTP server on 127.0.0.1 receives the POSTs and checks each signature itself, with the
secret the back office showed once (hmac, not our code).
"""

import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from api import webhooks
from api.models import WebhookDelivery, WebhookEndpoint
from scheduling import services
from scheduling.models import Booking, Event
from tests.api.conftest import secretary_visit
from tests.factories import FacilityFactory, OrganisationFactory, SiteFactory, event_created

pytestmark = pytest.mark.django_db

ALL_TYPES = [
    "event.created",
    "event.updated",
    "event.cancelled",
    "event.deleted",
    "booking.created",
    "booking.updated",
    "booking.released",
    "booking.deleted",
]


class Receiver:
    """An HTTP server that records every POST, whether its signature checks out with `secret`,
    and answers with the codes in `answers` (then 200)."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.answers: list[int] = []
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {
                        "payload": json.loads(body),
                        "headers": dict(self.headers),
                        "signed": receiver.verify(self.headers["Protocol-Desk-Signature"], body),
                    }
                )
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/protocol-desk"

    def verify(self, header: str, body: bytes) -> bool:
        """What a partner's receiver does: t within five minutes, one v1 matching."""
        fields = [part.split("=", 1) for part in header.split(",")]
        stamps = [int(value) for name, value in fields if name == "t"]
        signatures = [value for name, value in fields if name == "v1"]
        if len(stamps) != 1 or abs(time.time() - stamps[0]) > 300:
            return False
        expected = hmac.new(
            self.secret.encode(), f"{stamps[0]}.".encode() + body, hashlib.sha256
        ).hexdigest()
        return any(hmac.compare_digest(expected, given) for given in signatures)

    def types(self) -> list[tuple[str, int]]:
        return [(r["payload"]["type"], r["payload"]["id"]) for r in self.received]


@pytest.fixture
def receiver():
    found = Receiver()
    found.thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def _register(receiver, *, organisation=None, types=ALL_TYPES) -> WebhookEndpoint:
    endpoint, secret = webhooks.webhook_endpoint_register(
        name="Tenant portal", url=receiver.url, event_types=types, organisation=organisation
    )
    receiver.secret = secret
    return endpoint


def _sent(endpoint: WebhookEndpoint) -> list[tuple[str, int]]:
    return sorted(endpoint.deliveries.values_list("event_type", "object_id"))


def test_a_change_is_posted_after_commit_signed_and_thin(
    receiver, django_capture_on_commit_callbacks
):
    endpoint = _register(receiver)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = event_created(visibility="public")
        queued_before_commit = WebhookDelivery.objects.count()

    [delivery] = endpoint.deliveries.all()
    [received] = receiver.received
    assert callbacks and queued_before_commit == 0  # rows and POSTs wait for the commit
    assert received["signed"] is True
    assert received["payload"] == {
        "type": "event.created",
        "id": event.pk,
        "occurred_at": received["payload"]["occurred_at"],
        "url": f"{settings.PUBLIC_BASE_URL}/api/v1/events/{event.pk}/",
        "change": delivery.change_id,
    }
    occurred = dt.datetime.fromisoformat(received["payload"]["occurred_at"])
    assert abs(occurred - timezone.now()) < dt.timedelta(minutes=1)
    assert received["payload"]["occurred_at"].endswith("Z")
    assert received["headers"]["Protocol-Desk-Event"] == "event.created"
    assert received["headers"]["Protocol-Desk-Delivery"] == str(delivery.pk)
    assert received["headers"]["Content-Type"] == "application/json"
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None


def test_a_tampered_body_or_another_secret_fails_the_signature(receiver):
    body = webhooks.webhook_body({"type": "event.updated", "id": 1})
    receiver.secret = "whsec_partner"
    now = int(time.time())

    good = webhooks.webhook_signature(body=body, timestamp=now, keys=["whsec_partner"])
    stale = webhooks.webhook_signature(body=body, timestamp=now - 3600, keys=["whsec_partner"])
    other = webhooks.webhook_signature(body=body, timestamp=now, keys=["whsec_other"])

    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", good)
    assert receiver.verify(good, body) is True
    assert receiver.verify(good, body.replace(b"1", b"2")) is False
    assert receiver.verify(stale, body) is False
    assert receiver.verify(other, body) is False


def test_a_failed_delivery_is_retried_with_doubling_delays_until_it_arrives(receiver):
    endpoint = _register(receiver)
    receiver.answers = [500, 503]
    event_created(visibility="public")
    webhooks.webhooks_dispatch()
    [delivery] = endpoint.deliveries.all()
    start = timezone.now()

    webhooks.webhook_deliveries_send(delivery_ids=[delivery.pk], now=start)
    first = WebhookDelivery.objects.get(pk=delivery.pk)
    too_early = webhooks.webhooks_sweep(now=first.next_attempt_at - dt.timedelta(seconds=1))
    due = webhooks.webhooks_sweep(now=first.next_attempt_at)
    webhooks.webhook_deliveries_send(delivery_ids=[delivery.pk], now=first.next_attempt_at)
    second = WebhookDelivery.objects.get(pk=delivery.pk)
    webhooks.webhook_deliveries_send(delivery_ids=[delivery.pk], now=second.next_attempt_at)
    third = WebhookDelivery.objects.get(pk=delivery.pk)

    base = dt.timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS)
    assert (first.state, first.attempts, first.last_status_code) == ("retrying", 1, 500)
    assert first.next_attempt_at == start + base
    assert too_early == [] and due == [delivery.pk]
    assert (second.state, second.attempts, second.last_status_code) == ("retrying", 2, 503)
    assert second.next_attempt_at == first.next_attempt_at + 2 * base
    assert (third.state, third.attempts, third.last_status_code) == ("delivered", 3, 200)
    assert [r["signed"] for r in receiver.received] == [True, True, True]
    assert len({r["headers"]["Protocol-Desk-Signature"] for r in receiver.received}) >= 1


def test_a_delivery_is_given_up_after_three_days(receiver):
    endpoint = _register(receiver)
    receiver.answers = [500] * 100
    event_created(visibility="public")
    webhooks.webhooks_dispatch()
    delivery = endpoint.deliveries.get()
    moments = []

    while delivery.state != WebhookDelivery.State.FAILED:
        moments.append(delivery.next_attempt_at)
        webhooks.webhook_deliveries_send(delivery_ids=[delivery.pk], now=delivery.next_attempt_at)
        delivery.refresh_from_db()

    gaps = [later - earlier for earlier, later in zip(moments, moments[1:], strict=False)]
    assert moments[-1] - delivery.created_at <= dt.timedelta(hours=72)
    assert moments[-1] - delivery.created_at > dt.timedelta(hours=60)
    assert gaps[:3] == [dt.timedelta(minutes=1), dt.timedelta(minutes=2), dt.timedelta(minutes=4)]
    assert max(gaps) == dt.timedelta(hours=6)
    assert delivery.attempts == len(moments) == len(receiver.received)
    assert delivery.last_error.startswith(f"Given up after {len(moments)} attempts")


def test_an_answer_of_410_disables_the_endpoint(receiver):
    endpoint = _register(receiver)
    receiver.answers = [410]
    site = SiteFactory()
    event_created(visibility="public", site=site, title="One")
    event_created(visibility="public", site=site, title="Two")
    webhooks.webhooks_dispatch()
    first, second = endpoint.deliveries.order_by("pk")

    webhooks.webhook_deliveries_send(delivery_ids=[first.pk, second.pk])
    event_created(visibility="public", site=site, title="Three")
    created_after = webhooks.webhooks_dispatch()

    endpoint.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert endpoint.is_active is False
    assert "410" in endpoint.disabled_reason
    assert (first.state, first.last_status_code) == ("failed", 410)
    assert second.state == "cancelled"
    assert created_after == 0
    assert len(receiver.received) == 1


def test_a_partner_endpoint_never_hears_of_what_its_organisation_may_not_see(receiver):
    host, other = OrganisationFactory(), OrganisationFactory()
    staff = _register(receiver)
    hosting = _register(receiver, organisation=host)
    outsider = _register(receiver, organisation=other)
    site = SiteFactory()
    events = {
        visibility: event_created(visibility=visibility, host_organisation=host, site=site)
        for visibility in Event.Visibility.values
    }
    partners = events["partners"]
    services.programme_item_create(  # read in the same pass as the event's creation
        event_id=partners.pk,
        title="Transfer",
        start=partners.start,
        end=partners.end,
        visibility="internal",
    )

    webhooks.webhooks_dispatch()

    created = {v: ("event.created", e.pk) for v, e in events.items()}
    assert _sent(staff) == sorted(created.values())
    assert _sent(hosting) == sorted([created["public"], created["partners"], created["restricted"]])
    assert _sent(outsider) == sorted([created["public"], created["partners"]])


def test_visibility_applies_to_updates_and_internal_programme_items(receiver):
    host, other = OrganisationFactory(), OrganisationFactory()
    site = SiteFactory()
    shown = event_created(visibility="partners", host_organisation=host, site=site)
    hidden = event_created(visibility="internal", host_organisation=host, site=site)
    revealed = event_created(visibility="internal", host_organisation=host, site=site)
    hosting = _register(receiver, organisation=host)
    outsider = _register(receiver, organisation=other)

    services.programme_item_create(
        event_id=shown.pk,
        title="Transfer",
        start=shown.start,
        end=shown.end,
        visibility="internal",
    )
    services.event_update(event_id=hidden.pk, title="Still internal")
    services.event_update(event_id=revealed.pk, visibility="partners")
    services.event_update(event_id=shown.pk, visibility="internal")
    webhooks.webhooks_dispatch()

    # The outsider hears that `shown` changed (it saw it before: fetching it now answers 404,
    # so it drops its copy) and that `revealed` appeared; never of `hidden`, nor of the
    # internal programme item.
    assert _sent(outsider) == sorted([("event.updated", shown.pk), ("event.updated", revealed.pk)])
    assert _sent(hosting) == sorted([("event.updated", shown.pk), ("event.updated", revealed.pk)])


def test_each_change_is_reported_with_its_type(receiver):
    endpoint = _register(receiver)
    site = SiteFactory()
    hall, room = FacilityFactory(site=site), FacilityFactory(site=site)
    event = event_created(visibility="public", site=site)
    webhooks.webhooks_dispatch()
    first = _sent(endpoint)
    steps = {}

    def step(name, action):
        before = set(endpoint.deliveries.values_list("pk", flat=True))
        action()
        webhooks.webhooks_dispatch()
        steps[name] = sorted(
            endpoint.deliveries.exclude(pk__in=before).values_list("event_type", "object_id")
        )

    booking = services.booking_create(
        event_id=event.pk, facility_id=hall.pk, start=event.start, end=event.end, status="held"
    )
    step("created", lambda: None)
    step("confirmed", lambda: services.booking_confirm(booking_id=booking.pk))
    step("renamed", lambda: services.event_update(event_id=event.pk, title="Renamed"))
    other = services.booking_create(
        event_id=event.pk, facility_id=room.pk, start=event.start, end=event.end, status="held"
    )
    step("released", lambda: services.booking_release(booking_id=other.pk))
    step("cancelled", lambda: services.event_cancel(event_id=event.pk))
    step("cancelled again", lambda: services.event_cancel(event_id=event.pk))
    step("deleted", lambda: Event.objects.get(pk=event.pk).delete())

    assert first == [("event.created", event.pk)]
    assert ("booking.created", booking.pk) in steps["created"]
    assert steps["confirmed"] == [("booking.updated", booking.pk)]
    assert steps["renamed"] == [("event.updated", event.pk)]
    # Created and released within one read of the log: both are told.
    assert ("booking.released", other.pk) in steps["released"]
    assert ("booking.created", other.pk) in steps["released"]
    assert steps["cancelled"] == [("booking.released", booking.pk), ("event.cancelled", event.pk)]
    assert steps["cancelled again"] == []
    assert steps["deleted"] == sorted(
        [
            ("booking.deleted", booking.pk),
            ("booking.deleted", other.pk),
            ("event.deleted", event.pk),
        ]
    )


def test_an_endpoint_hears_only_the_types_it_chose_and_changes_after_it_was_registered(receiver):
    site = SiteFactory()
    earlier = event_created(visibility="public", site=site)
    endpoint = _register(receiver, types=["event.cancelled"])
    later = event_created(visibility="public", site=site)

    services.event_cancel(event_id=earlier.pk)
    services.event_update(event_id=later.pk, title="Renamed")
    webhooks.webhooks_dispatch()

    assert _sent(endpoint) == [("event.cancelled", earlier.pk)]


def test_dispatch_is_idempotent(receiver):
    endpoint = _register(receiver)
    event_created(visibility="public")

    first = webhooks.webhooks_dispatch()
    second = webhooks.webhooks_dispatch()
    webhooks.webhooks_sweep()

    assert (first, second) == (1, 0)
    assert endpoint.deliveries.count() == 1


def test_a_long_backlog_is_read_in_passes_without_loss(receiver):
    endpoint = _register(receiver)
    site = SiteFactory()
    made = [event_created(visibility="public", site=site, title=f"Event {n}") for n in range(7)]

    passes = [webhooks.webhooks_dispatch(limit=3) for _ in range(4)]

    assert passes == [3, 3, 1, 0]
    assert _sent(endpoint) == sorted(("event.created", e.pk) for e in made)


def test_a_rotated_secret_signs_alongside_the_old_one_for_a_while(receiver):
    endpoint = _register(receiver)
    old = receiver.secret
    event_created(visibility="public")
    webhooks.webhooks_dispatch()

    endpoint, new = webhooks.webhook_endpoint_rotate_secret(endpoint_id=endpoint.pk)
    webhooks.webhook_deliveries_send(
        delivery_ids=list(endpoint.deliveries.values_list("pk", flat=True))
    )
    header = receiver.received[-1]["headers"]["Protocol-Desk-Signature"]
    signed_with_old = receiver.received[-1]["signed"]
    receiver.secret = new
    body = webhooks.webhook_body(receiver.received[-1]["payload"])

    assert new != old and new.startswith("whsec_")
    assert header.count("v1=") == 2
    assert signed_with_old is True and receiver.verify(header, body) is True


def test_plain_http_is_refused_except_to_this_machine():
    with pytest.raises(ValidationError) as refused:
        webhooks.webhook_endpoint_register(
            name="Partner", url="http://partner.example.org/hook", event_types=["event.created"]
        )
    endpoint, _ = webhooks.webhook_endpoint_register(
        name="Local test", url="http://127.0.0.1:9/hook", event_types=["event.created"]
    )
    secure, _ = webhooks.webhook_endpoint_register(
        name="Partner", url="https://partner.example.org/hook", event_types=["event.created"]
    )

    assert "url" in refused.value.message_dict
    assert endpoint.pk and secure.pk


def test_an_unreachable_endpoint_is_retried(receiver):
    endpoint, _ = webhooks.webhook_endpoint_register(
        name="Down", url="http://127.0.0.1:9/hook", event_types=ALL_TYPES
    )
    event_created(visibility="public")
    webhooks.webhooks_dispatch()
    delivery = endpoint.deliveries.get()

    webhooks.webhook_deliveries_send(delivery_ids=[delivery.pk])

    delivery.refresh_from_db()
    assert delivery.state == "retrying"
    assert delivery.last_status_code is None
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error


def test_staff_register_an_endpoint_in_the_back_office_and_see_its_log(admin_client, receiver):
    organisation = OrganisationFactory()

    added = admin_client.post(
        "/admin/api/webhookendpoint/add/",
        {
            "name": "Tenant portal",
            "url": receiver.url,
            "organisation": organisation.pk,
            "type_list": ["event.created", "event.cancelled"],
        },
        follow=True,
    )
    endpoint = WebhookEndpoint.objects.get()
    receiver.secret = endpoint.secret
    event_created(visibility="public")
    webhooks.webhooks_dispatch()
    webhooks.webhook_deliveries_send(delivery_ids=[endpoint.deliveries.get().pk])
    page = admin_client.get(endpoint.pk and f"/admin/api/webhookendpoint/{endpoint.pk}/change/")
    log = admin_client.get(f"/admin/api/webhookdelivery/?endpoint__id__exact={endpoint.pk}")

    shown = [str(m) for m in added.context["messages"]]
    assert any(endpoint.secret in message for message in shown)
    assert endpoint.secret not in page.content.decode()
    assert endpoint.organisation == organisation
    assert endpoint.type_set == {"event.created", "event.cancelled"}
    assert receiver.received[0]["signed"] is True
    assert b"event.created" in log.content and b"Delivered" in log.content


@pytest.mark.django_db(transaction=True)
def test_committed_changes_reach_the_receiver_through_the_queue(receiver):
    endpoint = _register(receiver, types=["event.created", "event.cancelled"])

    event = event_created(
        visibility="public"
    )  # commits: the nudge runs the dispatch (tasks inline)
    services.event_cancel(event_id=event.pk)

    assert receiver.types() == [("event.created", event.pk), ("event.cancelled", event.pk)]
    assert [r["signed"] for r in receiver.received] == [True, True]
    assert set(endpoint.deliveries.values_list("state", flat=True)) == {"delivered"}


def test_staff_send_a_failed_delivery_again_from_the_log(admin_client, receiver):
    endpoint = _register(receiver)
    receiver.answers = [500]
    event_created(visibility="public")
    webhooks.webhooks_dispatch()
    delivery = endpoint.deliveries.get()
    webhooks.webhook_deliveries_send(delivery_ids=[delivery.pk])

    admin_client.post(
        "/admin/api/webhookdelivery/",
        {"action": "send_again", "_selected_action": [delivery.pk]},
    )
    webhooks.webhook_deliveries_send(delivery_ids=[delivery.pk])

    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert delivery.attempts == 2
    assert [r["signed"] for r in receiver.received] == [True, True]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_dispatchers_report_every_change_exactly_once(receiver):
    endpoint = _register(receiver, types=["event.created"])
    site = SiteFactory()
    made, errors = [], []

    def write(n: int) -> None:
        try:
            for i in range(5):
                made.append(event_created(visibility="public", site=site, title=f"{n}.{i}").pk)
                webhooks.webhooks_dispatch()
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    webhooks.webhooks_dispatch()

    assert errors == []
    assert sorted(endpoint.deliveries.values_list("object_id", flat=True)) == sorted(made)
    assert sorted(pk for _type, pk in receiver.types()) == sorted(made)
    assert all(r["signed"] for r in receiver.received)


def _visit_endpoints(receiver):
    """(park, three tenants, outsider) and an endpoint for each, registered before the visit."""
    organisations = [OrganisationFactory() for _ in range(5)]
    return organisations, [_register(receiver, organisation=org) for org in organisations]


def test_a_visit_is_announced_to_every_stop_host_and_to_no_one_else(receiver):
    organisations, endpoints = _visit_endpoints(receiver)

    visit = secretary_visit(organisations=organisations)
    webhooks.webhooks_dispatch()

    expected = [("event.created", visit.event.pk)] + [
        ("booking.created", pk) for pk in visit.event.bookings.values_list("pk", flat=True)
    ]
    *seers, outsider = endpoints
    for endpoint in seers:
        assert _sent(endpoint) == sorted(expected), endpoint.organisation
    assert _sent(outsider) == []


def test_a_stop_host_hears_when_it_may_no_longer_see_a_visit(receiver, api_for):
    organisations, endpoints = _visit_endpoints(receiver)
    park, first, second, third, other = organisations
    visit = secretary_visit(organisations=organisations)
    webhooks.webhooks_dispatch()
    WebhookDelivery.objects.all().delete()

    dropped_booking = Booking.objects.get(programme_item=visit.stops[second.pk])
    services.programme_item_delete(item_id=visit.stops[second.pk].pk)
    services.programme_item_update(item_id=visit.stops[third.pk].pk, host_organisation=other)
    webhooks.webhooks_dispatch()

    updated = [("event.updated", visit.event.pk)]
    # The dropped stop's booking is released first, heard by all who could see the visit then.
    released = [("booking.released", dropped_booking.pk), *updated]
    heard = {org: _sent(endpoint) for org, endpoint in zip(organisations, endpoints, strict=True)}
    assert heard == {
        park: released,
        first: released,
        second: released,
        third: released,
        other: updated,
    }
    # What a tenant that lost its stop finds at the payload's URL: nothing.
    url = f"/api/v1/events/{visit.event.pk}/"
    assert api_for(organisation=second).get(url).status_code == 404
    assert api_for(organisation=other).get(url).status_code == 200

    Event.objects.get(pk=visit.event.pk).delete()  # as the back office does
    webhooks.webhooks_dispatch()

    deleted = ("event.deleted", visit.event.pk)
    # Those who could see it when it went: the park, the first tenant and the new stop host.
    heard = [deleted in _sent(endpoint) for endpoint in endpoints]
    assert heard == [True, True, False, False, True]


def test_a_stop_host_hears_of_its_own_internal_items_not_of_the_others(receiver):
    organisations, endpoints = _visit_endpoints(receiver)
    visit = secretary_visit(organisations=organisations)
    webhooks.webhooks_dispatch()
    WebhookDelivery.objects.all().delete()

    services.programme_item_update(item_id=visit.briefing.pk, title="Briefing moved to lab 2")
    webhooks.webhooks_dispatch()

    updated = [("event.updated", visit.event.pk)]
    # The park and the first tenant (the briefing's host); not the other tenants, nor others.
    assert [_sent(endpoint) for endpoint in endpoints] == [updated, updated, [], [], []]
