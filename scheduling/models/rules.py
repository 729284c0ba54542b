"""Single-row rules the scheduling models share."""

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..timezones import require_aware

MAX_BUFFER_MINUTES = 24 * 60
# The longest a single booking may occupy a facility, buffers included. The bound makes every
# overlap query a short index range scan: a booking that ends after T started after T − cap.
MAX_OCCUPANCY = dt.timedelta(days=14)


def new_event_uid() -> str:
    """A UID that stays with the event for life and is unique across deployments (RFC 5545)."""
    return f"{uuid.uuid4()}@protocol-desk"


def check_window(instance: models.Model, start_field: str = "start", end_field: str = "end"):
    """Shared single-row rule: both ends aware, end strictly after start."""
    start, end = getattr(instance, start_field), getattr(instance, end_field)
    require_aware(start_field, start)
    require_aware(end_field, end)
    if start and end and end <= start:
        raise ValidationError(
            {end_field: _("The end must be after the start.")}, code="end_before_start"
        )
