"""Webhook endpoints: registering, rotating secrets, disabling, enabling, retrying a delivery."""

import datetime as dt
import secrets
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.changes import change_head
from visitors.models import Organisation

from ..models import WebhookDelivery, WebhookEndpoint
from .posting import OUTBOX

ACTIVE_CACHE_KEY = "api.webhooks.any-active"
WAITING = (WebhookDelivery.State.QUEUED, WebhookDelivery.State.RETRYING)


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _actor(by: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return by if getattr(by, "is_authenticated", False) else None


@transaction.atomic
def webhook_endpoint_register(
    *,
    name: str,
    url: str,
    event_types: Iterable[str],
    organisation: Organisation | None = None,
    by: AbstractBaseUser | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint that hears of changes from now on; returns it with its signing
    secret, which is shown this once."""
    secret = _new_secret()
    endpoint = WebhookEndpoint(
        name=name,
        url=url,
        organisation=organisation,
        event_types=" ".join(sorted(set(event_types))),
        secret=secret,
        since_change=change_head(),
        created_by=_actor(by),
    )
    endpoint.full_clean()
    endpoint.save()
    _endpoints_changed()
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new secret (returned, shown this once); deliveries are signed with
    the old one too for WEBHOOK_SECRET_OVERLAP_HOURS, so the partner can switch without loss."""
    endpoint = _locked(endpoint_id)
    secret = _new_secret()
    endpoint.previous_secret, endpoint.secret = endpoint.secret, secret
    endpoint.previous_secret_expires_at = timezone.now() + dt.timedelta(
        hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS
    )
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_disable(*, endpoint_id: int, reason: str) -> WebhookEndpoint:
    """Stop all deliveries to the endpoint: nothing more is queued and waiting rows are
    cancelled (disabling twice keeps the first reason)."""
    endpoint = _locked(endpoint_id)
    now = timezone.now()
    if endpoint.is_active:
        endpoint.is_active = False
        endpoint.disabled_at = now
        endpoint.disabled_reason = reason[:300]
        endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    endpoint.deliveries.filter(state__in=WAITING).update(
        state=WebhookDelivery.State.CANCELLED,
        last_error=f"Not sent: the endpoint was disabled ({endpoint.disabled_reason}).",
        updated_at=now,
    )
    _endpoints_changed()
    return endpoint


@transaction.atomic
def webhook_endpoint_enable(*, endpoint_id: int) -> WebhookEndpoint:
    """Resume deliveries for changes from now on; what happened while it was disabled is not
    sent (the partner syncs through the API instead)."""
    endpoint = _locked(endpoint_id)
    if not endpoint.is_active:
        endpoint.is_active = True
        endpoint.disabled_at, endpoint.disabled_reason = None, ""
        endpoint.since_change = change_head()
        endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "since_change"])
        _endpoints_changed()
    return endpoint


@transaction.atomic
def webhook_delivery_retry(*, delivery_id: int) -> WebhookDelivery:
    """Post a delivery again now, whatever became of it, with a fresh retry period; refused
    while its endpoint is disabled."""
    delivery = (
        WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery_id)
    )
    if not delivery.endpoint.is_active:
        raise ValidationError({"endpoint": _("The endpoint is disabled: enable it first.")})
    if delivery.state == WebhookDelivery.State.SENDING:
        return delivery  # being posted right now
    now = timezone.now()
    delivery.state = WebhookDelivery.State.QUEUED
    delivery.next_attempt_at = now
    delivery.retry_until = now + dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    delivery.save(update_fields=["state", "next_attempt_at", "retry_until", "updated_at"])
    OUTBOX.enqueue([delivery])
    return delivery


def _locked(endpoint_id: int) -> WebhookEndpoint:
    # Lock the row: a rotation, a disable and a 410 may race; each must see the other's result.
    try:
        return WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    except WebhookEndpoint.DoesNotExist:
        raise ValidationError({"endpoint": _("No such webhook endpoint.")}) from None


def _endpoints_changed() -> None:
    cache.delete(ACTIVE_CACHE_KEY)
    transaction.on_commit(partial(cache.delete, ACTIVE_CACHE_KEY))


def any_endpoint() -> bool:
    """Whether any endpoint listens (cached a minute; a change of endpoints clears it)."""
    active = cache.get(ACTIVE_CACHE_KEY)
    if active is None:
        active = WebhookEndpoint.objects.filter(is_active=True).exists()
        cache.set(ACTIVE_CACHE_KEY, active, 60)
    return active
