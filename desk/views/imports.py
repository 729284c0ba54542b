"""Attendee lists from spreadsheets, reached from the event page's attendees: upload a file, see
what each row would become (a new person, someone on file, a match by name to tick, or skipped
and why), then import or discard. Nothing is saved before Import (visitors.imports.services);
the preview belongs to whoever uploaded it. Also the template to fill in, as XLSX or CSV.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import spreadsheets
from scheduling.models import Event
from visitors.imports import services
from visitors.imports.columns import COLUMNS, template_sheet
from visitors.imports.rows import CONFIRM, NEW, ON_FILE, SKIPPED, ImportRow
from visitors.models import ImportBatch

from ..forms_event import AttendeeImportConfirmForm, AttendeeImportForm
from .common import (
    VIEW_EVENT,
    add_service_error,
    bad_request,
    posted_ids,
    refusal_text,
    staff_required,
    zone_label,
)
from .events import event_queryset
from .workbench import back_to, outbox_mark, say_if_sent

ADD_ATTENDANCE = "visitors.add_attendance"
ADD_PERSON = "visitors.add_person"  # an import puts new people on file
ANCHOR = "attendees-heading"


@staff_required(ADD_ATTENDANCE, ADD_PERSON)
def attendees_import(request: HttpRequest, pk: int) -> HttpResponse:
    """The upload form; a file read makes a preview and leads to it."""
    event = get_object_or_404(event_queryset(), pk=pk)
    form = AttendeeImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and not event.is_final:
        upload = form.cleaned_data["file"]
        try:
            batch = services.attendee_import_preview(
                event_id=event.pk, data=upload.read(), filename=upload.name, by=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return redirect("staff:attendees-import-preview", pk=event.pk, batch_pk=batch.pk)
    return _upload_page(request, event, form)


def _upload_page(request: HttpRequest, event: Event, form: AttendeeImportForm) -> HttpResponse:
    context = {
        "event": event,
        "form": form,
        "columns": COLUMNS,
        "zone_label": zone_label(event.timezone, event.start),
        "max_rows": f"{services.MAX_ROWS:,}",
        "max_mb": services.MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    status = 400 if form.errors else 200
    with timezone.override(event.zone):  # the event's times on its own clock
        return render(request, "staff/attendee_import.html", context, status=status)


@staff_required(ADD_ATTENDANCE, ADD_PERSON)
def attendees_import_preview(request: HttpRequest, pk: int, batch_pk: int) -> HttpResponse:
    """The preview (GET) and its confirmation (POST: the matches by name ticked, and on an event
    under embargo whether staff confirm the media; a refusal keeps the preview)."""
    event = get_object_or_404(event_queryset(), pk=pk)
    batch = _batch(request, event, batch_pk)
    if batch is None:
        return redirect("staff:attendees-import", pk=event.pk)
    if request.method == "POST":
        return _confirm(request, event, batch)
    rows = [ImportRow.from_json(data) for data in batch.rows]
    groups = {status: [row for row in rows if row.status == status] for status in STATUSES}
    context = {
        "event": event,
        "batch": batch,
        "groups": groups,
        "counts": {status: len(found) for status, found in groups.items()},
        "to_save": len(rows) - len(groups[SKIPPED]),
        "media": sorted(services.media_rows(event=event, rows=rows)),
        "confirm_form": AttendeeImportConfirmForm(),
        "zone_label": zone_label(event.timezone, event.start),
    }
    with timezone.override(event.zone):
        return render(request, "staff/attendee_import_preview.html", context)


STATUSES = (CONFIRM, SKIPPED, NEW, ON_FILE)


def _batch(request: HttpRequest, event: Event, batch_pk: int) -> ImportBatch | None:
    """The user's own preview for this event; None (with a message) when it has expired."""
    batch = get_object_or_404(ImportBatch, pk=batch_pk)
    if batch.created_by_id != request.user.pk or batch.event_id != event.pk:
        raise Http404("Not a preview of yours for this event.")
    try:
        return services.import_batch_of(batch_id=batch.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, refusal_text(error))
        return None


def _confirm(request: HttpRequest, event: Event, batch: ImportBatch) -> HttpResponse:
    preview = reverse("staff:attendees-import-preview", args=[event.pk, batch.pk])
    try:
        confirmed = posted_ids(request, "match", refusal=_("Tick rows of the preview only."))
    except ValidationError as error:
        return bad_request(request, error, back=preview)
    form = AttendeeImportConfirmForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    before = outbox_mark(event.pk)
    try:
        result = services.attendee_import_confirm(
            batch_id=batch.pk,
            by=request.user,
            confirmed=set(confirmed),
            confirmed_embargo=form.cleaned_data["confirmed_embargo"],
        )
    except ValidationError as error:
        messages.error(request, refusal_text(error))
        return redirect(preview)
    messages.success(request, services.result_message(result))
    for row in result.changed:
        said = row.reason or row.note
        messages.warning(request, _("Row %(row)d: %(said)s") % {"row": row.row, "said": said})
    say_if_sent(request, event.pk, before, _("Those added will be sent the invite."))
    return back_to(event.pk, ANCHOR)


@require_POST
@staff_required(ADD_ATTENDANCE, ADD_PERSON)
def attendees_import_discard(request: HttpRequest, pk: int, batch_pk: int) -> HttpResponse:
    event = get_object_or_404(event_queryset(), pk=pk)
    batch = get_object_or_404(ImportBatch, pk=batch_pk)
    if batch.created_by_id != request.user.pk or batch.event_id != event.pk:
        raise Http404("Not a preview of yours for this event.")
    services.attendee_import_discard(batch_id=batch.pk, by=request.user)
    messages.info(request, _("The preview is discarded: nothing was imported."))
    return back_to(event.pk, ANCHOR)


@staff_required(VIEW_EVENT, ADD_ATTENDANCE)
def attendees_import_template(request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
    """The columns an import reads, with one example row, as XLSX or CSV."""
    if file_format not in spreadsheets.FORMATS:
        raise Http404("No such format.")
    event = get_object_or_404(event_queryset(), pk=pk)
    sheet = template_sheet(zone_start=event.local_start)
    filename = f"attendees-template.{file_format}"
    return spreadsheets.download([sheet], file_format, filename)
