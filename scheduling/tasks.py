"""Background work for scheduling (django-q2). Thin: primitives in, services do the work.

Periodic tasks are registered as django-q2 Schedules after every migrate (see apps.py), so a
fresh installation and an upgraded one both run them without anyone clicking in the admin.
"""

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone

from . import services

logger = logging.getLogger(__name__)

# (name, dotted path, every n minutes)
PERIODIC = [
    (
        "Release expired booking holds and backups",
        "scheduling.tasks.bookings_release_expired",
        5,
    ),
    (
        "Publish embargoed events whose release time has come",
        "scheduling.tasks.events_release_due",
        1,
    ),
]


def bookings_release_expired() -> int:
    """Release holds past their expiry and backups past their deadline; returns how many."""
    return len(services.bookings_release_expired())


def events_release_due() -> int:
    """Release every embargoed event whose time has come, each in its own transaction (one
    failure does not hold back the others); returns how many are now released. A retry or an
    overlapping run finds them released and does nothing."""
    now = timezone.now()
    released = 0
    for event_id in services.events_due_for_release(now=now):
        try:
            event = services.event_release(event_id=event_id, due_by=now)
        except ValidationError:
            logger.exception("Event %s could not be released from its embargo", event_id)
            continue
        released += event.release_at is None
    return released
