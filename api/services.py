"""API key writes: make a key (its secret shown once), revoke it, note that it was used."""

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.timezones import require_aware
from visitors.models import Organisation

from .models import DEFAULT_SCOPES, ApiKey

TOKEN_PREFIX = "pdk"
# last_used_at is written at most this often per key, not on every request.
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    name: str,
    organisation: Organisation | None = None,
    user: AbstractBaseUser | None = None,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    expires_at: dt.datetime | None = None,
    rate_per_minute: int | None = None,
) -> tuple[ApiKey, str]:
    """Make a partner key (organisation) or a staff key (user); returns it with its only copy of
    the token ``pdk_<prefix>_<secret>``."""
    require_aware("expires_at", expires_at)
    if user is not None and not (user.is_staff and user.is_active):
        raise ValidationError({"user": _("A staff key acts as an active staff user.")})
    prefix, secret = secrets.token_hex(5), secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        prefix=prefix,
        secret_hash=secret_hash(secret),
        organisation=organisation,
        user=user,
        scopes=" ".join(sorted(set(scopes))),
        expires_at=expires_at,
        rate_per_minute=rate_per_minute,
    )
    key.full_clean()
    key.save()
    return key, f"{TOKEN_PREFIX}_{prefix}_{secret}"


@transaction.atomic
def api_key_revoke(*, key_id: int) -> ApiKey:
    """Stop a key from authenticating, now and for good (revoking twice keeps the first time)."""
    key = ApiKey.objects.select_for_update().get(pk=key_id)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(token: str) -> ApiKey | None:
    """The usable key a bearer token names, or None. One query; the secret compared in constant
    time; last_used_at refreshed at most once a minute."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    key = ApiKey.objects.select_related("user", "organisation").filter(prefix=parts[1][:16]).first()
    if key is None or not hmac.compare_digest(key.secret_hash, secret_hash(parts[2])):
        return None
    now = timezone.now()
    if not key.is_usable(now):
        return None
    if key.user_id is not None and not (key.user.is_active and key.user.is_staff):
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_GRANULARITY:
        # A conditional UPDATE, not a save: concurrent requests write it once between them.
        ApiKey.objects.filter(pk=key.pk, last_used_at=key.last_used_at).update(last_used_at=now)
        key.last_used_at = now
    return key
