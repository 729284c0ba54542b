"""What the calendar's timeline does: hold an empty slot for an event, and move a booking.

JSON in, JSON out, POST only, with the CSRF token in the X-CSRFToken header. Times are the
wall clock of the facility's site, without an offset (as calendar_data writes them). Every
change goes through the booking services (``booking_hold``, ``booking_move``), so a clash comes
back as the same explanation and suggestions the event page shows (staff/_clash.html), and a
move of a confirmed event's venue sends the updates the services send.
"""

import datetime as dt
import json
import zoneinfo
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from scheduling import services
from scheduling.models import Booking, Event, Facility

from ..forms import MAX_ID, validate_supported_year
from .calendar_data import span_text
from .common import ADD_BOOKING, CHANGE_BOOKING, refusal_text, row_id, staff_required

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
MAX_CANDIDATES = 200


class SlotForm(forms.Form):
    """A slot of a facility, in the wall clock of the zone it is cleaned under."""

    start = forms.DateTimeField(input_formats=LOCAL_FORMATS, label=gettext_lazy("From"))
    end = forms.DateTimeField(input_formats=LOCAL_FORMATS, label=gettext_lazy("Until"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("start", "end"):
            if data.get(name):
                try:
                    validate_supported_year(data[name])
                except ValidationError as error:
                    self.add_error(name, error)
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The end must come after the start."))
        return data


class HoldForm(SlotForm):
    event = forms.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        label=gettext_lazy("Event"),
        error_messages={"required": gettext_lazy("Choose the event to hold the slot for.")},
    )


@require_GET
@staff_required(ADD_BOOKING)
def calendar_candidates(request: HttpRequest) -> JsonResponse:
    """GET ?facility=<id>&date=<YYYY-MM-DD>: the open events (not cancelled, not completed) at
    the facility's site, or with a booking there, from the day before to the day after."""
    facility = _facility(request.GET.get("facility"))
    try:
        day = dt.date.fromisoformat(request.GET.get("date", "")[:10])
        validate_supported_year(day)
    except (ValueError, ValidationError):
        return _refused(_("Give the date as YYYY-MM-DD."), field="date")
    if facility is None:
        return _refused(_("No such facility."), field="facility")
    zone = zoneinfo.ZoneInfo(facility.site.timezone)
    start = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(), tzinfo=zone)
    at_site = Booking.objects.active().filter(facility__site_id=facility.site_id)
    events = (
        Event.objects.between(start, start + dt.timedelta(days=3))
        .filter(Q(site_id=facility.site_id) | Q(pk__in=at_site.values("event_id")))
        .exclude(status__in=[Event.Status.CANCELLED, Event.Status.COMPLETED])
        .order_by("start", "id")
        .values("id", "title", "title_zh", "status", "start", "end")[:MAX_CANDIDATES]
    )
    statuses = dict(Event.Status.choices)
    return JsonResponse(
        {
            "events": [
                {
                    "id": e["id"],
                    "title": e["title"],
                    "title_zh": e["title_zh"],
                    "status": str(statuses[e["status"]]),
                    "when": span_text(_local(e["start"], zone), _local(e["end"], zone)),
                    "start": _local(e["start"], zone).isoformat(),
                    "end": _local(e["end"], zone).isoformat(),
                }
                for e in events
            ]
        }
    )


@require_POST
@staff_required(ADD_BOOKING)
def calendar_hold(request: HttpRequest) -> JsonResponse:
    """POST {event, facility, start, end}: hold the facility for the event (booking_hold)."""
    data = _json(request)
    if data is None:
        return _refused(_("Send a JSON object."))
    facility = _facility(data.get("facility"))
    if facility is None:
        return _refused(_("Choose a facility of the calendar."), field="facility")
    zone = zoneinfo.ZoneInfo(facility.site.timezone)
    with timezone.override(zone):
        form = HoldForm(data)
        if not form.is_valid():
            return _form_refused(form)
    slot = form.cleaned_data
    try:
        booking = services.booking_hold(
            event_id=slot["event"],
            facility_id=facility.pk,
            start=slot["start"],
            end=slot["end"],
            by=request.user,
        )
    except services.BookingClash as clash:
        return _clash(request, clash, action="hold")
    except ValidationError as error:
        return _service_refused(error)
    message = _("%(facility)s is held for “%(event)s”.") % {
        "facility": facility.name,
        "event": booking.event.title,
    }
    return JsonResponse({"booking": booking.pk, "message": message}, status=201)


@require_POST
@staff_required(CHANGE_BOOKING)
def calendar_move(request: HttpRequest, pk: int) -> JsonResponse:
    """POST {start, end, facility?}: move the booking (booking_move), to another facility too."""
    data = _json(request)
    if data is None:
        return _refused(_("Send a JSON object."))
    booking = Booking.objects.select_related("event").filter(pk=pk).first()
    if booking is None:
        return JsonResponse({"message": _("No such booking.")}, status=404)
    target = data.get("facility", booking.facility_id)
    facility = _facility(target)
    if facility is None:
        return _refused(_("Choose a facility of the calendar."), field="facility")
    zone = zoneinfo.ZoneInfo(facility.site.timezone)
    with timezone.override(zone):
        form = SlotForm(data)
        if not form.is_valid():
            return _form_refused(form)
    try:
        services.booking_move(
            booking_id=booking.pk,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            facility_id=facility.pk,
            by=request.user,
        )
    except services.BookingClash as clash:
        return _clash(request, clash, action="move")
    except ValidationError as error:
        return _service_refused(error)
    start, end = (_local(form.cleaned_data[name], zone) for name in ("start", "end"))
    message = _("“%(event)s” is now in %(facility)s, %(when)s.") % {
        "event": booking.event.title,
        "facility": facility.name,
        "when": span_text(start, end),
    }
    return JsonResponse({"booking": booking.pk, "message": message})


# --- Helpers ---------------------------------------------------------------------------------


def _json(request: HttpRequest) -> dict[str, Any] | None:
    """The posted object with its values as a form reads them: text, a number as its digits,
    anything else (a list, an object, true) as text no field accepts; None if no object."""
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    return {
        name: value if isinstance(value, str) else json.dumps(value)
        for name, value in data.items()
        if value is not None
    }


def _facility(value: object) -> Facility | None:
    """The facility of an id given as a number or its digits; None for anything else."""
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    try:
        pk = row_id(text, "")
    except ValidationError:
        return None
    return Facility.objects.select_related("site").filter(pk=pk).first()


def _local(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _refused(message: str, *, field: str | None = None) -> JsonResponse:
    return _answer(message, errors={field: [message]} if field else {})


def _form_refused(form: forms.Form) -> JsonResponse:
    errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    return _answer(" ".join(m for messages in errors.values() for m in messages), errors=errors)


def _service_refused(error: ValidationError) -> JsonResponse:
    errors = {}
    if hasattr(error, "error_dict"):
        errors = {name: ValidationError(e).messages for name, e in error.error_dict.items()}
    return _answer(refusal_text(error), errors=errors)


def _answer(message: str, *, errors: dict[str, list[str]], status: int = 400) -> JsonResponse:
    """A refusal: the message, the fields it concerns, and the words to show (role=alert)."""
    html = render_to_string("staff/_calendar_refusal.html", {"message": message})
    return JsonResponse({"message": message, "errors": errors, "html": html}, status=status)


def _clash(request: HttpRequest, clash: services.BookingClash, *, action: str) -> JsonResponse:
    """409 with the clash as the event page explains it, and its suggestions as buttons."""
    zone = clash.zone
    slots = [
        {
            "facility": clash.facility_id,
            "start": _local(s["start"], zone).isoformat(),
            "end": _local(s["end"], zone).isoformat(),
            "label": span_text(_local(s["start"], zone), _local(s["end"], zone)),
        }
        for s in clash.suggestions["slots"]
    ]
    facilities = [
        {
            "facility": f["facility_id"],
            "start": _local(f["start"], zone).isoformat(),
            "end": _local(f["end"], zone).isoformat(),
            "label": f["name"],
            "capacity": f["capacity"],
        }
        for f in clash.suggestions["facilities"]
    ]
    with timezone.override(zone):
        html = render_to_string(
            "staff/_calendar_refusal.html",
            {"clash": clash, "slots": slots, "facilities": facilities, "action": action},
            request=request,
        )
    return JsonResponse({"message": clash.messages[0], "errors": {}, "html": html}, status=409)
