"""What every kind of event warning shares: the warning itself, its codes, and how times are
written in it (in the zone of the event it is shown on)."""

import dataclasses
import datetime as dt
import zoneinfo
from dataclasses import dataclass

from scheduling.models import Event
from scheduling.timezones import DAY_TIME, moment_label, written

# Between two sites with no TravelTime row in either direction: a cross-town drive in Hong Kong
# traffic, with a margin for getting a VIP party in and out of cars. Add a TravelTime row to
# replace the guess.
DEFAULT_TRAVEL_MINUTES = 45
# How far apart two of a person's events can be and still leave too little time to travel:
# no TravelTime row exceeds a day (its validator), nor does the default.
TRAVEL_HORIZON = dt.timedelta(days=1)

PERSON_DOUBLE_BOOKED = "person_double_booked"
TRAVEL_TIME = "travel_time"
OVER_CAPACITY = "over_capacity"
UNCONFIRMED_BOOKING = "unconfirmed_booking"
CLOSED_OVER_BOOKING = "closed_over_booking"
PERSON_TRAVEL_TIME = "person_travel_time"
STOP_CONSENT = "stop_consent"
PASSENGER_TWO_VEHICLES = "passenger_two_vehicles"
VEHICLE_WITHOUT_DRIVER = "vehicle_without_driver"
CAR_CALL_AFTER_DEPARTURE = "car_call_after_departure"


@dataclass(frozen=True)
class EventWarning:
    """One thing to check about an event, with a readable message and the ids it concerns."""

    code: str
    message: str
    event_id: int
    related_event_id: int | None = None
    item_ids: tuple[int, ...] = ()
    person_id: int | None = None
    booking_id: int | None = None
    facility_id: int | None = None
    closure_id: int | None = None
    minutes_needed: int | None = None
    minutes_available: int | None = None
    headcount: int | None = None
    capacity: int | None = None

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["item_ids"] = list(self.item_ids)
        return data


def _overlap(a_start: dt.datetime, a_end: dt.datetime, b_start, b_end) -> bool:
    """Half-open intervals: back to back is not an overlap."""
    return a_start < b_end and b_start < a_end


def _zone(event: Event) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(event.timezone)


def _clock(moment: dt.datetime, event: Event) -> str:
    return moment.astimezone(_zone(event)).strftime("%H:%M")


def _day(local: dt.datetime) -> str:
    return written(local, DAY_TIME)


def _clock_near(moment: dt.datetime, event: Event) -> str:
    """'11:45' on the event's first local day, else with the day: 'Tue 5 Mar 2030 09:00'."""
    local = moment.astimezone(_zone(event))
    return f"{local:%H:%M}" if local.date() == event.local_start.date() else _day(local)


def _span_on(start: dt.datetime, end: dt.datetime, event: Event, day: dt.date) -> str:
    """'10:30–11:30' within the given local day, else in full (_when)."""
    local_start, local_end = start.astimezone(_zone(event)), end.astimezone(_zone(event))
    if local_start.date() == local_end.date() == day:
        return f"{local_start:%H:%M}–{local_end:%H:%M}"
    return _when(start, end, event)


def _moment(moment: dt.datetime, event: Event) -> str:
    return moment_label(moment, event.timezone)


def _when(start: dt.datetime, end: dt.datetime, event: Event) -> str:
    """'Mon 4 Mar 2030 10:00–12:00 HKT' in the event's zone (dates repeated if days differ)."""
    local_start, local_end = start.astimezone(_zone(event)), end.astimezone(_zone(event))
    if local_start.date() == local_end.date():
        return f"{_day(local_start)}–{local_end:%H:%M} {local_end.tzname()}"
    return f"{_day(local_start)} – {_day(local_end)} {local_end.tzname()}"
