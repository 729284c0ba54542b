"""One row of an attendee list, read: its values checked one by one, each problem said in words.

A row that fails any check is skipped with every reason it has; the others go on to matching
(visitors.imports.matching), which decides whether each is someone on file or someone new.
Rows are kept between the preview and the confirmation as JSON (ImportBatch.rows).
"""

import contextlib
import datetime as dt
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from core.spreadsheets import Cell
from scheduling.models import Event
from scheduling.timezones import clock_is_ambiguous

from ..models import Attendance, Organisation
from .columns import BY_KEY, LIMITS, Headings, folded, read_role, read_rsvp, text

# What a row becomes once confirmed.
NEW = "new"  # a new person on file, then on the list
ON_FILE = "on_file"  # someone on file with the row's e-mail address, put on the list
CONFIRM = "confirm"  # someone on file by name and organisation: on the list if staff tick it
SKIPPED = "skipped"  # nothing: the reason says why

TEXT_KEYS = (
    "honorific",
    "name",
    "name_zh",
    "post",
    "email",
    "phone",
    "dietary",
    "accessibility",
    "notes",
)
MAX_GUESTS = 50
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
)
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p")
FIRST_YEAR, LAST_YEAR = 1900, 2200


@dataclass
class ImportRow:
    """A row of the file (its number as the spreadsheet shows it), what becomes of it and why.
    ``values`` are the checked values (the call time in ISO 8601, with its offset); ``shown``
    what the preview lists; ``person_id`` the person on file it is (ON_FILE) or may be
    (CONFIRM), ``person`` how they are on file."""

    row: int
    status: str
    values: dict = field(default_factory=dict)
    shown: dict = field(default_factory=dict)
    reason: str = ""
    note: str = ""
    person_id: int | None = None
    person: str = ""

    def skip(self, reason: str) -> None:
        self.status, self.reason, self.person_id = SKIPPED, reason, None

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "ImportRow":
        return cls(**data)

    @property
    def call_time(self) -> dt.datetime | None:
        value = self.values.get("call_time")
        return dt.datetime.fromisoformat(value) if value else None


class OrganisationIndex:
    """Organisations on file by name, Chinese name or slug, whatever the case or width."""

    def __init__(self) -> None:
        self.by_name: dict[str, tuple[int, str]] = {}
        for pk, name, name_zh, slug in Organisation.objects.values_list(
            "pk", "name", "name_zh", "slug"
        ):
            for key in (slug, name_zh, name):  # the name last: it wins a clash
                if key:
                    self.by_name[folded(key)] = (pk, name)

    def find(self, name: str) -> tuple[int, str] | None:
        return self.by_name.get(folded(name))


def read_row(
    number: int, cells: list[Cell], headings: Headings, *, event: Event, organisations
) -> ImportRow | None:
    """The row checked (None for a row with nothing in it)."""
    raw = {
        key: cells[index] if index < len(cells) else None
        for key, index in headings.positions.items()
    }
    if all(text(value) == "" for value in raw.values()):
        return None
    values: dict = {key: text(raw.get(key)) for key in TEXT_KEYS}
    problems: list[str] = []
    for key, limit in LIMITS.items():
        given = values.get(key, text(raw.get(key)))
        if len(given) > limit:
            problems.append(
                _("%(column)s is longer than %(limit)d characters.")
                % {"column": BY_KEY[key].label, "limit": limit}
            )
    if not values["name"] and not values["name_zh"]:
        problems.append(_("No name: give an English or a Chinese name."))
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            problems.append(_("“%(email)s” is not an e-mail address.") % {"email": values["email"]})
    organisation_name = text(raw.get("organisation"))
    values["organisation_id"], shown_organisation = None, organisation_name
    if organisation_name:
        found = organisations.find(organisation_name)
        if found is None:
            problems.append(
                _(
                    "Unknown organisation “%(name)s”: correct its name, or add it in the back "
                    "office first."
                )
                % {"name": organisation_name}
            )
        else:
            values["organisation_id"], shown_organisation = found
    values["role"] = _choice(raw.get("role"), read_role, Attendance.Role.GUEST, _("role"), problems)
    values["rsvp"] = _choice(
        raw.get("rsvp"), read_rsvp, Attendance.RSVP.NEEDS_ACTION, _("RSVP"), problems
    )
    values["guests"] = _guests(raw.get("guests"), problems)
    call_time = _call_time(raw.get("call_time"), event, problems)
    values["call_time"] = call_time.isoformat() if call_time else None
    shown = {
        "name": " ".join(part for part in (values["honorific"], values["name"]) if part),
        "name_zh": values["name_zh"],
        "organisation": shown_organisation,
        "email": values["email"],
        "role": str(Attendance.Role(values["role"]).label) if values["role"] else "",
        "rsvp": str(Attendance.RSVP(values["rsvp"]).label) if values["rsvp"] else "",
        "guests": values["guests"] if values["guests"] is not None else "",
        "call_time": call_time.astimezone(event.zone).strftime("%Y-%m-%d %H:%M")
        if call_time
        else "",
    }
    row = ImportRow(row=number, status=NEW, values=values, shown=shown)
    if problems:
        row.skip(" ".join(problems))
    return row


def _choice(cell: Cell, reader, default: str, what: str, problems: list[str]) -> str | None:
    if text(cell) == "":
        return default
    value, labels = reader(cell)
    if value is None:
        problems.append(
            _("Unknown %(what)s “%(given)s”: use one of %(labels)s.")
            % {"what": what, "given": text(cell), "labels": labels}
        )
    return value


def _guests(cell: Cell, problems: list[str]) -> int | None:
    given = text(cell)
    if given == "":
        return 0
    number = cell if isinstance(cell, int) and not isinstance(cell, bool) else None
    if number is None and given.isascii() and given.isdigit() and len(given) <= 3:
        number = int(given)
    if number is None or not 0 <= number <= MAX_GUESTS:
        problems.append(
            _("Guests must be a whole number from 0 to %(most)d, not “%(given)s”.")
            % {"most": MAX_GUESTS, "given": given}
        )
        return None
    return number


def _call_time(cell: Cell, event: Event, problems: list[str]) -> dt.datetime | None:
    """A call time on the event's clock: an Excel date-and-time or time cell, a number Excel
    would show as one, or text ("2030-03-04 09:30", "04/03/2030 09:30", "09:30")."""
    if text(cell) == "":
        return None
    local = _local_time(cell, event)
    if local is None:
        problems.append(
            _("Call time “%(given)s” is not a time: write it as YYYY-MM-DD HH:MM or HH:MM.")
            % {"given": text(cell)}
        )
        return None
    if local.tzinfo is not None:  # written with its offset: that instant, on the event's clock
        local = local.astimezone(event.zone).replace(tzinfo=None)
    # Excel keeps times as fractions of a day: 09:30 may come back a few ms short.
    local = (local + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
    if not FIRST_YEAR <= local.year <= LAST_YEAR:
        problems.append(_("Call time “%(given)s” is not a time.") % {"given": text(cell)})
        return None
    moment = local.replace(tzinfo=event.zone)
    if clock_is_ambiguous(moment):
        problems.append(
            _("Call time %(time)s falls when the clocks change in %(zone)s: choose another.")
            % {"time": f"{local:%Y-%m-%d %H:%M}", "zone": event.timezone}
        )
        return None
    if moment > event.end:
        problems.append(_("The call time must be before the event ends."))
        return None
    return moment


def _local_time(cell: Cell, event: Event) -> dt.datetime | None:
    day = event.local_start.date()
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        try:
            cell = from_excel(cell)
        except (ValueError, OverflowError, TypeError):
            return None
    if isinstance(cell, dt.datetime):
        return cell
    if isinstance(cell, dt.time):
        return dt.datetime.combine(day, cell.replace(tzinfo=None))
    if isinstance(cell, dt.date):
        return None  # a day without a time
    given = text(cell).upper()
    if given[:4].isdigit() and ":" in given:  # ISO 8601, perhaps with its offset
        with contextlib.suppress(ValueError):
            return dt.datetime.fromisoformat(given)
    for pattern in DATETIME_FORMATS:
        try:
            return dt.datetime.strptime(given, pattern)
        except ValueError:
            continue
    for pattern in TIME_FORMATS:
        try:
            return dt.datetime.combine(day, dt.datetime.strptime(given, pattern).time())
        except ValueError:
            continue
    return None
