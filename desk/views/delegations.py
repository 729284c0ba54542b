"""An event's delegations page: each visiting party with its lead, members, cars and passes;
add, edit (names, lead, members typed or ticked from the attendee list) or delete a party, and
put its arrival and departure on the run-of-show. Cars and passes: ``delegation_parts``.

Each form posts to visitors.delegations.services; a refusal shows the page again with the form
as typed and the reason beside the field it names (status 400), everything else as it is.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scheduling.models import Event
from visitors.delegations import services
from visitors.models import Delegation, Pass, Person, Vehicle

from ..forms_delegation import (
    DelegationChoices,
    DelegationForm,
    MovementsForm,
    PassForm,
    VehicleForm,
)
from ..warnings import (
    CAR_CALL_AFTER_DEPARTURE,
    PASSENGER_TWO_VEHICLES,
    VEHICLE_WITHOUT_DRIVER,
    event_warnings,
)
from .common import VIEW_EVENT, add_service_error, refused, staff_required, zone_label
from .events import event_queryset
from .workbench import outbox_mark, row_of_event, say_if_sent, update_words

VIEW_DELEGATION = "visitors.view_delegation"
ADD_DELEGATION = "visitors.add_delegation"
CHANGE_DELEGATION = "visitors.change_delegation"
DELETE_DELEGATION = "visitors.delete_delegation"
ADD_ITEM = "scheduling.add_programmeitem"
WARNING_CODES = {PASSENGER_TWO_VEHICLES, VEHICLE_WITHOUT_DRIVER, CAR_CALL_AFTER_DEPARTURE}


def parties(event: Event) -> QuerySet[Delegation]:
    """The event's parties with everything the page shows, in a fixed number of queries."""
    people = Person.objects.select_related("organisation")
    return event.delegations.select_related("lead__organisation").prefetch_related(
        Prefetch(
            "members",
            queryset=people.order_by(F("precedence_rank").asc(nulls_last=True), "name"),
        ),
        Prefetch(
            "vehicles",
            queryset=Vehicle.objects.select_related(
                "drop_off_facility", "pick_up_facility", "arrival_item", "departure_item"
            ).prefetch_related(Prefetch("passengers", queryset=people)),
        ),
        Prefetch("passes", queryset=Pass.objects.select_related("person", "vehicle")),
    )


def party_of_event(delegation_pk: int, event_pk: int) -> Delegation:
    """The party of this event a URL names, with its members and cars (for its forms)."""
    return row_of_event(parties_of_any(), delegation_pk, event_pk)


def parties_of_any() -> QuerySet[Delegation]:
    return Delegation.objects.prefetch_related(
        Prefetch("members", queryset=Person.objects.select_related("organisation")), "vehicles"
    )


def back_to_party(event_pk: int, anchor: str) -> HttpResponseRedirect:
    return redirect(reverse("staff:delegations", args=[event_pk]) + f"#{anchor}")


def _or_refused(form: forms.Form, refusal: forms.Form | None) -> forms.Form:
    """The refused form in place of the page's own for the same row (the prefix names it)."""
    same = refusal is not None and type(refusal) is type(form) and refusal.prefix == form.prefix
    return refusal if same else form


@staff_required(VIEW_EVENT, VIEW_DELEGATION)
def delegations(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(event_queryset(), pk=pk)
    return delegations_page(request, event)


def delegations_page(
    request: HttpRequest, event: Event, *, refusal: forms.Form | None = None, status: int = 200
) -> HttpResponse:
    """The page, with every form in place; a refused one (bound, with its errors) replaces the
    form of its row."""
    listed = list(parties(event))
    is_open = bool(Event.TRANSITIONS[event.status])
    context = {
        "event": event,
        "zone_label": zone_label(event.timezone, event.start),
        "delegations": listed,
        "is_open": is_open,
        "warnings": [w for w in event_warnings(event_id=event.pk) if w.code in WARNING_CODES],
    }
    if is_open:
        choices = DelegationChoices.for_event(event)
        context["add_form"] = _or_refused(DelegationForm(attendees=choices.attendees), refusal)
        for party in listed:
            _attach_forms(party, event, choices, refusal)
    with timezone.override(event.zone):
        return render(request, "staff/delegations.html", context, status=status)


def _attach_forms(party: Delegation, event: Event, choices: DelegationChoices, refusal) -> None:
    party.edit_form = _or_refused(
        DelegationForm(attendees=choices.attendees, delegation=party), refusal
    )
    party.car_form = _or_refused(
        VehicleForm(event=event, choices=choices, delegation=party), refusal
    )
    party.pass_form = _or_refused(PassForm(delegation=party), refusal)
    party.movements_form = _or_refused(MovementsForm(event=event, delegation=party), refusal)
    for car in party.vehicles.all():
        car.edit_form = _or_refused(
            VehicleForm(event=event, choices=choices, delegation=party, vehicle=car), refusal
        )
    for entry in party.passes.all():
        entry.edit_form = _or_refused(PassForm(delegation=party, entry=entry), refusal)


@require_POST
@staff_required(ADD_DELEGATION)
def delegation_add(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(event_queryset(), pk=pk)
    form = DelegationForm(request.POST, attendees=DelegationChoices.for_event(event).attendees)
    if form.is_valid():
        try:
            party = services.delegation_create(
                event_id=event.pk, by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(party)s is added.") % {"party": party})
            return back_to_party(event.pk, f"delegation-{party.pk}")
    return delegations_page(request, event, refusal=form, status=400)


@require_POST
@staff_required(CHANGE_DELEGATION)
def delegation_edit(request: HttpRequest, pk: int, delegation_pk: int) -> HttpResponse:
    """Names, lead and members; members ticked from the attendee list join those typed."""
    party = party_of_event(delegation_pk, pk)
    event = get_object_or_404(event_queryset(), pk=pk)
    attendees = DelegationChoices.for_event(event).attendees
    form = DelegationForm(request.POST, attendees=attendees, delegation=party)
    if form.is_valid():
        try:
            party = services.delegation_update(
                delegation_id=party.pk, by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(party)s is saved.") % {"party": party})
            return back_to_party(event.pk, f"delegation-{party.pk}")
    return delegations_page(request, event, refusal=form, status=400)


@require_POST
@staff_required(DELETE_DELEGATION)
def delegation_delete(request: HttpRequest, pk: int, delegation_pk: int) -> HttpResponse:
    """The party goes with its cars and passes; its programme items stay."""
    party = row_of_event(Delegation, delegation_pk, pk)
    try:
        services.delegation_delete(delegation_id=party.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, refused(party, error))
        return back_to_party(pk, f"delegation-{party.pk}")
    messages.success(request, _("%(party)s is removed.") % {"party": party})
    return back_to_party(pk, "delegations-heading")


@require_POST
@staff_required(CHANGE_DELEGATION, ADD_ITEM)
def delegation_movements(request: HttpRequest, pk: int, delegation_pk: int) -> HttpResponse:
    """The party's arrival and departure as items of the run-of-show, its cars linked to them."""
    party = party_of_event(delegation_pk, pk)
    event = get_object_or_404(event_queryset(), pk=pk)
    form = MovementsForm(request.POST, event=event, delegation=party)
    if form.is_valid():
        before = outbox_mark(event.pk)
        try:
            services.delegation_movements_plan(
                delegation_id=party.pk, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            said = _("The arrival and departure of %(party)s are on the run-of-show.")
            messages.success(request, said % {"party": party})
            say_if_sent(request, event.pk, before, update_words())
            return back_to_party(event.pk, f"delegation-{party.pk}")
    return delegations_page(request, event, refusal=form, status=400)
