"""Feed scale bench: does a feed's poll cost what the feed holds, or what the database holds?

An organisation's feed, a site's and a person's each show about a hundred events that stay the
same, while the database around them grows from 1,000 events to 20,000 and 200,000 (other
organisations' events at the busy site, each with a programme item, an attendee and a change-log
row, spread over the feed's window). At each size, timed in turn: the unchanged poll (a 304 by
its ETag) and the feed rendered from nothing, per event. The figure is the cost at the largest
size against the cost at 1,000 in the same run; the goal for the 304 is at most 1.5.

Run through ``python -m bench feed_scale`` (throwaway databases); ``--sizes 1000,20000`` for a
shorter run.
"""

import argparse
import datetime as dt
import random
import statistics
import sys
import time

from bench.harness import cache_label, database_label, emit, progress, setup_django

FEED_EVENTS = 100
GOAL = 1.5


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000,200000", help="events in the database")
    parser.add_argument("--rounds", type=int, default=60, help="timed polls per feed and size")
    parser.add_argument("--holds", "--queries", dest="_ignored", help=argparse.SUPPRESS)
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))

    setup_django()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from core.tasks import database_analyse

    call_command("migrate", verbosity=0, interactive=False)
    world = World()
    tokens = world.feeds()
    client = Client(HTTP_HOST="127.0.0.1")
    measured: dict[str, dict[int, tuple[float, float]]] = {name: {} for name in tokens}
    for size in sizes:
        world.grow_to(size)
        database_analyse()  # what the hourly schedule does for the grown database (SQLite)
        if connection.vendor == "postgresql":
            # What autovacuum does a little after a bulk load: measure with statistics of the
            # database as grown, not of the one before (row estimates 1,000 times too small).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        progress(f"{size:,} events in the database")
        for name, token in tokens.items():
            path = f"/feeds/{token}.ics"
            cache.clear()
            renders = []
            for _ in range(3):
                cache.clear()
                started = time.perf_counter()
                first = client.get(path)
                renders.append((time.perf_counter() - started) * 1000)
            shown = first.content.count(b"BEGIN:VEVENT")
            assert shown >= FEED_EVENTS // 2, (name, shown)
            etag = first["ETag"]
            polls = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                answer = client.get(path, headers={"If-None-Match": etag})
                polls.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 304, answer.status_code
            poll_ms = statistics.median(polls)
            render_ms = statistics.median(renders) / shown
            measured[name][size] = (poll_ms, render_ms)
            progress(
                f"  {name} feed ({shown} events): 304 {poll_ms:.2f} ms, "
                f"from nothing {render_ms:.2f} ms per event"
            )

    smallest, largest = sizes[0], sizes[-1]
    figures = []
    for name, by_size in measured.items():
        poll_small, render_small = by_size[smallest]
        poll_large, render_large = by_size[largest]
        figures += [
            {
                "figure": f"{name} feed, unchanged poll (304), {largest:,} events in the database",
                "unit": "ms",
                "baseline": {"label": f"{smallest:,} events in the database", "value": poll_small},
                "value": {"label": f"{largest:,}", "value": poll_large},
                "ratio": round(poll_large / poll_small, 2),
                "goal": GOAL,
            },
            {
                "figure": f"{name} feed from nothing, per event, {largest:,} in the database",
                "unit": "ms",
                "baseline": {"label": f"{smallest:,} events", "value": render_small},
                "value": {"label": f"{largest:,}", "value": render_large},
                "ratio": round(render_large / render_small, 2),
                "goal": None,
            },
        ]
    emit(
        {
            "bench": "feed_scale",
            "database": database_label(cache_label()),
            "figures": figures,
            "notes": "sizes "
            + ", ".join(
                f"{size:,}: "
                + "; ".join(f"{name} {by[size][0]:.2f} ms" for name, by in measured.items())
                for size in sizes
            ),
        }
    )


class World:
    """A busy site (growing) and a small one; the feeds' organisation, person and site."""

    def __init__(self) -> None:
        from scheduling.models import Facility, Site
        from visitors.models import Organisation, Person

        self.rng = random.Random(7)
        self.busy = Site.objects.create(name="Science Park", slug="science-park")
        self.small = Site.objects.create(name="InnoPark Yuen Long", slug="yuen-long")
        self.halls = [
            Facility.objects.create(site=self.busy, name=f"Hall {n}", capacity=300)
            for n in range(20)
        ]
        self.small_hall = Facility.objects.create(site=self.small, name="Lab", capacity=50)
        self.others = Organisation.objects.bulk_create(
            Organisation(name=f"Tenant {n}", slug=f"tenant-{n}") for n in range(200)
        )
        self.tenant = Organisation.objects.create(name="Koln 3D Technology", slug="koln-3d")
        self.people = Person.objects.bulk_create(
            Person(name=f"Person {n}", organisation=self.others[n % 200]) for n in range(2000)
        )
        self.guest = Person.objects.create(name="Sun Dong", organisation=self.tenant)
        self.count = 0
        self._own_events()

    def feeds(self) -> dict[str, str]:
        from django.contrib.auth import get_user_model

        from api import feeds

        officer = get_user_model().objects.create_user("bench-officer", is_staff=True)
        return {
            name: feeds.feed_create(name=name, owner_user=officer, **scope)[1]
            for name, scope in (
                ("organisation", {"organisation": self.tenant}),
                ("site", {"site": self.small}),
                ("person", {"person": self.guest}),
            )
        }

    def _own_events(self) -> None:
        """What the three feeds show: the tenant hosts, the guest attends, at the small site."""
        from scheduling.models import ProgrammeItem
        from visitors.models import Attendance

        events = self._events(FEED_EVENTS, site=self.small, host=self.tenant)
        ProgrammeItem.objects.bulk_create(self._item(event, self.small_hall) for event in events)
        Attendance.objects.bulk_create(
            Attendance(event=event, person=self.guest) for event in events
        )

    def grow_to(self, size: int) -> None:
        """Other organisations' events at the busy site, until the database holds `size`."""
        from scheduling.models import ProgrammeItem
        from visitors.models import Attendance

        while self.count < size:
            batch = min(5000, size - self.count)
            events = self._events(batch, site=self.busy, hosts=self.others)
            ProgrammeItem.objects.bulk_create(
                self._item(event, self.rng.choice(self.halls)) for event in events
            )
            Attendance.objects.bulk_create(
                Attendance(event=event, person=self.rng.choice(self.people)) for event in events
            )

    def _events(self, count: int, *, site, host=None, hosts=()) -> list:
        from django.utils import timezone

        from core.models import Change
        from scheduling.models import Event

        today = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
        events = Event.objects.bulk_create(
            Event(
                title=f"Event {self.count + n}",
                kind=Event.Kind.FORUM,
                status=Event.Status.CONFIRMED,
                visibility=Event.Visibility.PUBLIC,
                site=site,
                timezone="Asia/Hong_Kong",
                # Over the feeds' whole window: 90 days back to 18 months ahead.
                start=(start := today + dt.timedelta(days=self.rng.randint(-80, 500))),
                end=start + dt.timedelta(hours=2),
                host_organisation=host or (self.rng.choice(hosts) if hosts else None),
            )
            for n in range(count)
        )
        Change.objects.bulk_create(
            Change(
                entity=Change.Entity.EVENT,
                object_id=event.pk,
                event_id=event.pk,
                visibility=event.visibility,
                was_visibility=event.visibility,
                verb=Change.Verb.CREATED,
            )
            for event in events
        )
        self.count += count
        return events

    @staticmethod
    def _item(event, facility):
        from scheduling.models import ProgrammeItem

        return ProgrammeItem(
            event=event,
            title="Remarks",
            start=event.start,
            end=event.start + dt.timedelta(minutes=30),
            facility=facility,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
