"""API keys and the ledger that makes POST requests safe to retry."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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

    name = models.CharField(max_length=200, help_text="Who uses it, e.g. “Tenant portal sync”.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    organisation = models.ForeignKey(
        "visitors.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
        help_text="A partner key sees what this organisation may see.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
        help_text="A staff key acts as this staff user.",
    )
    scopes = models.CharField(
        max_length=200,
        default=" ".join(DEFAULT_SCOPES),
        help_text="Space-separated: " + ", ".join(Scope.values) + ".",
    )
    rate_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests a minute; blank uses API_RATE_PER_MINUTE."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(organisation__isnull=False, user__isnull=True)
                    | Q(organisation__isnull=True, user__isnull=False)
                ),
                name="api_key_partner_xor_staff",
                violation_error_message="A key belongs to an organisation or to a staff user.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def clean(self) -> None:
        unknown = set(self.scopes.split()) - set(Scope.values)
        if unknown:
            raise ValidationError({"scopes": f"Unknown scopes: {', '.join(sorted(unknown))}."})
        if bool(self.organisation_id) == bool(self.user_id):
            raise ValidationError({"organisation": "Choose an organisation or a staff user."})

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

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_once_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.status_code}"
