"""Reads in domain words: of attendee lists (``Attendance.objects``: who is expected, who
declined, who may be written to, headcounts, the order of precedence) and of people
(``Person.objects``: who is on file, who has an address)."""

from collections.abc import Iterable

from django.db import models
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, Lower

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


class PersonQuerySet(models.QuerySet):
    """``Person.objects``."""

    def on_file(self) -> "PersonQuerySet":
        """The office's people, not a partner's nominations (each partner's own namespace)."""
        return self.filter(proposed_by__isnull=True)

    def with_addresses(self, addresses: Iterable[str]) -> "PersonQuerySet":
        """People whose e-mail address is one of these, in any case. Written as the unique
        indexes on addresses are (Person.Meta: lower(email), where it is not empty), so the
        database looks each address up instead of reading every person on file."""
        wanted = sorted({address.lower() for address in addresses if address})
        return (
            self.exclude(email="")
            .annotate(email_lower=Lower("email"))
            .filter(email_lower__in=wanted)
            .order_by()  # a lookup: not the list's order of precedence
        )
