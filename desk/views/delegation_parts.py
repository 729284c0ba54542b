"""A delegation's cars and passes on its event's delegations page: add, edit, remove.

Each posts to visitors.delegations.services; a refusal (a plate the party has already, an issued
pass without its number) shows the page again with the form as typed and the reason beside it.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from visitors.delegations import services
from visitors.models import Pass, Vehicle

from ..forms_delegation import DelegationChoices, PassForm, VehicleForm, car_label
from .common import add_service_error, refused, staff_required
from .delegations import back_to_party, delegations_page, party_of_event
from .events import event_queryset

ADD_VEHICLE = "visitors.add_vehicle"
CHANGE_VEHICLE = "visitors.change_vehicle"
DELETE_VEHICLE = "visitors.delete_vehicle"
ADD_PASS = "visitors.add_pass"
CHANGE_PASS = "visitors.change_pass"
DELETE_PASS = "visitors.delete_pass"


def part_of_event(model: type[Model], pk: int, event_pk: int):
    """A car or pass by its own key, if its party is of this event; else not found."""
    row = get_object_or_404(model.objects.select_related("delegation"), pk=pk)
    if row.delegation.event_id != event_pk:
        raise Http404("Not part of this event.")
    return row


# --- Cars ---------------------------------------------------------------------------------------


@require_POST
@staff_required(ADD_VEHICLE)
def vehicle_add(request: HttpRequest, pk: int, delegation_pk: int) -> HttpResponse:
    party = party_of_event(delegation_pk, pk)
    event = get_object_or_404(event_queryset(), pk=pk)
    choices = DelegationChoices.for_event(event)
    form = VehicleForm(request.POST, event=event, choices=choices, delegation=party)
    if form.is_valid():
        try:
            car = services.vehicle_create(
                delegation_id=party.pk, by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            said = _("%(car)s is added to %(party)s.")
            messages.success(request, said % {"car": car_label(car), "party": party})
            return back_to_party(pk, f"car-{car.pk}")
    return delegations_page(request, event, refusal=form, status=400)


@require_POST
@staff_required(CHANGE_VEHICLE)
def vehicle_edit(request: HttpRequest, pk: int, vehicle_pk: int) -> HttpResponse:
    car = part_of_event(Vehicle, vehicle_pk, pk)
    party = party_of_event(car.delegation_id, pk)
    event = get_object_or_404(event_queryset(), pk=pk)
    choices = DelegationChoices.for_event(event)
    form = VehicleForm(request.POST, event=event, choices=choices, delegation=party, vehicle=car)
    if form.is_valid():
        try:
            car = services.vehicle_update(
                vehicle_id=car.pk, by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(car)s is saved.") % {"car": car_label(car)})
            return back_to_party(pk, f"car-{car.pk}")
    return delegations_page(request, event, refusal=form, status=400)


@require_POST
@staff_required(DELETE_VEHICLE)
def vehicle_delete(request: HttpRequest, pk: int, vehicle_pk: int) -> HttpResponse:
    """The car goes with the permits issued for it."""
    car = part_of_event(Vehicle, vehicle_pk, pk)
    try:
        services.vehicle_delete(vehicle_id=car.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, refused(car_label(car), error))
        return back_to_party(pk, f"car-{car.pk}")
    messages.success(request, _("%(car)s is removed.") % {"car": car_label(car)})
    return back_to_party(pk, f"delegation-{car.delegation_id}")


# --- Passes -------------------------------------------------------------------------------------


@require_POST
@staff_required(ADD_PASS)
def pass_add(request: HttpRequest, pk: int, delegation_pk: int) -> HttpResponse:
    party = party_of_event(delegation_pk, pk)
    form = PassForm(request.POST, delegation=party)
    if form.is_valid():
        try:
            entry = services.pass_create(
                delegation_id=party.pk, by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            said = _("%(pass)s for %(holder)s is added.")
            messages.success(request, said % {"pass": entry, "holder": entry.holder})
            return back_to_party(pk, f"pass-{entry.pk}")
    event = get_object_or_404(event_queryset(), pk=pk)
    return delegations_page(request, event, refusal=form, status=400)


@require_POST
@staff_required(CHANGE_PASS)
def pass_edit(request: HttpRequest, pk: int, pass_pk: int) -> HttpResponse:
    """Issue a pass with its number, take it back, cancel it, or give it to someone else."""
    entry = part_of_event(Pass, pass_pk, pk)
    party = party_of_event(entry.delegation_id, pk)
    form = PassForm(request.POST, delegation=party, entry=entry)
    if form.is_valid():
        try:
            entry = services.pass_update(
                pass_id=entry.pk, by=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            said = _("%(pass)s for %(holder)s is saved.")
            messages.success(request, said % {"pass": entry, "holder": entry.holder})
            return back_to_party(pk, f"pass-{entry.pk}")
    event = get_object_or_404(event_queryset(), pk=pk)
    return delegations_page(request, event, refusal=form, status=400)


@require_POST
@staff_required(DELETE_PASS)
def pass_delete(request: HttpRequest, pk: int, pass_pk: int) -> HttpResponse:
    entry = part_of_event(Pass, pass_pk, pk)
    try:
        services.pass_delete(pass_id=entry.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, refused(entry, error))
        return back_to_party(pk, f"pass-{entry.pk}")
    messages.success(request, _("%(pass)s is removed.") % {"pass": entry})
    return back_to_party(pk, f"delegation-{entry.delegation_id}")
