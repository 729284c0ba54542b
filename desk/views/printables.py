"""Printables for A4: run-of-show, itinerary, attendee list in precedence order, name cards,
and the delegation's manifest, gate vehicle list and pass list; each as a page to print from the
browser and as a PDF made from the same template."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode

from scheduling.models import Event, ProgrammeItem, ProgrammeRole
from visitors.delegations import exports as delegation_exports
from visitors.delegations import lists
from visitors.models import Attendance
from visitors.names import SORTS, sorted_attendances

from .. import printing
from .common import VIEW_DELEGATION, VIEW_EVENT, staff_required, zone_label
from .events import event_queryset

SORTED = ("attendees", "name-cards")  # the printables that list people and can be re-sorted
TEMPLATES = {
    "run-of-show": "staff/print/run_of_show.html",
    "itinerary": "staff/print/itinerary.html",
    "attendees": "staff/print/attendees.html",
    "name-cards": "staff/print/name_cards.html",
    "manifest": "staff/print/manifest.html",
    "gate": "staff/print/gate.html",
    "passes": "staff/print/passes.html",
}
# The delegation's printables: the list each reads (visitors.delegations.lists), under the name
# its template knows it by, and the spreadsheet of the same list (staff:event-export). They
# need the delegation view permission besides the event's: drivers' phones, seats, permits.
DELEGATION_LISTS = {
    "manifest": ("parties", lists.manifest, delegation_exports.MANIFEST),
    "gate": ("cars", lists.gate_cars, delegation_exports.VEHICLES),
    "passes": ("passes", lists.passes, delegation_exports.PASSES),
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
    if kind in DELEGATION_LISTS and not request.user.has_perm(VIEW_DELEGATION):
        raise PermissionDenied
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
        **_delegation_context(request, event, kind),
    }
    return event, context


def _delegation_context(request: HttpRequest, event: Event, kind: str) -> dict:
    """The delegation's list the printable shows, if it is one of theirs; and whether the
    navigation offers the delegation's printables (to staff who may read them, for an event
    that has a delegation)."""
    if kind in DELEGATION_LISTS:
        name, read, table = DELEGATION_LISTS[kind]
        return {name: read(event), "export_table": table, "delegation_printables": True}
    offered = request.user.has_perm(VIEW_DELEGATION) and event.delegations.exists()
    return {"delegation_printables": offered}
