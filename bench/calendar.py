"""Calendar bench: is the timeline's data for a large site's week served nearly as fast as the
bare rows, whatever the database holds around that week?

One site with 200 facilities (08:00–20:00, 15 min set-up and teardown) and a planning week.
The database grows from 2,000 bookings to 50,000; the week shown holds the same 2,000 at both
sizes (two a facility a working day: what fits when the database holds 2,000), so that what
grows is the rest of the database (other weeks of this site, and other sites). At each size,
timed call by call in turn, each a median of --queries calls:

- the baseline: a bare Django view returning ``JsonResponse(list(Booking.objects.filter(<the
  same range and site>).values(...)), safe=False)`` of the same rows;
- ``/staff/calendar/data/`` for that site and week (desk.views.calendar_data): facilities as
  rows, bookings with their set-up and teardown, closures, unbookable hours, and the warnings
  of every booking's event.

Both views are called directly with the same logged-in request (no middleware on either side).
Figures: the endpoint's time against the baseline's (goal: at most 2, i.e. served at no less
than 0.5 of the bare view), its bytes, and its query count at both sizes (must be equal).
Finally the issue's week: 4,000 bookings in the week (four a facility a working day), on top of
the 50,000, for the milliseconds and bytes the issue measured (2.7 s and 1.8 MB to draw before).

Run through ``python -m bench calendar`` (a throwaway database).
"""

import argparse
import datetime as dt
import json
import statistics
import time
import zoneinfo

from bench.harness import database_label, emit, progress, setup_django

HK = zoneinfo.ZoneInfo("Asia/Hong_Kong")
MONDAY = dt.date(2026, 3, 2)
FACILITIES = 200
GOAL = 2.0  # endpoint ms / bare ms: served at no less than 0.5 of the bare view
# Two-hour bookings with their buffers, back to back within 08:00–20:00.
SLOTS = ((8, 15), (10, 45), (13, 15), (15, 45))
VALUES = (
    "id",
    "facility_id",
    "event_id",
    "status",
    "start",
    "end",
    "occupied_start",
    "occupied_end",
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,50000", help="bookings in the database")
    parser.add_argument("--queries", type=int, default=15, help="timed calls per figure")
    parser.add_argument("--holds", dest="_ignored", help=argparse.SUPPRESS)
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    small, large = (int(size) for size in args.sizes.split(","))

    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    world = World()
    shown = world.fill_week(slots=2)
    world.grow_to(small)
    results = {small: measure(world, args.queries)}
    progress(f"{small:,} bookings: {results[small]}")
    world.grow_to(large)
    results[large] = measure(world, args.queries)
    progress(f"{large:,} bookings: {results[large]}")
    world.fill_week(slots=4)
    busy = measure(world, args.queries)
    progress(f"{large + shown:,} bookings, {2 * shown:,} in the week: {busy}")

    figures = []
    for size in (small, large):
        bare, endpoint = results[size]["bare_ms"], results[size]["ms"]
        figures.append(
            {
                "figure": f"a 200-facility site's week, {shown:,} bookings shown, "
                f"{size:,} in the database, ms",
                "unit": "ms",
                "baseline": {"label": "bare .values() view", "value": bare},
                "value": {
                    "label": f"/staff/calendar/data/, share {bare / endpoint:.2f}",
                    "value": endpoint,
                },
                "ratio": round(endpoint / bare, 2),
                "goal": GOAL,
            }
        )
    figures.append(
        {
            "figure": "queries of that week's data",
            "unit": "queries",
            "baseline": {"label": f"{small:,} in the database", "value": results[small]["queries"]},
            "value": {"label": f"{large:,}", "value": results[large]["queries"]},
            "ratio": round(results[large]["queries"] / results[small]["queries"], 2),
            "goal": 1.0,
        }
    )
    figures.append(
        {
            "figure": f"the issue's week: {2 * shown:,} bookings shown, ms (bytes in the notes)",
            "unit": "ms",
            "baseline": {"label": "bare .values() view", "value": busy["bare_ms"]},
            "value": {"label": "/staff/calendar/data/", "value": busy["ms"]},
            "ratio": round(busy["ms"] / busy["bare_ms"], 2),
            "goal": GOAL,
        }
    )
    emit(
        {
            "bench": "calendar",
            "database": database_label(),
            "figures": figures,
            "notes": "; ".join(
                f"{label}: {r['bytes'] / 1e6:.2f} MB (bare {r['bare_bytes'] / 1e6:.2f} MB), "
                f"{r['queries']} queries (bare {r['bare_queries']}), "
                f"{r['shaping_ms']:.0f} ms of {r['ms']:.0f} without the warnings batch"
                for label, r in (
                    (f"{small:,} in the database", results[small]),
                    (f"{large:,}", results[large]),
                    (f"{2 * shown:,} shown", busy),
                )
            ),
        }
    )


def measure(world: "World", rounds: int) -> dict:
    """Median ms of the bare view and the endpoint, called in turn; bytes and queries."""
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from desk.views.calendar_data import calendar_data

    request = world.request()

    def without_warnings():
        # What the answer costs besides desk.warnings' batch: where the time goes.
        with mock.patch("desk.views.calendar_data.warnings_for_events", return_value={}):
            return calendar_data(request)

    views = {
        "bare": lambda: world.bare(request),
        "endpoint": lambda: calendar_data(request),
        "shaping": without_warnings,
    }
    timings: dict[str, list[float]] = {name: [] for name in views}
    answers = {}
    for round_ in range(rounds + 1):
        order = list(views) if round_ % 2 == 0 else list(reversed(views))
        for name in order:
            started = time.perf_counter()
            answers[name] = views[name]()
            if round_:  # the first round warms caches and the connection
                timings[name].append((time.perf_counter() - started) * 1000)
    counts = {}
    for name, view in list(views.items())[:2]:
        with CaptureQueriesContext(connection) as queries:
            view()
        counts[name] = len(queries)
    data = json.loads(answers["endpoint"].content)
    bookings = [e for e in data["events"] if "booking" in e["classNames"]]
    assert len(bookings) == len(json.loads(answers["bare"].content)), "not the same rows"
    return {
        "ms": round(statistics.median(timings["endpoint"]), 2),
        "bare_ms": round(statistics.median(timings["bare"]), 2),
        "shaping_ms": round(statistics.median(timings["shaping"]), 2),
        "bytes": len(answers["endpoint"].content),
        "bare_bytes": len(answers["bare"].content),
        "queries": counts["endpoint"],
        "bare_queries": counts["bare"],
    }


class World:
    """The busy site, its week, and the rest of the database around it."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        from desk.staff_groups import PROTOCOL_OFFICERS
        from scheduling.models import Facility, Site

        self.site = Site.objects.create(name="Science Park", slug="science-park", address="-")
        self.elsewhere = Site.objects.create(name="Elsewhere", slug="elsewhere", address="-")
        self.facilities = Facility.objects.bulk_create(
            Facility(
                site=self.site,
                name=f"Room {n:03d}",
                capacity=50,
                setup_minutes=15,
                teardown_minutes=15,
                bookable_from=dt.time(8),
                bookable_until=dt.time(20),
            )
            for n in range(FACILITIES)
        )
        self.other_facilities = Facility.objects.bulk_create(
            Facility(site=self.elsewhere, name=f"Hall {n}", capacity=50) for n in range(20)
        )
        user = get_user_model().objects.create_user("bench-officer")
        from django.contrib.auth.models import Group

        user.groups.add(Group.objects.get(name=PROTOCOL_OFFICERS))
        self.user = get_user_model().objects.get(pk=user.pk)
        self.count = 0  # bookings in the database
        self.grown = 0  # of them outside the week shown
        self.filled_slots = 0
        self.week_start = dt.datetime.combine(MONDAY, dt.time(), tzinfo=HK)
        self.week_end = self.week_start + dt.timedelta(days=7)

    def request(self):
        from django.test import RequestFactory

        request = RequestFactory().get(
            "/staff/calendar/data/",
            {"site": "science-park", "start": f"{MONDAY}", "end": f"{MONDAY + dt.timedelta(7)}"},
        )
        request.user = self.user
        return request

    def bare(self, request):
        from django.http import JsonResponse

        from scheduling.models import Booking

        rows = Booking.objects.occupying(self.week_start, self.week_end).filter(
            facility__site_id=self.site.pk
        )
        return JsonResponse(list(rows.values(*VALUES, "event__title")), safe=False)

    def fill_week(self, *, slots: int) -> int:
        """Book the week's working days up to `slots` slots a facility a day; returns how many
        bookings the week holds now."""
        cells = [
            (facility, MONDAY + dt.timedelta(days=day), slot)
            for slot in range(self.filled_slots, slots)
            for day in range(5)
            for facility in self.facilities
        ]
        self._book(cells)
        self.filled_slots = slots
        return FACILITIES * 5 * slots

    def grow_to(self, size: int) -> None:
        """Bookings outside the week shown: this site's other weeks, and the other site."""
        cells = []
        while self.count + len(cells) < size:
            k = self.grown + len(cells)
            week = 1 + k // (FACILITIES * 5 * 4) % 150
            offset = week if k % 2 else -week
            day = MONDAY + dt.timedelta(weeks=offset, days=k % 5)
            if k % 10 == 0:
                facility = self.other_facilities[k // 10 % len(self.other_facilities)]
                day = MONDAY + dt.timedelta(days=k // 200 % 3650 - 1825)
            else:
                facility = self.facilities[k // 5 % FACILITIES]
            cells.append((facility, day, k // (FACILITIES * 5) % 4))
        self._book(cells)
        self.grown += len(cells)

    def _book(self, cells) -> None:
        from scheduling.models import Booking, Event

        events, bookings = [], []
        for facility, day, slot in cells:
            hour, minute = SLOTS[slot]
            start = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=HK)
            end = start + dt.timedelta(hours=2)
            events.append(
                Event(
                    title=f"Briefing {self.count + len(events)}",
                    site_id=facility.site_id,
                    status=Event.Status.CONFIRMED,
                    visibility=Event.Visibility.INTERNAL,
                    start=start,
                    end=end,
                )
            )
        Event.objects.bulk_create(events, batch_size=2000)
        for event, (facility, _day, _slot) in zip(events, cells, strict=True):
            booking = Booking(
                event=event,
                facility=facility,
                start=event.start,
                end=event.end,
                setup_minutes=facility.setup_minutes,
                teardown_minutes=facility.teardown_minutes,
                status=Booking.Status.CONFIRMED,
            )
            booking.refresh_occupancy()
            bookings.append(booking)
        Booking.objects.bulk_create(bookings, batch_size=2000)
        self.count += len(bookings)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # measure with statistics of the database as grown


if __name__ == "__main__":
    main()
