"""Invites bench: does sending through the queue keep up with the relay?

Confirmed events with 2,000 attendees each, and an SMTP sink in this process that behaves like a
real relay: it takes 30 ms to accept each message (aiosmtpd, every connection served at once).
At that latency the relay is what users wait for, so both figures send over the same number of
connections, one per worker:

- the floor: the same invites, built beforehand, sent by a bare loop with smtplib, one thread
  and one connection per worker;
- end to end: ``invites_send`` for an event, through a real ``manage.py qcluster`` with its
  default two workers: outbox rows, the broker (ORM queue, or Redis when REDIS_URL is set),
  claims, message building, SMTP, and the ledger, until the last row is recorded as sent.

The two run in turn for a few rounds (a fresh event each round) and the medians are compared,
so that a slow spell of this shared machine does not land on one side only. The table shows
milliseconds per invite; the goal is at least 0.8 of the floor's rate (a ratio of at most
1.25). The notes give invites per second for both.

Run through ``python -m bench``, which gives this process throwaway databases; run alone it
fills whatever database the environment names, so do not.
"""

import argparse
import asyncio
import multiprocessing
import os
import smtplib
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bench.harness import (
    database_label,
    emit,
    free_port,
    progress,
    setup_django,
    stop_process_group,
)

BASE_DIR = Path(__file__).resolve().parent.parent
WARM_UP_ATTENDEES = 5


RELAY_SECONDS = 0.030  # a real relay's time to accept one message
GOAL = 1 / 0.8  # at least 0.8 of the floor's rate


class Sink:
    """An SMTP server that takes RELAY_SECONDS per message, then counts and drops it. It runs
    in a process of its own, as a relay runs on a machine of its own: its work competes with
    neither the floor's threads nor the workers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._count = multiprocessing.Value("i", 0)
        self._ready = multiprocessing.Event()
        self._process = multiprocessing.Process(target=self._serve, daemon=True)

    @property
    def count(self) -> int:
        return self._count.value

    def start(self) -> None:
        self._process.start()
        if not self._ready.wait(30):
            raise SystemExit("the SMTP sink did not start")

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(10)

    def _serve(self) -> None:
        from aiosmtpd.controller import Controller

        count = self._count

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                await asyncio.sleep(RELAY_SECONDS)
                with count.get_lock():
                    count.value += 1
                return "250 Accepted"

        Controller(Handler(), hostname="127.0.0.1", port=self.port).start()
        self._ready.set()
        while True:
            time.sleep(3600)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=2000, help="invites per run")
    parser.add_argument("--workers", type=int, default=2, help="qcluster worker processes")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the queue")
    parser.add_argument("--rounds", type=int, default=3, help="floor and queue runs, in turn")
    # Accepted (python -m bench passes them to every bench) and ignored here.
    parser.add_argument("--sizes", "--holds", "--queries", dest="_ignored", help=argparse.SUPPRESS)
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    # Both this process (which enqueues) and the cluster must use one private queue.
    os.environ["Q_CLUSTER_NAME"] = f"pd-bench-invites-{uuid.uuid4().hex[:8]}"
    sink = Sink(free_port())
    sink.start()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{sink.port}?timeout=30"
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    *event_ids, warm_up_id = seed(args.attendees, events=args.rounds)
    progress(f"{args.rounds} × {args.attendees:,} attendees seeded")
    messages = prebuilt(event_ids[0])

    cluster = start_cluster(args.workers)
    floors, queues = [], []
    try:
        # Warm up: the cluster has started, imported everything and opened its connections.
        send_and_wait(warm_up_id, WARM_UP_ATTENDEES, timeout=60, cluster=cluster)
        # Floor and queue in turn, a fresh event each round: a slow spell on the machine
        # hits both sides rather than one.
        for event_id in event_ids:
            floors.append(floor(messages, sink, connections=args.workers))
            queues.append(
                send_and_wait(event_id, args.attendees, timeout=args.timeout, cluster=cluster)
            )
            progress(
                f"floor {args.attendees / floors[-1]:,.0f} invites/s (smtplib, prebuilt, "
                f"{args.workers} connections), "
                f"queue {args.attendees / queues[-1]:,.0f} invites/s ({args.workers} workers)"
            )
    finally:
        stop_process_group(cluster)
        sink.stop()
    floor_seconds, queue_seconds = statistics.median(floors), statistics.median(queues)

    floor_rate, queue_rate = args.attendees / floor_seconds, args.attendees / queue_seconds
    from django.conf import settings

    database = database_label("Redis broker" if settings.REDIS_URL else "ORM broker")
    floor_ms, queue_ms = (
        1000 * floor_seconds / args.attendees,
        1000 * queue_seconds / args.attendees,
    )
    emit(
        {
            "bench": "invites",
            "database": database,
            "figures": [
                {
                    "figure": (
                        f"{args.attendees:,} invites to a relay taking "
                        f"{RELAY_SECONDS * 1000:.0f} ms a message"
                    ),
                    "unit": "ms/invite",
                    "baseline": {
                        "label": f"smtplib, prebuilt, {args.workers} connections",
                        "value": floor_ms,
                    },
                    "value": {"label": f"qcluster, {args.workers} workers", "value": queue_ms},
                    "ratio": round(queue_ms / floor_ms, 2),
                    "goal": round(GOAL, 2),
                }
            ],
            "notes": (
                f"floor {floor_rate:,.0f} invites/s, queue {queue_rate:,.0f} invites/s: "
                f"{queue_rate / floor_rate:.2f} of the floor (goal ≥ 0.8), medians of "
                f"{args.rounds} rounds; aiosmtpd sink in its own process taking "
                f"{RELAY_SECONDS * 1000:.0f} ms each"
            ),
        }
    )


def seed(attendees: int, *, events: int = 1) -> list[int]:
    """Confirmed events (their hall booked for good) with this many attendees each, and a
    small one to warm the cluster up with, last."""
    import datetime as dt

    from django.utils import timezone

    from scheduling.models import Booking, Event, Facility, ProgrammeItem, Site
    from visitors.models import Attendance, Organisation, Person

    site = Site.objects.create(
        name="Hong Kong Science Park",
        name_zh="香港科學園",
        slug="science-park",
        address="Science Park West Avenue\nSha Tin, New Territories",
    )
    hall = Facility.objects.create(site=site, name="Charles K. Kao Auditorium", capacity=1200)
    organisation = Organisation.objects.create(name="Bench guests", slug="bench-guests")
    start = (timezone.now() + dt.timedelta(days=21)).replace(minute=0, second=0, microsecond=0)
    ids = []
    plan = [(f"Opening of the I&T Park, part {n + 1}", attendees) for n in range(events)]
    for title, size in [*plan, ("Warm-up", WARM_UP_ATTENDEES)]:
        event = Event.objects.create(
            title=title,
            status=Event.Status.CONFIRMED,
            visibility=Event.Visibility.PUBLIC,
            site=site,
            start=start,
            end=start + dt.timedelta(hours=2),
            description="Officiating guests, remarks, a ribbon cutting and a tour.",
        )
        booking = Booking(
            facility=hall,
            event=event,
            start=event.start,
            end=event.end,
            setup_minutes=30,
            teardown_minutes=15,
            status=Booking.Status.CONFIRMED,
        )
        booking.save()
        for n, item in enumerate(("Welcome remarks", "Ribbon cutting", "Guided tour")):
            ProgrammeItem.objects.create(
                event=event,
                title=item,
                start=event.start + dt.timedelta(minutes=30 * n),
                end=event.start + dt.timedelta(minutes=30 * (n + 1)),
            )
        people = Person.objects.bulk_create(
            Person(
                honorific="Dr",
                name=f"Guest {event.pk}-{n}",
                name_zh="陳大文",
                organisation=organisation,
                email=f"guest{event.pk}-{n}@example.org",
            )
            for n in range(size)
        )
        Attendance.objects.bulk_create(Attendance(event=event, person=p) for p in people)
        start += dt.timedelta(hours=3)  # the hall is free again
        ids.append(event.pk)
    return ids


def prebuilt(event_id: int) -> list[tuple[str, list[str], bytes]]:
    """The event's invites, built beforehand: (sender, recipients, bytes) for smtplib."""
    from scheduling.models import Event
    from visitors.emails import delivery_message
    from visitors.models import Delivery

    event = Event.objects.get(pk=event_id)
    messages = []
    for attendance in event.attendances.select_related("person"):
        delivery = Delivery(
            event=event,
            person=attendance.person,
            attendance=attendance,
            method=Delivery.Method.REQUEST,
            sequence=event.sequence,
        )
        message = delivery_message(delivery)
        messages.append(
            (message.from_email, message.recipients(), message.message().as_bytes(linesep="\r\n"))
        )
    return messages


def floor(messages: list[tuple[str, list[str], bytes]], sink: Sink, *, connections: int) -> float:
    """Seconds to send the prebuilt messages with smtplib, a share on each of `connections`
    connections at once (one thread each), as the workers send theirs."""
    before = sink.count
    shares = [messages[n::connections] for n in range(connections)]

    def send(share: list[tuple[str, list[str], bytes]]) -> None:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=30) as connection:
            for from_email, recipients, content in share:
                connection.sendmail(from_email, recipients, content)

    threads = [threading.Thread(target=send, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    assert sink.count - before == len(messages), "the sink lost messages"
    return seconds


def send_and_wait(event_id: int, expected: int, *, timeout: float, cluster) -> float:
    """Seconds from invites_send until every row of the event is recorded as sent."""
    from visitors.invitations import invites_send
    from visitors.models import Delivery

    started = time.perf_counter()
    invites_send(event_id=event_id)
    sent = Delivery.objects.filter(event_id=event_id, state=Delivery.State.SENT)
    first = None
    while (count := sent.count()) < expected:
        if first is None and count:
            first = time.perf_counter() - started
        if cluster.poll() is not None:
            raise SystemExit(f"qcluster exited with {cluster.returncode}")
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"only {count} of {expected} invites sent in {timeout:g}s")
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    progress(f"{expected:,} sent in {seconds:.2f}s, the first after {first or seconds:.2f}s")
    return seconds


def start_cluster(workers: int) -> subprocess.Popen:
    env = {**os.environ, "Q_WORKERS": str(workers), "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=sys.stderr,
        start_new_session=True,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
