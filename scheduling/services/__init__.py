"""Business writes for scheduling. Import them from here: ``from scheduling import services``."""

from ..clashes import BookingClash
from .bookings import (
    booking_confirm,
    booking_create,
    booking_expire,
    booking_hold,
    booking_move,
    booking_release,
    bookings_release_expired,
    bookings_shift_for_event,
)
from .closures import ClosureSaved, closure_create, closure_update
from .consent import (
    stop_consent_answer,
    stop_consent_request,
    stop_consents_ask_again,
    stop_consents_request,
)
from .embargo import event_release, events_due_for_release
from .events import (
    event_cancel,
    event_complete,
    event_confirm,
    event_create,
    event_reschedule,
    event_transition,
    event_update,
)
from .places import facility_update, site_update
from .programme import (
    programme_item_create,
    programme_item_delete,
    programme_item_move,
    programme_item_update,
)

__all__ = [
    "BookingClash",
    "booking_confirm",
    "booking_create",
    "booking_expire",
    "booking_hold",
    "booking_move",
    "booking_release",
    "bookings_release_expired",
    "bookings_shift_for_event",
    "ClosureSaved",
    "closure_create",
    "closure_update",
    "event_cancel",
    "event_complete",
    "event_confirm",
    "event_create",
    "event_release",
    "event_reschedule",
    "event_transition",
    "event_update",
    "events_due_for_release",
    "facility_update",
    "programme_item_create",
    "programme_item_delete",
    "programme_item_move",
    "programme_item_update",
    "site_update",
    "stop_consent_answer",
    "stop_consent_request",
    "stop_consents_ask_again",
    "stop_consents_request",
]
