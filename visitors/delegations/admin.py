"""Back office for delegations: a party with its cars and passes on one page, imported by
visitors.admin so that the admin finds it.

Every save goes through visitors.delegations.services, as the rest of the back office does, so
the same rules hold here as on the staff pages: the lead and every passenger is a member, a
member who rides or holds a pass is not taken off, a car's items are of its event, an issued
pass has its number. A refusal comes back on the form with nothing saved (``ServiceSavesAdmin``).
Cars and passes are added once the party is saved: what they offer (the site's facilities, the
event's arrival and departure items, the party's cars) follows from its event.
"""

from django.contrib import admin
from django.db.models import F
from django.forms import Form
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ServiceSavesAdmin, local_time, save_rows
from core.admin_forms import LabelledRowsFormSet
from scheduling.admin.events import event_is_open
from scheduling.admin.zones import ZONED_TIMES, ZonedTimesAdmin, pk_or_none
from scheduling.models import Facility

from ..models import Person
from . import services
from .models import Delegation, Pass, Vehicle

DELEGATION_FIELDS = ("name", "name_zh", "lead", "members", "notes")
VEHICLE_FIELDS = (
    "plate", "make", "colour", "driver", "driver_phone", "contact", "passengers", "car_call_at",
    "drop_off_facility", "drop_off_point", "pick_up_facility", "pick_up_point", "arrival_item",
    "departure_item",
)  # fmt: skip
PASS_FIELDS = ("kind", "number", "status", "person", "vehicle", "notes")


class PartyPartInline:
    """A part of a party, editable while its event is not final."""

    extra = 0
    formset = LabelledRowsFormSet
    formfield_overrides = ZONED_TIMES

    def _open(self, obj: Delegation | None) -> bool:
        return event_is_open(obj.event if obj else None)

    def has_add_permission(self, request, obj=None):
        return self._open(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._open(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._open(obj) and super().has_delete_permission(request, obj)


class VehicleInline(PartyPartInline, admin.StackedInline):
    model = Vehicle
    fields = (
        "position", ("plate", "make", "colour"), ("driver", "driver_phone"), "contact",
        "passengers", "car_call_at", ("drop_off_facility", "drop_off_point"),
        ("pick_up_facility", "pick_up_point"), ("arrival_item", "departure_item"),
    )  # fmt: skip
    readonly_fields = ("position",)
    ordering = ("position", "id")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:  # the form class is made for this request: its fields are its own
            fields, event = formset.form.base_fields, obj.event
            # Passengers from the members, as on the staff page: a short list, no search needed.
            fields["passengers"].queryset = obj.members.all()
            for name in ("drop_off_facility", "pick_up_facility"):
                fields[name].queryset = Facility.objects.filter(site_id=event.site_id)
            for name, kind in services.ITEM_KINDS.items():
                fields[name].queryset = event.programme.filter(kind=kind).order_by("start")
        return formset


class PassInline(PartyPartInline, admin.TabularInline):
    model = Pass
    fields = PASS_FIELDS
    autocomplete_fields = ("person",)
    ordering = ("kind", "number", "id")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            formset.form.base_fields["vehicle"].queryset = obj.vehicles.all()
        return formset


def vehicle_save(form: Form, *, delegation_id: int, by) -> Vehicle:
    """Save one car form through the services: all of a new car, what changed of another."""
    fields = {name: form.cleaned_data[name] for name in VEHICLE_FIELDS if name in form.cleaned_data}
    if form.instance.pk is None:
        return services.vehicle_create(delegation_id=delegation_id, by=by, **fields)
    changed = {name: value for name, value in fields.items() if name in form.changed_data}
    if not changed:
        return form.instance
    return services.vehicle_update(vehicle_id=form.instance.pk, by=by, **changed)


def pass_save(form: Form, *, delegation_id: int, by) -> Pass:
    fields = {name: form.cleaned_data[name] for name in PASS_FIELDS if name in form.cleaned_data}
    if form.instance.pk is None:
        return services.pass_create(delegation_id=delegation_id, by=by, **fields)
    changed = {name: value for name, value in fields.items() if name in form.changed_data}
    if not changed:
        return form.instance
    return services.pass_update(pass_id=form.instance.pk, by=by, **changed)


@admin.register(Delegation)
class DelegationAdmin(ZonedTimesAdmin, ServiceSavesAdmin):
    list_display = ("name", "name_zh", "event", "event_start", "lead")
    list_filter = ("event__site", "event__status")
    search_fields = (
        "name", "name_zh", "event__title", "event__title_zh", "lead__name", "lead__name_zh",
        "vehicles__plate", "passes__number",
    )  # fmt: skip
    list_select_related = ("event", "lead")
    # Members in a plain list box: select2's several-choice box leaves its search field without
    # a name and the admin's two-box filter puts a label on a span where none is allowed (both
    # found by axe-core, tests/browser/test_admin_a11y.py).
    autocomplete_fields = ("event", "lead")
    fields = ("event", *DELEGATION_FIELDS)
    inlines = [VehicleInline, PassInline]

    def get_readonly_fields(self, request, obj=None):
        return ("event",) if obj is not None else ()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "members":  # people on file, as the staff pages' pickers offer
            kwargs["queryset"] = Person.objects.filter(proposed_by__isnull=True).order_by(
                F("precedence_rank").asc(nulls_last=True), "name"
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_inline_instances(self, request, obj=None):
        # Cars and passes once the party is saved: what they offer follows from its event.
        return super().get_inline_instances(request, obj) if obj is not None else []

    def times_zone(self, request, object_id: str | None) -> str | None:
        """The zone of the party's event (its cars' car calls)."""
        parties = Delegation.objects.filter(pk=pk_or_none(object_id))
        return parties.values_list("event__timezone", flat=True).first()

    def has_change_permission(self, request, obj=None):
        open_event = event_is_open(obj.event if obj else None)
        return open_event and super().has_change_permission(request, obj)

    @admin.display(description=gettext_lazy("Event starts"), ordering="event__start")
    def event_start(self, delegation: Delegation) -> str:
        return local_time(delegation.event.start, delegation.event.zone)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            fields = {name: data[name] for name in DELEGATION_FIELDS if name in data}
            party = services.delegation_create(event_id=obj.event_id, by=request.user, **fields)
        else:
            changed = {name: data[name] for name in DELEGATION_FIELDS if name in form.changed_data}
            if changed:
                services.delegation_update(delegation_id=obj.pk, by=request.user, **changed)
            party = obj
        obj.pk = party.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # Not form.save_m2m(): the members went through the service with the rest.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        delegation_id, by = form.instance.pk, request.user
        if formset.model is Vehicle:
            save_rows(
                formset,
                label=lambda row: _("Car %(plate)s") % {"plate": row.cleaned_data.get("plate")},
                save=lambda row: vehicle_save(row, delegation_id=delegation_id, by=by),
                delete=lambda row: services.vehicle_delete(vehicle_id=row.instance.pk, by=by),
            )
        elif formset.model is Pass:
            save_rows(
                formset,
                label=lambda row: str(row.instance),
                save=lambda row: pass_save(row, delegation_id=delegation_id, by=by),
                delete=lambda row: services.pass_delete(pass_id=row.instance.pk, by=by),
            )

    def delete_model(self, request, obj):
        services.delegation_delete(delegation_id=obj.pk, by=request.user)
