"""Check-in on the day: a phone-sized list of who is expected, search, one tap for arrival
(and one to undo it), a check-in code typed or scanned, and walk-ins let in at the door."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scheduling.models import Event, Site
from visitors.arrivals.models import Arrival
from visitors.arrivals.services import (
    attendance_check_in,
    attendance_check_in_by_code,
    attendance_check_in_undo,
    walk_in_add,
)
from visitors.models import Attendance

from ..forms_checkin import ArrivalForm, WalkInForm
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


@dataclass(frozen=True)
class Door:
    """The day (and site) a check-in page serves, and its events."""

    sites: list[Site]
    site: Site | None
    zone: zoneinfo.ZoneInfo
    day: dt.date
    start: dt.datetime

    def events(self):
        events = Event.objects.active().between(self.start, self.start + dt.timedelta(days=1))
        return events.filter(site=self.site) if self.site else events


def _door(request: HttpRequest, params: QueryDict) -> Door:
    """The page's day and site from its query (or the form that came from it)."""
    sites = list(Site.objects.order_by("name"))
    site = next((s for s in sites if s.slug == params.get("site")), None)
    zone = zoneinfo.ZoneInfo(site.timezone if site else settings.TIME_ZONE)
    day = query_day(request, params=params) or timezone.now().astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return Door(sites=sites, site=site, zone=zone, day=day, start=start)


@staff_required(VIEW_ATTENDANCE)
def checkin(request: HttpRequest) -> HttpResponse:
    try:
        door = _door(request, request.GET)
    except ValidationError as error:
        return bad_request(request, error, back=reverse("staff:checkin"))
    events = list(door.events().order_by("start", "pk"))
    record = Arrival.objects.select_related("by", "undone_by").order_by("at", "pk")
    attendances = list(
        Attendance.objects.filter(event__in=events)
        .in_precedence_order()
        .select_related("person__organisation", "event")
        .prefetch_related(Prefetch("arrivals", queryset=record))
    )
    expected = [a for a in attendances if a.rsvp != Attendance.RSVP.DECLINED]
    query = request.GET.get("q", "").strip()
    shown = [a for a in attendances if _matches(a, query)] if query else attendances
    standing = [
        arrival for a in attendances for arrival in a.arrivals.all() if not arrival.undone_at
    ]
    context = {
        "sites": door.sites,
        "site": door.site,
        "day": door.day,
        "query": query,
        "attendances": shown,
        "expected_count": len(expected),
        "arrived_count": len(standing),
        "arrived_headcount": sum(arrival.headcount for arrival in standing),
        "zone_label": zone_label(door.zone.key, door.start),
        "here": request.get_full_path(),
        "walk_in_form": WalkInForm(events=door.events()),
    }
    with timezone.override(door.zone):
        return render(request, "staff/checkin.html", context)


@require_POST
@staff_required(CHANGE_ATTENDANCE)
def checkin_arrive(request: HttpRequest, pk: int) -> HttpResponse:
    attendance = get_object_or_404(Attendance.objects.select_related("person"), pk=pk)
    form = ArrivalForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        attendance_check_in(
            attendance_id=attendance.pk, by=request.user, guests=form.cleaned_data["guests"]
        )
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


@require_POST
@staff_required(CHANGE_ATTENDANCE)
def checkin_code(request: HttpRequest) -> HttpResponse:
    """Check in whoever's code was typed or scanned, if they are on this page's list."""
    try:
        door = _door(request, request.POST)
        attendance = attendance_check_in_by_code(
            code=request.POST.get("code", ""),
            event_ids=list(door.events().values_list("pk", flat=True)),
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, refusal_text(error))
        return redirect(safe_next(request, reverse("staff:checkin")) + "#checkin-code")
    messages.success(request, _("%(name)s has arrived.") % {"name": attendance.person})
    return _back_to_list(request, attendance)


@require_POST
@staff_required(CHANGE_ATTENDANCE)
def checkin_walk_in(request: HttpRequest) -> HttpResponse:
    """Let in someone not on the list, with the reason, and check them in."""
    try:
        door = _door(request, request.POST)
        form = WalkInForm(request.POST, events=door.events())
        if not form.is_valid():
            raise ValidationError(form.errors)
        data = form.cleaned_data
        attendance = walk_in_add(event_id=data.pop("event").pk, by=request.user, **data)
    except ValidationError as error:
        messages.error(request, refusal_text(error))
        return redirect(safe_next(request, reverse("staff:checkin")) + "#walk-in")
    messages.success(request, _("%(name)s was let in as a walk-in.") % {"name": attendance.person})
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
