"""The calendar: a site's facilities as rows and time as columns, per week or day, or an agenda.

Blocks are placed with percentages of the shown window (server-rendered, no script). Confirmed
and held bookings, closures and hours outside a facility's bookable hours each have their own
look and their own words, so colour is never the only signal. A booking whose event has
warnings (desk.warnings, computed from the data as it is now) is marked and carries them, as
does each event of the agenda. A page costs the same few queries whatever it shows: the sites,
then the facilities, closures and bookings (or the agenda's events) of the window, then the
warnings of all its events at once.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from scheduling.availability import bookable_window
from scheduling.models import Booking, Closure, Event, Facility, Site

from ..warnings import warnings_for_events
from .common import VIEW_EVENT, bad_request, query_day, staff_required, zone_label

VIEWS = ("week", "day", "agenda")


@dataclass(frozen=True)
class Block:
    """One thing on a facility's row, positioned in percent of the window."""

    kind: str  # confirmed | held | closure | hours | unbookable
    label: str  # the words that say what kind it is
    title: str
    when: str
    left: str
    width: str
    url: str = ""
    # The booking proper inside its set-up and teardown, in percent of the block.
    inner_left: str = "0"
    inner_width: str = "100"
    warnings: tuple[str, ...] = ()  # what staff should look at in the booking's event


@dataclass(frozen=True)
class Row:
    facility: Facility
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Tick:
    left: str
    label: str


@dataclass(frozen=True)
class Window:
    """The local days shown, and the same span as aware datetimes."""

    first_day: dt.date
    days: int
    zone: zoneinfo.ZoneInfo

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(), tzinfo=self.zone)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(
            self.last_day + dt.timedelta(days=1), dt.time(), tzinfo=self.zone
        )

    @property
    def last_day(self) -> dt.date:
        return self.first_day + dt.timedelta(days=self.days - 1)

    @property
    def dates(self) -> list[dt.date]:
        return [self.first_day + dt.timedelta(days=n) for n in range(self.days)]

    def percent(self, moment: dt.datetime) -> float:
        whole = (self.end - self.start).total_seconds()
        clipped = min(max(moment, self.start), self.end)
        return 100 * (clipped - self.start).total_seconds() / whole


@staff_required(VIEW_EVENT)
def calendar(request: HttpRequest) -> HttpResponse:
    sites = list(Site.objects.order_by("name"))
    site = _chosen_site(sites, request.GET.get("site"))
    view = request.GET.get("view") if request.GET.get("view") in VIEWS else "week"
    kind = request.GET.get("kind") if request.GET.get("kind") in Event.Kind.values else ""
    context = {"sites": sites, "site": site, "view": view, "kind": kind, "kinds": Event.Kind}
    if site is None:
        return render(request, "staff/calendar.html", context)
    zone = zoneinfo.ZoneInfo(site.timezone)
    try:
        day = query_day(request) or timezone.now().astimezone(zone).date()
    except ValidationError as error:
        return bad_request(request, error, back=reverse("staff:calendar"))
    window = (
        Window(day, 1, zone)
        if view == "day"
        else Window(day - dt.timedelta(day.weekday()), 7, zone)
    )
    context.update(
        window=window,
        day=day,
        zone_label=zone_label(site.timezone, window.start),
        navigation=_navigation(site, view, kind, day),
    )
    with timezone.override(zone):
        if view == "agenda":
            context["events"] = _agenda(site, window, kind)
        else:
            context["rows"] = _rows(site, window, kind)
            context["ticks"] = _ticks(window)
        return render(request, "staff/calendar.html", context)


def _chosen_site(sites: list[Site], slug: str | None) -> Site | None:
    return next((s for s in sites if s.slug == slug), sites[0] if sites else None)


def _query(site: Site, view: str, kind: str, day: dt.date) -> str:
    params = {"site": site.slug, "view": view, "date": day.isoformat()}
    if kind:
        params["kind"] = kind
    return "?" + urlencode(params)


def _navigation(site: Site, view: str, kind: str, day: dt.date) -> dict[str, str]:
    step = dt.timedelta(days=1 if view == "day" else 7)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(site.timezone)).date()
    links = {
        "previous": _query(site, view, kind, day - step),
        "next": _query(site, view, kind, day + step),
        "today": _query(site, view, kind, today),
    }
    links.update({name: _query(site, name, kind, day) for name in VIEWS})
    return links


def _agenda(site: Site, window: Window, kind: str) -> list[Event]:
    """Events of the site, or with a booking at the site, overlapping the window: one query."""
    events = (
        Event.objects.between(window.start, window.end)
        .filter(
            Q(site=site)
            | Q(pk__in=Booking.objects.active().filter(facility__site=site).values("event_id"))
        )
        .select_related("site")
        .order_by("start", "id")
    )
    if kind:
        events = events.filter(kind=kind)
    events = list(events)
    warnings = warnings_for_events(event_ids=[event.pk for event in events])
    for event in events:
        event.day = max(event.start, window.start).astimezone(window.zone).date()
        event.warnings = [warning.message for warning in warnings.get(event.pk, [])]
    return events


def _rows(site: Site, window: Window, kind: str) -> list[Row]:
    """One row per facility of the site with its bookings, closures and unbookable hours."""
    start, end = window.start, window.end
    facilities = list(site.facilities.order_by("name"))  # each row knows its site already
    closures = list(
        Closure.objects.filter(Q(site=site) | Q(facility__site=site), start__lt=end, end__gt=start)
    )
    bookings = (
        Booking.objects.occupying(start, end)
        .filter(facility__site=site)
        .select_related("event")
        .order_by("occupied_start", "id")
    )
    if kind:
        bookings = bookings.filter(event__kind=kind)
    bookings = list(bookings)
    warnings = warnings_for_events(event_ids={booking.event_id for booking in bookings})
    by_facility: dict[int, list[Block]] = {f.pk: [] for f in facilities}
    for closure in closures:
        for facility in facilities:
            if closure.facility_id in (None, facility.pk):
                by_facility[facility.pk].append(_closure_block(closure, window))
    for facility in facilities:
        by_facility[facility.pk] += _hours_blocks(facility, window)
    for booking in bookings:
        messages = tuple(warning.message for warning in warnings.get(booking.event_id, []))
        by_facility[booking.facility_id].append(_booking_block(booking, window, messages))
    return [Row(facility, tuple(by_facility[facility.pk])) for facility in facilities]


def _ticks(window: Window) -> list[Tick]:
    if window.days > 1:
        return [
            Tick(_pct(window.percent(_midnight(day, window.zone))), _day_label(day))
            for day in window.dates
        ]
    day = window.first_day
    return [
        Tick(
            _pct(window.percent(dt.datetime.combine(day, dt.time(hour), tzinfo=window.zone))),
            f"{hour:02d}:00",
        )
        for hour in range(0, 24, 2)
    ]


def _booking_block(booking: Booking, window: Window, warnings: tuple[str, ...]) -> Block:
    left, right = window.percent(booking.occupied_start), window.percent(booking.occupied_end)
    width = max(right - left, 0.0001)
    inner_left = 100 * (window.percent(booking.start) - left) / width
    inner_width = 100 * (window.percent(booking.end) - window.percent(booking.start)) / width
    held = booking.status == Booking.Status.HELD
    return Block(
        kind="held" if held else "confirmed",
        label=_("Held") if held else _("Confirmed"),
        title=booking.event.title,
        when=_span(booking.start, booking.end, window.zone),
        left=_pct(left),
        width=_pct(width),
        url=reverse("staff:event", args=[booking.event_id]),
        inner_left=_pct(inner_left),
        inner_width=_pct(inner_width),
        warnings=warnings,
    )


def _closure_block(closure: Closure, window: Window) -> Block:
    left, right = window.percent(closure.start), window.percent(closure.end)
    what = closure.get_reason_display()
    return Block(
        kind="closure",
        label=_("Closed") if closure.facility_id else _("Site closed"),
        title=f"{what}: {closure.note}" if closure.note else str(what),
        when=_span(closure.start, closure.end, window.zone),
        left=_pct(left),
        width=_pct(right - left),
    )


def _hours_blocks(facility: Facility, window: Window) -> list[Block]:
    """Shade what lies outside the bookable hours (or the whole row, if never bookable)."""
    if not facility.is_bookable:
        return [
            Block("unbookable", _("Not bookable"), "", "", "0", "100"),
        ]
    edges = [window.start]
    for day in window.dates:
        open_hours = bookable_window(facility, day)
        if open_hours is None:
            return []
        edges += [open_hours.start, open_hours.end]
    edges.append(window.end)
    label = _("Outside bookable hours")
    return [
        Block(
            "hours",
            label,
            "",
            "",
            _pct(window.percent(a)),
            _pct(window.percent(b) - window.percent(a)),
        )
        for a, b in zip(edges[::2], edges[1::2], strict=True)
        if b > a
    ]


def _midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def _day_label(day: dt.date) -> str:
    return dateformat.format(day, "D j M")


def _span(start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    a, b = start.astimezone(zone), end.astimezone(zone)
    if a.date() == b.date():
        return f"{dateformat.format(a, 'D j M')}, {a:%H:%M}–{b:%H:%M}"
    return f"{dateformat.format(a, 'D j M, H:i')} – {dateformat.format(b, 'D j M, H:i')}"


def _pct(value: float) -> str:
    return f"{value:.3f}"
