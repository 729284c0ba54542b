"""The calendar's data: what the timeline (EventCalendar) fetches for the range it shows, and
the day list a phone gets instead.

Rows are facilities, of one site or of every site (grouped by site). Bookings are drawn over
their occupied time, set-up and teardown included (the component draws those ends paler);
closures and hours outside a facility's bookable hours are background events. Every time is
written as the wall clock of the facility's site, without an offset: the component shows
"floating" times as they are, so a site's calendar reads in the site's zone whatever zone the
browser is in, and times sent back are read in that zone again.

Whatever the range holds, an answer costs the same queries: the sites, the facilities, the
closures and the bookings of the range (``values()``, the event's title joined), then the
warnings of all their events at once (desk.warnings).
"""

import datetime as dt
import functools
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import dateformat
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from scheduling.models import Booking, Closure, Event, Facility, Site
from scheduling.timezones import zone_label

from ..forms import validate_supported_year
from ..warnings import warnings_for_events
from .common import VIEW_EVENT, refusal_text, staff_required

ALL_SITES = "all"
# Shown when no facility of the view limits its hours: the office's working day.
DEFAULT_HOURS = (dt.time(7), dt.time(21))
MAX_RANGE = dt.timedelta(days=42)  # the widest range the component asks for (six weeks)
FACILITY_FIELDS = (
    "id",
    "site_id",
    "name",
    "name_zh",
    "kind",
    "capacity",
    "is_bookable",
    "bookable_from",
    "bookable_until",
)
BOOKING_FIELDS = (
    "id",
    "facility_id",
    "event_id",
    "status",
    "occupied_start",
    "occupied_end",
    "setup_minutes",
    "teardown_minutes",
    "event__title",
)


def chosen_sites(sites: list[Site], slug: str | None) -> list[Site]:
    """Every site for "all", the site of the slug, or the first site (none if there are none)."""
    if slug == ALL_SITES:
        return sites
    return [next((s for s in sites if s.slug == slug), sites[0])] if sites else []


@dataclass
class Gathered:
    """What one range of the calendar shows, read in a fixed number of queries."""

    sites: list[Site]
    facilities: list[dict[str, Any]]
    closures: list[dict[str, Any]]
    bookings: list[dict[str, Any]]
    warnings: dict[int, list[str]]
    zones: dict[int, zoneinfo.ZoneInfo] = field(default_factory=dict)  # by site id

    def local(self, site_id: int, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.zones[site_id]).replace(tzinfo=None)


def gather(*, sites: list[Site], first_day: dt.date, days: int, kind: str = "") -> Gathered:
    """Facilities, closures, bookings and warnings of the sites over local days
    [first_day, first_day + days), each site's days in its own zone."""
    zones = {site.pk: zoneinfo.ZoneInfo(site.timezone) for site in sites}
    after = first_day + dt.timedelta(days=days)
    start = min(dt.datetime.combine(first_day, dt.time(), tzinfo=z) for z in zones.values())
    end = max(dt.datetime.combine(after, dt.time(), tzinfo=z) for z in zones.values())
    site_ids = list(zones)
    order = {site.pk: n for n, site in enumerate(sites)}
    facilities = sorted(
        Facility.objects.filter(site_id__in=site_ids).values(*FACILITY_FIELDS),
        key=lambda f: (order[f["site_id"]], f["name"]),
    )
    site_of = {f["id"]: f["site_id"] for f in facilities}
    closures = list(
        Closure.objects.filter(
            Q(site_id__in=site_ids) | Q(facility__site_id__in=site_ids),
            start__lt=end,
            end__gt=start,
        )
        .order_by("start", "id")
        .values("id", "site_id", "facility_id", "start", "end", "reason", "note")
    )
    bookings = Booking.objects.occupying(start, end).filter(facility__site_id__in=site_ids)
    if kind:
        bookings = bookings.filter(event__kind=kind)
    rows = list(bookings.order_by("occupied_start", "id").values(*BOOKING_FIELDS))
    for row in rows:
        site = row["site_id"] = site_of[row["facility_id"]]
        zone = zones[site]
        # The booked time from the occupied one (what refresh_occupancy keeps), then each time
        # once in the site's zone: what everything below is drawn in (aware, so that a
        # thousand rows do not pay for dropping the zone; floating() writes them without it).
        occupied_start, occupied_end = row["occupied_start"], row["occupied_end"]
        row["start"] = occupied_start + dt.timedelta(minutes=row["setup_minutes"])
        row["end"] = occupied_end - dt.timedelta(minutes=row["teardown_minutes"])
        row["local_start"] = row["start"].astimezone(zone)
        row["local_end"] = row["end"].astimezone(zone)
        row["local_occupied_start"] = occupied_start.astimezone(zone)
        row["local_occupied_end"] = occupied_end.astimezone(zone)
    # The events by the same query as the rows (a subquery), not by thousands of ids.
    found = warnings_for_events(event_ids=bookings.values("event_id"))
    warnings = {pk: [w.message for w in listed] for pk, listed in found.items() if listed}
    return Gathered(sites, facilities, closures, rows, warnings, zones)


# --- The timeline's JSON ---------------------------------------------------------------------


@staff_required(VIEW_EVENT)
def calendar_data(request: HttpRequest) -> JsonResponse:
    """GET ?site=<slug>|all&start=<date>&end=<date>[&kind=]: resources, events, warnings and
    the hours to show, for the local days [start, end)."""
    try:
        first_day, days = _range(request)
    except ValidationError as error:
        return JsonResponse({"message": refusal_text(error)}, status=400)
    sites = chosen_sites(list(Site.objects.order_by("name")), request.GET.get("site"))
    if not sites:
        return JsonResponse({"resources": [], "events": [], "warnings": {}})
    kind = request.GET.get("kind") if request.GET.get("kind") in Event.Kind.values else ""
    gathered = gather(sites=sites, first_day=first_day, days=days, kind=kind)
    return JsonResponse(timeline_json(gathered, first_day=first_day, days=days))


def _range(request: HttpRequest) -> tuple[dt.date, int]:
    """The local days asked for: start and end are ISO dates (a time part, which the component
    adds, is ignored), end exclusive, at most MAX_RANGE apart."""
    days = []
    for name in ("start", "end"):
        raw = request.GET.get(name, "")[:10]
        try:
            day = dt.date.fromisoformat(raw) if raw.isascii() and len(raw) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise ValidationError(
                _("Give %(name)s as a date, YYYY-MM-DD.") % {"name": name}, code="invalid_date"
            )
        validate_supported_year(day)
        days.append(day)
    first, after = days
    if not dt.timedelta(days=1) <= after - first <= MAX_RANGE:
        raise ValidationError(
            _("The end must be 1 to 42 days after the start."), code="invalid_range"
        )
    return first, (after - first).days


def timeline_json(gathered: Gathered, *, first_day: dt.date, days: int) -> dict[str, Any]:
    low, high = hours_shown(gathered)
    language = get_language()
    events = [_booking_event(row, language) for row in gathered.bookings]
    events += _closure_events(gathered)
    events += _hours_events(gathered, first_day=first_day, days=days, low=low, high=high)
    return {
        "resources": _resources(gathered),
        "events": events,
        "warnings": gathered.warnings,
        "slotMinTime": f"{low:%H:%M}",
        "slotMaxTime": "24:00" if high == dt.time.max else f"{high:%H:%M}",
    }


def hours_shown(gathered: Gathered) -> tuple[dt.time, dt.time]:
    """The facilities' bookable hours, widened to whole hours and to any booking drawn outside
    them, so that nothing shown is cut off; dt.time.max stands for midnight at the end."""
    limited = [f for f in gathered.facilities if f["is_bookable"] and f["bookable_from"]]
    low, high = DEFAULT_HOURS
    if limited:
        low = min(f["bookable_from"] for f in limited)
        high = max(f["bookable_until"] for f in limited)
    for row in gathered.bookings:
        start, end = row["local_occupied_start"], row["local_occupied_end"]
        if start.date() != end.date() and end.time() != dt.time():
            return dt.time(), dt.time.max  # a booking over midnight: the whole day
        low = min(low, start.time())
        high = dt.time.max if end.time() == dt.time() else max(high, end.time())
    low = low.replace(minute=0, second=0, microsecond=0)
    if high != dt.time.max and (high.minute or high.second):
        high = dt.time.max if high.hour == 23 else dt.time(high.hour + 1)
    return low, high


def _resources(gathered: Gathered) -> list[dict[str, Any]]:
    by_site: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in gathered.facilities:
        by_site[f["site_id"]].append(
            {
                "id": str(f["id"]),
                "title": f["name"],
                "extendedProps": {
                    "zh": f["name_zh"],
                    "capacity": f["capacity"],
                    "hours": _hours_words(f),
                },
            }
        )
    if len(gathered.sites) == 1:
        return by_site[gathered.sites[0].pk]
    return [
        {
            "id": f"site-{site.pk}",
            "title": f"{site.name} ({zone_label(site.timezone)})",
            "children": by_site[site.pk],
        }
        for site in gathered.sites
    ]


def _hours_words(facility: dict[str, Any]) -> str:
    if not facility["is_bookable"]:
        return _("not bookable")
    if facility["bookable_from"] is None:
        return ""
    return _("bookable %(opens)s–%(closes)s") % {
        "opens": f"{facility['bookable_from']:%H:%M}",
        "closes": f"{facility['bookable_until']:%H:%M}",
    }


def floating(local: dt.datetime) -> str:
    """'2026-03-02T10:00:00': a local time as the component reads it, without an offset."""
    return local.isoformat(timespec="seconds")[:19]


def _booking_event(row: dict[str, Any], language: str | None) -> dict[str, Any]:
    return {
        "id": f"b{row['id']}",
        "resourceId": str(row["facility_id"]),
        "start": floating(row["local_occupied_start"]),
        "end": floating(row["local_occupied_end"]),
        "title": row["event__title"],
        "classNames": ["booking", row["status"]],
        "extendedProps": {
            "booking": row["id"],
            "event": row["event_id"],
            "status": row["status"],
            "setup": row["setup_minutes"],
            "teardown": row["teardown_minutes"],
            "when": span_text(row["local_start"], row["local_end"], language),
        },
    }


def _closure_events(gathered: Gathered) -> list[dict[str, Any]]:
    of_site: dict[int, list[str]] = defaultdict(list)
    site_of = {}
    for f in gathered.facilities:
        of_site[f["site_id"]].append(str(f["id"]))
        site_of[f["id"]] = f["site_id"]
    reasons = dict(Closure.Reason.choices)
    events = []
    for closure in gathered.closures:
        site = closure["site_id"] or site_of[closure["facility_id"]]
        what = str(reasons.get(closure["reason"], closure["reason"]))
        label = _("Closed") if closure["facility_id"] else _("Site closed")
        start = gathered.local(site, closure["start"])
        end = gathered.local(site, closure["end"])
        events.append(
            {
                "id": f"c{closure['id']}",
                "resourceIds": [str(closure["facility_id"])]
                if closure["facility_id"]
                else of_site[site],
                "start": start.isoformat(),
                "end": end.isoformat(),
                "display": "background",
                "classNames": ["closure"],
                "title": f"{label}: {what}" + (f": {closure['note']}" if closure["note"] else ""),
                "extendedProps": {"when": span_text(start, end)},
            }
        )
    return events


def _hours_events(
    gathered: Gathered, *, first_day: dt.date, days: int, low: dt.time, high: dt.time
) -> list[dict[str, Any]]:
    """Background for the hours shown in which a facility takes no booking: only where its
    hours are narrower than the hours shown, so a park of like facilities sends none."""
    events = []
    last = first_day + dt.timedelta(days=days)
    for f in gathered.facilities:
        resource = str(f["id"])
        if not f["is_bookable"]:
            events.append(_background(f"u{resource}", resource, first_day, last, "unbookable"))
            continue
        if f["bookable_from"] is None:
            continue
        opens, closes = f["bookable_from"], f["bookable_until"]
        for n in range(days):
            day = first_day + dt.timedelta(days=n)
            if opens > low:
                events.append(
                    _background(
                        f"h{resource}-{day}-a",
                        resource,
                        dt.datetime.combine(day, low),
                        dt.datetime.combine(day, opens),
                        "hours",
                    )
                )
            if high == dt.time.max or closes < high:
                end = day + dt.timedelta(days=1) if high == dt.time.max else None
                events.append(
                    _background(
                        f"h{resource}-{day}-b",
                        resource,
                        dt.datetime.combine(day, closes),
                        dt.datetime.combine(end, dt.time())
                        if end
                        else dt.datetime.combine(day, high),
                        "hours",
                    )
                )
    return events


def _background(
    key: str, resource: str, start: dt.date | dt.datetime, end: dt.date | dt.datetime, kind: str
) -> dict[str, Any]:
    title = _("Not bookable") if kind == "unbookable" else _("Outside bookable hours")
    if isinstance(start, dt.datetime):
        start, end = start.isoformat(), end.isoformat()
    else:
        start, end = f"{start}T00:00:00", f"{end}T00:00:00"
    return {
        "id": key,
        "resourceId": resource,
        "start": start,
        "end": end,
        "display": "background",
        "classNames": [kind],
        "title": title,
    }


def span_text(start: dt.datetime, end: dt.datetime, language: str | None = None) -> str:
    """'Mon 4 Mar, 10:00–12:00', or with both dates when it runs past a day (in `language`,
    the active one unless given: a long list looks it up once)."""
    language = language or get_language()
    if start.date() == end.date():
        return f"{_day_words(start.date(), language)}, {_clock(start)}–{_clock(end)}"
    first, last = (_day_words(moment.date(), language) for moment in (start, end))
    return f"{first}, {_clock(start)} – {last}, {_clock(end)}"


def _clock(moment: dt.datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"  # strftime's %H:%M, at a third of its cost


@functools.lru_cache(maxsize=512)
def _day_words(day: dt.date, language: str | None) -> str:
    # Django's dateformat, which translates day and month names, costs a few hundred
    # microseconds a call: a week of 4,000 bookings names the same seven days.
    return dateformat.format(day, "D j M")


# --- The phone's day list ----------------------------------------------------------------------


@dataclass(frozen=True)
class DayItem:
    kind: str  # confirmed | held | closure
    label: str
    title: str
    when: str
    url: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class DayRow:
    facility: dict[str, Any]
    site: Site
    hours: str
    items: tuple[DayItem, ...]


def day_list(gathered: Gathered) -> list[DayRow]:
    """One row per facility with the day's bookings and closures, in time order."""
    sites = {site.pk: site for site in gathered.sites}
    items: dict[int, list[tuple[dt.datetime, DayItem]]] = defaultdict(list)
    of_site: dict[int, list[int]] = defaultdict(list)
    for f in gathered.facilities:
        of_site[f["site_id"]].append(f["id"])
    reasons = dict(Closure.Reason.choices)
    for closure in gathered.closures:
        targets = [closure["facility_id"]] if closure["facility_id"] else None
        site = closure["site_id"] or next(
            f["site_id"] for f in gathered.facilities if f["id"] == closure["facility_id"]
        )
        what = str(reasons.get(closure["reason"], closure["reason"]))
        start, end = gathered.local(site, closure["start"]), gathered.local(site, closure["end"])
        item = DayItem(
            "closure",
            _("Closed") if closure["facility_id"] else _("Site closed"),
            f"{what}: {closure['note']}" if closure["note"] else what,
            span_text(start, end),
        )
        for facility_id in targets or of_site[site]:
            items[facility_id].append((closure["start"], item))
    for row in gathered.bookings:
        held = row["status"] == Booking.Status.HELD
        start, end = row["local_start"], row["local_end"]
        item = DayItem(
            "held" if held else "confirmed",
            _("Held") if held else _("Confirmed"),
            row["event__title"],
            f"{start:%H:%M}–{end:%H:%M}" if start.date() == end.date() else span_text(start, end),
            reverse("staff:event", args=[row["event_id"]]),
            tuple(gathered.warnings.get(row["event_id"], ())),
        )
        items[row["facility_id"]].append((row["occupied_start"], item))
    return [
        DayRow(
            f,
            sites[f["site_id"]],
            _hours_words(f),
            tuple(item for _at, item in sorted(items[f["id"]], key=lambda pair: pair[0])),
        )
        for f in gathered.facilities
    ]
