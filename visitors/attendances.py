"""Attendances following their event: call times move with it, and answers are reset when
its time or place changes (both kept in the audit trail)."""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from simple_history.utils import bulk_update_with_history

from core.audit import kept
from scheduling.models import Event

from .models import Attendance


def call_times_shift(*, event: Event, delta: dt.timedelta, by: AbstractBaseUser | None) -> int:
    """Move every call time of a moved event by the same offset."""
    called = list(event.attendances.filter(call_time__isnull=False))
    for attendance in called:
        attendance.call_time += delta
    return _save_all(
        called,
        ["call_time"],
        by=by,
        reason=pgettext_lazy("history reason", "Call time moved with the event"),
    )


def call_times_check(*, event: Event) -> None:
    """When only the event's window changed, every call time must still come before its end."""
    late = event.attendances.filter(call_time__gt=event.end).select_related("person").first()
    if late is not None:
        raise ValidationError(
            {
                "end": _("%(person)s's call time would come after the new end; change it first.")
                % {"person": late.person}
            },
            code="call_time_after_end",
        )


@transaction.atomic
def rsvps_reset(*, event: Event, by: AbstractBaseUser | None = None) -> int:
    """Set every answer for this event back to needs-action."""
    answered = list(event.attendances.exclude(rsvp=Attendance.RSVP.NEEDS_ACTION))
    for attendance in answered:
        attendance.rsvp = Attendance.RSVP.NEEDS_ACTION
        attendance.rsvp_at = None
    return _save_all(
        answered,
        ["rsvp", "rsvp_at"],
        by=by,
        reason=pgettext_lazy("history reason", "Answer reset: time or place changed"),
    )


def _save_all(
    rows: list[Attendance], fields: list[str], *, by: AbstractBaseUser | None, reason: str
) -> int:
    if rows:
        bulk_update_with_history(
            rows,
            Attendance,
            fields,
            default_user=by if getattr(by, "is_authenticated", False) else None,
            default_change_reason=kept(reason),
        )
    return len(rows)
