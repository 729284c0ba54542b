"""What the event page's workbench views share: the forms the page shows (blank, or the one
that was refused, bound, with its errors), the row of this event a URL names, the way back to a
section of the page, and telling staff when a change queued messages to attendees."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models import Count, Max, Model, Sum, TextField
from django.db.models.functions import Cast, Length
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from scheduling.clashes import BookingClash
from scheduling.models import Event, Facility, ProgrammeItem
from visitors.models import Delivery
from visitors.sequences import PENDING

from ..forms_event import (
    AttendanceEditForm,
    AttendeeAddForm,
    AttendeesAddForm,
    BookingForm,
    ProgrammeItemForm,
    site_facilities,
)


@dataclass
class Workbench:
    """The forms the event page shows; a refused one replaces its blank one. ``row`` is the
    attendance or booking whose in-place form was refused; ``clash`` a booking's clash."""

    programme: ProgrammeItemForm | None = None
    attendee: AttendeeAddForm | None = None
    attendees: AttendeesAddForm | None = None
    booking: BookingForm | None = None
    row: int | None = None
    row_form: object = None
    clash: BookingClash | None = None
    facilities: dict[int, Facility] = field(default_factory=dict)


def workbench_context(event: Event, bench: Workbench, *, programme, attendances, bookings):
    """The page's forms: each row's in-place form, and the add forms (blank unless refused)."""
    facilities = bench.facilities or site_facilities(event)
    parts = {"event": event, "facilities": facilities}
    for attendance in attendances:
        attendance.edit_form = (
            bench.row_form
            if bench.row == attendance.pk and isinstance(bench.row_form, AttendanceEditForm)
            else AttendanceEditForm.for_attendance(attendance)
        )
    for booking in bookings:
        booking.move_form = (
            bench.row_form
            if bench.row == booking.pk and isinstance(bench.row_form, BookingForm)
            else BookingForm.for_booking(booking, facilities=facilities)
        )
    clash = bench.clash
    return {
        "programme_form": bench.programme
        or ProgrammeItemForm.after_last(event, programme, facilities=facilities),
        "attendee_form": bench.attendee or AttendeeAddForm(zone=event.zone),
        "attendees_form": bench.attendees or AttendeesAddForm(),
        "booking_form": bench.booking or BookingForm.for_event(**parts),
        "open_row": bench.row,
        "booking_clash": clash,
        "booking_clash_row": bench.row if clash else None,
        "booking_slots": clash.suggestions["slots"] if clash else [],
        "booking_facilities": clash.suggestions["facilities"] if clash else [],
    }


def row_of_event(model: type[Model], pk: int, event_pk: int):
    """The row by its own key (a foreign key's lookup does not guard against ids past 64 bits),
    if it belongs to this event; else not found."""
    row = get_object_or_404(model, pk=pk)
    if row.event_id != event_pk:
        raise Http404("Not part of this event.")
    return row


def back_to(event_pk: int, anchor: str) -> HttpResponseRedirect:
    return redirect(reverse("staff:event", args=[event_pk]) + f"#{anchor}")


def outbox_mark(event_id: int) -> tuple:
    """What is waiting to be sent about the event, in three numbers: a change that queues,
    joins or supersedes a message changes them."""
    return tuple(
        Delivery.objects.filter(event_id=event_id, state__in=PENDING)
        .aggregate(rows=Count("pk"), last=Max("pk"), said=Sum(Length(Cast("changes", TextField()))))
        .values()
    )


def say_if_sent(request: HttpRequest, event_id: int, before: tuple, words: str) -> None:
    """Tell staff that attendees will hear of the change, if the change queued a message."""
    if outbox_mark(event_id) != before:
        messages.info(request, words)


def update_words() -> str:
    return _("Attendees will be sent an update.")


def item_of_event(item_pk: int, event_pk: int) -> ProgrammeItem:
    return row_of_event(ProgrammeItem, item_pk, event_pk)
