"""API keys and the ledger that makes POST requests safe to retry."""

import datetime as dt
import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.models import OutboxMessage


class Scope(models.TextChoices):
    EVENTS_READ = "events:read", _("Read events, programmes, bookings, sites and facilities")
    EVENTS_WRITE = "events:write", _("Create and change events and their programmes")
    ATTENDEES_READ = "attendees:read", _("Read attendee lists")
    ATTENDEES_WRITE = "attendees:write", _("Add and remove attendees")
    BOOKINGS_WRITE = "bookings:write", _("Hold, book, confirm and release facilities")


DEFAULT_SCOPES = (Scope.EVENTS_READ,)


class ApiKeyQuerySet(models.QuerySet):
    def usable(self, now: dt.datetime | None = None) -> "ApiKeyQuerySet":
        """Keys that authenticate now: not revoked, not expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """A bearer key: a partner organisation's, or one that acts as a staff user.

    The secret is shown once, when the key is made, and only its SHA-256 is kept: the secret is
    32 random bytes, so a fast hash is as safe as a slow one and keeps every request cheap.
    ``prefix`` finds the row; the hash is compared in constant time.
    """

    name = models.CharField(
        _("name"), max_length=200, help_text=_("Who uses it, e.g. “Tenant portal sync”.")
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("secret hash"), max_length=64, editable=False)
    organisation = models.ForeignKey(
        "visitors.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
        help_text=_("A partner key sees what this organisation may see."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
        help_text=_("A staff key acts as this staff user."),
    )
    scopes = models.CharField(
        _("scopes"),
        max_length=200,
        default=" ".join(DEFAULT_SCOPES),
        help_text=format_lazy(_("Space-separated: {scopes}."), scopes=", ".join(Scope.values)),
    )
    rate_per_minute = models.PositiveIntegerField(
        _("rate per minute"),
        null=True,
        blank=True,
        help_text=_("Requests a minute; blank uses API_RATE_PER_MINUTE."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(organisation__isnull=False, user__isnull=True)
                    | Q(organisation__isnull=True, user__isnull=False)
                ),
                name="api_key_partner_xor_staff",
                violation_error_message=_("A key belongs to an organisation or to a staff user."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def clean(self) -> None:
        unknown = set(self.scopes.split()) - set(Scope.values)
        if unknown:
            raise ValidationError(
                {
                    "scopes": _("Unknown scopes: %(scopes)s.")
                    % {"scopes": ", ".join(sorted(unknown))}
                }
            )
        if bool(self.organisation_id) == bool(self.user_id):
            raise ValidationError({"organisation": _("Choose an organisation or a staff user.")})

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def is_staff_key(self) -> bool:
        return self.user_id is not None

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``, replayed to its retries."""

    api_key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(
        _("fingerprint"), max_length=64, help_text=_("SHA-256 of method, path and body.")
    )
    status_code = models.PositiveSmallIntegerField(_("status code"), default=0)
    body = models.JSONField(_("body"), null=True, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_once_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.status_code}"


# --- Webhooks ----------------------------------------------------------------------------------


class WebhookType(models.TextChoices):
    EVENT_CREATED = "event.created", _("An event was created")
    EVENT_UPDATED = "event.updated", _("An event, its programme or who may see it changed")
    EVENT_CANCELLED = "event.cancelled", _("An event was cancelled")
    EVENT_DELETED = "event.deleted", _("An event was deleted")
    BOOKING_CREATED = "booking.created", _("A facility was held or booked")
    BOOKING_UPDATED = "booking.updated", _("A booking was confirmed or moved")
    BOOKING_RELEASED = "booking.released", _("A booking was released")
    BOOKING_DELETED = "booking.deleted", _("A booking was deleted")


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


class WebhookEndpoint(models.Model):
    """A partner's (or the office's own) HTTPS endpoint and the notifications it wants.

    The signing secret is shown once, when it is made or rotated. It is kept as it is, not
    hashed: signing needs it. After a rotation the previous secret also signs until
    ``previous_secret_expires_at``, so a partner can swap secrets without losing deliveries.
    """

    name = models.CharField(
        _("name"), max_length=200, help_text=_("Whose it is, e.g. “Tenant portal”.")
    )
    url = models.URLField(
        _("URL"), max_length=500, help_text=_("HTTPS; plain HTTP only to this machine.")
    )
    organisation = models.ForeignKey(
        "visitors.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text=_(
            "Hears only of what this organisation may see. Blank: the office's own "
            "integration, which hears of everything."
        ),
    )
    event_types = models.CharField(
        _("event types"),
        max_length=300,
        help_text=format_lazy(_("Space-separated: {types}."), types=", ".join(WebhookType.values)),
    )
    secret = models.CharField(_("secret"), max_length=100, editable=False)
    previous_secret = models.CharField(
        _("previous secret"), max_length=100, blank=True, editable=False
    )
    previous_secret_expires_at = models.DateTimeField(
        _("previous secret expires at"), null=True, blank=True, editable=False
    )
    # The change-log position when the endpoint was registered or enabled: it hears of later
    # changes only, not of the whole history.
    since_change = models.BigIntegerField(_("since change"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True, editable=False)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(
        _("disabled reason"), max_length=300, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    def clean(self) -> None:
        parts = urlsplit(self.url or "")
        if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname)):
            raise ValidationError(
                {"url": _("Use HTTPS (plain HTTP only to this machine, for tests).")}
            )
        if parts.username or parts.password:
            raise ValidationError(
                {"url": _("Put no credentials in the URL: the signature is ours.")}
            )
        unknown = set(self.event_types.split()) - set(WebhookType.values)
        if unknown:
            raise ValidationError(
                {
                    "event_types": _("Unknown notifications: %(types)s.")
                    % {"types": ", ".join(sorted(unknown))}
                }
            )
        if not self.event_types.split():
            raise ValidationError({"event_types": _("Choose at least one notification.")})

    @property
    def type_set(self) -> frozenset[str]:
        return frozenset(self.event_types.split())


class WebhookDelivery(OutboxMessage):
    """The webhook outbox and its log: one row per endpoint per change it hears of.

    The unique key makes the dispatcher idempotent: a change is never queued twice for one
    endpoint, whatever retries or crashes happen.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        RETRYING = "retrying", _("Retrying")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled (endpoint disabled)")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    change_id = models.BigIntegerField(
        _("change ID"), help_text=_("The change-log row this notification reports.")
    )
    event_type = models.CharField(_("event type"), max_length=30, choices=WebhookType.choices)
    object_id = models.BigIntegerField(_("object ID"))
    payload = models.JSONField(_("payload"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    retry_until = models.DateTimeField(
        _("retry until"), help_text=_("Failures are retried until then, then given up.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "change_id", "event_type", "object_id"],
                name="webhook_delivery_once_per_change",
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return _("%(type)s %(id)s to %(endpoint)s") % {
            "type": self.event_type,
            "id": self.object_id,
            "endpoint": self.endpoint.name,
        }


class WebhookCursor(models.Model):
    """How far through the change log the webhook dispatcher has read (a single row)."""

    position = models.BigIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("webhook cursor")
        verbose_name_plural = _("webhook cursors")

    def __str__(self) -> str:
        return _("change #%(position)s") % {"position": self.position}


# --- Subscription feeds ------------------------------------------------------------------------


class FeedQuerySet(models.QuerySet):
    def owned_by(self, key: "ApiKey") -> "FeedQuerySet":
        """The feeds an API key manages: its organisation's (partner), or all (staff)."""
        if key.is_staff_key:
            return self
        return self.filter(owner_organisation_id=key.organisation_id)


class Feed(models.Model):
    """An iCalendar subscription (``/feeds/<token>.ics``) for one subscriber.

    It shows what its owner may see: a partner organisation's feed what that organisation may
    see, a staff member's feed everything (while the member is active staff), a feed with no
    owner public events only. What it shows is narrowed by every filter given. The token is
    shown once; only its SHA-256 is kept (32 random bytes, so a fast hash is enough).
    """

    name = models.CharField(
        _("name"), max_length=200, help_text=_("The calendar's name in the subscriber's app.")
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    token_hint = models.CharField(
        _("token hint"), max_length=8, editable=False, help_text=_("The token's start.")
    )
    owner_organisation = models.ForeignKey(
        "visitors.Organisation",
        verbose_name=_("owner organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="feeds",
        help_text=_("A partner's feed: shows what this organisation may see."),
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="feeds",
        help_text=_("A staff feed: shows everything while this user is active staff."),
    )
    site = models.ForeignKey(
        "scheduling.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    facility = models.ForeignKey(
        "scheduling.Facility",
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Events that book it or hold a programme item there."),
    )
    organisation = models.ForeignKey(
        "visitors.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Events it hosts, hosts a stop of, or its people attend or speak at."),
    )
    person = models.ForeignKey(
        "visitors.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Events the person attends (not declined) or has a part in."),
    )
    kinds = models.JSONField(
        _("kinds"), default=list, blank=True, help_text=_("Event kinds; empty: all.")
    )
    statuses = models.JSONField(
        _("statuses"),
        default=list,
        blank=True,
        help_text=_("Statuses; empty: all but draft (never cancelled)."),
    )
    visibilities = models.JSONField(
        _("visibilities"),
        default=list,
        blank=True,
        help_text=_("Visibilities; empty: all the owner may see."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = FeedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("feed")
        verbose_name_plural = _("feeds")
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_organisation__isnull=True) | Q(owner_user__isnull=True),
                name="feed_one_owner",
                violation_error_message=_("A feed belongs to an organisation or a staff user."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_hint}…)"

    def clean(self) -> None:
        from scheduling.models import Event

        if self.owner_organisation_id and self.owner_user_id:
            raise ValidationError(
                {"owner_user": _("Choose an organisation or a staff user, not both.")}
            )
        allowed = {
            "kinds": set(Event.Kind.values),
            "statuses": set(Event.Status.values) - {Event.Status.CANCELLED},
            "visibilities": set(Event.Visibility.values),
        }
        for name, values in allowed.items():
            given = getattr(self, name)
            if not isinstance(given, list) or not all(isinstance(v, str) for v in given):
                raise ValidationError({name: _("Give a list of values.")})
            unknown = set(given) - values
            if unknown:
                raise ValidationError(
                    {name: _("Not allowed: %(values)s.") % {"values": ", ".join(sorted(unknown))}}
                )
        if self.facility_id and self.site_id and self.facility.site_id != self.site_id:
            raise ValidationError({"facility": _("Choose a facility of the site chosen.")})
