"""Printables for A4: run-of-show, itinerary, attendee list in precedence order, name cards."""

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from scheduling.models import ProgrammeItem, ProgrammeRole
from visitors.models import Attendance

from .common import VIEW_EVENT, staff_required, zone_label
from .events import event_queryset

TEMPLATES = {
    "run-of-show": "staff/print/run_of_show.html",
    "itinerary": "staff/print/itinerary.html",
    "attendees": "staff/print/attendees.html",
    "name-cards": "staff/print/name_cards.html",
}


@staff_required(VIEW_EVENT)
def printable(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in TEMPLATES:
        raise Http404("No such printable.")
    event = get_object_or_404(event_queryset(), pk=pk)
    attendances = event.attendances.in_precedence_order().select_related("person__organisation")
    if kind == "name-cards":
        attendances = attendances.exclude(rsvp=Attendance.RSVP.DECLINED)
    context = {
        "event": event,
        "kind": kind,
        "zone_label": zone_label(event.timezone, event.start),
        "programme": list(
            event.programme.select_related("facility__site", "host_organisation").prefetch_related(
                Prefetch("roles", queryset=ProgrammeRole.objects.select_related("person"))
            )
        )
        if kind in ("run-of-show", "itinerary")
        else [],
        "attendances": list(attendances)
        if kind in ("attendees", "name-cards", "run-of-show")
        else [],
        "printed_at": timezone.now(),
        "transfer": ProgrammeItem.Kind.TRANSFER,
    }
    with timezone.override(event.zone):
        return render(request, TEMPLATES[kind], context)
