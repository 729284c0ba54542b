"""The calendar page: a resource timeline (EventCalendar) per week or day, for one site or all
sites, an agenda list, and on a phone the day's list per facility.

The timeline is drawn in the browser from ``calendar_data`` (static/staff/calendar.js); the
page itself gives the component its settings and draws what works without it: the filters, the
legend, the agenda and the phone's day list (shown instead of the timeline at 600 px or less).
Holding a slot and moving a booking post to ``calendar_actions``.
"""

import datetime as dt
import zoneinfo
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.models import Booking, Event, Site

from ..warnings import warnings_for_events
from .calendar_data import ALL_SITES, chosen_sites, day_list, gather, hours_shown
from .common import (
    ADD_BOOKING,
    CHANGE_BOOKING,
    VIEW_EVENT,
    bad_request,
    query_day,
    staff_required,
    zone_label,
)

# The vendored EventCalendar (static/vendor/event-calendar/<version>/): its one mention.
EVENT_CALENDAR_VERSION = "5.10.1"
EVENT_CALENDAR_FILES = {
    "js": f"vendor/event-calendar/{EVENT_CALENDAR_VERSION}/event-calendar.min.js",
    "css": f"vendor/event-calendar/{EVENT_CALENDAR_VERSION}/event-calendar.min.css",
}
VIEWS = ("week", "day", "agenda")


@staff_required(VIEW_EVENT)
def calendar(request: HttpRequest) -> HttpResponse:
    sites = list(Site.objects.order_by("name"))
    shown = chosen_sites(sites, request.GET.get("site"))
    view = request.GET.get("view") if request.GET.get("view") in VIEWS else "week"
    kind = request.GET.get("kind") if request.GET.get("kind") in Event.Kind.values else ""
    all_sites = request.GET.get("site") == ALL_SITES and bool(sites)
    slug = ALL_SITES if all_sites else (shown[0].slug if shown else "")
    context = {"sites": sites, "site": None if all_sites or not shown else shown[0]}
    context.update(all_sites=all_sites, view=view, kind=kind, kinds=Event.Kind, slug=slug)
    if not shown:
        return render(request, "staff/calendar.html", context)
    zone = zoneinfo.ZoneInfo(shown[0].timezone)
    try:
        day = query_day(request) or timezone.now().astimezone(zone).date()
    except ValidationError as error:
        return bad_request(request, error, back=reverse("staff:calendar"))
    first_day = day if view == "day" else day - dt.timedelta(day.weekday())
    days = 1 if view == "day" else 7
    context.update(
        day=day,
        first_day=first_day,
        last_day=first_day + dt.timedelta(days=days - 1),
        zone_label=zone_label(shown[0].timezone, dt.datetime.combine(day, dt.time(), zone)),
        navigation=_navigation(slug, view, kind, day, zone),
    )
    with timezone.override(zone):
        if view == "agenda":
            context["events"] = _agenda(shown, first_day, days, kind)
            return render(request, "staff/calendar.html", context)
        today = gather(sites=shown, first_day=day, days=1, kind=kind)
        context["day_rows"] = day_list(today)
        context["config"] = _config(request, slug, view, kind, day, hours_shown(today))
        context["event_calendar"] = EVENT_CALENDAR_FILES
        return render(request, "staff/calendar.html", context)


def _config(request, slug, view, kind, day, hours) -> dict:
    """What static/staff/calendar.js needs: where to fetch and post, and its words."""
    low, high = hours
    user = request.user
    return {
        "site": slug,
        "kind": kind,
        "date": day.isoformat(),
        "view": "resourceTimelineDay" if view == "day" else "resourceTimelineWeek",
        "slotMinTime": f"{low:%H:%M}",
        "slotMaxTime": "24:00" if high == dt.time.max else f"{high:%H:%M}",
        "canHold": user.has_perm(ADD_BOOKING),
        "canMove": user.has_perm(CHANGE_BOOKING),
        "urls": {
            "data": reverse("staff:calendar-data"),
            "candidates": reverse("staff:calendar-candidates"),
            "hold": reverse("staff:calendar-hold"),
            "move": reverse("staff:calendar-move", args=[0]),
            "event": reverse("staff:event", args=[0]),
        },
        "words": {
            "held": _("Held"),
            "confirmed": _("Confirmed"),
            # The script puts the minutes in: one sentence, so each language orders it its way.
            "buffers": _("%(when)s (set-up %(setup)s min, teardown %(teardown)s min)"),
            "warnings": _("Warnings"),
            "today": _("Today"),
            "day": _("Day"),
            "week": _("Week"),
            "loading": _("Loading…"),
            "failed": _("The calendar could not be loaded; reload the page to try again."),
            "moved": _("The booking has moved."),
            "held_ok": _("The slot is held for the event."),
            "refused": _("Not changed:"),
            "no_events": _("No open event at this site around that day."),
        },
    }


def _query(slug: str, view: str, kind: str, day: dt.date) -> str:
    params = {"site": slug, "view": view, "date": day.isoformat()}
    if kind:
        params["kind"] = kind
    return "?" + urlencode(params)


def _navigation(slug: str, view: str, kind: str, day: dt.date, zone) -> dict[str, str]:
    step = dt.timedelta(days=1 if view == "day" else 7)
    today = timezone.now().astimezone(zone).date()
    links = {
        "previous": _query(slug, view, kind, day - step),
        "next": _query(slug, view, kind, day + step),
        "today": _query(slug, view, kind, today),
        "previous_day": _query(slug, view, kind, day - dt.timedelta(days=1)),
        "next_day": _query(slug, view, kind, day + dt.timedelta(days=1)),
    }
    links.update({name: _query(slug, name, kind, day) for name in VIEWS})
    return links


def _agenda(sites: list[Site], first_day: dt.date, days: int, kind: str) -> list[Event]:
    """Events of the sites, or with a booking there, overlapping the week: one query."""
    zone = zoneinfo.ZoneInfo(sites[0].timezone)
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=zone)
    end = start + dt.timedelta(days=days)
    ids = [site.pk for site in sites]
    events = (
        Event.objects.between(start, end)
        .filter(
            Q(site_id__in=ids)
            | Q(
                pk__in=Booking.objects.active().filter(facility__site_id__in=ids).values("event_id")
            )
        )
        .select_related("site")
        .order_by("start", "id")
    )
    if kind:
        events = events.filter(kind=kind)
    events = list(events)
    warnings = warnings_for_events(event_ids=[event.pk for event in events])
    for event in events:
        event.day = max(event.start, start).astimezone(zone).date()
        event.warnings = [warning.message for warning in warnings.get(event.pk, [])]
    return events
