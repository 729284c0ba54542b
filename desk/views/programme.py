"""The run-of-show on the event page: add, edit, reorder and delete items, and ask the tenants
hosting its stops for their consent.

Each posts to scheduling.services (programme_item_*); a change attendees' invites show queues
an update through the change pipeline, and the message says so.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from scheduling import services
from scheduling.models import Event

from ..forms_event import ProgrammeItemForm, site_facilities
from .common import add_service_error, bad_request, refused, staff_required, zone_label
from .events import bench_refused, event_queryset
from .workbench import Workbench, back_to, item_of_event, outbox_mark, say_if_sent, update_words

ADD_ITEM = "scheduling.add_programmeitem"
CHANGE_ITEM = "scheduling.change_programmeitem"
DELETE_ITEM = "scheduling.delete_programmeitem"
ANCHOR = "programme-heading"


@require_POST
@staff_required(ADD_ITEM)
def programme_add(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(event_queryset(), pk=pk)
    facilities = site_facilities(event)
    form = ProgrammeItemForm(request.POST, event=event, facilities=facilities)
    if form.is_valid():
        before = outbox_mark(event.pk)
        try:
            item = services.programme_item_create(
                event_id=event.pk, by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("“%(title)s” is in the programme.") % {"title": item})
            say_if_sent(request, event.pk, before, update_words())
            return back_to(event.pk, f"item-{item.pk}")
    bench = Workbench(programme=form, facilities=facilities)
    return bench_refused(request, event, bench)


@staff_required(CHANGE_ITEM)
def programme_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """A page of its own for one item (GET), saved by POST; a refusal shows it again."""
    item = item_of_event(item_pk, pk)
    event = get_object_or_404(event_queryset(), pk=pk)
    facilities = site_facilities(event)
    if request.method != "POST":
        form = ProgrammeItemForm.for_item(item, event=event, facilities=facilities)
        return edit_page(request, event, item, form)
    form = ProgrammeItemForm(request.POST, event=event, facilities=facilities)
    if form.is_valid():
        before = outbox_mark(event.pk)
        try:
            item = services.programme_item_update(
                item_id=item.pk, by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("“%(title)s” is saved.") % {"title": item})
            say_if_sent(request, event.pk, before, update_words())
            return back_to(event.pk, f"item-{item.pk}")
    return edit_page(request, event, item, form, status=400)


def edit_page(request, event: Event, item, form: ProgrammeItemForm, status: int = 200):
    context = {
        "event": event,
        "item": item,
        "form": form,
        "zone_label": zone_label(event.timezone, event.start),
    }
    with timezone.override(event.zone):
        return render(request, "staff/programme_item.html", context, status=status)


@require_POST
@staff_required(CHANGE_ITEM)
def programme_move(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Swap an item with the one before (direction=earlier) or after it (later)."""
    item = item_of_event(item_pk, pk)
    step = {"earlier": -1, "later": 1}.get(request.POST.get("direction", ""))
    if step is None:
        error = ValidationError(_("Move an item “earlier” or “later”."))
        return bad_request(request, error, back=reverse("staff:event", args=[pk]))
    before = outbox_mark(pk)
    try:
        item = services.programme_item_move(item_id=item.pk, step=step, by=request.user)
    except ValidationError as error:
        messages.error(request, refused(item, error))
    else:
        said = _("“%(title)s” moved earlier.") if step < 0 else _("“%(title)s” moved later.")
        messages.success(request, said % {"title": item})
        say_if_sent(request, pk, before, update_words())
    return back_to(pk, f"item-{item.pk}")


@require_POST
@staff_required(DELETE_ITEM)
def programme_delete(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = item_of_event(item_pk, pk)
    before = outbox_mark(pk)
    try:
        released = services.programme_item_delete(item_id=item.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, refused(item, error))
        return back_to(pk, ANCHOR)
    messages.success(request, _("“%(title)s” is removed from the programme.") % {"title": item})
    for booking in released:
        messages.info(request, _("%(facility)s is released.") % {"facility": booking.facility})
    say_if_sent(request, pk, before, update_words())
    return back_to(pk, ANCHOR)


@require_POST
@staff_required(CHANGE_ITEM)
def consent_request(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Ask (or ask again) the host of one stop for consent; the e-mail goes after commit."""
    item = item_of_event(item_pk, pk)
    try:
        consent = services.stop_consent_request(item_id=item.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, refused(item, error))
    else:
        said = _("%(host)s is asked to confirm “%(title)s”.")
        messages.success(request, said % {"host": consent.person.display_name, "title": item})
    return back_to(pk, f"item-{item.pk}")


@require_POST
@staff_required(CHANGE_ITEM)
def consents_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the host of every hosted stop not asked yet."""
    event = get_object_or_404(event_queryset(), pk=pk)
    try:
        asked = services.stop_consents_request(event_id=event.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, refused(event, error))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d host is asked to confirm.",
                "%(count)d hosts are asked to confirm.",
                len(asked),
            )
            % {"count": len(asked)},
        )
    return back_to(pk, ANCHOR)
