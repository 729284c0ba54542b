"""Requests per minute per key, counted in the "throttle" cache that every web process shares:
Redis when REDIS_URL is set, otherwise diskcache's store under VAR_DIR (config/settings.py).
Both increment atomically across processes, so the limit holds however many workers serve."""

import contextlib
import math
import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from .models import ApiKey

WINDOW_SECONDS = 60


class KeyRateThrottle(BaseThrottle):
    """A sliding one-minute window per key, estimated from two fixed-window counters: this
    minute's count plus last minute's, weighted by how much of last minute is still inside the
    window. Unlike a bare fixed window, a burst straddling the turn of a minute cannot pass
    twice the limit. ``cache.incr`` is atomic in Redis, so workers sharing the cache cannot
    together let more through than the limit."""

    def allow_request(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True  # unauthenticated requests are refused before they cost anything
        limit = key.rate_per_minute or settings.API_RATE_PER_MINUTE
        now = time.time()
        window, elapsed = divmod(now, WINDOW_SECONDS)
        current_name = f"api-throttle:{key.pk}:{int(window)}"
        cache = caches["throttle"]
        previous = cache.get(f"api-throttle:{key.pk}:{int(window) - 1}", 0)
        try:
            current = cache.incr(current_name)
        except ValueError:  # the minute's first request: add() wins once if several race
            # The counter outlives its minute by one more, when it is still the previous one.
            if cache.add(current_name, 1, timeout=2 * WINDOW_SECONDS + 5):
                current = 1
            else:
                current = cache.incr(current_name)
        if current + previous * (1 - elapsed / WINDOW_SECONDS) <= limit:
            return True
        # A refused request does not count: a client that keeps knocking is not locked out
        # for longer than the window says.
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
            cache.decr(current_name)
        self._wait = _seconds_until_room(current - 1, previous, elapsed, limit)
        return False

    def wait(self) -> float:
        return max(1.0, math.ceil(self._wait))


def _seconds_until_room(current: int, previous: int, elapsed: float, limit: int) -> float:
    """Seconds until one more request fits, if no other comes meanwhile."""
    if current < limit:
        # Last minute's weight fades linearly: room once current + 1 + previous × share ≤ limit.
        share_needed = (limit - current - 1) / previous
        return max(0.0, (1 - share_needed) * WINDOW_SECONDS - elapsed)
    # This minute alone is full: after its turn it weighs as the previous one, fading.
    share_needed = (limit - 1) / current
    return WINDOW_SECONDS - elapsed + (1 - share_needed) * WINDOW_SECONDS
