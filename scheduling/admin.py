"""The back office for protocol staff.

Declarative admin; where saving has rules, ``save_model``/``save_formset`` call the services.
A save a service refuses is rolled back and the form comes back with the service's message
(``ServiceAdmin``), so staff never see a 500 or a half-saved event. Every model with history
has a History page (who, when, why, what changed) and a read-only "Historical …" list, so
"who moved the minister's visit?" is one search away.
"""

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable, Iterator

from django.contrib import admin, messages
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import IntegrityError, models
from django.db.models import OuterRef, Subquery
from django.forms import BaseFormSet, Form
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from core.audit import stamp
from visitors import invitations
from visitors import services as visitor_services
from visitors.models import Attendance

from . import services
from .forms import (
    AttendanceAdminForm,
    BookingAdminForm,
    EventAdminForm,
    ProgrammeItemInlineForm,
)
from .models import (
    Booking,
    Closure,
    Event,
    Facility,
    ProgrammeItem,
    ProgrammeRole,
    Site,
    TravelTime,
)
from .services import bookings as booking_services
from .services.events import EDITABLE_FIELDS as EVENT_DETAIL_FIELDS
from .services.programme import ITEM_FIELDS

REFUSAL = "_service_refusal"
BOOKING_PLACE_FIELDS = ("facility", "start", "end", "setup_minutes", "teardown_minutes")


# --- Saving through services ------------------------------------------------------------------


def as_refusal(error: ValidationError | IntegrityError) -> ValidationError:
    """What to tell staff when a save is refused, whether a service or the database said no."""
    if isinstance(error, ValidationError):
        return error
    if "booking_no_overlap" in str(error):
        return ValidationError(
            "The facility is already booked at that time. Nothing was saved.", code="booking_clash"
        )
    return ValidationError(
        "The change conflicts with data saved meanwhile. Nothing was saved; please try again.",
        code="integrity",
    )


def refusal_by_field(
    refusal: ValidationError, form: Form
) -> Iterator[tuple[str | None, list[str]]]:
    """Each refusal message with the form field it belongs to (None: shown above the form)."""
    if not hasattr(refusal, "error_dict"):
        yield None, refusal.messages
        return
    for name, errors in refusal.error_dict.items():
        lines = ValidationError(errors).messages
        if name in form.fields:
            yield name, lines
        elif name == NON_FIELD_ERRORS:
            yield None, lines
        else:
            yield None, [f"{field_label(form._meta.model, name)}: {line}" for line in lines]


def field_label(model: type[models.Model], name: str) -> str:
    try:
        return capfirst(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a service may name something that is not a field ("roles")
        return capfirst(name.replace("_", " "))


def refused_form(form_class: type[Form], refusal: ValidationError) -> type[Form]:
    """The same form, which also reports the refusal: it can only re-render, never save."""

    class RefusedForm(form_class):
        def clean(self):
            cleaned = super().clean()
            for name, lines in refusal_by_field(refusal, self):
                self.add_error(name, lines)
            return cleaned

    RefusedForm.__name__ = form_class.__name__
    return RefusedForm


def refusal_for_row(label: str, error: ValidationError) -> ValidationError:
    """A service's refusal of one inline row, worded for the form above the inlines."""
    return ValidationError([f"{label}: {line}" for line in error.messages], code="inline_refused")


def touched_rows(formset: BaseFormSet) -> Iterator[tuple[Form, str]]:
    """Each inline row the user touched, with what to do: "create", "update" or "delete"."""
    deleted = formset.deleted_forms
    for form in formset.initial_forms:
        if form in deleted:
            yield form, "delete"
        elif form.has_changed():
            yield form, "update"
    for form in formset.extra_forms:
        if form.has_changed() and form not in deleted:
            yield form, "create"


def save_rows(
    formset: BaseFormSet,
    *,
    label: Callable[[Form], str],
    save: Callable[[Form], models.Model] | None,
    delete: Callable[[Form], None] | None,
) -> None:
    """Save each touched inline row through a service; a refusal names the row it came from.

    Records what was done on the formset, as formset.save() would, for the admin's change log.
    """
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    if save is None:
        return
    for row, action in touched_rows(formset):
        try:
            if action == "delete":
                delete(row)
                formset.deleted_objects.append(row.instance)
            elif action == "update":
                formset.changed_objects.append((save(row), row.changed_data))
            else:
                formset.new_objects.append(save(row))
        except ValidationError as error:
            raise refusal_for_row(label(row), error) from error


class ServiceAdmin(SimpleHistoryAdmin):
    """Saves through services; a refused save re-renders the form with the reason, nothing saved."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, IntegrityError) as error:
            if request.method != "POST" or hasattr(request, REFUSAL):
                raise
            # The admin's transaction has rolled back everything the services did. Render the
            # submitted form again, now invalid with the service's reason.
            setattr(request, REFUSAL, as_refusal(error))
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, REFUSAL, None)
        return form if refusal is None else refused_form(form, refusal)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            opts = self.model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            return HttpResponseRedirect(url)

    def get_actions(self, request):
        # Bulk delete skips the services (and their rules); delete one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting writes an old version straight to the row, around every service rule.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


def local_time(value: dt.datetime | None, zone=None) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value, zone).strftime("%a %d %b %Y %H:%M %Z")


# --- Sites, facilities, closures ----------------------------------------------------------------


class TravelTimeInline(admin.TabularInline):
    model = TravelTime
    fk_name = "from_site"
    fields = ("to_site", "minutes")
    extra = 0


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "name_zh", "timezone", "internal_travel_minutes")
    search_fields = ("name", "name_zh", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [TravelTimeInline]


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = (
        "name", "name_zh", "site", "kind", "capacity", "setup_minutes", "teardown_minutes",
        "is_bookable", "bookable_hours",
    )  # fmt: skip
    list_filter = ("site", "kind", "is_bookable")
    search_fields = ("name", "name_zh", "site__name", "site__name_zh")
    list_select_related = ("site",)
    autocomplete_fields = ("site",)

    @admin.display(description="Bookable hours")
    def bookable_hours(self, facility: Facility) -> str:
        if facility.bookable_from is None:
            return "Any time"
        return f"{facility.bookable_from:%H:%M}–{facility.bookable_until:%H:%M}"


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ("__str__", "site", "facility", "local_start", "local_end", "reason", "note")
    list_filter = ("reason", "site", "facility__site")
    search_fields = ("note", "facility__name", "site__name")
    date_hierarchy = "start"
    autocomplete_fields = ("site", "facility")
    list_select_related = ("site", "facility__site")

    @admin.display(description="Starts (site's zone)", ordering="start")
    def local_start(self, closure: Closure) -> str:
        return local_time(closure.start, self.zone(closure))

    @admin.display(description="Ends", ordering="end")
    def local_end(self, closure: Closure) -> str:
        return local_time(closure.end, self.zone(closure))

    @staticmethod
    def zone(closure: Closure) -> zoneinfo.ZoneInfo:
        site = closure.site or closure.facility.site
        return zoneinfo.ZoneInfo(site.timezone)


# --- Events and their inlines --------------------------------------------------------------------


def event_is_open(event: Event | None) -> bool:
    """Cancelled and completed events are final: the back office shows them read-only."""
    return event is None or bool(Event.TRANSITIONS[event.status])


class EventPartInline(admin.TabularInline):
    """A part of an event, editable while the event is not final."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return event_is_open(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return event_is_open(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return event_is_open(obj) and super().has_delete_permission(request, obj)


class ProgrammeItemInline(EventPartInline):
    model = ProgrammeItem
    form = ProgrammeItemInlineForm
    fields = ("start", "end", "title", "title_zh", "kind", "facility", "visibility", "position")
    autocomplete_fields = ("facility",)
    ordering = ("start", "position", "id")
    show_change_link = True  # roles, cue notes and description are on the item's own page
    verbose_name_plural = "programme (run-of-show)"


class BookingInline(admin.TabularInline):
    """Bookings shown on their event; they are made and changed on the Booking pages."""

    model = Booking
    fields = ("facility", "local_start", "local_end", "occupied", "status", "hold_expires_at")
    readonly_fields = fields
    ordering = ("start", "id")
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("facility__site", "event")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Starts")
    def local_start(self, booking: Booking) -> str:
        return local_time(booking.start, booking.event.zone)

    @admin.display(description="Ends")
    def local_end(self, booking: Booking) -> str:
        return local_time(booking.end, booking.event.zone)

    @admin.display(description="Occupied (with set-up and teardown)")
    def occupied(self, booking: Booking) -> str:
        return occupied_interval(booking)


def occupied_interval(booking: Booking) -> str:
    if booking.occupied_start is None:
        return "—"
    zone = booking.event.zone if booking.event_id else None
    start = timezone.localtime(booking.occupied_start, zone)
    end = timezone.localtime(booking.occupied_end, zone)
    end_format = "%H:%M" if start.date() == end.date() else "%a %d %b %H:%M"
    return f"{start:%a %d %b %Y %H:%M}–{end.strftime(end_format)}"


class AttendanceInline(EventPartInline):
    """The attendee list, in order of precedence (visitors/precedence.py)."""

    model = Attendance
    form = AttendanceAdminForm
    fields = ("person", "role", "rsvp", "guests", "call_time", "checked_in_at")
    readonly_fields = ("checked_in_at",)
    autocomplete_fields = ("person",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("person__organisation")
        return queryset.in_precedence_order()


def attendance_save(form: Form, *, event_id: int, by) -> Attendance:
    """Save one attendance form through the visitor services (add, update, RSVP)."""
    data = form.cleaned_data
    details = {name: data[name] for name in visitor_services.ATTENDANCE_FIELDS if name in data}
    if form.instance.pk is None:
        attendance = visitor_services.attendance_add(
            event_id=event_id, person_id=data["person"].pk, by=by, **details
        )
        if data.get("rsvp", Attendance.RSVP.NEEDS_ACTION) != Attendance.RSVP.NEEDS_ACTION:
            attendance = visitor_services.rsvp_record(
                attendance_id=attendance.pk, answer=data["rsvp"], by=by
            )
        return attendance
    attendance_id = form.instance.pk
    changed = {name: value for name, value in details.items() if name in form.changed_data}
    attendance = form.instance
    if changed:
        attendance = visitor_services.attendance_update(
            attendance_id=attendance_id, by=by, **changed
        )
    if "rsvp" in form.changed_data:
        attendance = visitor_services.rsvp_record(
            attendance_id=attendance_id, answer=data["rsvp"], by=by
        )
    return attendance


def programme_item_save(form: Form, *, event_id: int, by) -> ProgrammeItem:
    """Save one programme item form through the programme services."""
    fields = {name: form.cleaned_data[name] for name in ITEM_FIELDS if name in form.cleaned_data}
    if form.instance.pk is None:
        return services.programme_item_create(event_id=event_id, by=by, **fields)
    # Only what the user changed: an unchanged start may just have moved with the event.
    changed = {name: value for name, value in fields.items() if name in form.changed_data}
    if not changed:
        return form.instance
    return services.programme_item_update(item_id=form.instance.pk, by=by, **changed)


@admin.register(Event)
class EventAdmin(ServiceAdmin):
    form = EventAdminForm
    list_display = (
        "title", "local_start", "site", "kind", "status", "visibility", "host_organisation",
        "last_change",
    )  # fmt: skip
    list_filter = ("site", "kind", "status", "visibility", ("start", admin.DateFieldListFilter))
    search_fields = (
        "title", "title_zh", "reference", "uid", "host_organisation__name",
        "host_organisation__name_zh",
    )  # fmt: skip
    date_hierarchy = "start"
    list_select_related = ("site", "host_organisation")
    autocomplete_fields = ("site", "host_organisation")
    readonly_fields = ("uid", "sequence", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "title_zh", "reference", "kind", "status", "visibility")}),
        ("When and where", {"fields": ("site", "timezone", "start", "end")}),
        ("Who", {"fields": ("host_organisation", "organiser")}),
        ("Text", {"fields": ("description", "internal_notes")}),
        ("Calendar record", {"fields": ("uid", "sequence", "created_at", "updated_at")}),
    )
    inlines = [ProgrammeItemInline, BookingInline, AttendanceInline]
    actions = ["confirm_events", "cancel_events", "send_invites"]
    object_history_template = "admin/scheduling/event/object_history.html"

    def get_queryset(self, request):
        latest = Event.history.model.objects.filter(id=OuterRef("pk")).order_by(
            "-history_date", "-history_id"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_changed_at=Subquery(latest.values("history_date")[:1]),
                last_changed_by=Subquery(latest.values("history_user__username")[:1]),
                last_change_reason=Subquery(latest.values("history_change_reason")[:1]),
            )
        )

    def has_change_permission(self, request, obj=None):
        return event_is_open(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Only a draft has never been announced; anything later is cancelled instead.
        allowed = obj is None or obj.status == Event.Status.DRAFT
        return allowed and super().has_delete_permission(request, obj)

    @admin.display(description="Starts (event's zone)", ordering="start")
    def local_start(self, event: Event) -> str:
        return local_time(event.start, event.zone)

    @admin.display(description="Last change", ordering="last_changed_at")
    def last_change(self, event: Event) -> str:
        if getattr(event, "last_changed_at", None) is None:
            return "—"
        line = f"{local_time(event.last_changed_at)} by {event.last_changed_by or 'system'}"
        return f"{line}: {event.last_change_reason}" if event.last_change_reason else line

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            event = services.event_create(
                by=request.user, **{name: data[name] for name in form.fields if name in data}
            )
            obj.pk = event.pk
            obj._state.adding = False
        else:
            changed = set(form.changed_data)
            details = {name: data[name] for name in changed & EVENT_DETAIL_FIELDS}
            if details:
                services.event_update(event_id=obj.pk, by=request.user, **details)
            if changed & {"start", "end"}:
                services.event_reschedule(
                    event_id=obj.pk, start=data["start"], end=data["end"], by=request.user
                )
            if "status" in changed:
                services.event_transition(event_id=obj.pk, to=data["status"], by=request.user)
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        event_id, by = form.instance.pk, request.user
        if formset.model is ProgrammeItem:
            save_rows(
                formset,
                label=lambda row: f"Programme item “{row.cleaned_data.get('title')}”",
                save=lambda row: programme_item_save(row, event_id=event_id, by=by),
                delete=lambda row: services.programme_item_delete(item_id=row.instance.pk, by=by),
            )
        elif formset.model is Attendance:
            save_rows(
                formset,
                label=lambda row: f"Attendee {row.cleaned_data.get('person')}",
                save=lambda row: attendance_save(row, event_id=event_id, by=by),
                delete=lambda row: visitor_services.attendance_remove(
                    attendance_id=row.instance.pk, by=by
                ),
            )
        else:
            # Bookings are read-only here: the Booking pages call the booking services.
            save_rows(formset, label=str, save=None, delete=None)

    def delete_model(self, request, obj):
        stamp(obj, by=request.user, reason="Deleted draft")
        obj.delete()

    @admin.action(description="Confirm selected events", permissions=["change"])
    def confirm_events(self, request, queryset):
        self._move_each(request, queryset, services.event_confirm, Event.Status.CONFIRMED)

    @admin.action(
        description="Cancel selected events (releases their bookings)", permissions=["change"]
    )
    def cancel_events(self, request, queryset):
        self._move_each(request, queryset, services.event_cancel, Event.Status.CANCELLED)

    @admin.action(description="Send invites to every attendee", permissions=["change"])
    def send_invites(self, request, queryset):
        """Queue invites per event; a refusal (not confirmed, bookings held) is named."""
        for event in queryset:
            try:
                queued = invitations.invites_send(event_id=event.pk, by=request.user)
            except ValidationError as error:
                reason = " ".join(error.messages)
                self.message_user(request, f"No invites for “{event}”: {reason}", messages.ERROR)
                continue
            if queued:
                noun = "invite" if len(queued) == 1 else "invites"
                self.message_user(
                    request, f"“{event}”: {len(queued)} {noun} queued.", messages.SUCCESS
                )
            else:
                self.message_user(
                    request,
                    f"“{event}”: nothing new to send; everyone with an e-mail address "
                    "already has this version.",
                    messages.INFO,
                )

    def _move_each(self, request, queryset: Iterable[Event], service, status: str) -> None:
        """Apply a status service to each event on its own; report each refusal by name."""
        done_word = Event.Status(status).label.lower()
        moved = 0
        for event in queryset:
            if event.status == status:
                self.message_user(request, f"“{event}” was already {done_word}.", messages.INFO)
                continue
            try:
                service(event_id=event.pk, by=request.user)
            except ValidationError as error:
                reason = " ".join(error.messages)
                self.message_user(
                    request, f"“{event}” was not {done_word}: {reason}", messages.ERROR
                )
            else:
                moved += 1
        if moved:
            noun = "event" if moved == 1 else "events"
            self.message_user(request, f"{moved} {noun} {done_word}.", messages.SUCCESS)


# --- Programme -----------------------------------------------------------------------------------


class ProgrammeRoleInline(admin.TabularInline):
    model = ProgrammeRole
    fields = ("person", "part", "position")
    autocomplete_fields = ("person",)
    ordering = ("position", "id")
    extra = 0


@admin.register(ProgrammeItem)
class ProgrammeItemAdmin(ServiceAdmin):
    list_display = ("title", "event", "local_start", "kind", "facility", "visibility")
    list_filter = ("kind", "visibility", "event__site")
    search_fields = ("title", "title_zh", "event__title", "event__reference")
    list_select_related = ("event", "facility__site")
    autocomplete_fields = ("event", "facility", "host_organisation")
    fields = (
        "event", "position", "start", "end", "title", "title_zh", "kind", "facility",
        "host_organisation", "visibility", "description", "cue_notes",
    )  # fmt: skip
    inlines = [ProgrammeRoleInline]

    def get_readonly_fields(self, request, obj=None):
        return ("event",) if obj is not None else ()

    def has_change_permission(self, request, obj=None):
        return event_is_open(obj.event if obj else None) and super().has_change_permission(
            request, obj
        )

    @admin.display(description="Starts (event's zone)", ordering="start")
    def local_start(self, item: ProgrammeItem) -> str:
        return local_time(item.start, item.event.zone)

    def save_model(self, request, obj, form, change):
        event_id = obj.event_id
        item = programme_item_save(form, event_id=event_id, by=request.user)
        obj.pk = item.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not ProgrammeRole or not formset.has_changed():
            return
        kept = [
            row
            for row in formset.forms
            if row not in formset.deleted_forms and (row.instance.pk or row.has_changed())
        ]
        kept.sort(key=lambda row: row.cleaned_data.get("position") or 0)  # stable: ties keep order
        roles = [(row.cleaned_data["person"], row.cleaned_data["part"]) for row in kept]
        services.programme_item_update(item_id=form.instance.pk, roles=roles, by=request.user)
        # The service replaces the roles; the change log just says the roles changed.
        formset.new_objects, formset.deleted_objects = [], []
        formset.changed_objects = [
            (role, ["person", "part", "position"]) for role in form.instance.roles.all()
        ]

    def delete_model(self, request, obj):
        services.programme_item_delete(item_id=obj.pk, by=request.user)


# --- Bookings ------------------------------------------------------------------------------------


@admin.register(Booking)
class BookingAdmin(ServiceAdmin):
    form = BookingAdminForm
    list_display = (
        "facility", "event", "local_start", "local_end", "occupied", "status", "hold_expires_at",
        "backup_of",
    )  # fmt: skip
    list_filter = ("status", "facility__site", "facility", ("start", admin.DateFieldListFilter))
    search_fields = ("event__title", "event__title_zh", "event__reference", "facility__name")
    date_hierarchy = "start"
    list_select_related = ("facility__site", "event", "backup_of__facility__site")
    autocomplete_fields = ("event", "programme_item", "facility", "backup_of")
    # Fields no booking service changes after creation are shown, not edited.
    fixed_after_creation = (
        "event", "programme_item", "hold_expires_at", "backup_of", "backup_deadline",
    )  # fmt: skip
    always_read_only = ("occupied", "released_at", "created_by", "created_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.always_read_only
        if not obj.is_active:
            return (
                self.fixed_after_creation
                + BOOKING_PLACE_FIELDS
                + ("status", "capacity_override_reason")
                + self.always_read_only
            )
        return self.fixed_after_creation + self.always_read_only

    def get_fields(self, request, obj=None):
        fields = list(BookingAdminForm._meta.fields)
        return fields + [name for name in self.always_read_only if obj is not None]

    actions = ["confirm_bookings", "confirm_bookings_final", "release_bookings"]

    def has_delete_permission(self, request, obj=None):
        # An active booking is released, never deleted: the release is part of the record.
        return (obj is None or not obj.is_active) and super().has_delete_permission(request, obj)

    @admin.display(description="Starts", ordering="start")
    def local_start(self, booking: Booking) -> str:
        return local_time(booking.start, booking.event.zone)

    @admin.display(description="Ends", ordering="end")
    def local_end(self, booking: Booking) -> str:
        return local_time(booking.end, booking.event.zone)

    @admin.display(description="Occupied (with set-up and teardown)")
    def occupied(self, booking: Booking) -> str:
        return occupied_interval(booking)

    @admin.action(description="Confirm selected bookings", permissions=["change"])
    def confirm_bookings(self, request, queryset):
        self._apply_each(request, queryset, "confirmed", booking_services.booking_confirm)

    @admin.action(
        description="Go/no-go: confirm as final (releases their backups)", permissions=["change"]
    )
    def confirm_bookings_final(self, request, queryset):
        self._apply_each(
            request, queryset, "confirmed as final", booking_services.booking_confirm, final=True
        )

    @admin.action(description="Release selected bookings", permissions=["change"])
    def release_bookings(self, request, queryset):
        self._apply_each(request, queryset, "released", booking_services.booking_release)

    def _apply_each(self, request, queryset, done: str, service, **options) -> None:
        """Apply a booking service to each booking on its own; report each refusal by name."""
        applied = 0
        for booking in queryset.select_related("facility__site", "event"):
            try:
                service(booking_id=booking.pk, by=request.user, **options)
            except ValidationError as error:
                reason = " ".join(error.messages)
                self.message_user(request, f"{booking} was not {done}: {reason}", messages.ERROR)
            else:
                applied += 1
        if applied:
            noun = "booking" if applied == 1 else "bookings"
            self.message_user(request, f"{applied} {noun} {done}.", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            booking = booking_services.booking_create(
                event_id=data["event"].pk,
                facility_id=data["facility"].pk,
                start=data["start"],
                end=data["end"],
                setup_minutes=data.get("setup_minutes"),
                teardown_minutes=data.get("teardown_minutes"),
                programme_item_id=getattr(data.get("programme_item"), "pk", None),
                hold_expires_at=data.get("hold_expires_at"),
                backup_of_id=getattr(data.get("backup_of"), "pk", None),
                backup_deadline=data.get("backup_deadline"),
                capacity_override_reason=data.get("capacity_override_reason", ""),
                status=data["status"],
                by=request.user,
            )
            obj.pk = booking.pk
            obj._state.adding = False
        else:
            changed = set(form.changed_data)
            if "status" in changed and data["status"] == Booking.Status.RELEASED:
                booking_services.booking_release(booking_id=obj.pk, by=request.user)
            else:
                if changed & {*BOOKING_PLACE_FIELDS, "capacity_override_reason"}:
                    # A new facility is checked for capacity again: pass the reason shown.
                    reason_shown = changed & {"facility", "capacity_override_reason"}
                    booking_services.booking_move(
                        booking_id=obj.pk,
                        start=data["start"],
                        end=data["end"],
                        facility_id=data["facility"].pk,
                        setup_minutes=data.get("setup_minutes"),
                        teardown_minutes=data.get("teardown_minutes"),
                        capacity_override_reason=(
                            data["capacity_override_reason"] if reason_shown else None
                        ),
                        by=request.user,
                    )
                if "status" in changed and data["status"] == Booking.Status.CONFIRMED:
                    booking_services.booking_confirm(booking_id=obj.pk, by=request.user)
        obj.refresh_from_db()


# --- Change logs: who changed what, when and why -------------------------------------------------


def related_or_gone(record: models.Model, name: str) -> str:
    """A historical row's related object; it may have been deleted since."""
    try:
        value = getattr(record, name)
    except ObjectDoesNotExist:
        value = None
    if value is not None:
        return str(value)
    pk = getattr(record, f"{name}_id")
    return f"#{pk} (deleted)" if pk else "—"


def shown(model: type[models.Model], name: str, value) -> str:
    """A value from a history record as staff read it: local times, choice labels."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    try:
        choices = dict(model._meta.get_field(name).flatchoices)
    except FieldDoesNotExist:
        choices = {}
    return str(choices.get(value, value))


class ChangeLogAdmin(admin.ModelAdmin):
    """A read-only list of history records, newest first: who changed what, when and why."""

    list_filter = (
        "history_type",
        ("history_user", admin.RelatedOnlyFieldListFilter),
        ("history_date", admin.DateFieldListFilter),
    )
    date_hierarchy = "history_date"
    ordering = ("-history_date", "-history_id")
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="When", ordering="history_date")
    def when(self, record) -> str:
        return local_time(record.history_date)

    @admin.display(description="Changed by", ordering="history_user__username")
    def by(self, record) -> str:
        return str(record.history_user) if record.history_user_id else "system"

    @admin.display(description="Action", ordering="history_type")
    def action(self, record) -> str:
        return record.get_history_type_display()

    @admin.display(description="Reason")
    def reason(self, record) -> str:
        return record.history_change_reason or "—"

    @admin.display(description="What changed")
    def changes(self, record) -> str:
        previous = record.prev_record
        if previous is None:
            return "—"
        delta = record.diff_against(previous, foreign_keys_are_objs=True)
        model = record.instance_type
        return format_html_join(
            mark_safe("<br>"),
            "{}: {} → {}",
            (
                (
                    field_label(model, change.field),
                    shown(model, change.field, change.old),
                    shown(model, change.field, change.new),
                )
                for change in delta.changes
            ),
        )


class EventChangeLogAdmin(ChangeLogAdmin):
    list_display = (
        "when", "by", "action", "event_link", "event_start", "status", "changes", "reason",
    )  # fmt: skip
    list_display_links = ("when",)
    search_fields = ("title", "title_zh", "reference", "uid", "history_change_reason")
    list_select_related = ("history_user",)

    @admin.display(description="Event", ordering="title")
    def event_link(self, record) -> str:
        url = reverse("admin:scheduling_event_change", args=[record.id])
        return format_html('<a href="{}">{}</a>', url, record.title)

    @admin.display(description="Starts (event's zone)", ordering="start")
    def event_start(self, record) -> str:
        return local_time(record.start, zoneinfo.ZoneInfo(record.timezone))


class ProgrammeItemChangeLogAdmin(ChangeLogAdmin):
    list_display = (
        "when", "by", "action", "title", "event_name", "item_start", "changes", "reason",
    )  # fmt: skip
    list_display_links = ("when",)
    search_fields = ("title", "title_zh", "event__title", "history_change_reason")
    list_select_related = ("history_user", "event")

    @admin.display(description="Event")
    def event_name(self, record) -> str:
        return related_or_gone(record, "event")

    @admin.display(description="Starts", ordering="start")
    def item_start(self, record) -> str:
        return local_time(record.start)


class ProgrammeRoleChangeLogAdmin(ChangeLogAdmin):
    list_display = (
        "when", "by", "action", "item_name", "person_name", "part", "changes", "reason",
    )  # fmt: skip
    list_display_links = ("when",)
    search_fields = ("item__title", "person__name", "person__name_zh", "history_change_reason")
    list_select_related = ("history_user", "item", "person")

    @admin.display(description="Programme item")
    def item_name(self, record) -> str:
        return related_or_gone(record, "item")

    @admin.display(description="Person")
    def person_name(self, record) -> str:
        return related_or_gone(record, "person")


class BookingChangeLogAdmin(ChangeLogAdmin):
    list_display = (
        "when", "by", "action", "facility_name", "event_name", "booking_start", "status", "changes",
        "reason",
    )  # fmt: skip
    list_display_links = ("when",)
    search_fields = ("event__title", "facility__name", "history_change_reason")
    list_select_related = ("history_user", "event", "facility__site")

    @admin.display(description="Facility")
    def facility_name(self, record) -> str:
        return related_or_gone(record, "facility")

    @admin.display(description="Event")
    def event_name(self, record) -> str:
        return related_or_gone(record, "event")

    @admin.display(description="Starts", ordering="start")
    def booking_start(self, record) -> str:
        return local_time(record.start)


admin.site.register(Event.history.model, EventChangeLogAdmin)
admin.site.register(ProgrammeItem.history.model, ProgrammeItemChangeLogAdmin)
admin.site.register(ProgrammeRole.history.model, ProgrammeRoleChangeLogAdmin)
admin.site.register(Booking.history.model, BookingChangeLogAdmin)
