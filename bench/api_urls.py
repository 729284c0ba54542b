"""The project's URLs plus the API bench's floor: a bare Django view returning the same rows as
a page of ``GET /api/v1/events/`` (the page's events, the programme items a partner may see
with their speakers, and the bookings) with ``.values()``, nested per event as the API nests
them, and a JSON dump. No key, no DRF, no serializer, no model instances, no sync token or
ETag: the least any answer with these rows must cost. Served only by the gunicorn that
``bench/api.py`` starts (through bench/api_settings.py), never in production."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from scheduling.models import Booking, Event, ProgrammeItem, ProgrammeRole
from scheduling.visibility import partner, programme_item_filter

FLOOR_PATH = "bench/floor/events/"
# The columns of the event itself that the API's event JSON carries (internal_notes is null
# for a partner key, so it is left out here).
COLUMNS = (
    "id",
    "uid",
    "reference",
    "sequence",
    "title",
    "title_zh",
    "kind",
    "status",
    "visibility",
    "site_id",
    "timezone",
    "start",
    "end",
    "host_organisation_id",
    "description",
    "created_at",
    "updated_at",
)


ITEM_COLUMNS = (
    "id", "event_id", "position", "start", "end", "title", "title_zh", "kind", "visibility",
    "facility_id", "host_organisation_id", "description",
)  # fmt: skip
BOOKING_COLUMNS = (
    "id", "event_id", "facility_id", "programme_item_id", "status", "start", "end",
    "setup_minutes", "teardown_minutes", "occupied_start", "occupied_end", "hold_expires_at",
    "backup_of_id", "backup_deadline", "released_at", "updated_at",
)  # fmt: skip


def floor_events(request):
    """``?organisation=<id>&page_size=<n>``: the first n events that organisation's partner key
    lists (visible to it, not cancelled, by start then id), each with the programme items it
    may see (and their speakers' names) and the bookings."""
    size, organisation = int(request.GET.get("page_size", 100)), int(request.GET["organisation"])
    rows = list(
        Event.objects.visible_to(partner(organisation))
        .exclude(status=Event.Status.CANCELLED)
        .order_by("start", "id")
        .values(*COLUMNS)[:size]
    )
    by_event = {row["id"]: {**row, "programme": [], "bookings": []} for row in rows}
    items = {}
    for item in (
        ProgrammeItem.objects.filter(event_id__in=by_event)
        .filter(programme_item_filter(partner(organisation)))  # the items it may see
        .order_by("start", "position", "id")
        .values(*ITEM_COLUMNS)
    ):
        items[item["id"]] = item = {**item, "roles": []}
        by_event[item["event_id"]]["programme"].append(item)
    for role in (
        ProgrammeRole.objects.filter(item_id__in=items)
        .order_by("item_id", "position", "id")
        .values("item_id", "part", "person__honorific", "person__name", "person__name_zh")
    ):
        items[role["item_id"]]["roles"].append(role)
    for booking in (
        Booking.objects.filter(event_id__in=by_event)
        .order_by("start", "id")
        .values(*BOOKING_COLUMNS)
    ):
        by_event[booking["event_id"]]["bookings"].append(booking)
    rows = list(by_event.values())
    return HttpResponse(
        json.dumps({"results": rows}, cls=DjangoJSONEncoder), content_type="application/json"
    )


urlpatterns = [path(FLOOR_PATH, floor_events), *project_urlpatterns]
