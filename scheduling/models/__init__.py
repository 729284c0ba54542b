"""Sites, facilities, events, their run-of-show and facility bookings (one module each).

Models hold data and the rules one row can check alone. Rules that span rows (clashes,
transitions with side effects) live in ``scheduling.services``.
"""

from .bookings import Booking, BookingQuerySet
from .consent import ConsentMessage, StopConsent
from .events import Event, EventQuerySet, ProgrammeItem, ProgrammeRole
from .places import Closure, Facility, Site, TravelTime
from .rules import MAX_BUFFER_MINUTES, MAX_OCCUPANCY, check_window, new_event_uid

__all__ = [
    "MAX_BUFFER_MINUTES",
    "MAX_OCCUPANCY",
    "Booking",
    "BookingQuerySet",
    "Closure",
    "ConsentMessage",
    "Event",
    "EventQuerySet",
    "Facility",
    "ProgrammeItem",
    "ProgrammeRole",
    "Site",
    "StopConsent",
    "TravelTime",
    "check_window",
    "new_event_uid",
]
