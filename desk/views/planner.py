"""The visit planner: one form for a site inspection, checked before it is saved.

"Check" proposes each stop's time (travel included) and shows what saving would clash with,
with the free alternatives, and the warnings; nothing is kept. "Save" creates the event, its
programme and held bookings in one transaction, or nothing. A suggested facility or time can be
taken with one button, which rewrites the form and checks again. No script is needed.
"""

import datetime as dt
import zoneinfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ..forms import FIRST_YEAR, LAST_YEAR, StopFormSet, VisitForm
from ..visits import MAX_STOPS, VisitCheck, visit_check, visit_create
from .common import ADD_BOOKING, ADD_EVENT, add_service_error, staff_required, zone_label

PREFIX = "stops"
BLANK_ROWS = 4
SUPPORTED_MINUTES = (LAST_YEAR - FIRST_YEAR + 1) * 366 * 24 * 60


@staff_required(ADD_EVENT, ADD_BOOKING)
def planner(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request, VisitForm(), _blank_stops(BLANK_ROWS))
    try:
        data, action = _apply_choice(request.POST)
    except ValidationError as refusal:  # a suggestion that cannot be taken: keep what was typed
        form, stops = VisitForm(request.POST), StopFormSet(request.POST, prefix=PREFIX)
        form.is_valid()  # cleaned first, so that the refusal joins the fields' own errors
        add_service_error(form, refusal)
        return _render(request, form, stops, status=400)
    if action == "add_stop":
        _add_row(data)
    form, stops = VisitForm(data), StopFormSet(data, prefix=PREFIX)
    if action == "add_stop" or not (form.is_valid() and stops.is_valid()):
        return _render(request, form, stops, status=200 if action == "add_stop" else 400)
    visit = _visit_arguments(form, stops)
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
        return _render(request, form, stops, status=400)
    return _render(request, form, stops, check=check, status=409 if action == "save" else 200)


def _render(request, form, stops, *, check: VisitCheck | None = None, status: int = 200):
    context = {"form": form, "stops": stops, "check": check, "max_stops": MAX_STOPS}
    if check is None:
        return render(request, "staff/planner.html", context, status=status)
    site = check.proposal.site
    context["zone_label"] = zone_label(site.timezone, check.proposal.start)
    context["results"] = _results(check, stops)
    with timezone.override(zoneinfo.ZoneInfo(site.timezone)):
        return render(request, "staff/planner.html", context, status=status)


def _results(check: VisitCheck, stops) -> list[dict]:
    """Each stop's check with its suggestions as the buttons that take them."""
    rows = [n for n, row in enumerate(stops.forms) if row.cleaned_data.get("facility")]
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


def _add_row(data: QueryDict) -> None:
    try:
        rows = int(data.get(f"{PREFIX}-TOTAL_FORMS") or 0)
    except ValueError:
        rows = 0
    data[f"{PREFIX}-TOTAL_FORMS"] = str(min(max(rows, 0) + 1, MAX_STOPS))


def _blank_stops(rows: int):
    formset = StopFormSet(prefix=PREFIX)
    formset.extra = rows
    return formset


def _visit_arguments(form: VisitForm, stops) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "title_zh": data["title_zh"],
        "visibility": data["visibility"],
        "site_id": data["site"].pk,
        "start": data["start"],
        "stops": stops.stops,
        "dignitary_ids": [person.pk for person in data["dignitaries"]],
        "party_ids": [person.pk for person in data["party"]],
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
    return data, action if action in ("check", "save", "add_stop") else "check"


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
