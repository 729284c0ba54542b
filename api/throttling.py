"""Requests per minute per key, counted in the cache (Redis, shared by every worker, when
REDIS_URL is set; per process otherwise)."""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from .models import ApiKey

WINDOW_SECONDS = 60


class KeyRateThrottle(BaseThrottle):
    """A fixed one-minute window per key. ``cache.incr`` is atomic in Redis, so workers sharing
    the cache cannot together let more through than the limit."""

    def allow_request(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True  # unauthenticated requests are refused before they cost anything
        limit = key.rate_per_minute or settings.API_RATE_PER_MINUTE
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        name = f"api-throttle:{key.pk}:{window}"
        # add() creates the counter only if absent; it expires with its window.
        cache.add(name, 0, timeout=WINDOW_SECONDS + 5)
        try:
            count = cache.incr(name)
        except ValueError:  # evicted between add and incr
            cache.set(name, 1, timeout=WINDOW_SECONDS + 5)
            count = 1
        self._wait = (window + 1) * WINDOW_SECONDS - now
        return count <= limit

    def wait(self) -> float:
        return max(1.0, self._wait)
