"""The API's strict scalar fields, shared by serializers and list filters.

A strict API refuses what it cannot read exactly, rather than guess: times must carry their
offset and be written in ASCII digits (Python's ``\\d`` also matches "２０３０"), ids are whole
numbers (1.5 is not site 1), and times go out in RFC 3339, whose offsets are whole minutes.
"""

import datetime as dt
import zoneinfo

from django.utils.dateparse import parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
MAX_ID = 2**63 - 1  # the databases' largest id: a larger number is refused, not sent to them

TIME_HINT = _("Give an ISO 8601 time with its UTC offset, e.g. 2030-03-04T10:00:00+08:00.")
RANGE_HINT = format_lazy(
    _("Give a time between the years {earliest} and {latest}."),
    earliest=EARLIEST_YEAR,
    latest=LATEST_YEAR,
)


def parse_aware(value: str) -> dt.datetime:
    """An aware datetime from ISO 8601 text; ValueError (with the hint) for anything else."""
    text = value.strip()
    if not text.isascii():
        raise ValueError(TIME_HINT)
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(TIME_HINT)
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise ValueError(RANGE_HINT)
    return parsed


def rfc3339(value: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str | None:
    """A time in the zone it is shown in, or in UTC where that zone's offset then was not a
    whole minute (local mean time before a zone adopted standard time: +07:36:42)."""
    if value is None:
        return None
    local = value.astimezone(zone)
    if local.utcoffset().total_seconds() % 60:
        local = value.astimezone(dt.UTC)
    return local.isoformat()


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time with its offset; a naive or non-ASCII time is refused, not guessed."""

    default_error_messages = {"invalid": TIME_HINT, "range": RANGE_HINT}

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            parsed = parse_aware(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error), code="invalid") from None
        return super().to_internal_value(parsed)


def _whole_number(value) -> int | None:
    """An int from a JSON number or ASCII digits; None for anything else (1.5, "１", true)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isascii() and value.strip().isdigit():
        return int(value)
    return None


class WholeNumberField(serializers.IntegerField):
    """An integer, strictly: no fractions, no booleans, no digits of other scripts."""

    def to_internal_value(self, data):
        number = _whole_number(data)
        if number is None:
            self.fail("invalid")
        return super().to_internal_value(number)


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object by id; an id that is not a whole number is refused, and one too large to
    be an id is "does not exist", not a database error."""

    def to_internal_value(self, data):
        number = _whole_number(data)
        if number is None:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < number <= MAX_ID:
            self.fail("does_not_exist", pk_value=number)
        return super().to_internal_value(number)


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
        "example": "08:00:00",
        "description": "A wall-clock time at the site, without an offset (HH:MM:SS).",
    }
)
class WallClockTimeField(serializers.TimeField):
    """A time of day at the site: JSON Schema's "time" format would demand an offset that a
    facility's opening hours do not have, so the schema gives its pattern instead."""
