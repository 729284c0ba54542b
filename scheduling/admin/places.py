"""Back office for sites, their facilities, closures and travel times between buildings."""

import zoneinfo

from django.contrib import admin

from core.admin import local_time

from ..models import Closure, Facility, Site, TravelTime


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
