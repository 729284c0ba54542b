"""Shapes in and out, by topic (as api/views/). Serializers check the shape of input only; the
services hold the rules.

Output: times are ISO 8601 with their offset, in the event's own zone (the site's for places).
Fields a caller may not see are present and null (``internal_notes``, ``cue_notes``, an
attendee's e-mail...), so every answer has the same shape whoever asks.
"""

# api/views/feeds.py imports these two from here.
from ..fields import IdRelatedField
from .common import StrictInputMixin

__all__ = ["IdRelatedField", "StrictInputMixin"]
