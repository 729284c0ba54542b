"""The event page: summary, status actions, reschedule, run-of-show, attendees and bookings."""

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scheduling import availability, services
from scheduling.models import Booking, Event, ProgrammeRole
from visitors.models import Attendance, Delivery

from ..forms import RescheduleForm, StatusForm
from ..warnings import event_warnings
from .common import (
    CHANGE_BOOKING,
    CHANGE_EVENT,
    VIEW_EVENT,
    add_service_error,
    bad_request,
    posted_id,
    refusal_text,
    staff_required,
    zone_label,
)

SUGGESTIONS_PER_DAY = 2


def event_queryset():
    return Event.objects.select_related("site", "host_organisation", "organiser")


@staff_required(VIEW_EVENT)
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(event_queryset(), pk=pk)
    return event_page(request, event, reschedule=RescheduleForm.for_event(event))


def event_page(
    request: HttpRequest,
    event: Event,
    *,
    reschedule: RescheduleForm,
    clash: services.BookingClash | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the event page (also with a refused reschedule form and its clash)."""
    programme = list(
        event.programme.select_related("facility", "host_organisation").prefetch_related(
            Prefetch("roles", queryset=ProgrammeRole.objects.select_related("person"))
        )
    )
    for item in programme:
        item.minutes = int((item.end - item.start).total_seconds() // 60)
    attendances = list(
        event.attendances.in_precedence_order().select_related("person__organisation")
    )
    latest = latest_deliveries(event)
    for attendance in attendances:
        attendance.latest_delivery = latest.get(attendance.person_id)
    bookings = list(event.bookings.select_related("facility").order_by("start", "id"))
    warnings = event_warnings(event_id=event.pk)
    for booking in bookings:
        booking.warnings = [w for w in warnings if w.booking_id == booking.pk]
    suggestions = []
    if clash is not None and reschedule.is_bound and reschedule.is_valid():
        suggestions = reschedule_suggestions(
            event, start=reschedule.cleaned_data["start"], end=reschedule.cleaned_data["end"]
        )
    context = {
        "event": event,
        "zone_label": zone_label(event.timezone, event.start),
        "actions": status_actions(event),
        "programme": programme,
        "attendances": attendances,
        "expected": sum(a.headcount for a in attendances if a.rsvp != Attendance.RSVP.DECLINED),
        "bookings": bookings,
        "has_held": any(b.status == Booking.Status.HELD for b in bookings),
        "event_warnings": [w for w in warnings if w.booking_id is None],
        "reschedule": reschedule,
        "clash": clash,
        "clash_slots": clash.suggestions["slots"] if clash else [],
        "reschedule_suggestions": suggestions,
        "is_open": bool(Event.TRANSITIONS[event.status]),
    }
    with timezone.override(event.zone):
        return render(request, "staff/event.html", context, status=status)


def status_actions(event: Event) -> list[tuple[str, str]]:
    """(status, button words) for each status the event may move to now, in lifecycle order."""
    words = {
        Event.Status.DRAFT: _("Back to draft"),
        Event.Status.TENTATIVE: _("Mark tentative"),
        Event.Status.CONFIRMED: _("Confirm"),
        Event.Status.POSTPONED: _("Postpone"),
        Event.Status.COMPLETED: _("Mark completed"),
        Event.Status.CANCELLED: _("Cancel event"),
    }
    allowed = Event.TRANSITIONS[event.status]
    return [(status, words[status]) for status in Event.Status.values if status in allowed]


def latest_deliveries(event: Event) -> dict[int, Delivery]:
    """The newest outbox row for each person of the event (one query)."""
    latest: dict[int, Delivery] = {}
    for delivery in Delivery.objects.filter(event=event).order_by(
        "-sequence", "-created_at", "-id"
    ):
        latest.setdefault(delivery.person_id, delivery)
    return latest


@require_POST
@staff_required(CHANGE_EVENT)
def event_status(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(Event, pk=pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect("staff:event", pk=event.pk)
    to, reason = form.cleaned_data["to"], form.cleaned_data["reason"]
    try:
        event = services.event_transition(event_id=event.pk, to=to, by=request.user, reason=reason)
    except ValidationError as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(
            request, _("The event is now %(status)s.") % {"status": event.get_status_display()}
        )
    return redirect("staff:event", pk=event.pk)


@require_POST
@staff_required(CHANGE_EVENT)
def event_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(event_queryset(), pk=pk)
    form = RescheduleForm(request.POST, zone=event.zone)
    if not form.is_valid():
        return event_page(request, event, reschedule=form, status=400)
    data = form.cleaned_data
    try:
        services.event_reschedule(
            event_id=event.pk,
            start=data["start"],
            end=data["end"],
            by=request.user,
            reason=data["reason"],
        )
    except services.BookingClash as clash:
        return event_page(request, event, reschedule=form, clash=clash, status=409)
    except ValidationError as error:
        add_service_error(form, error)
        return event_page(request, event, reschedule=form, status=400)
    messages.success(request, _("The event has moved; its programme and bookings moved with it."))
    return redirect("staff:event", pk=event.pk)


@require_POST
@staff_required(CHANGE_BOOKING)
def bookings_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm one held booking of the event (booking=<id>), or all of them."""
    event = get_object_or_404(Event, pk=pk)
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
            messages.error(request, f"{booking.facility}: {refusal_text(error)}")
        else:
            messages.success(
                request, _("%(facility)s is confirmed.") % {"facility": booking.facility}
            )
    return redirect("staff:event", pk=event.pk)


@dataclass(frozen=True)
class Suggestion:
    start: dt.datetime
    end: dt.datetime


def reschedule_suggestions(
    event: Event, *, start: dt.datetime, end: dt.datetime
) -> list[Suggestion]:
    """Times near the one asked (that local day and the next) at which every active booking of
    the event, moved by the same offset, is free: two queries.

    The reschedule service reports what a move clashes with but proposes no other time, since
    an event moves all its bookings together; this looks for a shift that suits all of them.
    """
    bookings = list(event.bookings.active())
    if not bookings:
        return []
    zone = event.zone
    day = start.astimezone(zone).date()
    widest = max(b.occupied_end - b.occupied_start for b in bookings)
    lead = max(event.start - b.occupied_start for b in bookings)
    range_start = dt.datetime.combine(day, dt.time(), tzinfo=zone) - lead - widest
    range_end = dt.datetime.combine(day + dt.timedelta(days=2), dt.time(), tzinfo=zone) + widest
    free = {
        found.facility_id: found.free
        for found in availability.availabilities(
            facility_ids=list({b.facility_id for b in bookings}),
            start=range_start,
            end=range_end,
            exclude_booking_ids=[b.pk for b in bookings],
        )
    }
    # Offsets (from the event's current start) at which each booking fits in a free interval;
    # what suits every booking is the intersection of those sets.
    feasible = [(range_start - event.start - widest, range_end - event.start)]
    for booking in bookings:
        fits = [
            (slot.start - booking.occupied_start, slot.end - booking.occupied_end)
            for slot in free.get(booking.facility_id, ())
            if slot.end - slot.start >= booking.occupied_end - booking.occupied_start
        ]
        feasible = _intersect(feasible, fits)
    length, wanted = end - start, start - event.start
    found: list[Suggestion] = []
    for offset in (0, 1):
        day_from = dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(), tzinfo=zone)
        day_to = day_from + dt.timedelta(days=1)
        target = dt.datetime.combine(day_from.date(), start.astimezone(zone).time(), tzinfo=zone)
        candidates = []
        for low, high in feasible:
            low = max(low, day_from - event.start)
            high = min(high, day_to - event.start - dt.timedelta(minutes=1))
            if low <= high:
                shift = min(max(target - event.start, low), high)
                candidates.append((abs(shift - (target - event.start)), shift))
        for _distance, shift in sorted(candidates)[:SUGGESTIONS_PER_DAY]:
            if shift != wanted:
                found.append(Suggestion(event.start + shift, event.start + shift + length))
    return found


def _intersect(
    a: list[tuple[dt.timedelta, dt.timedelta]], b: list[tuple[dt.timedelta, dt.timedelta]]
) -> list[tuple[dt.timedelta, dt.timedelta]]:
    """Intersection of two unions of closed ranges."""
    result = []
    for low_a, high_a in a:
        for low_b, high_b in b:
            low, high = max(low_a, low_b), min(high_a, high_b)
            if low <= high:
                result.append((low, high))
    return sorted(result)
