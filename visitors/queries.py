"""Reads of attendee lists in domain words (``Attendance.objects``): who is expected, who
declined, who may be written to, headcounts, and the order of precedence."""

from django.db import models
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce

from . import precedence


class AttendanceQuerySet(models.QuerySet):
    """``Attendance.objects``. It names the answers through ``self.model`` (Attendance), whose
    module imports this one."""

    def in_precedence_order(self) -> "AttendanceQuerySet":
        return precedence.order_attendances(self)

    def expected(self) -> "AttendanceQuerySet":
        """Everyone not known to be staying away."""
        return self.exclude(rsvp=self.model.RSVP.DECLINED)

    def headcounts(self) -> "AttendanceQuerySet":
        """Expected people per event, each with their guests: rows of event_id and headcount
        (the capacity rule of bookings and of warnings)."""
        return (
            self.expected()
            .order_by()
            .values("event_id")
            .annotate(headcount=Count("pk") + Coalesce(Sum("guests"), 0))
        )

    def declined(self) -> "AttendanceQuerySet":
        """Attendees who said no: left out of a send to everyone (visitors.invitations)."""
        return self.filter(rsvp=self.model.RSVP.DECLINED)

    def cleared_to_send(self) -> "AttendanceQuerySet":
        """Attendees the office may write to: none whose invites await staff approval."""
        return self.filter(awaiting_approval=False)
