"""Feeds bench: what does a 1,000-event subscription feed cost, and a poll that changed nothing?

Seeds 1,000 public events over the feed's window (a confirmed hall booking and three programme
items each; most in Hong Kong, some in London and New York) and one staff feed showing them all.
Four figures, timed call by call in turn on the same database, the first two against the
floor: bare icalendar serialisation of the same 1,000 VEVENTs, every value (the place, the
description with the public programme) computed beforehand and untimed:

- the feed after a change: before each call one of its events is edited (untimed), so its ETag
  moves and ``GET /feeds/<token>.ics`` renders it through Django (URL, middleware, the queries,
  the facts, VTIMEZONEs), serialising the edited event and taking the others' VEVENTs from the
  cache under the digest of their values, as a subscriber's poll after a change does (goal: at
  most 2 times the floor);
- the feed from nothing: the whole cache emptied before each call, every VEVENT serialised, as
  on the very first poll (shown for what it is; the goal is the one above);
- a repeated poll answered from the cache (200) and one answered by its ETag (304), each
  against a budget of 5 ms (goal: within it).

The notes give the size of the feed.

Run through ``python -m bench``, which gives this process throwaway databases; run alone it
fills whatever database the environment names, so do not.
"""

import argparse
import datetime as dt
import sys
import zoneinfo

from bench.harness import (
    Prepared,
    cache_label,
    database_label,
    emit,
    interleaved_ms,
    progress,
    setup_django,
)

BUDGET_POLL_MS = 5.0
ZONES = ("Asia/Hong_Kong",) * 8 + ("Europe/London", "America/New_York")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="events in the feed")
    parser.add_argument("--rounds", type=int, default=15, help="timed calls of each kind")
    # Accepted (python -m bench passes them to every bench) and ignored here.
    parser.add_argument("--sizes", "--holds", "--queries", dest="_ignored", help=argparse.SUPPRESS)
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    setup_django()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.test import Client

    from api import feeds
    from scheduling.services import event_update
    from scheduling.venue import PREFETCH

    call_command("migrate", verbosity=0, interactive=False)
    feed, token = seed(args.events)
    progress(f"{args.events:,} events seeded")
    client = Client(HTTP_HOST="127.0.0.1")
    path = f"/feeds/{token}.ics"
    first = client.get(path)
    assert first.status_code == 200, first.status_code
    etag, size = first["ETag"], len(first.content)
    assert first.content.count(b"BEGIN:VEVENT") == args.events, "the feed lost events"
    values = published_values(
        feed,
        feeds.feed_events(feed, now=_now())
        .select_related("site")
        .prefetch_related(*PREFETCH)
        .order_by("start", "pk"),
    )

    edits = iter(range(10**9))
    event_ids = list(
        feeds.feed_events(feed, now=_now()).order_by("start").values_list("pk", flat=True)
    )

    def edit_one():
        n = next(edits)
        event_update(event_id=event_ids[n % len(event_ids)], title=f"Forum {n}: edited")

    def poll():
        answer = client.get(path)
        assert answer.status_code == 200, answer.status_code
        return answer

    after_change = Prepared(edit_one, poll)
    from_nothing = Prepared(cache.clear, poll)

    def floor():
        bare_serialisation(values)

    def revalidate():
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304

    def warm():
        assert client.get(path).status_code == 200

    connection = connections[DEFAULT_DB_ALIAS]  # the object itself: both sides share it
    floor_ms, changed_ms = interleaved_ms(
        [(floor, after_change)] * args.rounds, connection, connection
    )
    progress(f"feed after a change {changed_ms:.1f} ms, bare icalendar {floor_ms:.1f} ms")
    scratch_floor_ms, scratch_ms = interleaved_ms(
        [(floor, from_nothing)] * args.rounds, connection, connection
    )
    progress(f"feed from nothing {scratch_ms:.1f} ms, bare icalendar {scratch_floor_ms:.1f} ms")
    etag = poll()["ETag"]
    warm_ms, not_modified_ms = interleaved_ms(
        [(warm, revalidate)] * (args.rounds * 4), connection, connection
    )
    progress(f"304 {not_modified_ms:.2f} ms, 200 from the cache {warm_ms:.2f} ms")

    emit(
        {
            "bench": "feeds",
            "database": database_label(cache_label()),
            "figures": [
                {
                    "figure": f"feed of {args.events:,} events after a change to one",
                    "unit": "ms",
                    "baseline": {"label": "bare icalendar, in memory", "value": floor_ms},
                    "value": {"label": "GET /feeds/<token>.ics", "value": changed_ms},
                    "ratio": round(changed_ms / floor_ms, 2),
                    "goal": 2.0,
                },
                {
                    "figure": f"feed of {args.events:,} events from nothing (first poll)",
                    "unit": "ms",
                    "baseline": {"label": "bare icalendar, in memory", "value": scratch_floor_ms},
                    "value": {"label": "GET /feeds/<token>.ics", "value": scratch_ms},
                    "ratio": round(scratch_ms / scratch_floor_ms, 2),
                    "goal": None,
                },
                {
                    "figure": "repeated poll answered from the cache",
                    "unit": "ms",
                    "baseline": {"label": "budget", "value": BUDGET_POLL_MS},
                    "value": {"label": "200, body cached under its ETag", "value": warm_ms},
                    "ratio": round(warm_ms / BUDGET_POLL_MS, 2),
                    "goal": 1.0,
                },
                {
                    "figure": "repeated poll answered by ETag",
                    "unit": "ms",
                    "baseline": {"label": "budget", "value": BUDGET_POLL_MS},
                    "value": {"label": "304", "value": not_modified_ms},
                    "ratio": round(not_modified_ms / BUDGET_POLL_MS, 2),
                    "goal": 1.0,
                },
            ],
            "notes": f"feed {size / 1024:,.0f} KiB",
        }
    )


def _now() -> dt.datetime:
    from django.utils import timezone

    return timezone.now()


def seed(count: int):
    """`count` public events spread over the next 300 days, and a staff feed of them all."""
    from django.contrib.auth import get_user_model

    from api import feeds
    from scheduling.models import Booking, Event, Facility, ProgrammeItem, Site

    site = Site.objects.create(
        name="Hong Kong Science Park",
        name_zh="香港科學園",
        slug="science-park",
        address="Science Park West Avenue\nSha Tin, New Territories",
    )
    halls = [
        Facility.objects.create(site=site, name=f"Hall {n}", capacity=300) for n in range(1, 6)
    ]
    today = _now().date()
    events = []
    for n in range(count):
        zone = zoneinfo.ZoneInfo(ZONES[n % len(ZONES)])
        day = today + dt.timedelta(days=1 + n * 300 // count)
        start = dt.datetime.combine(day, dt.time(9 + 2 * (n % 4)), tzinfo=zone)
        events.append(
            Event(
                title=f"Forum {n}: Crafting Tomorrow",
                title_zh="創科論壇",
                kind=Event.Kind.FORUM,
                status=Event.Status.CONFIRMED,
                visibility=Event.Visibility.PUBLIC,
                site=site,
                timezone=zone.key,
                start=start,
                end=start + dt.timedelta(hours=2),
                description="Remarks by officiating guests, a panel, and a tour of the labs.",
            )
        )
    events = Event.objects.bulk_create(events)
    bookings, items = [], []
    for n, event in enumerate(events):
        booking = Booking(
            facility=halls[n % len(halls)],
            event=event,
            start=event.start,
            end=event.end,
            setup_minutes=0,
            teardown_minutes=0,
            status=Booking.Status.CONFIRMED,
        )
        booking.refresh_occupancy()
        bookings.append(booking)
        for k, title in enumerate(("Welcome remarks", "Panel: the next decade", "Lab tour")):
            items.append(
                ProgrammeItem(
                    event=event,
                    title=title,
                    start=event.start + dt.timedelta(minutes=40 * k),
                    end=event.start + dt.timedelta(minutes=40 * (k + 1)),
                )
            )
    Booking.objects.bulk_create(bookings)
    ProgrammeItem.objects.bulk_create(items)
    officer = get_user_model().objects.create_user("bench-officer", is_staff=True)
    return feeds.feed_create(name="Science Park events", owner_user=officer)


def published_values(feed, events) -> list[dict]:
    """What the feed says about each event, computed beforehand (untimed) for the floor."""
    from api import feeds
    from scheduling.facts import event_facts, event_title

    values = []
    for event in events:
        facts = event_facts(event)
        blocks = [event.description.strip(), "\n".join(line.text for line in facts.programme)]
        values.append(
            {
                "UID": feeds.feed_uid(feed, event),
                "SEQUENCE": event.sequence,
                "DTSTAMP": event.updated_at,
                "DTSTART": event.start.astimezone(event.zone),
                "DTEND": event.end.astimezone(event.zone),
                "SUMMARY": event_title(event),
                "LOCATION": facts.venue,
                "DESCRIPTION": "\n\n".join(blocks),
                "STATUS": "CONFIRMED",
                "TRANSP": "OPAQUE",
                "LAST-MODIFIED": event.updated_at,
            }
        )
    return values


def bare_serialisation(values: list[dict]) -> bytes:
    """The floor: the same VEVENTs, their values already in memory, by icalendar alone."""
    from icalendar import Calendar
    from icalendar import Event as VEvent

    calendar = Calendar()
    calendar.add("PRODID", "-//bench//EN")
    calendar.add("VERSION", "2.0")
    for properties in values:
        vevent = VEvent()
        for name, value in properties.items():
            vevent.add(name, value)
        calendar.add_component(vevent)
    return calendar.to_ical()


if __name__ == "__main__":
    main(sys.argv[1:])
