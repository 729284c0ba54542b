"""Back office for facility bookings: every change goes through the booking services."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.admin import ServiceAdmin, local_time

from ..forms import BookingAdminForm
from ..models import Booking, Event, Facility
from ..services import bookings as booking_services
from ..timezones import DAY_TIME, written
from .zones import ZonedTimesAdmin, pk_or_none

BOOKING_PLACE_FIELDS = ("facility", "start", "end", "setup_minutes", "teardown_minutes")


@admin.register(Booking)
class BookingAdmin(ZonedTimesAdmin, ServiceAdmin):
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

    def times_zone(self, request, object_id: str | None) -> str | None:
        """The zone of its facility's site; a new booking's once its facility is chosen (or,
        from the event's "Book a facility" link, its event's site's)."""
        if object_id is not None:
            bookings = Booking.objects.filter(pk=pk_or_none(object_id))
            return bookings.values_list("facility__site__timezone", flat=True).first()
        data = request.POST if request.method == "POST" else request.GET
        if facility := pk_or_none(data.get("facility")):
            facilities = Facility.objects.filter(pk=facility)
            return facilities.values_list("site__timezone", flat=True).first()
        events = Event.objects.filter(pk=pk_or_none(data.get("event")))
        return events.values_list("site__timezone", flat=True).first()

    def has_delete_permission(self, request, obj=None):
        # An active booking is released, never deleted: the release is part of the record.
        return (obj is None or not obj.is_active) and super().has_delete_permission(request, obj)

    @admin.display(description=gettext_lazy("Starts"), ordering="start")
    def local_start(self, booking: Booking) -> str:
        return local_time(booking.start, booking.event.zone)

    @admin.display(description=gettext_lazy("Ends"), ordering="end")
    def local_end(self, booking: Booking) -> str:
        return local_time(booking.end, booking.event.zone)

    @admin.display(description=gettext_lazy("Occupied (with set-up and teardown)"))
    def occupied(self, booking: Booking) -> str:
        return occupied_interval(booking)

    @admin.action(description=gettext_lazy("Confirm selected bookings"), permissions=["change"])
    def confirm_bookings(self, request, queryset):
        self._apply_each(request, queryset, _("confirmed"), booking_services.booking_confirm)

    @admin.action(
        description=gettext_lazy("Go/no-go: confirm as final (releases their backups)"),
        permissions=["change"],
    )
    def confirm_bookings_final(self, request, queryset):
        self._apply_each(
            request, queryset, _("confirmed as final"), booking_services.booking_confirm, final=True
        )

    @admin.action(description=gettext_lazy("Release selected bookings"), permissions=["change"])
    def release_bookings(self, request, queryset):
        self._apply_each(request, queryset, _("released"), booking_services.booking_release)

    def _apply_each(self, request, queryset, done: str, service, **options) -> None:
        """Apply a booking service to each booking on its own; report each refusal by name."""
        applied = 0
        for booking in queryset.select_related("facility__site", "event"):
            try:
                service(booking_id=booking.pk, by=request.user, **options)
            except ValidationError as error:
                reason = " ".join(error.messages)
                self.message_user(
                    request,
                    _("%(booking)s was not %(done)s: %(reason)s")
                    % {"booking": booking, "done": done, "reason": reason},
                    messages.ERROR,
                )
            else:
                applied += 1
        if applied:
            self.message_user(
                request,
                ngettext("%(count)d booking %(done)s.", "%(count)d bookings %(done)s.", applied)
                % {"count": applied, "done": done},
                messages.SUCCESS,
            )

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


def occupied_interval(booking: Booking) -> str:
    if booking.occupied_start is None:
        return "—"
    zone = booking.event.zone if booking.event_id else None
    start = timezone.localtime(booking.occupied_start, zone)
    end = timezone.localtime(booking.occupied_end, zone)
    end_form = "H:i" if start.date() == end.date() else DAY_TIME
    return f"{written(start, DAY_TIME)}–{written(end, end_form)}"
