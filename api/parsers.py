"""JSON request bodies, refused with a clear 400 when nested deeper than any real request is."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# The deepest real body is an event with roles in its programme items: a handful of levels.
MAX_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a nesting limit: 2,000 levels would otherwise exhaust Python's
    recursion limit inside the json module (a 500), and a few hundred still cost the serializers
    for nothing."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_too_deep()) from None
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(_too_deep())
        return data


def _too_deep() -> str:
    return _("JSON parse error - nested deeper than %(depth)s levels.") % {"depth": MAX_DEPTH}


def _depth_exceeds(data, limit: int) -> bool:
    """Whether arrays and objects nest deeper than limit (without recursion of our own)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
