"""API bench: how close does a page of the partner API come to a bare Django view of its rows?

Seeds 20,000 events over about 80 weeks of working days (three sites, four facilities each, an
event in every office-hour slot; three programme items each, the last one internal, a speaker
on the panel and a confirmed booking; public, partners, internal and restricted ones mixed,
some tentative, a few cancelled) and a partner key made with ``create_api_key`` (its rate limit
high enough never to throttle). Then it starts gunicorn as deployed (gunicorn.conf.py,
``config.wsgi``, two sync workers, DEBUG off) on 127.0.0.1, on this process's throwaway
database, and times, with 8 client threads each holding one HTTP connection:

- ``GET /api/v1/events/?page_size=100`` with the partner key: authentication, throttling,
  visibility, filters, the keyset page, the prefetched programme and bookings, the event JSON,
  the sync token and ETag;
- the floor, defined here (bench/api_urls.py, served by the same gunicorn through
  bench/api_settings.py): a bare Django view returning the same rows (the 100 events, the
  programme items a partner sees with their speakers, the bookings) with ``.values()``,
  nested per event, and a JSON dump.

The two are loaded in turn, a few seconds each, for several rounds (order swapped every round)
after a warm-up, so a burst of load on the machine hits both. The table shows milliseconds per
request at 8 clients, i.e. 1000 / requests per second (ratio = API / floor; at most 2 means at
least half the floor's throughput); the notes give the median and p95 latency and requests per
second of both. gunicorn's worker recycling (max_requests) is turned off for the run: a worker
restarting inside one side's few seconds would charge that side alone.

The issue's other two figures (a 1,000-event feed against bare icalendar, a 304 under 5 ms)
are bench/feeds.py's.

Run through ``python -m bench``, which gives this process throwaway databases; run alone it
fills whatever database the environment names, so do not.
"""

import argparse
import contextlib
import datetime as dt
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import (
    cache_label,
    database_label,
    emit,
    free_port,
    progress,
    setup_django,
    stop_process_group,
)

BASE_DIR = Path(__file__).resolve().parent.parent
HK = zoneinfo.ZoneInfo("Asia/Hong_Kong")
SITES = (
    ("Hong Kong Science Park", "香港科學園", "science-park"),
    ("InnoPark Tai Po", "大埔創新園", "innopark-tai-po"),
    ("Cyberport", "數碼港", "cyberport"),
)
FACILITIES = ("Charles K. Kao Auditorium", "Conference Hall", "Lecture Theatre", "Board Room")
# Office-hour slots; with 20 min set-up and 10 min teardown their occupied intervals meet end
# to start, so one facility holds an event in each.
SLOTS = ((9, 0), (11, 0), (14, 0), (16, 0))
DURATION = dt.timedelta(minutes=90)
SETUP, TEARDOWN = 20, 10
# Most events are shown in Hong Kong time; some, for overseas partners, in theirs.
ZONES = ("Asia/Hong_Kong",) * 8 + ("Europe/London", "America/New_York")
# Per ten events: five public, three for partners, one internal, one restricted.
VISIBILITIES = ("public",) * 5 + ("partners",) * 3 + ("internal", "restricted")
KINDS = ("forum", "ceremony", "keynote", "panel", "site_inspection", "press_conference")
ORGANISATIONS = (
    ("Innovation and Technology Bureau", "itb", "government"),
    ("Aurora Robotics Ltd", "aurora-robotics", "tenant"),
    ("Harbour Biotech Ltd", "harbour-biotech", "tenant"),
    ("South China Morning Post", "scmp", "media"),
    ("HKUST", "hkust", "academic"),
)
# Each event's programme: the last item (a transfer) is internal, for staff and the host only.
PROGRAMME = (
    ("Welcome remarks", "remarks", "public"),
    ("Panel: the next decade", "panel", "public"),
    ("Transfer to the labs", "transfer", "internal"),
)
PARTNER = 1  # the key's organisation: hosts a fifth of the events (so some restricted ones)
FLOOR_PATH = "/bench/floor/events/"  # bench/api_urls.py


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000, help="events seeded")
    parser.add_argument("--page-size", type=int, default=100, help="events per page")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--rounds", type=int, default=6, help="timed rounds of each side")
    parser.add_argument("--seconds", type=float, default=4, help="seconds of load per round")
    parser.add_argument("--warm-up", type=float, default=2, help="untimed seconds of each side")
    # Accepted (python -m bench passes them to every bench) and ignored here.
    parser.add_argument("--sizes", "--holds", "--queries", dest="_ignored", help=argparse.SUPPRESS)
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    organisation_id = seed(args.events)
    analyze()
    token = partner_key(organisation_id)
    progress(f"{args.events:,} events seeded; partner key made")
    connection.close()  # the workers open their own

    api = Target(
        "API",
        f"/api/v1/events/?page_size={args.page_size}",
        {"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    floor = Target(
        "floor",
        f"{FLOOR_PATH}?organisation={organisation_id}&page_size={args.page_size}",
        {"Accept": "application/json"},
    )
    port = free_port()
    server = start_gunicorn(port, args.workers)
    try:
        wait_until_up(port, server)
        sizes = check_answers(port, api, floor, args.page_size)
        progress(
            f"gunicorn up ({args.workers} workers); both answer {args.page_size} events "
            f"(API {sizes[0] / 1024:,.0f} KiB, floor {sizes[1] / 1024:,.0f} KiB)"
        )
        for target in (floor, api):
            load(port, target, args.clients, args.warm_up, timed=False)
        for round_ in range(args.rounds):
            for target in (floor, api) if round_ % 2 == 0 else (api, floor):
                load(port, target, args.clients, args.seconds)
            progress(
                f"round {round_ + 1}/{args.rounds}: API {api.rps:,.0f} req/s, "
                f"floor {floor.rps:,.0f} req/s so far"
            )
    finally:
        stop_process_group(server)

    api_ms, floor_ms = 1000 / api.rps, 1000 / floor.rps
    progress(
        f"API median {api.median_ms:.1f} ms, p95 {api.p95_ms:.1f} ms, {api.rps:,.1f} req/s; "
        f"floor median {floor.median_ms:.1f} ms, p95 {floor.p95_ms:.1f} ms, {floor.rps:,.1f} req/s"
    )
    emit(
        {
            "bench": "api",
            "database": database_label(cache_label()),
            "figures": [
                {
                    "figure": f"page of {args.page_size} events, {args.clients} clients",
                    "unit": "ms/request",
                    "baseline": {
                        "label": f"bare .values() view, gunicorn {args.workers} workers",
                        "value": floor_ms,
                    },
                    "value": {
                        "label": f"GET /api/v1/events/?page_size={args.page_size}",
                        "value": api_ms,
                    },
                    "ratio": round(api_ms / floor_ms, 2),
                    "goal": 2.0,
                }
            ],
            "notes": (
                f"API {api.rps:,.1f} req/s (median {api.median_ms:.1f} ms, p95 "
                f"{api.p95_ms:.1f} ms), floor {floor.rps:,.1f} req/s (median "
                f"{floor.median_ms:.1f} ms, p95 {floor.p95_ms:.1f} ms): "
                f"{api.rps / floor.rps:.2f} of the floor (goal ≥ 0.5); {args.events:,} events, "
                f"{args.clients} clients, {api.count:,} and {floor.count:,} requests over "
                f"{args.rounds} rounds of {args.seconds:g} s each; page {sizes[0] / 1024:,.0f} "
                f"KiB (floor {sizes[1] / 1024:,.0f} KiB)"
            ),
        }
    )


def seed(count: int) -> int:
    """`count` events in the office-hour slots of twelve facilities, working days from three
    months back on; returns the partner organisation's id."""
    from django.utils import timezone

    from scheduling.models import (
        Booking,
        Event,
        Facility,
        ProgrammeItem,
        ProgrammeRole,
        Site,
    )
    from visitors.models import Organisation, Person

    sites = [
        Site.objects.create(name=name, name_zh=name_zh, slug=slug, address=f"{name}\nHong Kong")
        for name, name_zh, slug in SITES
    ]
    facilities = [
        Facility.objects.create(
            site=site,
            name=name,
            kind=Facility.Kind.HALL,
            capacity=300,
            setup_minutes=SETUP,
            teardown_minutes=TEARDOWN,
        )
        for site in sites
        for name in FACILITIES
    ]
    organisations = [
        Organisation.objects.create(name=name, slug=slug, kind=kind)
        for name, slug, kind in ORGANISATIONS
    ]
    speakers = Person.objects.bulk_create(
        Person(
            honorific="Dr",
            name=f"Speaker {n}",
            name_zh="陳大文",
            post="Chief Technology Officer",
            organisation=organisations[n % len(organisations)],
        )
        for n in range(50)
    )
    today = timezone.localdate()
    first_monday = today - dt.timedelta(days=today.weekday() + 13 * 7)
    events, places = [], []
    for n in range(count):
        facility = facilities[n % len(facilities)]
        day_index, slot = divmod(n // len(facilities), len(SLOTS))
        day = first_monday + dt.timedelta(days=day_index // 5 * 7 + day_index % 5)
        start = dt.datetime.combine(day, dt.time(*SLOTS[slot]), tzinfo=HK)
        kind = KINDS[n % len(KINDS)]
        if n % 29 == 0:
            status = Event.Status.CANCELLED
        elif n % 7 == 0:
            status = Event.Status.TENTATIVE
        else:
            status = Event.Status.CONFIRMED
        events.append(
            Event(
                title=f"{kind.replace('_', ' ').capitalize()} {n}: Crafting Tomorrow",
                title_zh="創科論壇",
                kind=kind,
                status=status,
                visibility=VISIBILITIES[n % len(VISIBILITIES)],
                site=facility.site,
                timezone=ZONES[n % len(ZONES)],
                start=start,
                end=start + DURATION,
                host_organisation=organisations[n % len(organisations)],
                description="Remarks by officiating guests, a panel, and a tour of the labs.",
                internal_notes="Car park B reserved; VIP lift held from 08:30.",
            )
        )
        places.append(facility)
    events = Event.objects.bulk_create(events, batch_size=2000)
    bookings, items = [], []
    for event, facility in zip(events, places, strict=True):
        cancelled = event.status == Event.Status.CANCELLED
        booking = Booking(
            facility=facility,
            event=event,
            start=event.start,
            end=event.end,
            setup_minutes=SETUP,
            teardown_minutes=TEARDOWN,
            status=Booking.Status.RELEASED if cancelled else Booking.Status.CONFIRMED,
            released_at=event.start - dt.timedelta(days=7) if cancelled else None,
        )
        booking.refresh_occupancy()
        bookings.append(booking)
        for k, (title, kind, visibility) in enumerate(PROGRAMME):
            items.append(
                ProgrammeItem(
                    event=event,
                    position=k,
                    title=title,
                    kind=kind,
                    visibility=visibility,
                    facility=facility if k < 2 else None,
                    start=event.start + dt.timedelta(minutes=30 * k),
                    end=event.start + dt.timedelta(minutes=30 * (k + 1)),
                    cue_notes="Lights down; lectern mic live." if k == 0 else "",
                )
            )
    Booking.objects.bulk_create(bookings, batch_size=2000)
    items = ProgrammeItem.objects.bulk_create(items, batch_size=2000)
    ProgrammeRole.objects.bulk_create(
        (
            ProgrammeRole(item=item, person=speakers[n % len(speakers)])
            for n, item in enumerate(items[1::3])
        ),
        batch_size=2000,
    )
    return organisations[PARTNER].pk


def analyze() -> None:
    """Refresh planner statistics after a bulk load, as autovacuum would on PostgreSQL (and
    before the timing, so that it cannot change the plans halfway through)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def partner_key(organisation_id: int) -> str:
    """A partner key with events:read, made as an operator would (``create_api_key``)."""
    from django.core.management import call_command

    from visitors.models import Organisation

    out = io.StringIO()
    call_command(
        "create_api_key",
        "--organisation",
        Organisation.objects.get(pk=organisation_id).slug,
        "--name",
        "API bench",
        "--rate",
        "10000000",  # requests a minute: the bench must measure serving, never a 429
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue().strip()


@dataclass
class Target:
    """One side of the comparison and what its timed rounds measured."""

    name: str
    path: str
    headers: dict[str, str]
    latencies_ms: list[float] = field(default_factory=list)
    count: int = 0
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        return self.count / self.seconds

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95_ms(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=20)[-1]


def load(port: int, target: Target, clients: int, seconds: float, *, timed: bool = True) -> None:
    """`clients` threads, one HTTP connection each, request `target` back to back for `seconds`;
    adds their latencies, count and the elapsed time to the target (unless untimed)."""
    barrier = threading.Barrier(clients + 1)
    window: dict[str, float] = {}
    lock = threading.Lock()
    latencies: list[float] = []
    finished: list[float] = []
    failures: list[str] = []

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        last = 0.0
        barrier.wait()
        try:
            while (started := time.perf_counter()) < window["deadline"]:
                # gunicorn's sync workers close after each answer: http.client reconnects.
                connection.request("GET", target.path, headers=target.headers)
                answer = connection.getresponse()
                answer.read()
                last = time.perf_counter()
                if answer.status != 200:
                    failures.append(f"{target.name}: {answer.status}")
                    return
                mine.append((last - started) * 1000)
        except (OSError, http.client.HTTPException) as error:
            failures.append(f"{target.name}: {error!r}")
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)
                finished.append(last)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    window["deadline"] = began + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} failed requests, e.g. {failures[0]}")
    if timed:
        target.latencies_ms.extend(latencies)
        target.count += len(latencies)
        target.seconds += max(finished) - began


def check_answers(port: int, api: Target, floor: Target, size: int) -> tuple[int, int]:
    """Both answer 200 with the same `size` events, in the same order; their sizes in bytes."""
    bodies = []
    for target in (api, floor):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request("GET", target.path, headers=target.headers)
            answer = connection.getresponse()
            body = answer.read()
        finally:
            connection.close()
        assert answer.status == 200, f"{target.name} answered {answer.status}: {body[:300]!r}"
        bodies.append(body)
    api_rows, floor_rows = (json.loads(body)["results"] for body in bodies)
    assert len(api_rows) == size, f"the API page has {len(api_rows)} events, not {size}"
    assert len(floor_rows) == size, f"the floor has {len(floor_rows)} rows, not {size}"
    assert [row["id"] for row in api_rows] == [row["id"] for row in floor_rows], "rows differ"
    assert all(row["programme"] and row["bookings"] for row in api_rows), "no programme/bookings"

    def parts(rows: list[dict]) -> list[tuple]:
        return [
            (
                [item["id"] for item in row["programme"]],
                [len(item["roles"]) for item in row["programme"]],
                [booking["id"] for booking in row["bookings"]],
            )
            for row in rows
        ]

    assert parts(api_rows) == parts(floor_rows), "the floor's programme or bookings differ"
    return len(bodies[0]), len(bodies[1])


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    """gunicorn as deployed (gunicorn.conf.py, config.wsgi) on this process's database; only the
    settings module differs, to add the floor's URL. No page the bench asks for has static
    files; an empty STATIC_ROOT keeps WhiteNoise from warning that there is none."""
    static_root = Path(os.environ["VAR_DIR"]) / "static"
    static_root.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.api_settings",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_MAX_REQUESTS": "0",  # no recycling inside a timed window (see the docstring)
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": str(static_root),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,  # the access log
        stderr=sys.stderr,
        start_new_session=True,
    )


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {timeout:g}s")


if __name__ == "__main__":
    main(sys.argv[1:])
