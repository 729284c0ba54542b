"""An event's lists as spreadsheets (XLSX or CSV), from the event page: the attendee list in
order of precedence, the run-of-show and the caterers' dietary summary (visitors.exports), and
the delegation's manifest, gate vehicle list and pass list (visitors.delegations.exports)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from core import spreadsheets
from visitors.delegations.exports import SHEETS as DELEGATION_SHEETS
from visitors.exports import EXPORTS, export_filename

from .common import VIEW_ATTENDANCE, VIEW_DELEGATION, VIEW_EVENT, staff_required
from .events import event_queryset

# What a list needs besides the event: the attendee lists carry people's needs, the
# delegation's lists its drivers' phones, who rides in which car and the permits.
NEEDS = {table: (VIEW_DELEGATION,) for table in DELEGATION_SHEETS}


@staff_required(VIEW_EVENT)
def event_export(request: HttpRequest, pk: int, table: str, file_format: str) -> HttpResponse:
    if table not in EXPORTS or file_format not in spreadsheets.FORMATS:
        raise Http404("No such list or format.")
    if not request.user.has_perms(NEEDS.get(table, (VIEW_ATTENDANCE,))):
        raise PermissionDenied
    event = get_object_or_404(event_queryset(), pk=pk)
    if table == "attendees":  # in the order the printed list was asked in, if any
        sheets = EXPORTS[table](event, sort=request.GET.get("sort", "precedence"))
    else:
        sheets = EXPORTS[table](event)
    return spreadsheets.download(sheets, file_format, export_filename(event, table, file_format))
