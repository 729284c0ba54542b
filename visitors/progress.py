"""How a send is going: what the outbox holds for an event, and when it should be done.

The invitation console shows it ("6 of 8 sent, 1 failed", and an estimated finish for a large
send) and polls it while messages are still on their way.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from .models import Delivery

# Sends measured over this long before now give the pace when no relay limit is set.
PACE_WINDOW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class SendProgress:
    sent: int
    waiting: int  # queued, sending or retrying
    failed: int
    held: int  # awaiting staff approval
    per_minute: float | None  # the pace the estimate assumes
    finish: dt.datetime | None  # when the waiting ones should be out

    @property
    def total(self) -> int:
        return self.sent + self.waiting + self.failed

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "waiting": self.waiting,
            "failed": self.failed,
            "held": self.held,
            "total": self.total,
            "per_minute": self.per_minute,
            "finish": self.finish.isoformat() if self.finish else None,
        }


def send_progress(*, event_id: int, now: dt.datetime | None = None) -> SendProgress:
    """The event's messages by outcome (superseded ones left out: a newer one replaced them),
    with an estimated finish at the relay's limit, or at the pace of the last minutes' sends."""
    now = now or timezone.now()
    counts = dict(
        Delivery.objects.filter(event_id=event_id)
        .exclude(state=Delivery.State.SUPERSEDED)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    waiting = sum(
        counts.get(state, 0)
        for state in (Delivery.State.QUEUED, Delivery.State.SENDING, Delivery.State.RETRYING)
    )
    per_minute = _pace(now)
    finish = None
    if waiting and per_minute:
        finish = now + dt.timedelta(minutes=waiting / per_minute)
    return SendProgress(
        sent=counts.get(Delivery.State.SENT, 0),
        waiting=waiting,
        failed=counts.get(Delivery.State.FAILED, 0),
        held=counts.get(Delivery.State.HELD, 0),
        per_minute=per_minute,
        finish=finish,
    )


def _pace(now: dt.datetime) -> float | None:
    """Messages a minute: the relay's limit when one is set, else what went out lately."""
    if settings.INVITE_RATE_PER_MINUTE:
        return float(settings.INVITE_RATE_PER_MINUTE)
    recent = Delivery.objects.filter(
        state=Delivery.State.SENT, sent_at__gt=now - PACE_WINDOW
    ).count()
    return recent / (PACE_WINDOW.total_seconds() / 60) if recent else None
