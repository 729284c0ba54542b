"""Bookings bench: does holding a booking and reading a site's week stay fast as history grows?

Seeds a realistic park (6 sites, ~100 facilities, public holidays and maintenance closures,
events of one to three bookings in office-hour slots over five years around a "planning week")
into two databases, one with 1,000 bookings (the baseline) and one with 100,000, and measures on
both, alternating call by call:

- ``booking_hold`` through the real service, each call its own transaction, on free slots of the
  planning week (median of --holds calls);
- the same hold refused because the slot is taken (the clash path, with its suggestions);
- ``site_availability`` for one site over the planning week (median of --queries calls).

The 1,000 bookings are the ones nearest the planning week, so the week looked at is equally busy
in both databases: what grows is the history around it, and the goal (ratio 100k/1k at most 2)
holds only if the database's indexes find the week without scanning the history.

Run through ``python -m bench``, which gives this process two throwaway databases; run alone it
fills whatever databases the environment names, so do not.
"""

import argparse
import contextlib
import datetime as dt
import random
import sys
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bench.harness import (
    database_label,
    database_pair,
    emit,
    interleaved_ms,
    progress,
    setup_django,
    using,
)

HK = zoneinfo.ZoneInfo("Asia/Hong_Kong")
PLANNING_MONDAY = dt.date(2026, 3, 2)
HISTORY_DAYS = 5 * 365  # span of the plan; bookings nearest the planning week are used first
# Office-hour slots. With 30 min set-up and 15 min teardown, their occupied intervals tile the
# day back to back (08:30-10:45, 10:45-13:00, 13:30-15:45, 15:45-18:00), as a busy hall's do.
SLOTS = ((9, 0, 10, 30), (11, 15, 12, 45), (14, 0, 15, 30), (16, 15, 17, 45))
SETUP, TEARDOWN = 30, 15
SLOT_CHANCE = 0.21  # per facility, working day and slot: ~0.8 bookings a facility a day
SITES = (
    ("Hong Kong Science Park", "science-park"),
    ("InnoPark Tai Po", "innopark-tai-po"),
    ("InnoPark Tseung Kwan O", "innopark-tko"),
    ("InnoPark Yuen Long", "innopark-yuen-long"),
    ("Hong Kong-Shenzhen I&T Park", "hsitp"),
    ("Cyberport", "cyberport"),
)
FACILITIES_PER_SITE = 17  # one of them not bookable
RESULT_SITE = 0  # site_availability is measured here; holds go to the other sites
SEED = 20260302


@dataclass(frozen=True)
class Cell:
    """One slot of one facility on one day."""

    facility_id: int
    site_id: int
    day: dt.date
    slot: int

    @property
    def start(self) -> dt.datetime:
        hour, minute = SLOTS[self.slot][:2]
        return dt.datetime.combine(self.day, dt.time(hour, minute), tzinfo=HK)

    @property
    def end(self) -> dt.datetime:
        hour, minute = SLOTS[self.slot][2:]
        return dt.datetime.combine(self.day, dt.time(hour, minute), tzinfo=HK)


@dataclass
class World:
    site_ids: list[int]
    facility_ids_by_site: dict[int, list[int]]
    closed: set[tuple[int, dt.date]]  # (facility id, day) with a closure: nothing booked
    person_ids: list[int]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000", help="baseline,measured bookings")
    parser.add_argument("--holds", type=int, default=50, help="holds timed at each size")
    parser.add_argument("--queries", type=int, default=30, help="other calls timed at each size")
    parser.add_argument("--explain", action="store_true", help="add the query plans used")
    args = parser.parse_args(argv)
    small, large = (int(size) for size in args.sizes.split(","))

    setup_django()
    from django.core.management import call_command

    baseline, measured = database_pair()
    worlds = []
    for connection in (baseline, measured):
        with using(connection):
            call_command("migrate", verbosity=0, interactive=False)
            worlds.append(build_world(random.Random(SEED)))
    if worlds[0] != worlds[1]:
        raise AssertionError("Both databases must hold the same park.")
    world = worlds[1]
    plan = plan_bookings(world, random.Random(SEED + 1), total=large)
    vendor = measured.vendor
    for connection, size in ((baseline, small), (measured, large)):
        with using(connection):
            seed(plan[:size])
            analyze()
            progress(f"{vendor}: {size:,} bookings seeded")

    cells = free_cells(world, plan, random.Random(SEED + 2))[: args.holds + 1]
    actions = []
    for connection in (baseline, measured):
        with using(connection):
            actions.append(prepare(world, cells))
    figures = []
    for key, name, rounds in (
        ("holds", "hold a free slot (booking_hold)", args.holds),
        ("clash", "hold refused as a clash, with suggestions", args.queries),
        ("week", "one site's week (site_availability)", args.queries),
    ):
        for side, connection in ((0, baseline), (1, measured)):
            with using(connection):
                actions[side][key][0]()  # warm-up: imports, caches, the connection's first work
        pairs = [
            (actions[0][key][n % len(actions[0][key])], actions[1][key][n % len(actions[1][key])])
            for n in range(1, rounds + 1)
        ]
        at_small, at_large = interleaved_ms(pairs, baseline, measured)
        progress(
            f"{vendor}: {name}: {at_small:.2f} ms at {small:,}, {at_large:.2f} ms at {large:,}"
        )
        figures.append(
            {
                "figure": name,
                "unit": "ms",
                "baseline": {"label": f"{small:,} bookings", "value": round(at_small, 3)},
                "value": {"label": f"{large:,} bookings", "value": round(at_large, 3)},
                "ratio": round(at_large / at_small, 2),
                "goal": 2.0,
            }
        )

    result = {
        "bench": "bookings",
        "database": database_label(),
        "figures": figures,
        "notes": (
            f"{FACILITIES_PER_SITE * len(SITES)} facilities on {len(SITES)} sites, "
            f"{HISTORY_DAYS // 365} years; medians of {args.holds} holds and {args.queries} "
            "calls, alternating between the two databases"
        ),
    }
    if args.explain:
        with using(measured):
            result["plans"] = explain(world)
    emit(result)


# --- The park --------------------------------------------------------------------------------


def build_world(rng: random.Random) -> World:
    from scheduling.models import Closure, Facility, Site, TravelTime
    from visitors.models import Organisation, Person

    sites = Site.objects.bulk_create(
        Site(name=name, slug=slug, address=f"{name}, Hong Kong", internal_travel_minutes=10)
        for name, slug in SITES
    )
    TravelTime.objects.bulk_create(
        TravelTime(from_site=a, to_site=b, minutes=rng.randint(20, 70))
        for a in sites
        for b in sites
        if a != b
    )
    kinds = [choice for choice, _label in Facility.Kind.choices]
    facilities = Facility.objects.bulk_create(
        Facility(
            site=site,
            name=f"{site.slug} facility {n:02d}",
            kind=rng.choice(kinds),
            capacity=rng.choice((12, 20, 40, 80, 150, 300, 600)),
            setup_minutes=SETUP,
            teardown_minutes=TEARDOWN,
            is_bookable=n != FACILITIES_PER_SITE - 1,
            # A third keep office hours; the slots above fit inside them.
            bookable_from=dt.time(8, 0) if n % 3 == 0 else None,
            bookable_until=dt.time(19, 0) if n % 3 == 0 else None,
        )
        for site in sites
        for n in range(FACILITIES_PER_SITE)
    )
    by_site: dict[int, list[int]] = {site.pk: [] for site in sites}
    for facility in facilities:
        if facility.is_bookable:
            by_site[facility.site_id].append(facility.pk)

    first_day = PLANNING_MONDAY - dt.timedelta(days=HISTORY_DAYS // 2)
    days = [first_day + dt.timedelta(days=n) for n in range(HISTORY_DAYS)]
    # Park-wide public holidays (none in the planning fortnight, so free slots stay free).
    holidays = sorted(rng.sample([d for d in days if abs((d - PLANNING_MONDAY).days) > 14], 14 * 5))
    closures = [
        Closure(
            site=site,
            start=dt.datetime.combine(day, dt.time(0), tzinfo=HK),
            end=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=HK),
            reason=Closure.Reason.PUBLIC_HOLIDAY,
        )
        for day in holidays
        for site in sites
    ]
    closed = {(pk, day) for day in holidays for pks in by_site.values() for pk in pks}
    # Maintenance: a few days a year per facility, one of them in the planning week at the
    # site whose week is read, so the answer has a closure to merge.
    for pks in by_site.values():
        for pk in pks:
            for _ in range(5 * 2):
                day = rng.choice(days)
                if abs((day - PLANNING_MONDAY).days) <= 14:
                    continue
                closures.append(maintenance(pk, day, days=3))
                closed |= {(pk, day + dt.timedelta(days=n)) for n in range(3)}
    looked_at = by_site[sites[RESULT_SITE].pk][0]
    closures.append(maintenance(looked_at, PLANNING_MONDAY + dt.timedelta(days=2), days=1))
    closed.add((looked_at, PLANNING_MONDAY + dt.timedelta(days=2)))
    Closure.objects.bulk_create(closures, batch_size=2000)

    organisation = Organisation.objects.create(name="Bench guests", slug="bench-guests")
    people = Person.objects.bulk_create(
        Person(name=f"Guest {n}", organisation=organisation) for n in range(40)
    )
    return World(
        site_ids=[site.pk for site in sites],
        facility_ids_by_site=by_site,
        closed=closed,
        person_ids=[person.pk for person in people],
    )


def maintenance(facility_id: int, day: dt.date, *, days: int):
    from scheduling.models import Closure

    return Closure(
        facility_id=facility_id,
        start=dt.datetime.combine(day, dt.time(0), tzinfo=HK),
        end=dt.datetime.combine(day + dt.timedelta(days=days), dt.time(0), tzinfo=HK),
        reason=Closure.Reason.MAINTENANCE,
        note="Bench maintenance",
    )


def plan_bookings(world: World, rng: random.Random, *, total: int) -> list[tuple[Cell, int]]:
    """Booked cells, nearest the planning week first, each with the key of its event.

    An event books one to three facilities of one site in the same slot.
    """
    first_day = PLANNING_MONDAY - dt.timedelta(days=HISTORY_DAYS // 2)
    middle = PLANNING_MONDAY + dt.timedelta(days=3)
    booked: list[tuple[Cell, int]] = []
    event_key = 0
    for n in range(HISTORY_DAYS):
        day = first_day + dt.timedelta(days=n)
        if day.weekday() == 6:
            continue  # Sundays are quiet
        chance = SLOT_CHANCE / 3 if day.weekday() == 5 else SLOT_CHANCE
        for site_id, facility_ids in world.facility_ids_by_site.items():
            for slot in range(len(SLOTS)):
                cells = [
                    Cell(pk, site_id, day, slot)
                    for pk in facility_ids
                    if (pk, day) not in world.closed and rng.random() < chance
                ]
                while cells:
                    size = rng.choice((1, 1, 1, 2, 3))
                    event_key += 1
                    booked += [(cell, event_key) for cell in cells[:size]]
                    cells = cells[size:]
    booked.sort(key=lambda item: (abs((item[0].day - middle).days), item[1], item[0].facility_id))
    if len(booked) < total:
        raise SystemExit(f"The plan has only {len(booked):,} bookings; raise SLOT_CHANCE.")
    return booked[:total]


def free_cells(world: World, plan: list[tuple[Cell, int]], rng: random.Random) -> list[Cell]:
    """Cells of the planning week left free at every size, away from the site that is read."""
    taken = {(c.facility_id, c.day, c.slot) for c, _key in plan}
    free = [
        Cell(pk, site_id, PLANNING_MONDAY + dt.timedelta(days=n), slot)
        for site_id in world.site_ids[RESULT_SITE + 1 :]
        for pk in world.facility_ids_by_site[site_id]
        for n in range(6)
        for slot in range(len(SLOTS))
        if (pk, PLANNING_MONDAY + dt.timedelta(days=n), slot) not in taken
        and (pk, PLANNING_MONDAY + dt.timedelta(days=n)) not in world.closed
    ]
    rng.shuffle(free)
    return free


def seed(bookings: list[tuple[Cell, int]]) -> None:
    """Insert bookings and their events with bulk_create, in batches."""
    from django.db import transaction

    from scheduling.models import Booking, Event

    rng = random.Random(SEED + 3)
    new_events: dict[int, Event] = {}
    statuses: dict[int, tuple[str, str]] = {}
    for cell, key in bookings:
        if key in new_events:
            continue
        event_status, booking_status = lifecycle(cell.day, rng)
        statuses[key] = (event_status, booking_status)
        new_events[key] = Event(
            title=f"Bench event {key}",
            kind=Event.Kind.CEREMONY,
            status=event_status,
            visibility=Event.Visibility.PUBLIC,
            site_id=cell.site_id,
            timezone="Asia/Hong_Kong",
            start=cell.start,
            end=cell.end,
        )
    with transaction.atomic():
        keys = list(new_events)
        created = Event.objects.bulk_create(new_events.values(), batch_size=2000)
        events = {key: event.pk for key, event in zip(keys, created, strict=True)}
        for chunk in chunks(bookings, 5000):
            Booking.objects.bulk_create(
                [booking_row(cell, events[key], statuses.get(key)) for cell, key in chunk]
            )


def lifecycle(day: dt.date, rng: random.Random) -> tuple[str, str]:
    """(event status, booking status): the past is done, the future partly still on hold."""
    from scheduling.models import Booking, Event

    roll = rng.random()
    if day < PLANNING_MONDAY:
        if roll < 0.07:
            return Event.Status.CANCELLED, Booking.Status.RELEASED
        return Event.Status.COMPLETED, Booking.Status.CONFIRMED
    if roll < 0.05:
        return Event.Status.CANCELLED, Booking.Status.RELEASED
    if roll < 0.35:
        return Event.Status.TENTATIVE, Booking.Status.HELD
    return Event.Status.CONFIRMED, Booking.Status.CONFIRMED


def booking_row(cell: Cell, event_id: int, statuses: tuple[str, str] | None):
    from scheduling.models import Booking

    status = statuses[1] if statuses else Booking.Status.CONFIRMED
    booking = Booking(
        facility_id=cell.facility_id,
        event_id=event_id,
        start=cell.start,
        end=cell.end,
        setup_minutes=SETUP,
        teardown_minutes=TEARDOWN,
        status=status,
        hold_expires_at=cell.start - dt.timedelta(days=1) if status == "held" else None,
        released_at=cell.start - dt.timedelta(days=7) if status == "released" else None,
    )
    booking.refresh_occupancy()  # bulk_create skips save(), which derives these
    return booking


def chunks(items: list, size: int) -> Iterator[list]:
    for offset in range(0, len(items), size):
        yield items[offset : offset + size]


def analyze() -> None:
    """Refresh planner statistics after a bulk load, as autovacuum would on PostgreSQL."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- Measuring -------------------------------------------------------------------------------


def prepare(world: World, cells: list[Cell]) -> dict[str, list[Callable[[], None]]]:
    """The timed calls for the current database; what they need is made before any clock runs.

    "holds": one booking_hold per free cell, for a new tentative event with five guests, each
    call its own transaction; "clash": holding the first cell again (refused, with suggestions);
    "week": site_availability for the planning week of the site that holds do not touch.
    """
    from django.core.exceptions import ValidationError

    from scheduling.availability import site_availability
    from scheduling.models import Event
    from scheduling.services.bookings import booking_hold
    from visitors.models import Attendance

    events = Event.objects.bulk_create(
        Event(
            title=f"Bench hold {cell.facility_id}/{cell.day}/{cell.slot}",
            status=Event.Status.TENTATIVE,
            site_id=cell.site_id,
            timezone="Asia/Hong_Kong",
            start=cell.start,
            end=cell.end,
        )
        for cell in cells
    )
    Attendance.objects.bulk_create(
        Attendance(event=event, person_id=person_id)
        for n, event in enumerate(events)
        for person_id in random.Random(n).sample(world.person_ids, 5)
    )

    def hold(event_id: int, cell: Cell) -> Callable[[], None]:
        def action() -> None:
            booking = booking_hold(
                event_id=event_id, facility_id=cell.facility_id, start=cell.start, end=cell.end
            )
            assert booking.status == "held", booking.status

        return action

    def clash() -> None:
        taken = cells[0]  # held by the warm-up of "holds": every attempt is refused
        try:
            booking_hold(
                event_id=events[1].pk,
                facility_id=taken.facility_id,
                start=taken.start,
                end=taken.end,
            )
        except ValidationError:
            return
        raise AssertionError("The clash bench expected a refusal.")

    week_start = dt.datetime.combine(PLANNING_MONDAY, dt.time(0), tzinfo=HK)
    site_id = world.site_ids[RESULT_SITE]

    def week() -> None:
        answer = site_availability(
            site_id=site_id, start=week_start, end=week_start + dt.timedelta(days=7)
        )
        assert sum(len(f.busy) for f in answer.facilities) > 50, "the week read should be busy"

    return {
        "holds": [hold(event.pk, cell) for event, cell in zip(events, cells, strict=True)],
        "clash": [clash],
        "week": [week],
    }


def explain(world: World) -> dict[str, list[str]]:
    """The plans of the SELECTs that one availability read and one refused hold run."""
    from django.core.exceptions import ValidationError
    from django.db import connection

    from scheduling.availability import site_availability
    from scheduling.models import Booking, Event
    from scheduling.services.bookings import booking_hold

    week_start = dt.datetime.combine(PLANNING_MONDAY, dt.time(0), tzinfo=HK)
    week_end = week_start + dt.timedelta(days=7)
    taken = Booking.objects.active().filter(start__gte=week_start, start__lt=week_end).first()
    other = Event.objects.filter(status=Event.Status.TENTATIVE).exclude(pk=taken.event_id).first()

    def refused_hold() -> None:
        with contextlib.suppress(ValidationError):
            booking_hold(
                event_id=other.pk, facility_id=taken.facility_id, start=taken.start, end=taken.end
            )

    actions = {
        "site_availability": lambda: site_availability(
            site_id=world.site_ids[RESULT_SITE], start=week_start, end=week_end
        ),
        "booking_hold (refused)": refused_hold,
    }
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    plans = {}
    for name, action in actions.items():
        # The SQL and parameters as sent: interpolated SQL (CaptureQueriesContext) can get a
        # different plan, e.g. SQLite proves a partial index usable only from literal values.
        sent: list[tuple[str, tuple]] = []

        def record(execute, sql, params, many, context, sent=sent):
            sent.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            action()
        selects = [(sql, params) for sql, params in sent if sql.startswith("SELECT")]
        with connection.cursor() as cursor:
            for n, (sql, params) in enumerate(selects, start=1):
                cursor.execute(prefix + sql, params)
                shown = "SELECT … " + sql[sql.find(" FROM ") + 1 :]  # the columns say little
                plans[f"{name} #{n}: {shown}"] = [
                    " ".join(str(part) for part in row) for row in cursor.fetchall()
                ]
    return plans


if __name__ == "__main__":
    main(sys.argv[1:])
