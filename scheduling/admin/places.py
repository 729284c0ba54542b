"""Back office for sites, their facilities, closures and travel times between buildings."""

import zoneinfo

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.admin import local_time

from ..models import Booking, Closure, Facility, Site, TravelTime
from ..services import closures as closure_services
from ..services import places as place_services
from ..timezones import DAY_TIME, written


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

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        # Through the service: a new name or address goes to the attendees whose invites print it.
        place_services.site_update(site_id=obj.pk, by=request.user, **changed)
        obj.refresh_from_db()


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

    def save_model(self, request, obj, form, change):
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        if not change:  # a new facility: no invite prints it yet
            return super().save_model(request, obj, form, change)
        place_services.facility_update(facility_id=obj.pk, by=request.user, **changed)
        obj.refresh_from_db()

    @admin.display(description=gettext_lazy("Bookable hours"))
    def bookable_hours(self, facility: Facility) -> str:
        if facility.bookable_from is None:
            return _("Any time")
        return f"{facility.bookable_from:%H:%M}–{facility.bookable_until:%H:%M}"


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ("__str__", "site", "facility", "local_start", "local_end", "reason", "note")
    list_filter = ("reason", "site", "facility__site")
    search_fields = ("note", "facility__name", "site__name")
    date_hierarchy = "start"
    autocomplete_fields = ("site", "facility")
    list_select_related = ("site", "facility__site")

    @admin.display(description=gettext_lazy("Starts (site's zone)"), ordering="start")
    def local_start(self, closure: Closure) -> str:
        return local_time(closure.start, self.zone(closure))

    @admin.display(description=gettext_lazy("Ends"), ordering="end")
    def local_end(self, closure: Closure) -> str:
        return local_time(closure.end, self.zone(closure))

    @staticmethod
    def zone(closure: Closure) -> zoneinfo.ZoneInfo:
        site = closure.site or closure.facility.site
        return zoneinfo.ZoneInfo(site.timezone)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {
            "site_id": getattr(data.get("site"), "pk", None),
            "facility_id": getattr(data.get("facility"), "pk", None),
            "start": data["start"],
            "end": data["end"],
            "reason": data["reason"],
            "note": data["note"],
        }
        if change:
            saved = closure_services.closure_update(closure_id=obj.pk, **fields)
        else:
            saved = closure_services.closure_create(**fields)
        obj.pk = saved.closure.pk
        obj._state.adding = False
        if saved.overlapping:
            self.message_user(request, overlap_message(saved.overlapping), messages.WARNING)
        obj.refresh_from_db()


def overlap_message(bookings: list[Booking]) -> str:
    """'Closure saved; it lies over 2 active bookings, …: Hall 1 for “Opening”, Mon 04 Mar …'."""
    listed = "; ".join(
        _("%(facility)s for “%(event)s”, %(when)s")
        % {"facility": b.facility.name, "event": b.event.title, "when": _booked(b)}
        for b in bookings
    )
    return ngettext(
        "Closure saved; it lies over %(count)d active booking, whose event now shows a "
        "warning: %(listed)s.",
        "Closure saved; it lies over %(count)d active bookings, whose events now show a "
        "warning: %(listed)s.",
        len(bookings),
    ) % {"count": len(bookings), "listed": listed}


def _booked(booking: Booking) -> str:
    zone = booking.event.zone
    start, end = timezone.localtime(booking.start, zone), timezone.localtime(booking.end, zone)
    end_form = "H:i" if start.date() == end.date() else DAY_TIME
    return f"{written(start, DAY_TIME)}–{written(end, end_form)} {end.tzname()}"
