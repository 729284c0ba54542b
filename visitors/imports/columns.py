"""The columns of an attendee list spreadsheet: what each heading may be called, how each cell
is read, and the template staff fill in.

Headings are matched whatever their case, spacing or width (full-width letters are read as
their ASCII forms, NFKC), in English or in the language of the page; a few other words that
bureaux use ("Organization", "E-mail address", "Position") are accepted too. A row-number
column ("No.", "#": the export's first column) is ignored, so an exported list reads back in.

Every text cell is normalised the same way: NFKC (full-width Ｌａｔｉｎ letters and digits
become ASCII, full-width spaces plain ones; Chinese characters stay as they are), spaces
collapsed, ends stripped.
"""

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.spreadsheets import Cell, Sheet

from ..models import Attendance


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("honorific", _("Honorific"), ("salutation", "title")),
    Column("name", _("Name"), ("english name", "name (english)", "full name", "name in english")),
    Column(
        "name_zh", _("Chinese name"), ("name (chinese)", "name in chinese", "中文姓名", "中文名")
    ),
    Column("post", _("Post"), ("position", "post / title", "post/title", "job title")),
    Column("organisation", _("Organisation"), ("organization", "company", "organisation name")),
    Column("email", _("E-mail"), ("email", "e-mail address", "email address", "mail")),
    Column("phone", _("Phone"), ("telephone", "tel", "mobile")),
    Column("role", _("Role")),
    Column("rsvp", _("RSVP"), ("reply", "answer", "rsvp status")),
    Column("guests", _("Guests"), ("accompanying guests", "plus ones")),
    Column("call_time", _("Call time"), ("arrival time", "arrive by")),
    Column("dietary", _("Dietary"), ("dietary requirements", "dietary needs", "diet")),
    Column("accessibility", _("Accessibility"), ("accessibility needs", "access needs")),
    Column("notes", _("Notes"), ("remarks", "staff notes")),
)
BY_KEY = {column.key: column for column in COLUMNS}
# At least one of these: a row needs a name to be anyone.
NAME_KEYS = ("name", "name_zh")
# A row-number column, as the export's first: read past.
ROW_NUMBER_HEADINGS = frozenset({"#", "no", "no.", "number", "序號"})
LIMITS = {
    "honorific": 40,
    "name": 200,
    "name_zh": 100,
    "post": 300,
    "organisation": 300,
    "email": 254,
    "phone": 40,
    "dietary": 200,
    "accessibility": 200,
    "notes": 2000,
}


def text(value: Cell) -> str:
    """A cell as normalised text: NFKC, spaces collapsed, ends stripped; a whole number without
    its ".0" (Excel stores a typed phone number as one)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(unicodedata.normalize("NFKC", str(value)).split())


def folded(value: str) -> str:
    """Text compared without regard to case (a heading, a name, a choice's label)."""
    return text(value).casefold()


def _heading_names() -> dict[str, str]:
    """Every heading accepted, folded, to its column's key."""
    names: dict[str, str] = {}
    for column in COLUMNS:
        with translation.override("en"):
            english = str(column.label)
        for name in (column.key, column.key.replace("_", " "), english, str(column.label)):
            names[folded(name)] = column.key
        for alias in column.aliases:
            names[folded(alias)] = column.key
    return names


@dataclass(frozen=True)
class Headings:
    """Which column of the file holds which field; what could not be placed."""

    positions: dict[str, int]
    unknown: list[str]
    twice: list[str]

    @property
    def missing_name(self) -> bool:
        return not any(key in self.positions for key in NAME_KEYS)


def read_headings(row: list[Cell]) -> Headings:
    names = _heading_names()
    positions: dict[str, int] = {}
    unknown, twice = [], []
    for index, cell in enumerate(row):
        heading = text(cell)
        if not heading or folded(heading).rstrip(":*") in ROW_NUMBER_HEADINGS:
            continue
        key = names.get(folded(heading).rstrip(":* "))
        if key is None:
            unknown.append(heading)
        elif key in positions:
            twice.append(heading)
        else:
            positions[key] = index
    return Headings(positions, unknown, twice)


def expected_headings() -> str:
    """The headings a file may have, as a sentence names them."""
    return ", ".join(f"“{column.label}”" for column in COLUMNS)


def choice_reader(choices: type[Attendance.Role] | type[Attendance.RSVP]) -> Callable:
    """A reader of a choice column: its value ("guest_of_honour") or its English label ("Guest
    of honour"), or the label in the page's language, whatever the case and spacing; returns
    (value, None) or (None, the choices' labels for the reason)."""
    accepted: dict[str, str] = {}
    for value, label in choices.choices:
        with translation.override("en"):
            english = str(label)
        for name in (value, value.replace("_", " "), english, str(label)):
            accepted[folded(name)] = value

    def read(cell: Cell) -> tuple[str | None, str]:
        return accepted.get(folded(text(cell))), ", ".join(str(label) for label in choices.labels)

    return read


read_role = choice_reader(Attendance.Role)
read_rsvp = choice_reader(Attendance.RSVP)


def template_sheet(*, zone_start: dt.datetime) -> Sheet:
    """The template: every column, and one example row (its call time half an hour before the
    event starts, on the event's clock)."""
    example = {
        "honorific": "Ms",
        "name": "Chan Tai Man",
        "name_zh": "陳大文",
        "post": "Chief Executive Officer",
        "organisation": "",
        "email": "chan.taiman@example.org",
        "phone": "2123 4567",
        "role": str(Attendance.Role.GUEST.label),
        "rsvp": str(Attendance.RSVP.ACCEPTED.label),
        "guests": 1,
        "call_time": (zone_start - dt.timedelta(minutes=30)).replace(tzinfo=None),
        "dietary": str(_("Vegetarian")),
        "accessibility": "",
        "notes": "",
    }
    return Sheet(
        title=str(_("Attendees")),
        headers=[str(column.label) for column in COLUMNS],
        rows=[[example[column.key] for column in COLUMNS]],
    )
