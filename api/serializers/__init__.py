"""Shapes in and out, by topic (as api/views/): events, programme, bookings, places, people,
lists; common.py for what input serializers share, and output.py for how answers are rendered.

Input serializers check the shape of input only; the services hold the rules.

Output serializers declare every field of an answer once. The OpenAPI schema is generated from
those declarations and answers are rendered from them, through a plan compiled per class
(output.py says why, and what it does). Times are RFC 3339 with their offset, in the event's
own zone (the site's for availability). Fields a caller may not see are present and null
(``internal_notes``, ``cue_notes``, an attendee's e-mail...), each declared with the
scheduling.visibility rule that decides, so every answer has the same shape whoever asks.
"""

# api/views/feeds.py imports these two from here.
from ..fields import IdRelatedField
from .common import StrictInputMixin

__all__ = ["IdRelatedField", "StrictInputMixin"]
