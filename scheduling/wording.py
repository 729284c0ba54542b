"""What changed, in words an attendee reads in an update ("Time: 10:00–11:45 → 10:30–12:15").

Services describe each change as they make it (they know before and after) and hand the lines
on with ``scheduling.signals.event_changed``; visitors keeps them with the update it queues, so
that an update coalescing several changes lists every one. Times are in the event's zone, with
the date only where a date changed.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from .models import Event, ProgrammeItem
from .timezones import clock


def _local(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment.astimezone(zone)


def span(start: dt.datetime, end: dt.datetime, zone: ZoneInfo, *, with_date: bool) -> str:
    """ "10:00–11:45", or "Tue 8 Dec 10:00–11:45" with the date (and the end's, if another);
    "01:00 BST–01:00 GMT" in the hour the clocks repeat (scheduling.timezones.clock)."""
    start, end = _local(start, zone), _local(end, zone)
    first = f"{start:%a} {start.day} {start:%b} {clock(start)}" if with_date else clock(start)
    if end.date() != start.date():
        return f"{first}–{end:%a} {end.day} {end:%b} {clock(end)}"
    return f"{first}–{clock(end)}"


def span_change(
    before: tuple[dt.datetime, dt.datetime], after: tuple[dt.datetime, dt.datetime], zone
) -> str:
    """ "10:00–11:45 → 10:30–12:15", with dates when the day moved."""
    with_date = _local(before[0], zone).date() != _local(after[0], zone).date()
    return f"{span(*before, zone, with_date=with_date)} → {span(*after, zone, with_date=with_date)}"


def event_time_changed(event: Event, before: tuple[dt.datetime, dt.datetime]) -> str:
    return _("Time: %(change)s") % {
        "change": span_change(before, (event.start, event.end), event.zone)
    }


def event_fields_changed(event: Event, before: dict[str, object], changed: list[str]) -> list[str]:
    """One line for each field an invite shows (titles and site say before and after)."""
    lines = []
    for name in changed:
        if name in ("title", "title_zh"):
            lines.append(
                _("Title: %(before)s → %(after)s")
                % {"before": before[name] or "—", "after": getattr(event, name) or "—"}
            )
        elif name == "site":
            lines.append(
                _("Site: %(before)s → %(after)s") % {"before": before[name], "after": event.site}
            )
        elif name == "description":
            lines.append(_("The description was updated."))
        elif name == "timezone":
            lines.append(_("Time zone: %(zone)s") % {"zone": event.timezone})
    return lines


def item_added(item: ProgrammeItem) -> str:
    when = span(item.start, item.end, item.event.zone, with_date=False)
    if item.kind == ProgrammeItem.Kind.TOUR_STOP:
        return _("Stop added: %(title)s, %(when)s") % {"title": item.title, "when": when}
    return _("Added to the programme: %(title)s, %(when)s") % {"title": item.title, "when": when}


def item_removed(item: ProgrammeItem) -> str:
    if item.kind == ProgrammeItem.Kind.TOUR_STOP:
        # The visit planner titles a stop "Tour stop: <host>"; the line says "Stop removed".
        place = item.title.removeprefix(f"{ProgrammeItem.Kind.TOUR_STOP.label}: ")
        return _("Stop removed: %(title)s") % {"title": place}
    return _("Removed from the programme: %(title)s") % {"title": item.title}


def item_changed(item: ProgrammeItem, before: dict[str, object]) -> list[str]:
    """Lines for an edited item: its new title, its new times, or that its details changed."""
    lines = []
    if before["title"] != item.title:
        lines.append(
            _("Programme: %(before)s → %(after)s")
            % {"before": before["title"], "after": item.title}
        )
    if (before["start"], before["end"]) != (item.start, item.end):
        change = span_change(
            (before["start"], before["end"]), (item.start, item.end), item.event.zone
        )
        lines.append(f"{item.title}: {change}")
    if not lines and any(before[name] != getattr(item, name) for name in before):
        lines.append(_("Programme: %(title)s was updated.") % {"title": item.title})
    return lines


def call_time_changed(before: dt.datetime | None, after: dt.datetime | None, zone: ZoneInfo) -> str:
    def show(moment):
        return clock(_local(moment, zone)) if moment else "—"

    return _("Your call time: %(before)s → %(after)s") % {
        "before": show(before),
        "after": show(after),
    }


def role_changed(before: str, after: str) -> str:
    return _("Your role: %(before)s → %(after)s") % {"before": before, "after": after}
