"""Limits of so many a minute, shared by every process, kept in the "throttle" cache (Redis,
or diskcache's store under VAR_DIR) whose increments and adds are atomic across processes, so a
limit holds however many workers count.

- ``take``, for API requests per key: a sliding one-minute window, estimated from two
  fixed-window counters (this minute's count plus last minute's, weighted by how much of last
  minute is still inside the window). Bursts up to the limit pass at once; a burst straddling
  the turn of a minute cannot pass twice the limit.
- ``pace``, for e-mail through a relay that counts per mailbox: one message per time slot, so
  messages go out evenly and no minute, wherever it starts, holds more than the limit.
"""

import contextlib
import math
import time

from django.core.cache import caches

WINDOW_SECONDS = 60
CACHE = "throttle"


def take(name: str, limit: int) -> float:
    """Count one more under `name` if the limit allows it now: 0.0. Otherwise count nothing and
    return the seconds until one more would fit (if no other comes meanwhile)."""
    cache = caches[CACHE]
    window, elapsed = divmod(time.time(), WINDOW_SECONDS)
    current_name = f"rate:{name}:{int(window)}"
    previous = cache.get(f"rate:{name}:{int(window) - 1}", 0)
    try:
        current = cache.incr(current_name)
    except ValueError:  # the minute's first: add() wins once if several race
        # The counter outlives its minute by one more, when it is still the previous one.
        if cache.add(current_name, 1, timeout=2 * WINDOW_SECONDS + 5):
            current = 1
        else:
            current = cache.incr(current_name)
    if current + previous * (1 - elapsed / WINDOW_SECONDS) <= limit:
        return 0.0
    # A refused one does not count: who keeps knocking is not held back longer than the
    # window says.
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
        cache.decr(current_name)
    return max(0.001, _seconds_until_room(current - 1, previous, elapsed, limit))


def pace(name: str, per_minute: int) -> float:
    """Take the current time slot under `name` if it is free: 0.0. Otherwise return the seconds
    until the next slot starts (another worker may take it first: ask again then).

    Slots last 60 / (per_minute − 1) seconds: any 60 seconds overlap at most per_minute of them,
    so at most per_minute messages, whatever moment the relay's minute starts.
    """
    length = WINDOW_SECONDS / (per_minute - 1) if per_minute > 1 else WINDOW_SECONDS + 1
    index, into = divmod(time.time(), length)
    if caches[CACHE].add(f"pace:{name}:{int(index)}", 1, timeout=int(2 * length) + 5):
        return 0.0
    return max(0.001, length - into)


def _seconds_until_room(current: int, previous: int, elapsed: float, limit: int) -> float:
    if current < limit and previous:
        # Last minute's weight fades linearly: room once current + 1 + previous × share ≤ limit.
        share_needed = (limit - current - 1) / previous
        return max(0.0, (1 - share_needed) * WINDOW_SECONDS - elapsed)
    # This minute alone is full: after its turn it weighs as the previous one, fading.
    share_needed = (limit - 1) / max(current, 1)
    return WINDOW_SECONDS - elapsed + (1 - share_needed) * WINDOW_SECONDS


def whole_seconds(wait: float) -> int:
    """A Retry-After value: at least one second, rounded up."""
    return max(1, math.ceil(wait))
