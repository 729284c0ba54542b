"""Sites and facilities: change them, and tell the attendees whose invites print them.

An invite names where it happens (``scheduling.venue.venue_line``: the facility's names, the
site's names and address) and lists its programme's facilities. When one of those words
changes, every event still to come whose invites print it has its revision raised and its
attendees sent an update saying what changed; a new name is not a new place, so answers stand.
Other fields (capacity, buffers, bookable hours, travel, the rules for visitors that hosts'
consent pages show) change no invite.
"""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone as clock
from django.utils.translation import pgettext_lazy

from core.audit import reason_with
from core.unset import UNSET, given

from .. import wording
from ..models import Event, Facility, Site
from . import changes as change_log
from .announce import event_announce

SITE_PRINTED = ("name", "name_zh", "address")
FACILITY_PRINTED = ("name", "name_zh")
FINAL = (Event.Status.CANCELLED, Event.Status.COMPLETED)


@transaction.atomic
def site_update(
    *,
    site_id: int,
    name: str = UNSET,
    name_zh: str = UNSET,
    slug: str = UNSET,
    address: str = UNSET,
    timezone: str = UNSET,
    internal_travel_minutes: int = UNSET,
    by: AbstractBaseUser | None = None,
) -> Site:
    """Change the fields given; a new name or address goes to the attendees of every event at
    the site still to come."""
    changes = given(
        name=name,
        name_zh=name_zh,
        slug=slug,
        address=address,
        timezone=timezone,
        internal_travel_minutes=internal_travel_minutes,
    )
    with change_log.deferred():  # the log's lock after the events'
        site = Site.objects.select_for_update().get(pk=site_id)
        before = {name: getattr(site, name) for name in SITE_PRINTED}
        for field, value in changes.items():
            setattr(site, field, value)
        site.full_clean()
        site.save()
        summary = wording.place_renamed(before, site, SITE_PRINTED)
        if summary:
            reason = reason_with(
                pgettext_lazy("history reason", "Its site's name or address changed"), site.name
            )
            _announce(Event.objects.filter(site_id=site.pk), summary, reason=reason, by=by)
    return site


@transaction.atomic
def facility_update(
    *,
    facility_id: int,
    site: Site = UNSET,
    name: str = UNSET,
    name_zh: str = UNSET,
    kind: str = UNSET,
    capacity: int = UNSET,
    setup_minutes: int = UNSET,
    teardown_minutes: int = UNSET,
    is_bookable: bool = UNSET,
    bookable_from: dt.time | None = UNSET,
    bookable_until: dt.time | None = UNSET,
    ppe_required: bool = UNSET,
    cleanroom: bool = UNSET,
    photography_allowed: bool = UNSET,
    visitor_rules: str = UNSET,
    visitor_rules_zh: str = UNSET,
    by: AbstractBaseUser | None = None,
) -> Facility:
    """Change the fields given; a new name goes to the attendees of every event still to come
    that books the facility or holds a programme item in it."""
    changes = given(
        site=site,
        name=name,
        name_zh=name_zh,
        kind=kind,
        capacity=capacity,
        setup_minutes=setup_minutes,
        teardown_minutes=teardown_minutes,
        is_bookable=is_bookable,
        bookable_from=bookable_from,
        bookable_until=bookable_until,
        ppe_required=ppe_required,
        cleanroom=cleanroom,
        photography_allowed=photography_allowed,
        visitor_rules=visitor_rules,
        visitor_rules_zh=visitor_rules_zh,
    )
    with change_log.deferred():
        facility = Facility.objects.select_for_update().get(pk=facility_id)
        before = {name: getattr(facility, name) for name in FACILITY_PRINTED}
        site_before = facility.site_id
        for field, value in changes.items():
            setattr(facility, field, value)
        facility.full_clean()
        facility.save()
        summary = wording.place_renamed(before, facility, FACILITY_PRINTED)
        if facility.site_id != site_before:
            summary = wording.joined(summary, wording.facility_moved(facility))
        if summary:
            using = Q(bookings__facility=facility, bookings__status__in=("held", "confirmed"))
            events = Event.objects.filter(using | Q(programme__facility=facility)).distinct()
            reason = reason_with(
                pgettext_lazy("history reason", "A facility's name or site changed"), facility.name
            )
            _announce(events, summary, reason=reason, by=by)
    return facility


def _announce(events, summary: wording.Said, *, reason: str, by: AbstractBaseUser | None) -> None:
    """Raise the revision of each event still to come and let visitors send the update."""
    ids = list(
        events.exclude(status__in=FINAL)
        .filter(end__gt=clock.now())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for event_id in ids:  # in id order: one order of locks
        event_announce(
            Event.objects.locked(event_id),
            changed={"place_name"},
            summary=summary,
            reason=reason,
            by=by,
        )
