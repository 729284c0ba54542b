"""Arrival writes: check-in (by a tap or by code), its undo, and walk-ins at the door."""

import datetime as dt
from collections.abc import Collection

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.audit import stamp

from ..changes import attendance_changed
from ..models import Attendance
from ..services import _locked_attendance, attendance_add, person_create
from . import codes, notices
from .models import Arrival

MAX_GUESTS = 50


@transaction.atomic
def attendance_check_in(
    *,
    attendance_id: int,
    by: AbstractBaseUser | None = None,
    at: dt.datetime | None = None,
    guests: int | None = None,
) -> Attendance:
    """Record someone's arrival, with how many of their guests came (all of them unless told);
    idempotent: while an arrival stands, a second one changes nothing. The hosts of an attendee
    who notifies them are told after commit, once per arrival that is news: one recorded now,
    not back-dated (`at` given: recorded afterwards, for the record only)."""
    attendance = _locked_attendance(attendance_id)  # two doors tapping the same name
    standing = attendance.arrivals.filter(undone_at__isnull=True).first()
    if standing is not None:
        return attendance
    guests = attendance.guests if guests is None else guests
    if not 0 <= guests <= MAX_GUESTS:
        raise ValidationError(
            {"guests": _("Give between 0 and %(most)s guests.") % {"most": MAX_GUESTS}},
            code="guests",
        )
    arrival = Arrival.objects.create(
        attendance=attendance,
        at=at or timezone.now(),
        by=by if by is not None and by.is_authenticated else None,
        guests=guests,
    )
    attendance.checked_in_at = arrival.at
    stamp(attendance, by=by, reason=pgettext_lazy("history reason", "Checked in"))
    attendance.save(update_fields=["checked_in_at", "updated_at"])
    if at is None and attendance.notifies_hosts:
        notices.notices_queue(arrival=arrival)
    attendance_changed(attendance=attendance)
    return attendance


@transaction.atomic
def attendance_check_in_undo(
    *, attendance_id: int, by: AbstractBaseUser | None = None
) -> Attendance:
    """Take back a standing arrival, as when the wrong name was tapped (idempotent). The arrival
    stays on record, marked undone with when and by whom; hosts not yet told are not told."""
    attendance = _locked_attendance(attendance_id)
    standing = attendance.arrivals.filter(undone_at__isnull=True).first()
    if standing is None and attendance.checked_in_at is None:
        return attendance
    if standing is not None:
        standing.undone_at = timezone.now()
        standing.undone_by = by if by is not None and by.is_authenticated else None
        standing.save(update_fields=["undone_at", "undone_by"])
        notices.notices_withdraw(arrival=standing)
    attendance.checked_in_at = None
    stamp(attendance, by=by, reason=pgettext_lazy("history reason", "Arrival undone"))
    attendance.save(update_fields=["checked_in_at", "updated_at"])
    attendance_changed(attendance=attendance)
    return attendance


def attendance_for_code(*, code: str, event_ids: Collection[int]) -> Attendance:
    """The attendee whose check-in code this is, among these events' lists; ValidationError
    saying why not otherwise (no such code, or a code for another event)."""
    wanted = codes.normalised(code)
    if not wanted:
        raise ValidationError({"code": _("Type or scan a check-in code.")}, code="no_code")
    found = list(
        Attendance.objects.filter(checkin_code=wanted).select_related("event", "person")[:20]
    )
    allowed = set(event_ids)
    here = [attendance for attendance in found if attendance.event_id in allowed]
    if here:
        return here[0]
    if found:
        event = found[0].event
        raise ValidationError(
            {
                "code": _(
                    "Code %(code)s is for %(event)s on %(date)s, not for an event on this list."
                )
                % {
                    "code": codes.shown(wanted),
                    "event": event.title,
                    "date": formats.date_format(timezone.localtime(event.start), "DATE_FORMAT"),
                }
            },
            code="other_event",
        )
    raise ValidationError(
        {"code": _("No attendee has the code %(code)s.") % {"code": codes.shown(wanted)}},
        code="unknown_code",
    )


@transaction.atomic
def attendance_check_in_by_code(
    *, code: str, event_ids: Collection[int], by: AbstractBaseUser | None = None
) -> Attendance:
    """Check in the attendee whose code this is, if they are on one of these events' lists."""
    attendance = attendance_for_code(code=code, event_ids=event_ids)
    return attendance_check_in(attendance_id=attendance.pk, by=by)


@transaction.atomic
def walk_in_add(
    *,
    event_id: int,
    reason: str,
    name: str = "",
    name_zh: str = "",
    post: str = "",
    role: str = Attendance.Role.GUEST,
    guests: int = 0,
    by: AbstractBaseUser | None = None,
) -> Attendance:
    """Let in someone not on the list: a new person on file, added to the event as a walk-in
    with the reason given (required), and checked in at once. They take their place in the
    list's order of precedence as anyone would."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(
            {"reason": _("Say why someone not on the list is let in.")}, code="no_reason"
        )
    person = person_create(name=name.strip(), name_zh=name_zh.strip(), post=post.strip())
    attendance = attendance_add(
        event_id=event_id,
        person_id=person.pk,
        role=role,
        guests=guests,
        walk_in_reason=reason[:300],
        by=by,
    )
    return attendance_check_in(attendance_id=attendance.pk, by=by)
