"""The soak's Django side: the world it drives (keys, places, feeds, a webhook) and the checks."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count

from api.feeds import feed_create, feed_url
from api.models import WebhookDelivery, WebhookType
from api.services import api_key_create
from api.webhooks import webhook_endpoint_register
from scheduling.models import Facility
from visitors.models import Delivery, Organisation

ALL_SCOPES = ["events:read", "events:write", "attendees:read", "attendees:write", "bookings:write"]
PENDING = [Delivery.State.QUEUED, Delivery.State.SENDING, Delivery.State.RETRYING]
HOOKS_PENDING = [
    WebhookDelivery.State.QUEUED,
    WebhookDelivery.State.SENDING,
    WebhookDelivery.State.RETRYING,
]


@dataclass(frozen=True)
class World:
    staff_token: str
    partner_token: str
    places: list[tuple[int, int]]
    feed_urls: list[str]


def prepare(*, webhook_url: str) -> World:
    staff, _ = get_user_model().objects.get_or_create(
        username="soak", defaults={"is_staff": True, "is_superuser": True}
    )
    _, staff_token = api_key_create(name="soak staff", user=staff, scopes=ALL_SCOPES)
    partner = Organisation.objects.order_by("pk").first()
    _, partner_token = api_key_create(
        name="soak partner", organisation=partner, scopes=["events:read", "attendees:read"]
    )
    places = list(
        Facility.objects.filter(is_bookable=True).values_list("site_id", "pk").order_by("pk")
    )
    _hooks(partner, webhook_url)
    return World(
        staff_token=staff_token,
        partner_token=partner_token,
        places=places,
        feed_urls=_feeds(partner),
    )


def _feeds(partner: Organisation) -> list[str]:
    """Subscription feeds the partners poll: their organisation's and a public one."""
    paths = []
    for owner in (partner, None):
        _feed, token = feed_create(name="soak", owner_organisation=owner)
        paths.append(urlsplit(feed_url(token)).path)
    return paths


def _hooks(partner: Organisation, url: str) -> None:
    """A webhook endpoint for the partner, hearing of every kind of change."""
    webhook_endpoint_register(
        name="soak receiver", url=url, organisation=partner, event_types=WebhookType.values
    )


def queues_settled() -> bool:
    return not (
        Delivery.objects.filter(state__in=PENDING).exists()
        or WebhookDelivery.objects.filter(state__in=HOOKS_PENDING).exists()
    )


def final_state() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM scheduling_booking a
            JOIN scheduling_booking b
              ON a.facility_id = b.facility_id AND a.id < b.id
             AND a.occupied_start < b.occupied_end AND b.occupied_start < a.occupied_end
            WHERE a.status IN ('held', 'confirmed') AND b.status IN ('held', 'confirmed')
            """
        )
        clashes = cursor.fetchone()[0]
    deliveries = dict(
        Delivery.objects.values_list("state").annotate(n=Count("pk")).order_by("state")
    )
    webhooks = dict(
        WebhookDelivery.objects.values_list("state").annotate(n=Count("pk")).order_by("state")
    )
    return {
        "clashes": clashes,
        "deliveries": deliveries,
        "deliveries_pending": sum(deliveries.get(state, 0) for state in PENDING),
        "webhooks": webhooks,
        "webhooks_pending": sum(webhooks.get(state, 0) for state in HOOKS_PENDING),
    }
