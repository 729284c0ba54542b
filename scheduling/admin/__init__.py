"""The back office for scheduling: places, events and their programme, bookings, history."""

from . import bookings, events, history, places  # noqa: F401 (each registers its admins)
