"""The shapes the demo world is written in: plain frozen records, no database access."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

HK = zoneinfo.ZoneInfo("Asia/Hong_Kong")


def hk(day: dt.date, hhmm: str) -> dt.datetime:
    """An aware Hong Kong time on a day, from "HH:MM"."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=HK)


@dataclass(frozen=True)
class SiteSpec:
    slug: str
    name: str
    name_zh: str
    address: str
    internal_travel_minutes: int


@dataclass(frozen=True)
class FacilitySpec:
    site: str  # site slug
    name: str
    kind: str
    capacity: int
    setup_minutes: int
    teardown_minutes: int
    hours: tuple[str, str] | None  # bookable ("HH:MM", "HH:MM") in the site's zone
    is_bookable: bool = True
    name_zh: str = ""
    description: str = ""


@dataclass(frozen=True)
class OrganisationSpec:
    slug: str
    name: str
    name_zh: str
    kind: str
    notes: str = ""


@dataclass(frozen=True)
class PersonSpec:
    key: str
    honorific: str
    name: str
    name_zh: str
    post: str
    organisation: str | None  # organisation slug
    email: str
    post_nominals: str = ""
    precedence_rank: int | None = None
    languages: str = ""
    dietary: str = ""
    accessibility: str = ""
    interpreter_needed: bool = False
    phone: str = ""
    notes: str = ""


@dataclass(frozen=True)
class ItemSpec:
    start: dt.datetime
    end: dt.datetime
    title: str
    kind: str
    facility: str | None = None  # facility name at the event's site
    roles: tuple[tuple[str, str], ...] = ()  # (person key, ProgrammeRole.Part) in speaking order
    host: str | None = None  # organisation slug of the tenant hosting a tour stop
    description: str = ""
    cue_notes: str = ""
    visibility: str = "public"


@dataclass(frozen=True)
class AttendeeSpec:
    person: str  # person key
    role: str
    rsvp: str = "accepted"
    guests: int = 0
    call_time: dt.datetime | None = None
    notes: str = ""


@dataclass(frozen=True)
class VehicleSpec:
    """One car of a delegation. Times are minutes from the event's start, so a template's car
    and the event made from it say the same; places are a facility of the event's site or a
    point named for the day, and the programme items are named by their titles."""

    plate: str
    make: str
    colour: str
    driver: str
    driver_phone: str
    passengers: tuple[str, ...]  # person keys
    contact: str = ""
    car_call: int | None = None  # minutes after the event starts
    drop_off: str | None = None  # facility name at the event's site
    drop_off_point: str = ""
    pick_up: str | None = None
    pick_up_point: str = ""
    arrival: str | None = None  # title of the event's arrival item
    departure: str | None = None  # title of the event's departure item


@dataclass(frozen=True)
class PassSpec:
    kind: str
    number: str = ""
    status: str = "requested"
    person: str | None = None  # person key, or
    plate: str | None = None  # the plate of one of the delegation's cars
    notes: str = ""


@dataclass(frozen=True)
class DelegationSpec:
    name: str
    name_zh: str = ""
    lead: str | None = None  # person key
    members: tuple[str, ...] = ()  # besides the lead and the passengers, who are members anyway
    vehicles: tuple[VehicleSpec, ...] = ()
    passes: tuple[PassSpec, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class EventSpec:
    reference: str
    title: str
    kind: str
    site: str  # site slug
    start: dt.datetime
    end: dt.datetime
    status: str  # where the event ends up; "completed" events are built confirmed, then closed
    visibility: str
    host: str | None = None
    title_zh: str = ""
    description: str = ""
    internal_notes: str = ""
    items: tuple[ItemSpec, ...] = ()
    attendees: tuple[AttendeeSpec, ...] = ()
    # (primary facility, rain-plan facility): the second is held as a backup of the first.
    backups: tuple[tuple[str, str], ...] = ()
    delegations: tuple[DelegationSpec, ...] = ()


@dataclass(frozen=True)
class ItemTemplate:
    offset: int  # minutes after the event starts
    minutes: int
    title: str
    kind: str
    facility: str | None = None
    roles: tuple[tuple[str, str], ...] = ()
    host: str | None = None
    cue_notes: str = ""
    visibility: str = "public"


@dataclass(frozen=True)
class EventTemplate:
    title: str
    kind: str
    site: str
    status: str
    visibility: str
    items: tuple[ItemTemplate, ...]
    attendees: tuple[tuple[str, str], ...]  # (person key, Attendance.Role)
    host: str | None = "hkstp"
    description: str = ""
    internal_notes: str = ""
    backups: tuple[tuple[str, str], ...] = ()
    delegations: tuple[DelegationSpec, ...] = ()

    @property
    def minutes(self) -> int:
        return max(item.offset + item.minutes for item in self.items)


@dataclass(frozen=True)
class BookingPlan:
    facility: str
    start: dt.datetime
    end: dt.datetime
    items: tuple[int, ...]  # indexes into EventSpec.items covered by this booking
    backup_of: str | None = None  # facility name of the primary booking


@dataclass(frozen=True)
class Buffers:
    setup_minutes: int
    teardown_minutes: int
    bookable: bool = True

    @property
    def gap(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.setup_minutes + self.teardown_minutes)


def booking_plans(spec: EventSpec, buffers: dict[str, Buffers]) -> list[BookingPlan]:
    """The bookings an event needs: one per bookable facility and run of items using it.

    Items in one facility are merged into one booking when their buffers would overlap (two
    bookings of one event must not clash either); items further apart get separate bookings.
    """
    by_facility: dict[str, list[int]] = {}
    for index, item in enumerate(spec.items):
        if item.facility and buffers[item.facility].bookable:
            by_facility.setdefault(item.facility, []).append(index)
    plans: list[BookingPlan] = []
    for name, indexes in by_facility.items():
        indexes.sort(key=lambda i: spec.items[i].start)
        runs: list[list[int]] = [[indexes[0]]]
        for index in indexes[1:]:
            previous_end = max(spec.items[i].end for i in runs[-1])
            if spec.items[index].start - previous_end < buffers[name].gap:
                runs[-1].append(index)
            else:
                runs.append([index])
        for run in runs:
            start = min(spec.items[i].start for i in run)
            end = max(spec.items[i].end for i in run)
            plans.append(BookingPlan(facility=name, start=start, end=end, items=tuple(run)))
    for primary, backup in spec.backups:
        for plan in [p for p in plans if p.facility == primary]:
            plans.append(BookingPlan(backup, plan.start, plan.end, plan.items, backup_of=primary))
    return sorted(plans, key=lambda p: (p.start, p.backup_of is not None, p.facility))
