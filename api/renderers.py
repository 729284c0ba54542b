"""The answers that are not JSON: an event as text/calendar, an event's lists as spreadsheets."""

from rest_framework.renderers import BaseRenderer, JSONRenderer

from core import spreadsheets


class ICalendarRenderer(BaseRenderer):
    """Lets a client ask for text/calendar. The view answers with the calendar itself; anything
    else that reaches this renderer (an error body) is written as JSON."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        return JSONRenderer().render(data)


class SpreadsheetRenderer(BaseRenderer):
    """Lets a client ask for a list as a spreadsheet (by Accept, or ?format=xlsx or csv). The
    view answers with the file itself; anything else that reaches this renderer (an error body)
    is written as JSON."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


class CsvRenderer(SpreadsheetRenderer):
    media_type = spreadsheets.CSV_TYPE
    format = "csv"
    charset = "utf-8"


class XlsxRenderer(SpreadsheetRenderer):
    media_type = spreadsheets.XLSX_TYPE
    format = "xlsx"
    charset = None
