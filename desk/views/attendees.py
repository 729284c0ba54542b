"""The attendee list on the event page: add one or several, edit, remove, and place in order.

Each posts to visitors.services; invites follow the list (a newcomer to a confirmed event
whose invites went out is sent one, a changed call time or role an update, a removal the
CANCEL), and the message says so.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from visitors import services
from visitors.models import Attendance

from ..forms import AttendanceOrderForm
from ..forms_event import AttendanceEditForm, AttendeeAddForm, AttendeesAddForm
from .common import CHANGE_ATTENDANCE, add_service_error, refused, staff_required
from .events import bench_refused, event_queryset
from .workbench import Workbench, back_to, outbox_mark, row_of_event, say_if_sent

ADD_ATTENDANCE = "visitors.add_attendance"
DELETE_ATTENDANCE = "visitors.delete_attendance"
ANCHOR = "attendees-heading"


@require_POST
@staff_required(ADD_ATTENDANCE)
def attendee_add(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(event_queryset(), pk=pk)
    form = AttendeeAddForm(request.POST, zone=event.zone)
    if form.is_valid():
        before = outbox_mark(event.pk)
        try:
            attendance = services.attendance_add(
                event_id=event.pk, by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            person = attendance.person
            messages.success(request, _("%(name)s is on the list.") % {"name": person})
            say_if_sent(
                request, event.pk, before, _("%(name)s will be sent the invite.") % {"name": person}
            )
            return back_to(event.pk, f"attendance-{attendance.pk}")
    return bench_refused(request, event, Workbench(attendee=form))


@require_POST
@staff_required(ADD_ATTENDANCE)
def attendees_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Several at once: a pasted list, everyone of an organisation, or both (all or none)."""
    event = get_object_or_404(event_queryset(), pk=pk)
    form = AttendeesAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        before = outbox_mark(event.pk)
        try:
            added, already = services.attendances_add(
                event_id=event.pk,
                person_ids=[person.pk for person in data["everyone"]],
                role=data["role"],
                by=request.user,
                confirmed_embargo=data["confirmed_embargo"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            count = len(added)
            said = ngettext(
                "%(count)d person added to the list.", "%(count)d people added to the list.", count
            )
            messages.success(request, said % {"count": count})
            if already:
                messages.info(
                    request,
                    _("Already on the list: %(names)s.")
                    % {
                        "names": ", ".join(
                            p.display_name for p in data["everyone"] if p.pk in already
                        )
                    },
                )
            say_if_sent(request, event.pk, before, _("Those added will be sent the invite."))
            return back_to(event.pk, ANCHOR)
    return bench_refused(request, event, Workbench(attendees=form))


@require_POST
@staff_required(CHANGE_ATTENDANCE)
def attendee_edit(request: HttpRequest, pk: int, attendance_pk: int) -> HttpResponse:
    """Role, call time, guests and notes of one attendee, edited in their row."""
    attendance = row_of_event(Attendance, attendance_pk, pk)
    event = get_object_or_404(event_queryset(), pk=pk)
    form = AttendanceEditForm(request.POST, zone=event.zone, prefix=f"a{attendance.pk}")
    if form.is_valid():
        before = outbox_mark(event.pk)
        try:
            attendance = services.attendance_update(
                attendance_id=attendance.pk, by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            person = attendance.person
            messages.success(request, _("%(name)s is saved.") % {"name": person})
            say_if_sent(
                request, event.pk, before, _("%(name)s will be sent an update.") % {"name": person}
            )
            return back_to(event.pk, f"attendance-{attendance.pk}")
    return bench_refused(request, event, Workbench(row=attendance.pk, row_form=form))


@require_POST
@staff_required(DELETE_ATTENDANCE)
def attendee_remove(request: HttpRequest, pk: int, attendance_pk: int) -> HttpResponse:
    """Take someone off the list; whoever may have the invite is sent a cancellation."""
    attendance = row_of_event(Attendance, attendance_pk, pk)
    person = attendance.person
    before = outbox_mark(pk)
    try:
        services.attendance_remove(attendance_id=attendance.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, refused(person, error))
        return back_to(pk, f"attendance-{attendance.pk}")
    messages.success(request, _("%(name)s is off the list.") % {"name": person})
    say_if_sent(request, pk, before, _("%(name)s will be sent a cancellation.") % {"name": person})
    return back_to(pk, ANCHOR)


@require_POST
@staff_required(CHANGE_ATTENDANCE)
def attendance_order(request: HttpRequest, pk: int, attendance_pk: int) -> HttpResponse:
    """Give one attendee a place in the event's order of precedence, or clear it (blank)."""
    attendance = row_of_event(
        Attendance.objects.select_related("event", "person"), attendance_pk, pk
    )
    form = AttendanceOrderForm(request.POST)
    try:
        attendance.event.refuse_if_final(closed=_("its list is closed"))  # as in the back office
        if not form.is_valid():
            raise ValidationError(form.errors["order_override"])
        attendance = services.attendance_update(
            attendance_id=attendance.pk, by=request.user, **form.cleaned_data
        )
    except ValidationError as error:
        messages.error(request, refused(attendance.person, error))
    else:
        place = attendance.order_override
        said = (
            _("%(name)s now follows the usual order of precedence.")
            if place is None
            else _("%(name)s is now number %(place)s in the order of precedence.")
        )
        messages.success(request, said % {"name": attendance.person, "place": place})
    return back_to(pk, f"attendance-{attendance.pk}")
