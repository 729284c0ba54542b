"""The event page: summary, status actions, reschedule, run-of-show, attendees, delegations in
short and bookings."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scheduling import services
from scheduling.clashes import event_move_suggestions
from scheduling.models import Booking, Event, ProgrammeRole
from scheduling.timezones import moment_label
from visitors.invitations import cancel_recipients
from visitors.models import Attendance, Delivery

from ..forms import CancelForm, RescheduleForm, StatusForm
from ..warnings import event_warnings
from .common import (
    CHANGE_EVENT,
    VIEW_DELEGATION,
    VIEW_EVENT,
    add_service_error,
    staff_required,
    zone_label,
)
from .workbench import Workbench, workbench_context


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
    status_form: StatusForm | None = None,
    clash: services.BookingClash | None = None,
    bench: Workbench | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the event page (also with a refused status, reschedule or workbench form, and
    its clash)."""
    programme = list(
        event.programme.select_related(
            "facility", "host_organisation", "consent__person"
        ).prefetch_related(
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
        suggestions = event_move_suggestions(
            event, start=reschedule.cleaned_data["start"], end=reschedule.cleaned_data["end"]
        )
    delegations = delegations_in_short(event)
    context = {
        "event": event,
        "zone_label": zone_label(event.timezone, event.start),
        "actions": status_actions(event),
        "status_form": status_form or StatusForm(),
        "programme": programme,
        "hosted_stops": any(item.host_organisation_id for item in programme),
        # The delegation's printables and lists, for staff who may read them.
        "delegation_printables": request.user.has_perm(VIEW_DELEGATION) and bool(delegations),
        "attendances": attendances,
        "expected": sum(a.headcount for a in attendances if a.rsvp != Attendance.RSVP.DECLINED),
        "bookings": bookings,
        "delegations": delegations,
        "has_held": any(b.status == Booking.Status.HELD for b in bookings),
        "event_warnings": [w for w in warnings if w.booking_id is None],
        "reschedule": reschedule,
        "clash": clash,
        "clash_slots": clash.suggestions["slots"] if clash else [],
        "reschedule_suggestions": suggestions,
        "is_open": bool(Event.TRANSITIONS[event.status]),
    }
    if context["is_open"]:
        context |= workbench_context(
            event,
            bench or Workbench(),
            programme=programme,
            attendances=attendances,
            bookings=bookings,
        )
    with timezone.override(event.zone):
        return render(request, "staff/event.html", context, status=status)


def delegations_in_short(event: Event) -> list:
    """The event's parties with their lead and how many members and cars (one query)."""
    return list(
        event.delegations.select_related("lead").annotate(
            member_count=Count("members", distinct=True),
            car_count=Count("vehicles", distinct=True),
        )
    )


def bench_refused(
    request: HttpRequest, event: Event, bench: Workbench, *, status: int = 400
) -> HttpResponse:
    """The event page again after a workbench form was refused: its errors beside its fields,
    and what the user typed kept."""
    reschedule = RescheduleForm.for_event(event)
    return event_page(request, event, reschedule=reschedule, bench=bench, status=status)


@dataclass(frozen=True)
class StatusAction:
    """A status button: the status it moves the event to, its words, and why it cannot be
    pressed yet (empty if it can)."""

    status: str
    words: str
    not_yet: str = ""


def status_actions(event: Event) -> list[StatusAction]:
    """A button for each status the lifecycle allows from here, in lifecycle order; completed
    waits (shown, not pressable) until the event has ended."""
    words = {
        Event.Status.DRAFT: _("Back to draft"),
        Event.Status.TENTATIVE: _("Mark tentative"),
        Event.Status.CONFIRMED: _("Confirm"),
        Event.Status.POSTPONED: _("Postpone"),
        Event.Status.COMPLETED: _("Mark completed"),
        Event.Status.CANCELLED: _("Cancel event…"),  # a link: cancelling asks first
    }
    not_yet = {}
    if not event.has_ended:
        not_yet[Event.Status.COMPLETED] = _(
            "Can be marked completed once it has ended (%(end)s)."
        ) % {"end": moment_label(event.end, event.timezone)}
    allowed = Event.TRANSITIONS[event.status]
    return [
        StatusAction(status, words[status], not_yet.get(status, ""))
        for status in Event.Status.values
        if status in allowed
    ]


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
    """Move the event to the status of the button pressed; a refusal (or no button: Enter in
    the reason box) shows the page again with the reason typed, and changes nothing."""
    event = get_object_or_404(event_queryset(), pk=pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            event = services.event_transition(
                event_id=event.pk, to=data["to"], by=request.user, reason=data["reason"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            status = event.get_status_display()
            messages.success(request, _("The event is now %(status)s.") % {"status": status})
            return redirect("staff:event", pk=event.pk)
    reschedule = RescheduleForm.for_event(event)
    return event_page(request, event, reschedule=reschedule, status_form=form, status=400)


@staff_required(CHANGE_EVENT)
def event_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancelling asks first: the page says who is sent a cancellation and which bookings are
    released, and asks why; only its own button (a POST here) cancels."""
    event = get_object_or_404(event_queryset(), pk=pk)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.event_cancel(
                event_id=event.pk, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The event is cancelled."))
            return redirect("staff:event", pk=event.pk)
    return cancel_page(request, event, form)


def cancel_page(request: HttpRequest, event: Event, form: CancelForm) -> HttpResponse:
    """The confirmation: who is sent a cancellation, what is released, and the reason asked."""
    recipients = list(cancel_recipients(event=event).in_precedence_order().select_related("person"))
    context = {
        "event": event,
        "zone_label": zone_label(event.timezone, event.start),
        "form": form,
        "recipients": recipients,
        "others": event.attendances.count() - len(recipients),
        "bookings": list(event.bookings.active().select_related("facility").order_by("start")),
    }
    with timezone.override(event.zone):
        status = 400 if form.errors else 200
        return render(request, "staff/event_cancel.html", context, status=status)


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
