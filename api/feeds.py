"""Subscription feeds: ``/feeds/<token>.ics``, what a subscriber's calendar app polls.

Per ../shared/CALENDAR.md: METHOD:PUBLISH with no ORGANIZER or ATTENDEE, cancelled events left
out, a window of FEED_PAST_DAYS back and FEED_FUTURE_DAYS ahead (Google drops feeds near 1 MB),
refresh hints (``REFRESH-INTERVAL;VALUE=DURATION:PT1H``, ``X-PUBLISHED-TTL:PT1H``), NAME and
X-WR-CALNAME, and one VTIMEZONE with yearly rules per zone used, or UTC times where a zone
cannot be written so. Each VEVENT is scheduling.ical's published one (the writer invites and
``.ics`` answers use), with the public description and public programme only: people share
calendars.

UIDs: ``feed-<feed id>-<event uid>``. Invites carry the event's own UID and the API's one-event
export ``published-<event uid>``, so a calendar that holds an invite and subscribes to a feed
keeps two entries instead of merging them or refusing one, and two feeds showing one event (a
site's and an organisation's, say) do not collide either. The UID stays the same for the life
of the feed and the event.

Conditional GETs never render: the ETag is computed from the feed's own version, the change
log's head (every change to what a feed shows is logged), the count and latest ``updated_at``
of the events it selects (which also catches a write that bypassed the log) and the day (the
window moves daily). No body is hashed: it holds nothing random anyway (DTSTAMP and
LAST-MODIFIED are the event's ``updated_at``). A rendered body is cached under its ETag (Redis
when configured), so an unchanged feed is rendered once however many subscribers poll it.

A feed whose ETag moved is rendered from the database as it is then. Each VEVENT's bytes are
also cached, under the digest of every value it is written from (``scheduling.ical.EventValues``:
the writer reads nothing else), so the render after a change serialises only the events whose
values changed, and no change to what an entry shows can find an old one.
"""

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import vDuration

from core.models import Change
from scheduling import ical
from scheduling.facts import event_facts
from scheduling.models import Booking, Event, Facility, ProgrammeItem, ProgrammeRole, Site
from scheduling.venue import PREFETCH
from scheduling.visibility import PUBLIC, STAFF, Audience, partner
from visitors.models import Attendance, Organisation, Person

from .models import Feed

PRODID = "-//Protocol Desk//Feeds//EN"
REFRESH = dt.timedelta(hours=1)
# Raise when the rendering changes, so that ETags (and cached bodies) of old renderings stop
# matching.
FORMAT_VERSION = "1"
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,100}")
# Shown when no status is chosen: everything but drafts (pencilled in) and cancelled events.
DEFAULT_STATUSES = (
    Event.Status.TENTATIVE,
    Event.Status.CONFIRMED,
    Event.Status.POSTPONED,
    Event.Status.COMPLETED,
)


# How long validators computed from a feed's events are trusted while the change log stands still.
VALIDATORS_SECONDS = 60


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("feed", args=[token])


def feed_webcal_url(token: str) -> str:
    """The same address as webcal:// (calendar apps offer to subscribe)."""
    return re.sub(r"^https?://", "webcal://", feed_url(token))


# --- Writes -----------------------------------------------------------------------------------


@transaction.atomic
def feed_create(
    *,
    name: str,
    owner_organisation: Organisation | None = None,
    owner_user: AbstractBaseUser | None = None,
    site: Site | None = None,
    facility: Facility | None = None,
    organisation: Organisation | None = None,
    person: Person | None = None,
    kinds: Iterable[str] = (),
    statuses: Iterable[str] = (),
    visibilities: Iterable[str] = (),
    by: AbstractBaseUser | None = None,
) -> tuple[Feed, str]:
    """Make a feed that shows what its owner may see (a partner organisation, a staff user, or
    nobody: public events only), narrowed by the filters given; returns it with its token,
    shown this once (the address is ``feed_url(token)``)."""
    if owner_user is not None and not (owner_user.is_active and owner_user.is_staff):
        raise ValidationError({"owner_user": _("A staff feed belongs to an active staff user.")})
    token = secrets.token_urlsafe(32)
    feed = Feed(
        name=" ".join(name.split()),  # NAME and X-WR-CALNAME are single lines
        token_hash=token_hash(token),
        token_hint=token[:6],
        owner_organisation=owner_organisation,
        owner_user=owner_user,
        site=site,
        facility=facility,
        organisation=organisation,
        person=person,
        kinds=sorted(set(kinds)),
        statuses=sorted(set(statuses)),
        visibilities=sorted(set(visibilities)),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    feed.full_clean()
    feed.save()
    return feed, token


@transaction.atomic
def feed_revoke(*, feed_id: int) -> Feed:
    """Revoke a feed now and for good: its address answers 410 Gone from now on (revoking twice
    keeps the first time)."""
    feed = Feed.objects.select_for_update().get(pk=feed_id)
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
    return feed


# --- Reads ------------------------------------------------------------------------------------


def feed_lookup(token: str) -> Feed | None:
    """The feed a token names, revoked or not, or None (one query)."""
    if not TOKEN_RE.fullmatch(token):
        return None
    return Feed.objects.select_related("owner_user").filter(token_hash=token_hash(token)).first()


def feed_is_live(feed: Feed) -> bool:
    """Not revoked, and a staff feed's owner still active staff (a leaver's feeds stop)."""
    if feed.revoked_at is not None:
        return False
    user = feed.owner_user
    return user is None or (user.is_active and user.is_staff)


def feed_audience(feed: Feed) -> Audience:
    """Whose eyes the feed sees with (scheduling.visibility)."""
    if feed.owner_user_id is not None:
        return STAFF
    if feed.owner_organisation_id is not None:
        return partner(feed.owner_organisation_id)
    return PUBLIC


def feed_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of what a feed shows. Whole UTC days, so that it moves once a day and the
    ETag can name the day."""
    day = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        day - dt.timedelta(days=settings.FEED_PAST_DAYS),
        day + dt.timedelta(days=settings.FEED_FUTURE_DAYS + 1),
    )


def feed_events(feed: Feed, *, now: dt.datetime):
    """The events the feed shows: visible to its owner, in the window, not cancelled, matching
    every filter it has. Unordered; the caller adds what it needs."""
    start, end = feed_window(now)
    events = (
        Event.objects.visible_to(feed_audience(feed))
        .between(start, end)
        .filter(status__in=feed.statuses or DEFAULT_STATUSES)
        .exclude(status=Event.Status.CANCELLED)
    )
    if feed.kinds:
        events = events.filter(kind__in=feed.kinds)
    if feed.visibilities:
        events = events.filter(visibility__in=feed.visibilities)
    if feed.site_id:
        events = events.filter(site_id=feed.site_id)
    involved = _involved_events(feed, start, end)
    if involved is not None:
        events = events.filter(pk__in=involved)
    return events


def _involved_events(feed: Feed, start: dt.datetime, end: dt.datetime) -> set[int] | None:
    """For a feed of a facility, an organisation or a person: the ids of the events in the
    window that involve them (None for other feeds).

    Each way of being involved is one query that starts from the facility, organisation or
    person and its own index, so a poll costs as much as the feed's own events, whatever else
    the database holds (an OR of EXISTS subqueries over every event in the window did not).
    """
    in_window = {"event__end__gt": start, "event__start__lt": end}
    in_window_of_item = {"item__event__end__gt": start, "item__event__start__lt": end}
    attending = Attendance.objects.exclude(rsvp=Attendance.RSVP.DECLINED)
    if feed.facility_id:
        facility = feed.facility_id
        found = [
            Booking.objects.active().filter(facility_id=facility, **in_window),
            ProgrammeItem.objects.filter(facility_id=facility, **in_window),
        ]
    elif feed.organisation_id:
        org = feed.organisation_id
        found = [
            Event.objects.filter(host_organisation_id=org, end__gt=start, start__lt=end),
            ProgrammeItem.objects.filter(host_organisation_id=org, **in_window),
            attending.filter(person__organisation_id=org, **in_window),
            ProgrammeRole.objects.filter(person__organisation_id=org, **in_window_of_item),
        ]
    elif feed.person_id:
        person = feed.person_id
        found = [
            attending.filter(person_id=person, **in_window),
            ProgrammeRole.objects.filter(person_id=person, **in_window_of_item),
        ]
    else:
        return None
    event_of = {Event: "pk", ProgrammeRole: "item__event_id"}
    return {
        pk
        for query in found
        for pk in query.order_by().values_list(event_of.get(query.model, "event_id"), flat=True)
    }


def feed_validators(feed: Feed, *, now: dt.datetime) -> tuple[str, dt.datetime]:
    """(ETag, Last-Modified) of the feed as it would render now.

    Every write the feed can show is logged (core.changes), so while the log's newest row, the
    feed's own settings and the day stay the same, the validators computed last still hold: a
    poll then costs one indexed read and a cache hit, whatever the feed or the database holds.
    After any change they are computed again from the feed's own events; they are kept no
    longer than VALIDATORS_SECONDS, in case a write ever forgets the log.
    """
    head = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0
    day = feed_window(now)[0].date()
    key = f"api.feed.validators:{feed.pk}:{feed.updated_at.timestamp()}:{head}:{day}"
    known = cache.get(key)
    if known is None:
        known = _validators_from_events(feed, now=now)
        cache.set(key, known, VALIDATORS_SECONDS)
    return known


def _validators_from_events(feed: Feed, *, now: dt.datetime) -> tuple[str, dt.datetime]:
    """The validators from the feed's own events: costs what the feed holds, not what the
    database holds.

    What an entry shows changes with its event (updated_at), with its programme and bookings
    (change-log rows name their event) and with the sites and facilities it is at (their own
    rows); the count catches an event leaving the feed, the day the window moving.
    """
    # Aggregated in the database: one row back, whatever the feed holds. Each event's newest
    # change is read through the log's (event_id, id) index (a plain MAX over the feed's events
    # lets PostgreSQL walk the whole log backwards from its newest row instead).
    newest = Change.objects.filter(event_id=OuterRef("pk")).order_by("-id")
    totals = (
        feed_events(feed, now=now)
        .order_by()
        .aggregate(
            count=Count("pk"),
            latest=Max("updated_at"),
            change_id=Max(Subquery(newest.values("id")[:1])),
            change_at=Max(Subquery(newest.values("created_at")[:1])),
        )
    )
    places = list(
        Change.objects.filter(entity__in=[Change.Entity.SITE, Change.Entity.FACILITY])
        .order_by()
        .values("entity")
        .annotate(id=Max("id"), at=Max("created_at"))
        .values_list("id", "at")
    )
    found = [(totals["change_id"], totals["change_at"]), *places]
    logged = {
        "id": max((pk for pk, _at in found if pk is not None), default=None),
        "at": max((at for _pk, at in found if at is not None), default=None),
    }
    latest = totals["latest"]
    day = feed_window(now)[0] + dt.timedelta(days=settings.FEED_PAST_DAYS)
    parts = (
        "feed",
        FORMAT_VERSION,
        feed.pk,
        feed.updated_at.isoformat(),
        logged["id"] or 0,
        totals["count"],
        latest.isoformat() if latest else "",
        day.date().isoformat(),
    )
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]
    moments = [feed.updated_at, day, logged["at"], latest]
    return f'W/"{digest}"', max(moment for moment in moments if moment is not None)


def feed_body(feed: Feed, *, etag: str, now: dt.datetime) -> bytes:
    """The feed as iCalendar bytes: from the cache when this ETag was rendered before."""
    key = f"api.feed:{feed.pk}:{etag}"
    body = cache.get(key)
    if body is None:
        body = feed_render(feed, now=now)
        cache.set(key, body, settings.FEED_CACHE_SECONDS)
    return body


def feed_uid(feed: Feed, event: Event) -> str:
    return f"feed-{feed.pk}-{event.uid}"


def feed_render(feed: Feed, *, now: dt.datetime) -> bytes:
    """Render the feed (see the module's docstring for what is in it)."""
    events = list(
        feed_events(feed, now=now)
        .select_related("site")
        .prefetch_related(*PREFETCH)
        .order_by("start", "pk")
    )
    calendar = ical.new_calendar(prodid=PRODID, method="PUBLISH")
    calendar.add("NAME", feed.name)  # RFC 7986
    calendar.add("X-WR-CALNAME", feed.name)  # Apple, Google and Outlook read this one
    # icalendar's own refresh helper leaves out VALUE=DURATION, which RFC 7986 requires.
    calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    moments: dict[str, list[dt.datetime]] = {}
    for event in events:
        moments.setdefault(event.timezone, []).extend((event.start, event.end))
    written = ical.add_timezones(calendar, moments)
    entries = {
        f"api.feed.vevent:{values.digest}": values
        for values in (
            ical.published_values(
                event_facts(event),
                uid=feed_uid(feed, event),
                zone_written=event.timezone in written,
            )
            for event in events
        )
    }
    fragments = cache.get_many(list(entries))
    fresh = {
        key: ical.vevent(values).to_ical()
        for key, values in entries.items()
        if key not in fragments
    }
    if fresh:
        cache.set_many(fresh, VEVENT_CACHE_SECONDS)
    fragments.update(fresh)
    head = calendar.to_ical().removesuffix(END_CALENDAR)  # the VEVENTs go before the end
    return b"".join([head, *(fragments[key] for key in entries), END_CALENDAR])


END_CALENDAR = b"END:VCALENDAR\r\n"
# A VEVENT's key names everything its bytes are made of, so it is never stale; it is kept well
# past a subscriber's hourly poll (REFRESH-INTERVAL), so that the next re-render still finds it.
VEVENT_CACHE_SECONDS = 2 * 24 * 3600
