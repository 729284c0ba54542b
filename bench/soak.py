"""`make soak`: a mixed load on 127.0.0.1 against the production profile, then the checks.

    python -m bench.soak --minutes 5

It creates a throwaway PostgreSQL database (on the server DATABASE_URL names, default
postgres://postgres@127.0.0.1:5432/postgres) and uses Redis (REDIS_URL, default
redis://127.0.0.1:6379/13), migrates and loads the demo data, then starts gunicorn (two
workers), two qcluster processes, a local SMTP sink and a webhook receiver. For the given
minutes, partners poll lists, sync and feeds while staff create, move and cancel events and
bookings and send invites. At the end it waits for the queues to drain and checks: zero 5xx,
zero clashes in the database, every outbox row sent or visibly failed, every webhook delivered
or visibly failed, and every process's memory stable after warm-up. Exit status 1 if any
check fails.
"""

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.harness import free_port

BASE_DIR = Path(__file__).resolve().parent.parent
# Memory may grow during warm-up (imports, caches, connection pools); after it, a process
# whose resident size grows by more than this is reported as leaking.
MEMORY_BOUND_MB = 30
WARM_UP_SHARE = 0.3


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)

    def record(self, kind: str, method: str, path: str, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.by_kind[kind] += 1
            if status >= 500:
                self.server_errors.append(f"{status} {method} {path}")


class Api:
    def __init__(self, base: str, token: str, tally: Tally, kind: str):
        self.base, self.token, self.tally, self.kind = base, token, tally, kind

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        url = path if path.startswith("http") else f"{self.base}{path}"
        request = urllib.request.Request(
            url,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except OSError as error:  # connection refused or reset: as bad as a 5xx
            status, raw = 599, str(error).encode()
        self.tally.record(self.kind, method, urlsplit(url).path, status)
        try:
            return status, json.loads(raw or b"{}")
        except ValueError:
            return status, raw


class Sink:
    """An SMTP server that accepts everything and counts it."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink.lock:
                    sink.received += 1
                return "250 OK"

        self.lock, self.received = threading.Lock(), 0
        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class Receiver:
    """A webhook endpoint on 127.0.0.1 that answers 200 and counts deliveries."""

    def __init__(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.received += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.lock, self.received = threading.Lock(), 0
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def descendants(pid: int) -> list[int]:
    """pid and every process below it, from /proc (no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


class Processes:
    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env, self.log_dir, self.started = env, log_dir, {}

    def start(self, name: str, argv: list[str], **extra: str) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        self.started[name] = subprocess.Popen(
            [sys.executable, *argv],
            cwd=BASE_DIR,
            env={**self.env, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def memory(self) -> dict[str, float]:
        """Resident MB of every process, named by role and pid."""
        found = {}
        for name, process in self.started.items():
            for pid in descendants(process.pid):
                size = rss_mb(pid)
                if size is not None:
                    found[f"{name}/{pid}"] = size
        return found

    def stop(self) -> None:
        for process in self.started.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


def partner_poll(api: Api, stop: threading.Event, feed_urls: list[str]) -> None:
    token = None
    while not stop.is_set():
        status, page = api.call("GET", "/api/v1/events/?page_size=50")
        if status == 200 and isinstance(page, dict):
            token = token or page.get("sync_token")
        if token:
            status, changes = api.call("GET", f"/api/v1/events/?sync_token={token}")
            if status == 200 and isinstance(changes, dict):
                token = changes.get("sync_token") or token
            elif status == 410:
                token = None
        for url in feed_urls:
            api.call("GET", url)
        api.call("GET", "/api/v1/sites/")
        time.sleep(0.2)


def staff_work(api: Api, stop: threading.Event, seed: int, places: list[tuple[int, int]]) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        site_id, facility_id = rng.choice(places)
        day = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
        start = day + dt.timedelta(days=rng.randint(30, 400), hours=rng.randint(0, 8))
        end = start + dt.timedelta(hours=rng.choice([1, 2, 3]))
        status, event = api.call(
            "POST",
            "/api/v1/events/",
            {
                "title": f"Soak {rng.randint(1, 10**6)} 測試",
                "site": site_id,
                "kind": "ceremony",
                "status": "confirmed",
                "visibility": rng.choice(["public", "partners", "internal"]),
                "start": start.isoformat(),
                "end": end.isoformat(),
            },
        )
        if status != 201:
            continue
        path = f"/api/v1/events/{event['id']}/"
        api.call(
            "POST",
            "/api/v1/bookings/",
            {
                "event": event["id"],
                "facility": facility_id,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "status": "confirmed",
            },
        )  # 201 or 409: both are fine, only 5xx is not
        for n in range(rng.randint(1, 5)):
            api.call(
                "POST",
                f"{path}attendees/",
                {
                    "name": f"Guest {n}",
                    "email": f"soak{rng.randint(1, 10**9)}@example.org",
                },
            )
        api.call("POST", f"{path}send-invites/", {})
        roll = rng.random()
        if roll < 0.4:
            later = start + dt.timedelta(days=rng.randint(1, 30))
            api.call(
                "POST",
                f"{path}reschedule/",
                {
                    "start": later.isoformat(),
                    "end": (later + (end - start)).isoformat(),
                },
            )
        elif roll < 0.6:
            api.call("POST", f"{path}cancel/", {"reason": "soak"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", 5)))
    parser.add_argument("--partners", type=int, default=3)
    parser.add_argument("--staff", type=int, default=2)
    args = parser.parse_args(argv)

    server = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
    name = f"protocol_desk_soak_{secrets.token_hex(4)}"
    parts = urlsplit(server)
    database_url = urlunsplit(parts._replace(path=f"/{name}"))
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    log_dir = Path(tempfile.mkdtemp(prefix="pd-soak-"))
    import psycopg
    import redis

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "soak-" + secrets.token_hex(32),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "VAR_DIR": str(log_dir),
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "false",
        "GUNICORN_MAX_REQUESTS": "0",  # no recycling: memory growth must show, not be hidden
        "Q_CLUSTER_NAME": f"pd-soak-{secrets.token_hex(3)}",
        "INVITE_COALESCE_SECONDS": "5",
        "INVITE_RETRY_BASE_SECONDS": "2",
        "INVITE_STUCK_SECONDS": "30",
        "API_RATE_PER_MINUTE": "100000",
    }
    os.environ.update(env)
    processes = Processes(env, log_dir)
    failures: list[str] = []
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
        subprocess.run(
            [sys.executable, "manage.py", "load_demo"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        import django

        django.setup()
        from bench import soak_setup

        with Sink() as sink, Receiver() as receiver:
            os.environ["EMAIL_URL"] = env["EMAIL_URL"] = f"smtp://127.0.0.1:{sink.port}"
            world = soak_setup.prepare(webhook_url=receiver.url)
            port = free_port()
            processes.start(
                "web",
                ["-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"],
                WEB_CONCURRENCY="2",
                GUNICORN_BIND=f"127.0.0.1:{port}",
            )
            for n in (1, 2):
                processes.start(f"worker{n}", ["manage.py", "qcluster"], Q_WORKERS="2")
            base = f"http://127.0.0.1:{port}"
            if not wait_for(lambda: _ready(base), 60):
                raise SystemExit(f"gunicorn did not become ready; logs in {log_dir}")
            tally, stop = Tally(), threading.Event()
            threads = [
                threading.Thread(
                    target=partner_poll,
                    args=(Api(base, world.partner_token, tally, "partner"), stop, world.feed_urls),
                )
                for _ in range(args.partners)
            ] + [
                threading.Thread(
                    target=staff_work,
                    args=(Api(base, world.staff_token, tally, "staff"), stop, n, world.places),
                )
                for n in range(args.staff)
            ]
            seconds = args.minutes * 60
            print(f"Soaking for {args.minutes:g} min: {len(threads)} clients; logs in {log_dir}")
            for thread in threads:
                thread.start()
            samples: list[tuple[float, dict[str, float]]] = []
            began = time.monotonic()
            while time.monotonic() - began < seconds:
                samples.append((time.monotonic() - began, processes.memory()))
                time.sleep(min(10, max(1, seconds / 30)))
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            samples.append((time.monotonic() - began, processes.memory()))
            drained = wait_for(soak_setup.queues_settled, 120)
            report = soak_setup.final_state()
            failures += _check(tally, report, drained, samples, seconds, sink, receiver)
            _print(tally, report, samples, seconds, sink, receiver, failures)
    finally:
        processes.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 1 if failures else 0


def _ready(base: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(f"{base}/readyz", timeout=2) as r:
        return r.status == 200
    return False


def _memory_growth(samples, seconds: float) -> dict[str, float]:
    """MB each process grew between the end of warm-up and the end of the run."""
    warm = [memory for at, memory in samples if at >= seconds * WARM_UP_SHARE]
    if len(warm) < 2:
        return {}
    first, last = warm[0], warm[-1]
    return {name: last[name] - first[name] for name in first if name in last}


def _check(tally, report, drained, samples, seconds, sink, receiver) -> list[str]:
    failures = []
    if tally.server_errors:
        failures.append(f"{len(tally.server_errors)} server errors, e.g. {tally.server_errors[:3]}")
    if report["clashes"]:
        failures.append(f"{report['clashes']} overlapping active bookings in the database")
    if not drained or report["deliveries_pending"]:
        failures.append(f"{report['deliveries_pending']} outbox rows neither sent nor failed")
    if report["webhooks_pending"]:
        failures.append(f"{report['webhooks_pending']} webhook deliveries neither sent nor failed")
    leaking = {n: g for n, g in _memory_growth(samples, seconds).items() if g > MEMORY_BOUND_MB}
    if leaking:
        failures.append(f"memory grew beyond {MEMORY_BOUND_MB} MB after warm-up: {leaking}")
    return failures


def _print(tally, report, samples, seconds, sink, receiver, failures) -> None:
    total = sum(tally.statuses.values())
    print(
        f"\nrequests: {total} ({dict(tally.by_kind)}); "
        f"statuses: {dict(sorted(tally.statuses.items()))}"
    )
    print(f"5xx: {len(tally.server_errors)}")
    print(f"clashes in the database: {report['clashes']}")
    print(
        "outbox: "
        + ", ".join(f"{state} {count}" for state, count in report["deliveries"].items())
        + f"; messages received by the SMTP sink: {sink.received}"
    )
    print(
        "webhooks: "
        + (", ".join(f"{s} {c}" for s, c in report["webhooks"].items()) or "none")
        + f"; received: {receiver.received}"
    )
    growth = _memory_growth(samples, seconds)
    last = samples[-1][1]
    for name in sorted(last):
        print(f"memory {name}: {last[name]:.0f} MB, {growth.get(name, 0):+.1f} MB after warm-up")
    print(("\nSOAK FAILED:\n- " + "\n- ".join(failures)) if failures else "\nSoak clean.")


if __name__ == "__main__":
    sys.exit(main())
