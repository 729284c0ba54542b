"""Spreadsheets in and out: the rows of an uploaded CSV or XLSX file, and tables written as CSV
or XLSX that Excel opens as they are meant.

openpyxl reads and writes XLSX and the csv module CSV. tablib would wrap the same two and
django-import-export would bind rows to models it saves itself, past the services and without
the per-row decisions staff make before anything is saved, so neither is used.

Reading: an XLSX workbook's first sheet, or CSV text in UTF-8 (with or without a BOM, as Excel's
"CSV UTF-8" writes it) or Big5-HKSCS (Excel's plain "CSV" on a Traditional Chinese Windows),
separated by commas, semicolons or tabs. Cells come back as Excel holds them: text, numbers,
and dates and times as naive ``datetime``/``time`` values (Excel has no zones: the caller says
whose clock they are). A file that is none of these, too large, or unpacks to more than a
spreadsheet could hold is refused with a ValidationError that says so.

Writing: CSV is UTF-8 with a BOM, so that Excel shows Chinese text instead of mojibake. Text
that a spreadsheet would run as a formula (starting with =, +, - or @, or a tab or carriage
return before one) is written with a leading apostrophe in both formats (OWASP's advice against
CSV injection); reading strips that apostrophe again, so a file exported here reads back as it
was.
"""

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv"
CONTENT_TYPES = {"xlsx": XLSX_TYPE, "csv": f"{CSV_TYPE}; charset=utf-8"}
FORMATS = tuple(CONTENT_TYPES)

# What a spreadsheet may unpack to: an XLSX of 10,000 rows of a guest list is a few MB of XML;
# a "zip bomb" many times more is refused before openpyxl reads it.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97–2003 (.xls)
_ENCODINGS = ("utf-8-sig", "big5hkscs")
DATE_FORMAT = "yyyy-mm-dd hh:mm"

Cell = str | int | float | bool | dt.datetime | dt.date | dt.time | None


@dataclass
class Sheet:
    """A table to write: a title (the XLSX sheet's name; a heading line in a CSV of several),
    the column headings and the rows."""

    title: str
    headers: Sequence[str]
    rows: list[Sequence[Cell]] = field(default_factory=list)


# --- Reading -----------------------------------------------------------------------------------


def read_rows(data: bytes, *, max_rows: int) -> list[list[Cell]]:
    """Every row of the file (the heading row first), at most max_rows + 1 of them; the caller
    refuses more. Raises ValidationError (code not_a_spreadsheet) for anything unreadable."""
    if data.startswith(_ZIP):
        return _xlsx_rows(data, max_rows + 1)
    if data.startswith(_OLE2):
        raise ValidationError(
            _(
                "This is an Excel 97–2003 workbook (.xls), which is not read here: save it as "
                "an Excel workbook (.xlsx) or as CSV UTF-8 and upload that."
            ),
            code="not_a_spreadsheet",
        )
    return _csv_rows(data, max_rows + 1)


def _not_a_spreadsheet() -> ValidationError:
    return ValidationError(
        _("This file is not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file."),
        code="not_a_spreadsheet",
    )


def _xlsx_rows(data: bytes, limit: int) -> list[list[Cell]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        raise _not_a_spreadsheet() from None
    if "xl/workbook.xml" not in names:
        raise _not_a_spreadsheet()  # another kind of zip: a .docx, an .ods, an archive
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationError(
            _("This workbook unpacks to more than a guest list could fill: it is not read."),
            code="too_large",
        )
    try:
        # Read-only streams the sheet; data_only gives a formula's last computed value.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise _not_a_spreadsheet() from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return []
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_unquoted(value) for value in values])
            if len(rows) >= limit:
                break
        return rows
    finally:
        workbook.close()


def _csv_rows(data: bytes, limit: int) -> list[list[Cell]]:
    if b"\x00" in data:
        raise _not_a_spreadsheet()  # UTF-16 text or a binary file
    for encoding in _ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(
            _(
                "This file is neither a workbook nor text in UTF-8 or Big5: save it from Excel "
                "as “CSV UTF-8” or as an Excel workbook (.xlsx)."
            ),
            code="not_a_spreadsheet",
        )
    first_line = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for values in csv.reader(io.StringIO(text, newline=""), dialect):
            rows.append([_unquoted(value) for value in values])
            if len(rows) >= limit:
                break
    except csv.Error:
        raise _not_a_spreadsheet() from None
    return rows


def _unquoted(value: Cell) -> Cell:
    """A cell as it was before write_* neutralised it (its apostrophe before a formula sign)."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] and value[1] in FORMULA_STARTS:
        return value[1:]
    return value


# --- Writing -----------------------------------------------------------------------------------


def on_clock(moment: dt.datetime | None, zone: dt.tzinfo) -> dt.datetime | None:
    """A moment as a clock in the zone shows it, without the zone (spreadsheets have none)."""
    return moment.astimezone(zone).replace(tzinfo=None) if moment else None


def neutralised(value: Cell) -> Cell:
    """Text a spreadsheet would read as a formula, made plain text with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(sheets: Sequence[Sheet]) -> bytes:
    """UTF-8 with a BOM; several sheets follow one another, each under its title, a blank row
    between them. Dates and times as ISO text (the caller gives them in the right zone)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    for index, sheet in enumerate(sheets):
        if len(sheets) > 1:
            if index:
                writer.writerow([])
            writer.writerow([neutralised(sheet.title)])
        writer.writerow([neutralised(header) for header in sheet.headers])
        writer.writerows(_csv_cells(row) for row in sheet.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cells(row: Iterable[Cell]) -> list:
    cells = []
    for value in row:
        if isinstance(value, dt.datetime):
            value = value.strftime("%Y-%m-%d %H:%M")
        elif value is None:
            value = ""
        cells.append(neutralised(value))
    return cells


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """One worksheet a sheet, headings bold and frozen, columns wide enough to read. Datetimes
    must be naive (Excel has no zones): the caller converts them to the clock meant."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    used_titles: set[str] = set()
    for sheet in sheets:
        worksheet = workbook.create_sheet(_sheet_title(sheet.title, used_titles))
        worksheet.append([neutralised(header) for header in sheet.headers])
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        worksheet.freeze_panes = "A2"
        widths = [len(str(header)) for header in sheet.headers]
        for row in sheet.rows:
            worksheet.append([_xlsx_value(value) for value in row])
            for index, value in enumerate(row[: len(widths)]):
                widths[index] = max(widths[index], len(str(value or "")))
        for index, width in enumerate(widths):
            letter = worksheet.cell(row=1, column=index + 1).column_letter
            worksheet.column_dimensions[letter].width = min(max(width, 8) + 2, 60)
        for row in worksheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = DATE_FORMAT
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(value: Cell) -> Cell:
    # XML cannot carry most control characters: openpyxl refuses a cell holding one.
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralised(value)


def _sheet_title(title: str, used: set[str]) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique."""
    clean = "".join(" " if char in "[]:*?/\\" else char for char in title).strip() or "Sheet"
    clean = clean[:31]
    candidate, n = clean, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def write(sheets: Sequence[Sheet], file_format: str) -> bytes:
    """The sheets as a file of the format (one of FORMATS)."""
    return write_xlsx(sheets) if file_format == "xlsx" else write_csv(sheets)


def download(sheets: Sequence[Sheet], file_format: str, filename: str) -> HttpResponse:
    """The sheets as a file to save (Content-Disposition: attachment), for pages and the API."""
    return HttpResponse(
        write(sheets, file_format),
        content_type=CONTENT_TYPES[file_format],
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
