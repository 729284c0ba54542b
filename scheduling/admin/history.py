"""Read-only history lists of events, programme items, roles and bookings."""

import zoneinfo

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from core.admin import ChangeLogAdmin, local_time, related_or_gone

from ..models import Booking, Event, ProgrammeItem, ProgrammeRole


class EventChangeLogAdmin(ChangeLogAdmin):
    list_display = (
        "when", "by", "action", "event_link", "event_start", "status", "changes", "reason",
    )  # fmt: skip
    list_display_links = ("when",)
    search_fields = ("title", "title_zh", "reference", "uid", "history_change_reason")
    list_select_related = ("history_user",)

    @admin.display(description=gettext_lazy("Event"), ordering="title")
    def event_link(self, record) -> str:
        url = reverse("admin:scheduling_event_change", args=[record.id])
        return format_html('<a href="{}">{}</a>', url, record.title)

    @admin.display(description=gettext_lazy("Starts (event's zone)"), ordering="start")
    def event_start(self, record) -> str:
        return local_time(record.start, zoneinfo.ZoneInfo(record.timezone))


class ProgrammeItemChangeLogAdmin(ChangeLogAdmin):
    list_display = (
        "when", "by", "action", "title", "event_name", "item_start", "changes", "reason",
    )  # fmt: skip
    list_display_links = ("when",)
    search_fields = ("title", "title_zh", "event__title", "history_change_reason")
    list_select_related = ("history_user", "event")

    @admin.display(description=gettext_lazy("Event"))
    def event_name(self, record) -> str:
        return related_or_gone(record, "event")

    @admin.display(description=gettext_lazy("Starts"), ordering="start")
    def item_start(self, record) -> str:
        return local_time(record.start)


class ProgrammeRoleChangeLogAdmin(ChangeLogAdmin):
    list_display = (
        "when", "by", "action", "item_name", "person_name", "part", "changes", "reason",
    )  # fmt: skip
    list_display_links = ("when",)
    search_fields = ("item__title", "person__name", "person__name_zh", "history_change_reason")
    list_select_related = ("history_user", "item", "person")

    @admin.display(description=gettext_lazy("Programme item"))
    def item_name(self, record) -> str:
        return related_or_gone(record, "item")

    @admin.display(description=gettext_lazy("Person"))
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

    @admin.display(description=gettext_lazy("Facility"))
    def facility_name(self, record) -> str:
        return related_or_gone(record, "facility")

    @admin.display(description=gettext_lazy("Event"))
    def event_name(self, record) -> str:
        return related_or_gone(record, "event")

    @admin.display(description=gettext_lazy("Starts"), ordering="start")
    def booking_start(self, record) -> str:
        return local_time(record.start)


admin.site.register(Event.history.model, EventChangeLogAdmin)
admin.site.register(ProgrammeItem.history.model, ProgrammeItemChangeLogAdmin)
admin.site.register(ProgrammeRole.history.model, ProgrammeRoleChangeLogAdmin)
admin.site.register(Booking.history.model, BookingChangeLogAdmin)
