"""The one non-JSON answer: an event as text/calendar."""

from rest_framework.renderers import BaseRenderer, JSONRenderer


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
