"""Background work for scheduling (django-q2). Thin: primitives in, services do the work.

Periodic tasks are registered as django-q2 Schedules after every migrate (see apps.py), so a
fresh installation and an upgraded one both run them without anyone clicking in the admin.
"""

from . import services

# (name, dotted path, every n minutes)
PERIODIC = [
    (
        "Release expired booking holds and backups",
        "scheduling.tasks.bookings_release_expired",
        5,
    ),
]


def bookings_release_expired() -> int:
    """Release holds past their expiry and backups past their deadline; returns how many."""
    return len(services.bookings_release_expired())
