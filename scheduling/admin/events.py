"""Back office for events and their run-of-show (visitors/admin.py adds the attendee list)."""

from collections.abc import Iterable
from functools import partial

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.forms import Form
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from core.admin import ServiceAdmin, labelled, local_time, save_rows
from core.admin_forms import LabelledRowsFormSet
from core.audit import reason_shown, stamp

from .. import services
from ..forms import EventAdminForm, ProgrammeItemInlineForm
from ..models import Booking, Event, ProgrammeItem, ProgrammeRole, Site
from ..models.events import CANCEL_REASON_MAX_LENGTH
from ..services.events import DETAIL_FIELDS as EVENT_DETAIL_FIELDS
from ..services.programme import ITEM_FIELDS
from ..timezones import iana_zone_names
from .bookings import occupied_interval
from .zones import ZONED_TIMES, ZonedTimesAdmin, pk_or_none


def event_is_open(event: Event | None) -> bool:
    """Cancelled and completed events are final: the back office shows them read-only."""
    return event is None or not event.is_final


class EventPartInline(admin.TabularInline):
    """A part of an event, editable while the event is not final; its times in the event's zone
    (EventAdmin.times_zone), each input named after its field and row."""

    extra = 0
    formset = LabelledRowsFormSet
    formfield_overrides = ZONED_TIMES

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
    verbose_name_plural = gettext_lazy("programme (run-of-show)")


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

    @admin.display(description=gettext_lazy("Starts"))
    def local_start(self, booking: Booking) -> str:
        return local_time(booking.start, booking.event.zone)

    @admin.display(description=gettext_lazy("Ends"))
    def local_end(self, booking: Booking) -> str:
        return local_time(booking.end, booking.event.zone)

    @admin.display(description=gettext_lazy("Occupied (with set-up and teardown)"))
    def occupied(self, booking: Booking) -> str:
        return occupied_interval(booking)


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
class EventAdmin(ZonedTimesAdmin, ServiceAdmin):
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
    readonly_fields = ("uid", "sequence", "cancel_reason", "created_at", "updated_at")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "title_zh",
                    "bilingual",
                    "reference",
                    "kind",
                    "status",
                    "visibility",
                )
            },
        ),
        (
            gettext_lazy("When and where"),
            {"fields": ("site", "timezone", "start", "end", "times_change")},
        ),
        (gettext_lazy("Who"), {"fields": ("host_organisation", "organiser")}),
        (gettext_lazy("Embargo"), {"fields": ("release_at", "release_visibility")}),
        (gettext_lazy("Text"), {"fields": ("description", "internal_notes", "cancel_reason")}),
        (
            gettext_lazy("Calendar record"),
            {"fields": ("uid", "sequence", "created_at", "updated_at")},
        ),
    )
    inlines = [ProgrammeItemInline, BookingInline]  # visitors adds the attendee list
    actions = ["confirm_events", "cancel_events", "release_events"]
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

    def times_zone(self, request, object_id: str | None) -> str | None:
        """An event's own zone; a new one's times are read in the zone given, else its site's
        (as event_create plans it)."""
        if object_id is not None:
            events = Event.objects.filter(pk=pk_or_none(object_id))
            return events.values_list("timezone", flat=True).first()
        data = request.POST if request.method == "POST" else request.GET
        if data.get("timezone") in iana_zone_names():
            return data["timezone"]
        sites = Site.objects.filter(pk=pk_or_none(data.get("site")))
        return sites.values_list("timezone", flat=True).first()

    def has_delete_permission(self, request, obj=None):
        # Only a draft has never been announced; anything later is cancelled instead.
        allowed = obj is None or obj.status == Event.Status.DRAFT
        return allowed and super().has_delete_permission(request, obj)

    @admin.display(description=gettext_lazy("Starts (event's zone)"), ordering="start")
    def local_start(self, event: Event) -> str:
        return local_time(event.start, event.zone)

    @admin.display(description=gettext_lazy("Last change"), ordering="last_changed_at")
    def last_change(self, event: Event) -> str:
        if getattr(event, "last_changed_at", None) is None:
            return "—"
        line = _("%(when)s by %(who)s") % {
            "when": local_time(event.last_changed_at),
            "who": event.last_changed_by or _("system"),
        }
        if not event.last_change_reason:
            return line
        return labelled(line, reason_shown(event.last_change_reason))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            event = services.event_create(
                by=request.user,
                **{name: data[name] for name in EventAdminForm.Meta.fields if name in data},
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
                    event_id=obj.pk,
                    start=data["start"],
                    end=data["end"],
                    move_contents=data.get("times_change") != "window",
                    by=request.user,
                )
            if "status" in changed:
                services.event_transition(event_id=obj.pk, to=data["status"], by=request.user)
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        event_id, by = form.instance.pk, request.user
        if formset.model is ProgrammeItem:
            save_rows(
                formset,
                label=lambda row: (
                    _("Programme item “%(title)s”") % {"title": row.cleaned_data.get("title")}
                ),
                save=lambda row: programme_item_save(row, event_id=event_id, by=by),
                delete=lambda row: services.programme_item_delete(item_id=row.instance.pk, by=by),
            )
        elif formset.model is Booking:
            # Bookings are read-only here: the Booking pages call the booking services.
            save_rows(formset, label=str, save=None, delete=None)

    def delete_model(self, request, obj):
        stamp(obj, by=request.user, reason=pgettext_lazy("history reason", "Deleted draft"))
        obj.delete()

    @admin.action(description=gettext_lazy("Confirm selected events"), permissions=["change"])
    def confirm_events(self, request, queryset):
        self._move_each(request, queryset, services.event_confirm, Event.Status.CONFIRMED)

    @admin.action(
        description=gettext_lazy("Cancel selected events (releases their bookings)"),
        permissions=["change"],
    )
    def cancel_events(self, request, queryset):
        """Final and told to attendees: a page first says so and asks the reason they are sent."""
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/scheduling/event/cancel_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "events": list(queryset),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "max_length": CANCEL_REASON_MAX_LENGTH,
                },
            )
        reason = request.POST.get("reason", "").strip()[:CANCEL_REASON_MAX_LENGTH]
        self._move_each(
            request, queryset, partial(services.event_cancel, reason=reason), Event.Status.CANCELLED
        )
        return None

    @admin.action(
        description=gettext_lazy("Release selected events from their embargo now"),
        permissions=["change"],
    )
    def release_events(self, request, queryset):
        released = 0
        for event in queryset.filter(release_at__isnull=False):
            try:
                services.event_release(event_id=event.pk, by=request.user)
            except ValidationError as error:
                self.message_user(
                    request,
                    _("“%(event)s” was not released: %(reason)s")
                    % {"event": event, "reason": " ".join(error.messages)},
                    messages.ERROR,
                )
            else:
                released += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d event released from its embargo.",
                "%(count)d events released from their embargo.",
                released,
            )
            % {"count": released},
            messages.SUCCESS if released else messages.INFO,
        )

    def _move_each(self, request, queryset: Iterable[Event], service, status: str) -> None:
        """Apply a status service to each event on its own; report each refusal by name."""
        done_word = Event.Status(status).label.lower()
        moved = 0
        for event in queryset:
            if event.status == status:
                self.message_user(
                    request,
                    _("“%(event)s” was already %(status)s.")
                    % {"event": event, "status": done_word},
                    messages.INFO,
                )
                continue
            try:
                service(event_id=event.pk, by=request.user)
            except ValidationError as error:
                reason = " ".join(error.messages)
                self.message_user(
                    request,
                    _("“%(event)s” was not %(status)s: %(reason)s")
                    % {"event": event, "status": done_word, "reason": reason},
                    messages.ERROR,
                )
            else:
                moved += 1
        if moved:
            self.message_user(
                request,
                ngettext("%(count)d event %(status)s.", "%(count)d events %(status)s.", moved)
                % {"count": moved, "status": done_word},
                messages.SUCCESS,
            )


# --- Programme -----------------------------------------------------------------------------------


class ProgrammeRoleInline(admin.TabularInline):
    model = ProgrammeRole
    formset = LabelledRowsFormSet
    fields = ("person", "part", "position")
    autocomplete_fields = ("person",)
    ordering = ("position", "id")
    extra = 0


@admin.register(ProgrammeItem)
class ProgrammeItemAdmin(ZonedTimesAdmin, ServiceAdmin):
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

    def times_zone(self, request, object_id: str | None) -> str | None:
        """Its event's zone; a new item's, once its event is chosen."""
        if object_id is not None:
            items = ProgrammeItem.objects.filter(pk=pk_or_none(object_id))
            return items.values_list("event__timezone", flat=True).first()
        data = request.POST if request.method == "POST" else request.GET
        events = Event.objects.filter(pk=pk_or_none(data.get("event")))
        return events.values_list("timezone", flat=True).first()

    def has_change_permission(self, request, obj=None):
        return event_is_open(obj.event if obj else None) and super().has_change_permission(
            request, obj
        )

    @admin.display(description=gettext_lazy("Starts (event's zone)"), ordering="start")
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
        released = services.programme_item_delete(item_id=obj.pk, by=request.user)
        if released:
            freed = ", ".join(str(booking.facility) for booking in released)
            self.message_user(
                request, _("Its bookings were released: %(facilities)s.") % {"facilities": freed}
            )
