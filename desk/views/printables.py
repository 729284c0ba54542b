"""Printables for A4: run-of-show, itinerary, attendee list in precedence order, name cards;
each as a page to print from the browser and as a PDF made from the same template."""

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode

from scheduling.models import Event, ProgrammeItem, ProgrammeRole
from visitors.models import Attendance
from visitors.names import SORTS, sorted_attendances

from .. import printing
from .common import VIEW_EVENT, staff_required, zone_label
from .events import event_queryset

SORTED = ("attendees", "name-cards")  # the printables that list people and can be re-sorted
TEMPLATES = {
    "run-of-show": "staff/print/run_of_show.html",
    "itinerary": "staff/print/itinerary.html",
    "attendees": "staff/print/attendees.html",
    "name-cards": "staff/print/name_cards.html",
}


@staff_required(VIEW_EVENT)
def printable(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    event, context = _printable(request, pk, kind)
    with timezone.override(event.zone):
        return render(request, TEMPLATES[kind], context)


@staff_required(VIEW_EVENT)
def printable_pdf(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    event, context = _printable(request, pk, kind)
    with timezone.override(event.zone):
        html = render_to_string(TEMPLATES[kind], {**context, "pdf": True}, request=request)
    try:
        pdf = printing.html_to_pdf(html, base_url=request.build_absolute_uri("/"))
    except printing.PdfUnavailable as error:
        context = {"event": event, "kind": kind, "error": str(error), "command": printing.INSTALL}
        return render(request, "staff/print/pdf_unavailable.html", context, status=503)
    filename = printing.pdf_filename(title=event.title, event_id=event.pk, kind=kind)
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


def _printable(request: HttpRequest, pk: int, kind: str) -> tuple[Event, dict]:
    if kind not in TEMPLATES:
        raise Http404("No such printable.")
    event = get_object_or_404(event_queryset(), pk=pk)
    attendances = event.attendances.in_precedence_order().select_related("person__organisation")
    if kind == "name-cards":
        attendances = attendances.exclude(rsvp=Attendance.RSVP.DECLINED)
    # Lists of people: in precedence order, or by English surname or Chinese strokes on request.
    sort = request.GET.get("sort") if kind in SORTED else None
    sort = sort if sort in SORTS else "precedence"
    # Name cards: English name first and larger unless the page asks for Chinese first.
    chinese_first = kind == "name-cards" and request.GET.get("order") == "zh"
    context = {
        "event": event,
        "kind": kind,
        "letterhead": printing.letterhead(),
        "chinese_first": chinese_first,
        "zone_label": zone_label(event.timezone, event.start),
        "programme": list(
            event.programme.select_related("facility__site", "host_organisation").prefetch_related(
                Prefetch("roles", queryset=ProgrammeRole.objects.select_related("person"))
            )
        )
        if kind in ("run-of-show", "itinerary")
        else [],
        "attendances": sorted_attendances(list(attendances), sort)
        if kind in ("attendees", "name-cards", "run-of-show")
        else [],
        "sort": sort,
        # The PDF (and spreadsheet) of the page as shown: the same order of names and list.
        "pdf_query": urlencode(
            {
                **({"order": "zh"} if chinese_first else {}),
                **({"sort": sort} if sort != "precedence" else {}),
            }
        ),
        "printed_at": timezone.now(),
        "transfer": ProgrammeItem.Kind.TRANSFER,
    }
    return event, context
