"""Closures of a facility or a whole site: create and change them, and say what they lie over.

A closure is a fact (a typhoon signal, maintenance, a public holiday), so it is saved even over
active bookings: those bookings are not released, and their events show a warning
(``desk.warnings``, computed when read). The services answer with the bookings the closure lies
over, so that whoever saved it can say so at once. New bookings over a closure are refused by
the booking services (``scheduling.clashes``).
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.unset import UNSET, given

from ..models import Booking, Closure
from ..models.bookings import BookingQuerySet


@dataclass(frozen=True)
class ClosureSaved:
    """A saved closure and the active bookings whose occupied time it lies over, in time order."""

    closure: Closure
    overlapping: list[Booking]


@transaction.atomic
def closure_create(
    *,
    start: dt.datetime,
    end: dt.datetime,
    site_id: int | None = None,
    facility_id: int | None = None,
    reason: str = Closure.Reason.MAINTENANCE,
    note: str = "",
) -> ClosureSaved:
    """Close one facility or a whole site for [start, end), bookings or not; name the bookings
    it lies over."""
    closure = Closure(
        site_id=site_id, facility_id=facility_id, start=start, end=end, reason=reason, note=note
    )
    return _save(closure)


@transaction.atomic
def closure_update(
    *,
    closure_id: int,
    start: dt.datetime = UNSET,
    end: dt.datetime = UNSET,
    site_id: int | None = UNSET,
    facility_id: int | None = UNSET,
    reason: str = UNSET,
    note: str = UNSET,
) -> ClosureSaved:
    """Change what is given (the rest stays); name the bookings the closure now lies over."""
    # Locked so that two edits of one closure apply one after the other, not half of each.
    closure = Closure.objects.select_for_update().filter(pk=closure_id).first()
    if closure is None:
        raise ValidationError({"closure": _("No such closure.")}, code="not_found")
    changes = given(
        start=start, end=end, site_id=site_id, facility_id=facility_id, reason=reason, note=note
    )
    for name, value in changes.items():
        setattr(closure, name, value)
    return _save(closure)


def _save(closure: Closure) -> ClosureSaved:
    closure.full_clean()  # aware times, end after start, a site or a facility (not both)
    closure.save()
    # No lock against a booking made meanwhile: whatever this list misses, the event's
    # warnings (computed when read) still show.
    return ClosureSaved(closure, list(bookings_under(closure)))


def bookings_under(closure: Closure) -> BookingQuerySet:
    """Active bookings whose occupied time (set-up and teardown included) the closure overlaps."""
    scope = (
        Q(facility_id=closure.facility_id)
        if closure.facility_id
        else Q(facility__site_id=closure.site_id)
    )
    return (
        Booking.objects.occupying(closure.start, closure.end)
        .filter(scope)
        .select_related("event", "facility__site")
        .order_by("occupied_start", "id")
    )
