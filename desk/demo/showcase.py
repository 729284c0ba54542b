"""The current week and the next, filled: what a newcomer sees first on the staff calendar.

Each event has a fixed slot relative to the Monday of the current week in Hong Kong, so the
first screen is the same on every load. An event whose slot does not fit (a public holiday, a
closure, a clash, one of its people due elsewhere) moves to another weekday of the same week,
at its time or in the other half of the day, or is left out if none fits.

Part of the current week is usually over when the demo is loaded. An event that has ended by
then is built completed, with everyone who accepted checked in, as the past seed events are; an
event under way is confirmed whatever its planned status (nobody holds a room that is in use);
an event still to come keeps its planned status, tentative with held bookings or confirmed.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import replace

from scheduling.models import Event

from . import showcase_templates as t
from .specs import EventSpec, EventTemplate, hk
from .upcoming import SEED, instantiate

REFERENCE_PREFIX = "DEMO-WK-"
# Between two of these events for one person: a call time before, or the road between parks.
MARGIN = dt.timedelta(minutes=90)

# (week after the current one, weekday with Monday 0, local start, template)
SHOWCASE: tuple[tuple[int, int, str, EventTemplate], ...] = (
    (0, 0, "10:30", t.UNIVERSITY_BRIEFING),
    (0, 1, "14:30", t.FORUM_AI_FACTORY),
    (0, 2, "10:00", t.MINISTER_INSPECTS_MARS),
    (0, 3, "11:00", t.INNOCELL_ACTIVATION),
    (0, 4, "10:00", t.PILOT_LINE_OPENING),
    (0, 4, "15:00", t.FOUNDERS_FIRESIDE),
    (1, 0, "14:00", t.INNOVATION_WEEK_PRESS),
    (1, 1, "10:30", t.INNOVATION_WEEK_OPENING),
    (1, 2, "15:00", t.LEGCO_VISIT),
    (1, 3, "10:30", t.DATA_HUB_BRIEFING),
    (1, 3, "14:00", t.HSITP_TENANTS_FORUM),
    (1, 4, "10:30", t.PROMENADE_UNVEILING),
)


def plan_showcase(
    today: dt.date,
    *,
    now: dt.datetime,
    fits: Callable[[EventSpec], bool],
    rng: random.Random | None = None,
) -> list[EventSpec]:
    """Place every showcase event in its week, its status set by where it stands against now.

    Every event that fits in its own slot is placed first; then the others move to another
    weekday of their week, at their time or the other half of the day. Nobody is due at two of
    them less than MARGIN apart. fits() must also record what it accepts, as for
    ``upcoming.plan_events``.
    """
    rng = rng or random.Random(SEED)
    monday = today - dt.timedelta(days=today.weekday())
    busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
    placed: dict[int, EventSpec] = {}
    for moving in (False, True):
        for index, (week, weekday, hhmm, template) in enumerate(SHOWCASE):
            if index not in placed:
                week_monday = monday + dt.timedelta(weeks=week)
                spec = _place(
                    template, index, week_monday, weekday, hhmm,
                    moving=moving, now=now, fits=fits, busy=busy, rng=rng,
                )  # fmt: skip
                if spec:
                    placed[index] = spec
    return [placed[index] for index in sorted(placed)]


def _place(
    template: EventTemplate,
    index: int,
    monday: dt.date,
    weekday: int,
    hhmm: str,
    *,
    moving: bool,
    now: dt.datetime,
    fits: Callable[[EventSpec], bool],
    busy: dict[str, list[tuple[dt.datetime, dt.datetime]]],
    rng: random.Random,
) -> EventSpec | None:
    """The event in its own slot, or (moving) in the first other slot of its week that fits."""
    other_half = "15:00" if hhmm < "12:00" else "10:00"
    slots = (
        [(shift, time) for shift in range(1, 5) for time in (hhmm, other_half)]
        if moving
        else [(0, hhmm)]
    )
    people = {key for key, _role in template.attendees}
    for shift, time in slots:
        start = hk(monday + dt.timedelta(days=(weekday + shift) % 5), time)
        end = start + dt.timedelta(minutes=template.minutes)
        if any(
            s < end + MARGIN and start < e + MARGIN for key in people for s, e in busy.get(key, ())
        ):
            continue
        spec = _instantiate(template, index, start, now, rng)
        if fits(spec):
            for key in people:
                busy.setdefault(key, []).append((start, end))
            return spec
    return None


def _instantiate(
    template: EventTemplate, index: int, start: dt.datetime, now: dt.datetime, rng: random.Random
) -> EventSpec:
    status = _status(template, start, start + dt.timedelta(minutes=template.minutes), now)
    ref = f"{REFERENCE_PREFIX}{index + 1:02d}"
    return instantiate(replace(template, status=status), ref, start, rng)


def _status(template: EventTemplate, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> str:
    if end <= now:
        return Event.Status.COMPLETED
    if start <= now:
        return Event.Status.CONFIRMED
    return template.status
