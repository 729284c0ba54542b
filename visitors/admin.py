"""Back office for organisations, people and attendance, and the attendee list on the event's
page (the scheduling admin's event page, extended here: scheduling knows nothing of visitors)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.forms import Form
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.admin import (
    ChangeLogAdmin,
    ServiceAdmin,
    labelled,
    local_time,
    related_or_gone,
    save_rows,
)
from scheduling.admin.events import EventAdmin, EventPartInline, event_is_open
from scheduling.admin.zones import ZonedTimesAdmin, pk_or_none
from scheduling.models import Event
from scheduling.wording import lines_for

from . import approvals, invitations, replies, sending, services
from .arrivals import services as arrivals
from .delegations import admin as delegations_admin  # noqa: F401 (registers its admins)
from .forms import AttendanceAdminForm
from .models import Attendance, Delivery, InboundReply, Organisation, Person


def no_invites(event: Event, reason: str) -> str:
    return _("No invites for “%(event)s”: %(reason)s") % {"event": event, "reason": reason}


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "name_zh", "kind", "website")
    list_filter = ("kind",)
    search_fields = ("name", "name_zh", "slug")
    prepopulated_fields = {"slug": ("name",)}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = (
        "display_name", "post", "organisation", "precedence_rank", "email", "interpreter_needed",
        "proposed_by",
    )  # fmt: skip
    list_filter = (
        "organisation__kind",
        "interpreter_needed",
        ("proposed_by", admin.RelatedOnlyFieldListFilter),
    )
    actions = ["merge_nominations"]
    search_fields = ("name", "name_zh", "email", "post", "organisation__name")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)
    # Order of precedence: 1 is the most senior; unranked people come last.
    ordering = (F("precedence_rank").asc(nulls_last=True), "name", "name_zh")
    fieldsets = (
        (None, {"fields": ("honorific", "name", "name_zh", "post_nominals", "precedence_rank")}),
        (gettext_lazy("Post and contact"), {"fields": ("post", "organisation", "email", "phone")}),
        (
            gettext_lazy("Needs"),
            {"fields": ("languages", "interpreter_needed", "dietary", "accessibility", "notes")},
        ),
        (gettext_lazy("Nomination"), {"fields": ("proposed_by",)}),
    )

    @admin.display(description=gettext_lazy("Name"), ordering="name")
    def display_name(self, person: Person) -> str:
        return person.display_name

    @admin.action(
        description=gettext_lazy(
            "Merge selected partner nominations into the person on file with the same "
            "e-mail address"
        ),
        permissions=["change"],
    )
    def merge_nominations(self, request, queryset):
        """Staff decide that a partner's nomination is someone on file (services.person_merge)."""
        for nominee in queryset.filter(proposed_by__isnull=False):
            matches = list(services.person_matches_on_file(person_id=nominee.pk))
            if len(matches) != 1:
                self.message_user(
                    request,
                    _("%(nominee)s: no single person on file has %(email)s; edit it instead.")
                    % {"nominee": nominee, "email": nominee.email},
                    messages.WARNING,
                )
                continue
            try:
                services.person_merge(nominee_id=nominee.pk, into_id=matches[0].pk, by=request.user)
            except ValidationError as error:
                reason = " ".join(error.messages)
                self.message_user(
                    request,
                    _("%(nominee)s not merged: %(reason)s")
                    % {"nominee": nominee, "reason": reason},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    _("%(nominee)s is now %(person)s.")
                    % {"nominee": nominee, "person": matches[0]},
                    messages.SUCCESS,
                )


@admin.register(Attendance)
class AttendanceAdmin(ZonedTimesAdmin, ServiceAdmin):
    form = AttendanceAdminForm
    list_display = (
        "person", "event", "event_start", "role", "order_override", "rsvp", "guests",
        "checked_in_at",
    )  # fmt: skip
    list_filter = ("role", "rsvp", "awaiting_approval", "event__site", "event__status")
    search_fields = ("person__name", "person__name_zh", "event__title", "event__title_zh")
    list_select_related = ("person", "event")
    autocomplete_fields = ("event", "person")
    actions = ["check_in", "send_invites", "approve_invites"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("event", "person", "rsvp_at", "checked_in_at", "checkin_code", "walk_in_reason")

    def get_fields(self, request, obj=None):
        fields = [
            "event", "person", "role", "order_override", "rsvp", "guests", "call_time", "notes",
            "notify_on_arrival",
        ]  # fmt: skip
        shown = ["rsvp_at", "checked_in_at", "checkin_code", "walk_in_reason"]
        return fields if obj is None else fields + shown

    def times_zone(self, request, object_id: str | None) -> str | None:
        """Its event's zone (the call time's); a new attendance's once its event is chosen."""
        if object_id is not None:
            attendances = Attendance.objects.filter(pk=pk_or_none(object_id))
            return attendances.values_list("event__timezone", flat=True).first()
        data = request.POST if request.method == "POST" else request.GET
        events = Event.objects.filter(pk=pk_or_none(data.get("event")))
        return events.values_list("timezone", flat=True).first()

    def has_change_permission(self, request, obj=None):
        open_list = obj is None or event_is_open(obj.event)
        return open_list and super().has_change_permission(request, obj)

    @admin.display(description=gettext_lazy("Event starts"), ordering="event__start")
    def event_start(self, attendance: Attendance) -> str:
        return local_time(attendance.event.start, attendance.event.zone)

    def save_model(self, request, obj, form, change):
        attendance = attendance_save(form, event_id=obj.event_id, by=request.user)
        obj.pk = attendance.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.attendance_remove(attendance_id=obj.pk, by=request.user)

    @admin.action(description=gettext_lazy("Check in (mark as arrived)"), permissions=["change"])
    def check_in(self, request, queryset):
        arrived = 0
        for attendance in queryset:
            try:
                arrivals.attendance_check_in(attendance_id=attendance.pk, by=request.user)
            except ValidationError as error:
                reason = " ".join(error.messages)
                self.message_user(
                    request,
                    _("%(attendance)s not checked in: %(reason)s")
                    % {"attendance": attendance, "reason": reason},
                    messages.ERROR,
                )
            else:
                arrived += 1
        if arrived:
            self.message_user(
                request, _("%(count)d checked in.") % {"count": arrived}, messages.SUCCESS
            )

    @admin.action(
        description=gettext_lazy("Send the invite to the selected attendees"),
        permissions=["change"],
    )
    def send_invites(self, request, queryset):
        """Queue invites for the chosen attendees, event by event; a refusal is named."""
        chosen: dict[Event, list[int]] = {}
        for attendance in queryset.select_related("event").order_by("event__start", "pk"):
            chosen.setdefault(attendance.event, []).append(attendance.pk)
        for event, attendance_ids in chosen.items():
            try:
                queued = invitations.invites_send(
                    event_id=event.pk, attendance_ids=attendance_ids, by=request.user
                )
            except ValidationError as error:
                reason = " ".join(error.messages)
                self.message_user(request, no_invites(event, reason), messages.ERROR)
                continue
            held = sum(row.state == Delivery.State.HELD for row in queued)
            skipped = len(attendance_ids) - len(queued)
            if held and skipped:
                text = _(
                    "“%(event)s”: %(count)d queued, %(held)d awaiting approval (%(skipped)d "
                    "already have this version or have no e-mail address)."
                )
            elif held:
                text = _("“%(event)s”: %(count)d queued, %(held)d awaiting approval.")
            elif skipped:
                text = _(
                    "“%(event)s”: %(count)d queued (%(skipped)d already have this version or "
                    "have no e-mail address)."
                )
            else:
                text = _("“%(event)s”: %(count)d queued.")
            self.message_user(
                request,
                text
                % {"event": event, "count": len(queued) - held, "held": held, "skipped": skipped},
                messages.SUCCESS if queued else messages.INFO,
            )

    @admin.action(
        description=gettext_lazy(
            "Approve invites to the selected attendees (a partner wrote or added them)"
        ),
        permissions=["change"],
    )
    def approve_invites(self, request, queryset):
        chosen: dict[int, list[int]] = {}
        for event_id, pk in queryset.filter(awaiting_approval=True).values_list("event_id", "pk"):
            chosen.setdefault(event_id, []).append(pk)
        released = 0
        for event_id, attendance_ids in chosen.items():
            released += len(
                approvals.invites_approve(
                    event_id=event_id, attendance_ids=attendance_ids, by=request.user
                )
            )
        approved = sum(len(ids) for ids in chosen.values())
        self.message_user(
            request,
            _("%(approved)d approved; %(released)d messages queued.")
            % {"approved": approved, "released": released},
            messages.SUCCESS,
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The invite outbox, read-only: what went to whom, what failed and why; failed rows can be
    resent."""

    list_display = (
        "person", "event", "method", "sequence", "state", "attempts", "next_attempt_at",
        "sent_at", "short_error",
    )  # fmt: skip
    list_filter = ("state", "method", ("event", admin.RelatedOnlyFieldListFilter))
    search_fields = ("person__name", "person__name_zh", "person__email", "event__title")
    list_select_related = ("person", "event")
    date_hierarchy = "created_at"
    actions = ["resend"]
    exclude = ["changes"]  # kept in every language: shown in the reader's
    readonly_fields = ["what_changed"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("visitors.change_delivery")

    @admin.display(description=gettext_lazy("What changed"))
    def what_changed(self, delivery: Delivery) -> str:
        lines = lines_for(delivery.changes)
        return format_html_join("\n", "<p>{}</p>", ((line,) for line in lines)) if lines else "—"

    @admin.display(description=gettext_lazy("Last error"))
    def short_error(self, delivery: Delivery) -> str:
        error = delivery.last_error
        return error if len(error) <= 80 else error[:79] + "…"

    @admin.action(
        description=gettext_lazy("Resend selected failed messages"), permissions=["resend"]
    )
    def resend(self, request, queryset):
        resent = 0
        for delivery in queryset:
            try:
                sending.delivery_resend(delivery_id=delivery.pk, by=request.user)
            except ValidationError as error:
                reason = " ".join(error.messages)
                self.message_user(
                    request,
                    _("%(delivery)s not resent: %(reason)s")
                    % {"delivery": delivery, "reason": reason},
                    messages.ERROR,
                )
            else:
                resent += 1
        if resent:
            self.message_user(
                request, _("%(count)d queued again.") % {"count": resent}, messages.SUCCESS
            )


@admin.register(InboundReply)
class InboundReplyAdmin(admin.ModelAdmin):
    """Replies from attendees' calendars as received, and what became of each; staff decide
    those held for review (replies.reply_apply, replies.reply_dismiss)."""

    list_display = ("received_at", "sender", "method", "state", "attendance", "short_reason")
    list_filter = ("state", "source", "code")
    search_fields = ("sender", "message_id", "reason", "attendance__person__name")
    list_select_related = ("attendance__person", "attendance__event")
    date_hierarchy = "received_at"
    actions = ["apply_anyway", "dismiss"]
    fields = (
        "received_at", "source", "sender", "message_id", "method", "state", "code", "reason",
        "attendance", "mailbox", "uidvalidity", "uid", "reviewed_by", "reviewed_at", "message",
    )  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def render_change_form(self, request, context, *args, **kwargs):
        # Every field is read-only: staff decide through the list's actions, not a Save.
        context.update(show_save=False, show_save_and_continue=False)
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description=gettext_lazy("Reason"))
    def short_reason(self, reply: InboundReply) -> str:
        return reply.reason if len(reply.reason) <= 80 else reply.reason[:79] + "…"

    @admin.display(description=gettext_lazy("Message as received"))
    def message(self, reply: InboundReply) -> str:
        return format_html("<pre>{}</pre>", bytes(reply.raw).decode("utf-8", "replace"))

    def _decide(self, request, queryset, decide, done: str) -> None:
        decided = 0
        for reply in queryset:
            try:
                decide(reply_id=reply.pk, by=request.user)
            except ValidationError as error:
                reason = replies.refusal_text(error)
                self.message_user(request, labelled(str(reply), reason), messages.ERROR)
            else:
                decided += 1
        if decided:
            self.message_user(request, done % {"count": decided}, messages.SUCCESS)

    @admin.action(
        description=gettext_lazy("Apply the selected replies anyway"), permissions=["change"]
    )
    def apply_anyway(self, request, queryset):
        self._decide(request, queryset, replies.reply_apply, _("%(count)d applied."))

    @admin.action(
        description=gettext_lazy("Dismiss the selected replies (answers stay as they are)"),
        permissions=["change"],
    )
    def dismiss(self, request, queryset):
        self._decide(request, queryset, replies.reply_dismiss, _("%(count)d dismissed."))


class AttendanceChangeLogAdmin(ChangeLogAdmin):
    list_display = (
        "when", "by", "action", "person_name", "event_name", "role", "rsvp", "changes", "reason",
    )  # fmt: skip
    list_display_links = ("when",)
    search_fields = ("person__name", "person__name_zh", "event__title", "history_change_reason")
    list_select_related = ("history_user", "person", "event")

    @admin.display(description=gettext_lazy("Person"))
    def person_name(self, record) -> str:
        return related_or_gone(record, "person")

    @admin.display(description=gettext_lazy("Event"))
    def event_name(self, record) -> str:
        return related_or_gone(record, "event")


admin.site.register(Attendance.history.model, AttendanceChangeLogAdmin)


# --- The attendee list on the event's page ---------------------------------------------------


class AttendanceInline(EventPartInline):
    """The attendee list, in order of precedence (visitors/precedence.py)."""

    model = Attendance
    form = AttendanceAdminForm
    fields = ("person", "role", "order_override", "rsvp", "guests", "call_time", "checked_in_at")
    readonly_fields = ("checked_in_at",)
    autocomplete_fields = ("person",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("person__organisation")
        return queryset.in_precedence_order()


def attendance_save(form: Form, *, event_id: int, by) -> Attendance:
    """Save one attendance form through the visitor services (add, update, RSVP)."""
    data = form.cleaned_data
    details = {name: data[name] for name in services.ATTENDANCE_FIELDS if name in data}
    if form.instance.pk is None:
        attendance = services.attendance_add(
            event_id=event_id, person_id=data["person"].pk, by=by, **details
        )
        if data.get("rsvp", Attendance.RSVP.NEEDS_ACTION) != Attendance.RSVP.NEEDS_ACTION:
            attendance = services.rsvp_record(
                attendance_id=attendance.pk, answer=data["rsvp"], by=by
            )
        return attendance
    attendance_id = form.instance.pk
    changed = {name: value for name, value in details.items() if name in form.changed_data}
    attendance = form.instance
    if changed:
        attendance = services.attendance_update(attendance_id=attendance_id, by=by, **changed)
    if "rsvp" in form.changed_data:
        attendance = services.rsvp_record(attendance_id=attendance_id, answer=data["rsvp"], by=by)
    return attendance


class EventWithAttendeesAdmin(EventAdmin):
    """Scheduling's event page with the attendee list and the invite action."""

    inlines = [*EventAdmin.inlines, AttendanceInline]
    actions = [*EventAdmin.actions, "send_invites"]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Attendance:
            return super().save_formset(request, form, formset, change)
        event_id, by = form.instance.pk, request.user
        save_rows(
            formset,
            label=lambda row: _("Attendee %(person)s") % {"person": row.cleaned_data.get("person")},
            save=lambda row: attendance_save(row, event_id=event_id, by=by),
            delete=lambda row: services.attendance_remove(attendance_id=row.instance.pk, by=by),
        )

    @admin.action(
        description=gettext_lazy("Send invites to every attendee"), permissions=["change"]
    )
    def send_invites(self, request, queryset):
        """Queue invites per event; a refusal (not confirmed, bookings held) is named."""
        for event in queryset:
            try:
                queued = invitations.invites_send(event_id=event.pk, by=request.user)
            except ValidationError as error:
                reason = " ".join(error.messages)
                self.message_user(request, no_invites(event, reason), messages.ERROR)
                continue
            if queued:
                self.message_user(
                    request,
                    ngettext(
                        "“%(event)s”: %(count)d invite queued.",
                        "“%(event)s”: %(count)d invites queued.",
                        len(queued),
                    )
                    % {"event": event, "count": len(queued)},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    _(
                        "“%(event)s”: nothing new to send; everyone with an e-mail address "
                        "already has this version."
                    )
                    % {"event": event},
                    messages.INFO,
                )


admin.site.unregister(Event)
admin.site.register(Event, EventWithAttendeesAdmin)
