"""Spreadsheets as the office receives and sends them: workbooks written and read by openpyxl,
CSV as Excel saves it."""

import csv
import io

from openpyxl import Workbook, load_workbook


def xlsx_bytes(rows: list[list]) -> bytes:
    """An Excel workbook whose first sheet holds the rows (datetimes become Excel date cells)."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    """CSV as Excel's "CSV UTF-8" writes it (with a BOM), or in another encoding."""
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_sheets(data: bytes) -> dict[str, list[tuple]]:
    """Every sheet of a workbook, by title: its rows of values."""
    workbook = load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook}


def csv_rows(data: bytes) -> list[list[str]]:
    """The rows of a UTF-8 CSV (with its BOM removed)."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
