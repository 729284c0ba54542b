"""Background work for invites (django-q2). Thin: ids in, ``visitors.invitations`` does the work.

Periodic tasks are registered as django-q2 Schedules after every migrate (see apps.py), like
scheduling's: the sweeper, which also sends retries and coalesced updates when they fall due,
the reminders, and reading replies from the organiser's mailbox (visitors/mailbox.py).
"""

from . import consents, mailbox, reminders, sending
from .arrivals import notices

# (name, dotted path, every n minutes)
PERIODIC = [
    ("Send due invites and recover stuck ones", "visitors.tasks.deliveries_sweep", 1),
    ("Queue reminder e-mails", "visitors.tasks.reminders_queue", 10),
    ("Read calendar replies from the organiser's mailbox", "visitors.tasks.replies_read", 1),
    ("Send due consent requests to hosts", "visitors.tasks.consent_messages_sweep", 5),
    ("Send due arrival notices to hosts", "visitors.tasks.arrival_notices_sweep", 1),
]


def deliveries_send(delivery_ids: list[int]) -> dict[str, int]:
    """Send these outbox rows (those still due); returns how many ended in each state."""
    rows = sending.deliveries_send(delivery_ids=delivery_ids)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return counts


def deliveries_sweep() -> int:
    """Enqueue due retries and updates, and rows a dead worker or a lost task left behind."""
    return len(sending.deliveries_sweep())


def reminders_queue() -> int:
    """Queue reminders for accepted attendees of events starting soon; returns how many."""
    return len(reminders.reminders_queue())


def replies_read() -> int:
    """Apply or keep for staff each new reply in the organiser's mailbox (IMAP_URL, if set)."""
    return len(mailbox.mailbox_read())


def consent_messages_send(message_ids: list[int]) -> int:
    """Send these consent requests to hosts (those still due and current); returns how many."""
    return len(consents.consent_messages_send(message_ids=message_ids))


def consent_messages_sweep() -> int:
    """Enqueue due retries of consent requests, and those a dead worker or lost task left."""
    return len(consents.consent_messages_sweep())


def arrival_notices_send(notice_ids: list[int]) -> int:
    """Tell hosts of arrivals (the notices still due); returns how many were claimed."""
    return len(notices.notices_send(notice_ids=notice_ids))


def arrival_notices_sweep() -> int:
    """Enqueue due retries of arrival notices, and those a dead worker or lost task left."""
    return len(notices.notices_sweep())
