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


def check_embargo(event) -> None:
    """An embargo (a release time and the visibility the event takes then) belongs to a
    restricted event only, and needs both: the database's event_embargo_restricted says the
    same."""
    require_aware("release_at", event.release_at)
    if event.release_at is None:
        if event.release_visibility:
            _refuse("release_at", _("Give the release time, or clear the visibility at release."))
        return
    if event.visibility != "restricted":
        message = _(
            "Only a restricted event can be under embargo: keep it restricted until the "
            "release, or clear the release time."
        )
        _refuse("release_at", message, code="embargo_not_restricted")
    if event.release_visibility not in ("public", "partners"):
        _refuse("release_visibility", _("Choose what the event becomes at its release."))


def _refuse(field: str, message, code: str = "embargo_incomplete") -> None:
    # The code on the field's own error, where forms and the API's handler read it.
    raise ValidationError({field: ValidationError(message, code=code)})
