"""Time-zone rules shared by sites, events and services: IANA names and aware datetimes only."""

import datetime as dt
import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

# How a day and a moment are written in messages, in Django's date syntax and translated like
# any message: 'Mon 4 Mar 2030' and 'Mon 4 Mar 2030 10:00' in English, '2030年3月4日（星期一）'
# and '2030年3月4日（星期一）10:00' in Chinese.
DAY = pgettext_lazy("date format (Django date syntax)", "D j M Y")
DAY_TIME = pgettext_lazy("date format (Django date syntax)", "D j M Y H:i")
DAY_MONTH_TIME = pgettext_lazy("date format (Django date syntax)", "d M H:i")


@lru_cache(maxsize=1)
def iana_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_iana_zone(value: str) -> None:
    """Reject anything that is not an IANA zone name ("Asia/Hong_Kong", not "HKT" or "+08:00")."""
    if value not in iana_zone_names():
        raise ValidationError(
            _("%(value)s is not an IANA time zone name (for example Asia/Hong_Kong)."),
            code="invalid_timezone",
            params={"value": value},
        )


def require_aware(field: str, value: dt.datetime | None) -> None:
    """Raise a ValidationError naming the field when a datetime carries no offset."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValidationError(
            {field: _("Give a time with its time zone; a naive time is ambiguous.")},
            code="naive_datetime",
        )


def zone_label(zone_name: str, moment: dt.datetime | None = None) -> str:
    """'HKT, Asia/Hong_Kong': the abbreviation in force at that moment, and the IANA name."""
    local = (moment or dt.datetime.now(dt.UTC)).astimezone(zoneinfo.ZoneInfo(zone_name))
    abbreviation = local.tzname()
    if abbreviation and abbreviation != zone_name and abbreviation[0] not in "+-":
        return f"{abbreviation}, {zone_name}"
    return zone_name


def moment_label(moment: dt.datetime, zone_name: str) -> str:
    """'Sat 7 Dec 2030 12:00 HKT': a moment as the clock in that zone shows it."""
    local = moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    return f"{written(local, DAY_TIME)} {local.tzname()}"


def written(moment: dt.datetime | dt.date, form) -> str:
    """A day or moment written in one of the forms above, in the active language."""
    return date_format(moment, str(form))


def clock_is_ambiguous(local: dt.datetime) -> bool:
    """Whether a zone's wall-clock time names no single instant: it shows twice in the hour
    repeated when clocks go back, never in the hour skipped when they go forward (PEP 495: there
    the two folds give different offsets)."""
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def utc_offset_text(offset: dt.timedelta) -> str:
    """'UTC+1', 'UTC-3:30', 'UTC+0'."""
    sign = "-" if offset < dt.timedelta(0) else "+"
    hours, rest = divmod(abs(offset), dt.timedelta(hours=1))
    minutes = rest // dt.timedelta(minutes=1)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def clock(local: dt.datetime) -> str:
    """'10:00'; in the hour clocks repeat, which of the two: '01:30 BST' or '01:30 GMT' (the
    offset, 'UTC+1', where the zone has no lettered abbreviation telling them apart)."""
    text = f"{local:%H:%M}"
    if not clock_is_ambiguous(local):
        return text
    name, other = local.tzname(), local.replace(fold=1 - local.fold).tzname()
    if name and name != other and name[0] not in "+-":
        return f"{text} {name}"
    return f"{text} {utc_offset_text(local.utcoffset())}"
