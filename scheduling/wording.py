"""What changed, in words an attendee reads in an update ("Time: 10:00–11:45 → 10:30–12:15").

Services describe each change as they make it (they know before and after) and hand the lines
on with ``scheduling.signals.event_changed``; visitors keeps them with the update it queues, so
that an update coalescing several changes lists every one. Times are in the event's zone, with
the date only where a date changed.

An update is read later, by people who may read another language than the officer making the
change: so each change is said in every language of the site at once (``Said``: language code
→ lines), and each message reads the lines of the language it is written in (``lines_for``).
"""

import datetime as dt
from collections.abc import Callable, Mapping
from functools import wraps
from typing import ParamSpec
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import Event, Facility, ProgrammeItem, Site
from .timezones import clock

# A change in words, in every language of the site: {"en": [...], "zh-hant": [...]}.
Said = dict[str, list[str]]
P = ParamSpec("P")


def _in_every_language(lines: Callable[P, str | list[str]]) -> Callable[P, Said]:
    """What ``lines`` says in the active language, said in each language of the site; nothing
    ({}) when it has nothing to say. Its arguments must read the same in any language: a label
    to translate is passed lazily (a choice's ``.label``), never already a string."""

    @wraps(lines)
    def said(*args: P.args, **kwargs: P.kwargs) -> Said:
        each = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                found = lines(*args, **kwargs)
            each[code] = [found] if isinstance(found, str) else list(found)
        return each if any(each.values()) else {}

    return said


def lines_for(said: Mapping[str, list[str]], language: str | None = None) -> list[str]:
    """The lines in this language (by default the active one); else, for lines kept before
    every language was (or a language since added), in the site's language, else as kept."""
    for code in (language or translation.get_language(), settings.LANGUAGE_CODE, *said):
        if code in said:
            return said[code]
    return []


def joined(*parts: Mapping[str, list[str]]) -> Said:
    """Several changes told in one update: every line in order, each once, in each language."""
    each = {
        code: list(dict.fromkeys(line for part in parts for line in lines_for(part, code)))
        for code, _name in settings.LANGUAGES
    }
    return each if any(each.values()) else {}


def _local(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment.astimezone(zone)


def _day_and_clock(local: dt.datetime) -> str:
    """'Tue 8 Dec 10:00'; '12月8日（星期二）10:00' (config/formats: MONTH_DAY_FORMAT)."""
    return pgettext("a day, then a time on it", "%(day)s %(time)s") % {
        "day": date_format(local, "MONTH_DAY_FORMAT"),
        "time": clock(local),
    }


def span(start: dt.datetime, end: dt.datetime, zone: ZoneInfo, *, with_date: bool) -> str:
    """ "10:00–11:45", or "Tue 8 Dec 10:00–11:45" with the date (and the end's, if another);
    "01:00 BST–01:00 GMT" in the hour the clocks repeat (scheduling.timezones.clock). In the
    active language."""
    start, end = _local(start, zone), _local(end, zone)
    first = _day_and_clock(start) if with_date else clock(start)
    if end.date() != start.date():
        return f"{first}–{_day_and_clock(end)}"
    return f"{first}–{clock(end)}"


def span_change(
    before: tuple[dt.datetime, dt.datetime], after: tuple[dt.datetime, dt.datetime], zone
) -> str:
    """ "10:00–11:45 → 10:30–12:15", with dates when the day moved."""
    with_date = _local(before[0], zone).date() != _local(after[0], zone).date()
    return f"{span(*before, zone, with_date=with_date)} → {span(*after, zone, with_date=with_date)}"


@_in_every_language
def event_time_changed(event: Event, before: tuple[dt.datetime, dt.datetime]) -> str:
    return _("Time: %(change)s") % {
        "change": span_change(before, (event.start, event.end), event.zone)
    }


@_in_every_language
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


@_in_every_language
def item_added(item: ProgrammeItem) -> str:
    when = span(item.start, item.end, item.event.zone, with_date=False)
    if item.kind == ProgrammeItem.Kind.TOUR_STOP:
        return _("Stop added: %(title)s, %(when)s") % {"title": item.title, "when": when}
    return _("Added to the programme: %(title)s, %(when)s") % {"title": item.title, "when": when}


@_in_every_language
def item_removed(item: ProgrammeItem) -> str:
    if item.kind == ProgrammeItem.Kind.TOUR_STOP:
        # The visit planner titles a stop "Tour stop: <host>"; the line says "Stop removed".
        place = item.title.removeprefix(f"{ProgrammeItem.Kind.TOUR_STOP.label}: ")
        return _("Stop removed: %(title)s") % {"title": place}
    return _("Removed from the programme: %(title)s") % {"title": item.title}


@_in_every_language
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


@_in_every_language
def venue_changed(before: str, after: str) -> str:
    """The place invites name moved (scheduling.venue.venue_line before and after)."""
    return _("Where: %(before)s → %(after)s") % {"before": before, "after": after}


@_in_every_language
def place_renamed(
    before: dict[str, str], place: Site | Facility, printed: tuple[str, ...]
) -> list[str]:
    """A line for each name or address of a site or facility that invites print and changed."""
    lines = []
    for name in printed:
        old, new = before[name], getattr(place, name)
        if old == new:
            continue
        if name == "address":
            lines.append(_("New address: %(address)s") % {"address": " ".join(new.split())})
        else:
            lines.append(_("Renamed: %(before)s → %(after)s") % {"before": old, "after": new})
    return lines


@_in_every_language
def facility_moved(facility: Facility) -> str:
    return _("%(facility)s is now at %(site)s") % {
        "facility": facility.name,
        "site": facility.site.name,
    }


@_in_every_language
def call_time_changed(before: dt.datetime | None, after: dt.datetime | None, zone: ZoneInfo) -> str:
    def show(moment):
        return clock(_local(moment, zone)) if moment else "—"

    return _("Your call time: %(before)s → %(after)s") % {
        "before": show(before),
        "after": show(after),
    }


@_in_every_language
def role_changed(before, after) -> str:
    """``before`` and ``after``: the roles' labels, lazy (read in each language)."""
    return _("Your role: %(before)s → %(after)s") % {"before": before, "after": after}
