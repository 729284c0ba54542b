"""The event's bookings on the event page: hold, move, release and confirm.

Each posts to scheduling.services (booking_*). A clash is shown in place with what occupies
the facility (staff/_clash.html) and the free times and facilities nearby as buttons that
send the same form again with them; a move of a confirmed event's main facility queues the
update the change pipeline sends, and the message says so.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from scheduling import services
from scheduling.models import Booking

from ..forms_event import BookingForm, site_facilities
from .common import (
    ADD_BOOKING,
    CHANGE_BOOKING,
    add_service_error,
    bad_request,
    posted_id,
    refused,
    staff_required,
)
from .events import bench_refused, event_queryset
from .workbench import (
    Workbench,
    back_to,
    outbox_mark,
    row_of_event,
    say_if_sent,
    update_words,
)

ANCHOR = "bookings-heading"


@require_POST
@staff_required(ADD_BOOKING)
def booking_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Hold a facility of the event's site for the event."""
    event = get_object_or_404(event_queryset(), pk=pk)
    facilities = site_facilities(event)
    form = BookingForm(request.POST, event=event, facilities=facilities)
    bench = Workbench(booking=form, facilities=facilities)
    if form.is_valid():
        data = form.cleaned_data
        try:
            booking = services.booking_hold(
                event_id=event.pk,
                facility_id=data["facility"],
                start=data["start"],
                end=data["end"],
                capacity_override_reason=data["capacity_override_reason"],
                by=request.user,
            )
        except services.BookingClash as clash:
            bench.clash = clash
            return bench_refused(request, event, bench, status=409)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            said = _("%(facility)s is held for the event.") % {"facility": booking.facility}
            messages.success(request, said)
            return back_to(event.pk, f"booking-{booking.pk}")
    return bench_refused(request, event, bench, status=400)


@require_POST
@staff_required(CHANGE_BOOKING)
def booking_move(request: HttpRequest, pk: int, booking_pk: int) -> HttpResponse:
    """New times or another facility for a booking, if free then."""
    booking = row_of_event(Booking, booking_pk, pk)
    event = get_object_or_404(event_queryset(), pk=pk)
    facilities = site_facilities(event)
    form = BookingForm(request.POST, event=event, facilities=facilities, prefix=f"b{booking.pk}")
    bench = Workbench(row=booking.pk, row_form=form, facilities=facilities)
    if form.is_valid():
        data = form.cleaned_data
        before = outbox_mark(event.pk)
        try:
            booking = services.booking_move(
                booking_id=booking.pk,
                facility_id=data["facility"],
                start=data["start"],
                end=data["end"],
                capacity_override_reason=data["capacity_override_reason"] or None,
                by=request.user,
            )
        except services.BookingClash as clash:
            bench.clash = clash
            return bench_refused(request, event, bench, status=409)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(facility)s is moved.") % {"facility": booking.facility})
            say_if_sent(request, event.pk, before, update_words())
            return back_to(event.pk, f"booking-{booking.pk}")
    return bench_refused(request, event, bench, status=400)


@require_POST
@staff_required(CHANGE_BOOKING)
def booking_release(request: HttpRequest, pk: int, booking_pk: int) -> HttpResponse:
    booking = row_of_event(Booking.objects.select_related("facility"), booking_pk, pk)
    before = outbox_mark(pk)
    try:
        services.booking_release(
            booking_id=booking.pk,
            by=request.user,
            reason=pgettext_lazy("history reason", "Released by staff"),
        )
    except ValidationError as error:
        messages.error(request, refused(booking.facility, error))
    else:
        messages.success(request, _("%(facility)s is released.") % {"facility": booking.facility})
        say_if_sent(request, pk, before, update_words())
    return back_to(pk, f"booking-{booking.pk}")


@require_POST
@staff_required(CHANGE_BOOKING)
def bookings_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm one held booking of the event (booking=<id>), or all of them."""
    event = get_object_or_404(event_queryset(), pk=pk)
    try:
        booking_id = posted_id(
            request, "booking", refusal=_("The booking to confirm must be given by its number.")
        )
    except ValidationError as error:
        return bad_request(request, error, back=reverse("staff:event", args=[event.pk]))
    held = event.bookings.filter(status=Booking.Status.HELD).select_related("facility")
    if booking_id is not None:
        held = held.filter(pk=booking_id)
    for booking in held:
        try:
            services.booking_confirm(booking_id=booking.pk, by=request.user)
        except ValidationError as error:
            messages.error(request, refused(booking.facility, error))
        else:
            messages.success(
                request, _("%(facility)s is confirmed.") % {"facility": booking.facility}
            )
    return back_to(event.pk, ANCHOR)
