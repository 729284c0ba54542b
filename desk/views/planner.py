"""The visit planner: one form for a site inspection, checked before it is saved.

"Check" proposes each stop's time (travel included), draws the itinerary as a timeline strip
and shows what saving would clash with, with the free alternatives, and the warnings; nothing
is kept. "Save" creates the event, its programme and held bookings in one transaction, or
nothing. A suggested facility or time can be taken with one button, which rewrites the form and
checks again. No script is needed: static/staff/planner.js only narrows the stops' facilities
to the site as soon as it is chosen, where without it the page is sent again ("site").
"""

import datetime as dt
import zoneinfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.models import Site
from visitors.models import Attendance

from ..forms import FIRST_YEAR, LAST_YEAR, MAX_PARTY, PartyFormSet, StopFormSet, VisitForm
from ..visits import MAX_STOPS, VisitCheck, VisitProposal, stop_places, visit_check, visit_create
from .common import ADD_BOOKING, ADD_EVENT, add_service_error, staff_required, zone_label

PREFIX = "stops"
PARTY = "party"
BLANK_ROWS = 4
BLANK_PEOPLE = 4
ACTIONS = ("check", "save", "add_stop", "add_person", "site")
SUPPORTED_MINUTES = (LAST_YEAR - FIRST_YEAR + 1) * 366 * 24 * 60


@staff_required(ADD_EVENT, ADD_BOOKING)
def planner(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        site = _site(request.GET.get("site"))
        form = VisitForm(initial={"site": site} if site else None)
        return _render(request, form, _blank_stops(site), _blank_party())
    try:
        data, action = _apply_choice(request.POST)
    except ValidationError as refusal:  # a suggestion that cannot be taken: keep what was typed
        form, stops, party = _bound(request.POST)
        add_service_error(form, refusal)
        return _render(request, form, stops, party, status=400)
    if action == "add_stop":
        _add_row(data, PREFIX, MAX_STOPS)
    if action == "add_person":
        _add_row(data, PARTY, MAX_PARTY)
    form, stops, party = _bound(data)
    if action in ("add_stop", "add_person", "site"):
        return _render(request, form, stops, party)
    if not (stops.is_valid() and party.is_valid() and form.is_valid()):
        return _render(request, form, stops, party, status=400)
    visit = _visit_arguments(form, stops, party)
    if action == "save":
        try:
            event = visit_create(by=request.user, **visit)
        except ValidationError:
            pass  # a clash or another refusal: the check below shows every one, stop by stop
        else:
            messages.success(request, _("The visit is planned and its facilities are held."))
            return redirect("staff:event", pk=event.pk)
    try:
        check = visit_check(by=request.user, **visit)
    except ValidationError as error:  # about the visit as a whole, not one stop
        add_service_error(form, error)
        return _render(request, form, stops, party, status=400)
    status = 409 if action == "save" else 200
    return _render(request, form, stops, party, check=check, status=status)


def _bound(data: QueryDict) -> tuple[VisitForm, object, object]:
    """The three forms as posted, the stops offering the posted site's places."""
    form = VisitForm(data)
    form.is_valid()  # cleaned first: the site decides which facilities the stops offer
    site = form.cleaned_data.get("site")
    stops = StopFormSet(data, prefix=PREFIX, form_kwargs={"places": _places_of(site)})
    return form, stops, PartyFormSet(data, prefix=PARTY)


def _render(request, form, stops, party, *, check: VisitCheck | None = None, status: int = 200):
    places = stop_places(site_ids=list(Site.objects.values_list("pk", flat=True)))
    context = {
        "form": form,
        "stops": stops,
        "party": party,
        "check": check,
        "max_stops": MAX_STOPS,
        "max_people": MAX_PARTY,
        # What planner.js offers in each stop when the site changes: the same rule as the form's.
        "places": {
            site_id: [
                [facility.pk, stops.form.base_fields["facility"].label_from_instance(facility)]
                for facility in facilities
            ]
            for site_id, facilities in places.items()
        },
    }
    if check is None:
        return render(request, "staff/planner.html", context, status=status)
    site = check.proposal.site
    context["zone_label"] = zone_label(site.timezone, check.proposal.start)
    context["results"] = _results(check, stops)
    context["timeline"] = _timeline(check)
    with timezone.override(zoneinfo.ZoneInfo(site.timezone)):
        return render(request, "staff/planner.html", context, status=status)


def _site(value: str | None) -> Site | None:
    try:
        return VisitForm.base_fields["site"].clean(value)
    except ValidationError:
        return None


def _places_of(site: Site | None):
    return stop_places(site_ids=[site.pk])[site.pk] if site else None


def _results(check: VisitCheck, stops) -> list[dict]:
    """Each stop's check with its suggestions as the buttons that take them."""
    rows = [n for n, row in enumerate(stops.forms) if row.stop is not None]
    results = []
    for stop_check in check.stops:
        row, stop, clash = rows[stop_check.stop.position], stop_check.stop, stop_check.clash
        slots = [
            {**slot, "action": f"shift:{int((slot['start'] - stop.start).total_seconds() // 60)}"}
            for slot in (clash.suggestions["slots"] if clash else [])
        ]
        facilities = [
            {**other, "action": f"facility:{row}:{other['facility_id']}"}
            for other in (clash.suggestions["facilities"] if clash else [])
        ]
        results.append({"check": stop_check, "row": row, "slots": slots, "facilities": facilities})
    return results


def _timeline(check: VisitCheck) -> dict:
    """The itinerary as a strip: each stop a block and each move a line before it, placed in
    percent of the strip's width as SVG attributes (no inline style under the CSP), with a tick
    at each hour (each half hour for a visit of three hours or less)."""
    proposal: VisitProposal = check.proposal
    length = (proposal.end - proposal.start).total_seconds() or 1.0

    def at(moment: dt.datetime) -> float:
        return (moment - proposal.start).total_seconds() / length * 100

    def percent(value: float) -> str:  # never localised: "12,5%" is no SVG length
        return f"{value:.2f}"

    zone = zoneinfo.ZoneInfo(proposal.site.timezone)
    step = dt.timedelta(minutes=60 if length > 3 * 3600 else 30)
    tick = proposal.start.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    ticks = []
    while tick <= proposal.end:
        if tick >= proposal.start:
            # The last labels would run off the strip's end.
            ticks.append({"x": percent(at(tick)), "label": f"{tick:%H:%M}", "shown": at(tick) < 92})
        tick = (tick + step).astimezone(zone)
    blocks = []
    for stop_check in check.stops:
        stop = stop_check.stop
        left, right = at(stop.start), at(stop.end)
        travel = {"x": percent(at(stop.arrival_from)), "to": percent(left)}
        blocks.append(
            {
                "stop": stop,
                "x": percent(left),
                "width": percent(max(right - left, 0.5)),
                "middle": percent((left + right) / 2),
                "number": stop.position + 1,
                "state": "clash" if stop_check.clash or stop_check.errors else "ok",
                "travel": travel if stop.travel_minutes else None,
            }
        )
    return {"ticks": ticks, "blocks": blocks}


def _add_row(data: QueryDict, prefix: str, most: int) -> None:
    try:
        rows = int(data.get(f"{prefix}-TOTAL_FORMS") or 0)
    except ValueError:
        rows = 0
    data[f"{prefix}-TOTAL_FORMS"] = str(min(max(rows, 0) + 1, most))


def _blank_stops(site: Site | None):
    formset = StopFormSet(prefix=PREFIX, form_kwargs={"places": _places_of(site)})
    formset.extra = BLANK_ROWS
    return formset


def _blank_party():
    # The first person named is usually the guest of honour; the role is theirs to change.
    initial = [{"role": Attendance.Role.GUEST_OF_HONOUR}]
    formset = PartyFormSet(prefix=PARTY, initial=initial)
    formset.extra = BLANK_PEOPLE - 1
    return formset


def _visit_arguments(form: VisitForm, stops, party) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "title_zh": data["title_zh"],
        "visibility": data["visibility"],
        "site_id": data["site"].pk,
        "start": data["start"],
        "stops": stops.stops,
        "people": party.members,
    }


def _apply_choice(posted: QueryDict) -> tuple[QueryDict, str]:
    """The form as posted, with a suggestion taken: "facility:<row>:<id>" puts another facility
    in a stop; "shift:<minutes>" moves the whole visit so that a stop gets a free slot. A move
    out of the supported years raises ValidationError."""
    data = posted.copy()
    action = posted.get("action", "check")
    kind, _sep, rest = action.partition(":")
    try:
        if kind == "facility":
            row, facility_id = (int(part) for part in rest.split(":"))
            data[f"{PREFIX}-{row}-facility"] = str(facility_id)
            return data, "check"
        if kind == "shift":
            _shift(data, int(rest))
            return data, "check"
    except (ValueError, TypeError):
        return data, "check"
    return data, action if action in ACTIONS else "check"


def _shift(data: QueryDict, minutes: int) -> None:
    """Move the visit's date and start by minutes (in the site's zone, as typed)."""
    form = VisitForm(data)
    form.is_valid()
    start = form.cleaned_data.get("start")
    if start is None:
        return
    # The start is within the supported years; a move longer than all of them leaves them
    # whatever its direction, and is refused before the sum could leave datetime's range.
    if abs(minutes) > SUPPORTED_MINUTES:
        raise _out_of_range()
    moved = (start + dt.timedelta(minutes=minutes)).astimezone(start.tzinfo)
    if not FIRST_YEAR <= moved.year <= LAST_YEAR:
        raise _out_of_range()
    data["date"] = moved.date().isoformat()
    data["start_time"] = moved.strftime("%H:%M")


def _out_of_range() -> ValidationError:
    return ValidationError(
        {
            "date": _("That move would take the visit outside the years %(first)s to %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        },
        code="out_of_range",
    )
