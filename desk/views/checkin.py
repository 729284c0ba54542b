"""Check-in on the day: a phone-sized list of who is expected, search, one tap for arrival
(and one to undo it)."""

import datetime as dt
import zoneinfo
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scheduling.models import Event, Site
from visitors.models import Attendance
from visitors.services import attendance_check_in, attendance_check_in_undo

from .common import (
    CHANGE_ATTENDANCE,
    VIEW_ATTENDANCE,
    bad_request,
    query_day,
    refusal_text,
    safe_next,
    staff_required,
    zone_label,
)


@staff_required(VIEW_ATTENDANCE)
def checkin(request: HttpRequest) -> HttpResponse:
    sites = list(Site.objects.order_by("name"))
    site = next((s for s in sites if s.slug == request.GET.get("site")), None)
    zone = zoneinfo.ZoneInfo(site.timezone if site else settings.TIME_ZONE)
    try:
        day = query_day(request) or timezone.now().astimezone(zone).date()
    except ValidationError as error:
        return bad_request(request, error, back=reverse("staff:checkin"))
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    events = Event.objects.active().between(start, start + dt.timedelta(days=1))
    if site:
        events = events.filter(site=site)
    attendances = list(
        Attendance.objects.filter(event__in=events)
        .in_precedence_order()
        .select_related("person__organisation", "event")
    )
    expected = [a for a in attendances if a.rsvp != Attendance.RSVP.DECLINED]
    query = request.GET.get("q", "").strip()
    shown = [a for a in attendances if _matches(a, query)] if query else attendances
    context = {
        "sites": sites,
        "site": site,
        "day": day,
        "query": query,
        "attendances": shown,
        "expected_count": len(expected),
        "arrived_count": sum(1 for a in attendances if a.checked_in_at),
        "zone_label": zone_label(zone.key, start),
        "here": request.get_full_path(),
    }
    with timezone.override(zone):
        return render(request, "staff/checkin.html", context)


@require_POST
@staff_required(CHANGE_ATTENDANCE)
def checkin_arrive(request: HttpRequest, pk: int) -> HttpResponse:
    attendance = get_object_or_404(Attendance.objects.select_related("person"), pk=pk)
    try:
        attendance_check_in(attendance_id=attendance.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(request, _("%(name)s has arrived.") % {"name": attendance.person})
    return _back_to_list(request, attendance)


@require_POST
@staff_required(CHANGE_ATTENDANCE)
def checkin_undo(request: HttpRequest, pk: int) -> HttpResponse:
    attendance = get_object_or_404(Attendance.objects.select_related("person"), pk=pk)
    try:
        attendance_check_in_undo(attendance_id=attendance.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(
            request, _("%(name)s is no longer marked as arrived.") % {"name": attendance.person}
        )
    return _back_to_list(request, attendance)


def _back_to_list(request: HttpRequest, attendance: Attendance) -> HttpResponse:
    """To the list the tap came from (a local path only), at the attendee's row."""
    fallback = (
        reverse("staff:checkin") + "?" + urlencode({"date": timezone.localdate().isoformat()})
    )
    return redirect(safe_next(request, fallback) + f"#attendee-{attendance.pk}")


def _matches(attendance: Attendance, query: str) -> bool:
    """Case-insensitive match on either name, the post or the organisation (English or Chinese)."""
    person = attendance.person
    organisation = person.organisation
    haystack = " ".join(
        [
            person.display_name,
            person.post,
            organisation.name if organisation else "",
            organisation.name_zh if organisation else "",
        ]
    )
    return query.casefold() in haystack.casefold()
