"""Requests per minute per key, counted by core.ratelimit in the cache every web process
shares, so the limit holds across workers and machines."""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from core import ratelimit

from .models import ApiKey


class KeyRateThrottle(BaseThrottle):
    """A sliding one-minute window per key (core.ratelimit); refused requests do not count."""

    def allow_request(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True  # unauthenticated requests are refused before they cost anything
        limit = key.rate_per_minute or settings.API_RATE_PER_MINUTE
        self._wait = ratelimit.take(f"api-key:{key.pk}", limit)
        return self._wait == 0.0

    def wait(self) -> float:
        return ratelimit.whole_seconds(self._wait)
