"""The day of an event: staff mark the run-of-show as it happens (started, finished, skipped,
extended) from a phone, and a board shows escorts and hosts what is on now, what is next and
when, updating itself every few seconds (static/staff/board.js asks for the board again)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scheduling import live as day
from scheduling.models import Event, ProgrammeItem
from scheduling.services import live as services
from visitors.delegations.day import car_calls

from .common import CHANGE_EVENT, VIEW_EVENT, refusal_text, staff_required

BOARD_REFRESH_SECONDS = 5


def _board(event: Event) -> dict:
    programme = list(event.programme.select_related("facility", "host_organisation"))
    timings = day.timings(programme, now=timezone.now())
    current, following = day.now_and_next(timings)
    return {
        "event": event,
        "timings": timings,
        "current": current,
        "next": following,
        "last_place": day.last_place(timings),
        "car_calls": car_calls(event, timings),
        "refresh_seconds": BOARD_REFRESH_SECONDS,
    }


@staff_required(VIEW_EVENT)
def board(request: HttpRequest, pk: int) -> HttpResponse:
    """What is on now, what is next, and when: the whole page, or (``?part=board``) only the
    board, as the page's script asks for it."""
    event = get_object_or_404(Event.objects.select_related("site"), pk=pk)
    template = "staff/_board.html" if request.GET.get("part") == "board" else "staff/board.html"
    with timezone.override(event.zone):
        return render(request, template, _board(event))


@staff_required(VIEW_EVENT)
def run_of_show(request: HttpRequest, pk: int) -> HttpResponse:
    """The run-of-show on the day, with a button for what each item can do next."""
    event = get_object_or_404(Event.objects.select_related("site"), pk=pk)
    with timezone.override(event.zone):
        return render(request, "staff/live.html", _board(event))


ACTIONS = {
    "start": services.programme_item_start,
    "finish": services.programme_item_finish,
    "skip": services.programme_item_skip,
    "reinstate": services.programme_item_reinstate,
}


@require_POST
@staff_required(CHANGE_EVENT)
def mark(request: HttpRequest, pk: int) -> HttpResponse:
    """Started, finished, skipped, reinstated, or extended by some minutes."""
    item = get_object_or_404(ProgrammeItem, pk=pk)
    action = request.POST.get("action", "")
    try:
        if action == "extend":
            services.programme_item_extend(
                item_id=item.pk, minutes=_minutes(request.POST.get("minutes")), by=request.user
            )
        elif action in ACTIONS:
            ACTIONS[action](item_id=item.pk, by=request.user)
        else:
            raise ValidationError(_("Choose what happened to the item."), code="action")
    except ValidationError as error:
        messages.error(request, refusal_text(error))
    return redirect(f"{_live_url(item.event_id)}#item-{item.pk}")


def _minutes(given: str | None) -> int:
    try:
        return int(given or "")
    except ValueError:
        raise ValidationError(_("Give the minutes as a whole number."), code="minutes") from None


def _live_url(event_id: int) -> str:
    return reverse("staff:live", args=[event_id])
