"""Generated upcoming events and closures, so that the next eight weeks of the calendar are busy.

Everything is drawn from a seeded ``random.Random`` relative to the day the demo is loaded:
weekdays, office hours, and slots that clash with nothing already planned or booked.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from scheduling.models import Closure, Event
from visitors.models import Attendance

from . import world as w
from .specs import HK, AttendeeSpec, EventSpec, EventTemplate, ItemSpec, hk
from .upcoming_templates import TEMPLATES

Role, RSVP = Attendance.Role, Attendance.RSVP

WEEKS_AHEAD = 8
SEED = 20211126  # the INNOPARK activation day
REFERENCE_PREFIX = "DEMO-UP-"
CLOSURE_NOTE_PREFIX = "Demo: "
EARLIEST_MINUTE, LATEST_MINUTE = 9 * 60, 18 * 60  # generated events keep to office hours


def reference(index: int) -> str:
    return f"{REFERENCE_PREFIX}{index + 1:02d}"


def window(today: dt.date) -> list[dt.date]:
    """The weekdays from tomorrow to eight weeks ahead."""
    days = (today + dt.timedelta(days=n) for n in range(1, WEEKS_AHEAD * 7 + 1))
    return [day for day in days if day.weekday() < 5]


def instantiate(
    template: EventTemplate, ref: str, start: dt.datetime, rng: random.Random
) -> EventSpec:
    """The template as an event at start, with answers drawn from rng to suit its status."""
    items = tuple(
        ItemSpec(
            start + dt.timedelta(minutes=item.offset),
            start + dt.timedelta(minutes=item.offset + item.minutes),
            item.title,
            item.kind,
            item.facility,
            item.roles,
            item.host,
            cue_notes=item.cue_notes,
            visibility=item.visibility,
        )
        for item in template.items
    )
    attendees = tuple(
        _attendee(template, key, role, start, rng) for key, role in template.attendees
    )
    return EventSpec(
        reference=ref,
        title=template.title,
        kind=template.kind,
        site=template.site,
        start=start,
        end=start + dt.timedelta(minutes=template.minutes),
        status=template.status,
        visibility=template.visibility,
        host=template.host,
        description=template.description,
        internal_notes=template.internal_notes,
        items=items,
        attendees=attendees,
        backups=template.backups,
        delegations=template.delegations,
    )


def _attendee(
    template: EventTemplate, key: str, role: str, start: dt.datetime, rng: random.Random
) -> AttendeeSpec:
    call_before = {Role.STAFF: 90, Role.ESCORT: 45, Role.MEDIA: 30}.get(role)
    call_time = start - dt.timedelta(minutes=call_before) if call_before else None
    if template.status == Event.Status.DRAFT:
        rsvp = RSVP.NEEDS_ACTION  # nobody has been asked yet
    elif role in (Role.STAFF, Role.ESCORT):
        rsvp = RSVP.ACCEPTED
    elif template.status == Event.Status.TENTATIVE:
        rsvp = rng.choice([RSVP.ACCEPTED, RSVP.TENTATIVE, RSVP.NEEDS_ACTION])
    else:
        rsvp = rng.choice(
            [RSVP.ACCEPTED, RSVP.ACCEPTED, RSVP.ACCEPTED, RSVP.TENTATIVE, RSVP.DECLINED]
        )
    guests = rng.choice([0, 0, 1]) if role == Role.GUEST else 0
    if key == "eleanor-hughes":
        guests = 2  # the two other members of her delegation
    return AttendeeSpec(key, role, rsvp=rsvp, guests=guests, call_time=call_time)


def plan_events(
    today: dt.date,
    *,
    fits: Callable[[EventSpec], bool],
    rng: random.Random | None = None,
    around: tuple[EventSpec, ...] = (),
) -> list[EventSpec]:
    """Place every template on a weekday slot where fits() holds.

    No person gets two events on one day, counting those already planned around. fits() must
    also record what it accepts so that later events avoid it. A template with no free slot in
    400 tries is left out.
    """
    rng = rng or random.Random(SEED)
    days = window(today)
    busy_days: dict[str, set[dt.date]] = {}
    for spec in around:
        for attendee in spec.attendees:
            busy_days.setdefault(attendee.person, set()).add(spec.start.astimezone(HK).date())
    planned = []
    for index, template in enumerate(TEMPLATES):
        ref = reference(index)
        starts = [
            f"{minute // 60:02d}:{minute % 60:02d}"
            for minute in range(EARLIEST_MINUTE, LATEST_MINUTE - template.minutes + 1, 30)
        ]
        people = {key for key, _role in template.attendees}
        for _attempt in range(400):
            day, hhmm = rng.choice(days), rng.choice(starts)
            if any(day in busy_days.get(key, ()) for key in people):
                continue
            spec = instantiate(template, ref, hk(day, hhmm), rng)
            if fits(spec):
                for key in people:
                    busy_days.setdefault(key, set()).add(day)
                planned.append(spec)
                break
    return planned


@dataclass(frozen=True)
class ClosureSpec:
    start: dt.datetime
    end: dt.datetime
    reason: str
    note: str
    site: str | None = None
    facility: str | None = None  # facility name (unique across the demo sites)


def plan_closures(today: dt.date, rng: random.Random | None = None) -> list[ClosureSpec]:
    """The next public holiday (every site closed) and one day of maintenance on a hall."""
    rng = rng or random.Random(SEED)
    closures = []
    days = window(today)
    holiday = next_public_holiday(today, until=days[-1])
    if holiday:
        day, name = holiday
        start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=HK)
        for site in w.SITES:
            closures.append(
                ClosureSpec(
                    start,
                    start + dt.timedelta(days=1),
                    Closure.Reason.PUBLIC_HOLIDAY,
                    f"{CLOSURE_NOTE_PREFIX}{name}",
                    site=site.slug,
                )
            )
    day = rng.choice(days)
    closures.append(
        ClosureSpec(
            hk(day, "08:00"),
            hk(day, "18:00"),
            Closure.Reason.MAINTENANCE,
            f"{CLOSURE_NOTE_PREFIX}stage lighting and rigging inspection",
            facility=w.HKSP_AUDITORIUM,
        )
    )
    return closures


# First day of the Lunar New Year holidays; the other general holidays below follow rules.
LUNAR_NEW_YEAR = {
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
    2031: dt.date(2031, 1, 23),
}


def next_public_holiday(today: dt.date, *, until: dt.date) -> tuple[dt.date, str] | None:
    """The first Hong Kong general holiday after today and no later than until, if any."""
    found = []
    for year in range(today.year, until.year + 1):
        found += [
            (dt.date(year, 1, 1), "The first day of January"),
            (_easter(year) - dt.timedelta(days=2), "Good Friday"),
            (_easter(year) + dt.timedelta(days=1), "Easter Monday"),
            (dt.date(year, 5, 1), "Labour Day"),
            (dt.date(year, 7, 1), "Hong Kong Special Administrative Region Establishment Day"),
            (dt.date(year, 10, 1), "National Day"),
            (dt.date(year, 12, 25), "Christmas Day"),
        ]
        if year in LUNAR_NEW_YEAR:
            found.append((LUNAR_NEW_YEAR[year], "Lunar New Year's Day"))
    upcoming = sorted(item for item in found if today < item[0] <= until)
    return upcoming[0] if upcoming else None


def _easter(year: int) -> dt.date:
    """Western Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    lo = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * lo) // 451
    month, day = divmod(h + lo - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)
