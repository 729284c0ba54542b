"""The day itself: when each programme item is now expected, from what has happened so far.

Staff mark items started and finished (or skipped, or extended) as the day goes
(scheduling.services.live). An item that starts late pushes every later one by as much, since
the party can be in one place at a time; an early finish does not pull the next one forward,
since its hosts expect the party at the planned time. An item not started yet cannot start
before now; one running cannot end before now. A skipped item takes no time.

The plan (start, end) is never changed by this: it is what invites said, and a late start on
the day does not send calendar updates (README, "On the day").
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .models import ProgrammeItem

PLANNED, RUNNING, DONE, SKIPPED = "planned", "running", "done", "skipped"


@dataclass(frozen=True)
class Timing:
    """When an item is expected, and how it stands."""

    item: ProgrammeItem
    state: str
    expected_start: dt.datetime | None
    expected_end: dt.datetime | None

    @property
    def slip(self) -> dt.timedelta:
        """How much later than planned it is expected to start (never negative)."""
        if self.expected_start is None:
            return dt.timedelta(0)
        return max(self.expected_start - self.item.start, dt.timedelta(0))

    @property
    def slip_minutes(self) -> int:
        return int(self.slip.total_seconds() // 60)


def timings(items: Iterable[ProgrammeItem], *, now: dt.datetime) -> list[Timing]:
    """Each item's expected times, in programme order (the items' own ordering)."""
    items = list(items)
    found: list[Timing] = []
    free_from: dt.datetime | None = None  # when the party is free for the next item
    live = any(item.started_at for item in items)
    for item in items:
        planned = item.end - item.start + dt.timedelta(minutes=item.extra_minutes)
        if item.skipped:
            found.append(Timing(item, SKIPPED, None, None))
            continue
        if item.started_at is not None:
            start = item.started_at
        else:
            start = max(item.start, free_from) if free_from else item.start
            if live:  # the day has begun: what has not started cannot start in the past
                start = max(start, now)
        if item.finished_at is not None:
            state, end = DONE, item.finished_at
        elif item.started_at is not None:
            state, end = RUNNING, max(start + planned, now)
        else:
            state, end = PLANNED, start + planned
        found.append(Timing(item, state, start, end))
        free_from = end
    return found


def now_and_next(found: list[Timing]) -> tuple[Timing | None, Timing | None]:
    """The item running (the last started and not finished) and the next to come."""
    running = [timing for timing in found if timing.state == RUNNING]
    current = running[-1] if running else None
    after = found.index(current) + 1 if current else 0
    if current is None:
        done = [index for index, timing in enumerate(found) if timing.state == DONE]
        after = done[-1] + 1 if done else 0
    upcoming = [timing for timing in found[after:] if timing.state == PLANNED]
    return current, (upcoming[0] if upcoming else None)


def last_place(found: list[Timing]):
    """Where the party is or was last seen: the facility of the running item, else of the
    last item done that had one (a transfer has none); None before the day has started."""
    for timing in reversed(found):
        if timing.state in (RUNNING, DONE) and timing.item.facility_id is not None:
            return timing.item.facility
    return None
