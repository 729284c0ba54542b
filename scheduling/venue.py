"""Where an event happens, its venue: the one word for it in invites, feeds, pages and code.

An event's venue is a facility: its own booking, else the longest booked or programmed facility
among what attendees may see (``event_venue``). ``venue_line`` writes it out with the site and
address, as invites' "Where" and iCalendar's LOCATION show it.
"""

import datetime as dt

from django.db.models import prefetch_related_objects

from .models import Booking, Event, Facility, ProgrammeItem

PREFETCH = ("bookings__facility", "bookings__programme_item", "programme__facility")


def _prefetch(event: Event) -> None:
    """PREFETCH for one event, unless its caller prefetched (a feed or a batch of invites):
    prefetch_related_objects would find nothing to do, at a cost a feed pays a thousand times."""
    cached = getattr(event, "_prefetched_objects_cache", {})
    if "programme" not in cached or "bookings" not in cached:
        prefetch_related_objects([event], *PREFETCH)


def public_programme(event: Event) -> list[ProgrammeItem]:
    """The programme items attendees may see, in order."""
    _prefetch(event)
    return sorted(
        (
            item
            for item in event.programme.all()
            if item.visibility == ProgrammeItem.Visibility.PUBLIC
        ),
        key=lambda item: (item.start, item.position, item.pk),
    )


def event_venue(event: Event, items: list[ProgrammeItem] | None = None) -> Facility | None:
    """The event's venue: its own booking, else the longest booked or programmed facility.

    Backups (rain plans), released bookings and internal programme items do not count.
    """
    _prefetch(event)
    bookings = [
        booking
        for booking in event.bookings.all()
        if booking.status in Booking.ACTIVE_STATUSES
        and booking.backup_of_id is None
        and (
            booking.programme_item is None
            or booking.programme_item.visibility == ProgrammeItem.Visibility.PUBLIC
        )
    ]
    if bookings:
        best = min(
            bookings,
            key=lambda b: (
                b.programme_item_id is not None,  # a booking for the whole event first
                -(b.end - b.start),
                b.start,
                b.pk,
            ),
        )
        return best.facility
    durations: dict[int, dt.timedelta] = {}
    facilities: dict[int, Facility] = {}
    for item in public_programme(event) if items is None else items:
        if item.facility_id:
            facilities[item.facility_id] = item.facility
            durations[item.facility_id] = durations.get(item.facility_id, dt.timedelta()) + (
                item.end - item.start
            )
    if not durations:
        return None
    return facilities[max(durations, key=lambda pk: (durations[pk], -pk))]


def venue_line(event: Event, facility: Facility | None = None) -> str:
    """'Hall 1 (一號廳), InnoPark Tai Po, 5 Dai Fu Street, Tai Po': facility, site and address."""
    site = event.site
    parts = []
    if facility is not None:
        parts.append(f"{facility.name} ({facility.name_zh})" if facility.name_zh else facility.name)
    parts.append(f"{site.name} ({site.name_zh})" if site.name_zh else site.name)
    address = ", ".join(line.strip(" ,") for line in site.address.splitlines() if line.strip(" ,"))
    if address:
        parts.append(address)
    return ", ".join(parts)
