"""What every bench process shares: Django start-up, two databases side by side, timing, and
the result line it prints.

A bench compares a figure on a small database (the baseline) with the same figure on a large
one. Both databases are open at once and the timed calls alternate between them, so a burst of
load on the machine (a test run next door) hits baseline and measurement alike instead of
skewing their ratio.

Kept free of Django imports at module level so that ``bench/__main__.py`` can use the constants
without configuring Django in the parent process.
"""

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

# The parent finds the result among whatever else the child printed (logging goes to stdout).
RESULT_PREFIX = "BENCH-RESULT "
# The baseline database's NAME (a SQLite path or a PostgreSQL database on the same server as
# DATABASE_URL); the measured database is the one the settings name.
BASELINE_ENV = "BENCH_BASELINE_DATABASE"


def setup_django() -> None:
    """Configure Django from the environment the parent prepared (config.settings, as deployed)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def database_pair() -> tuple[Any, Any]:
    """(baseline, measured) connections; switch between them with `using`."""
    from django.db import DEFAULT_DB_ALIAS, connections

    measured = connections[DEFAULT_DB_ALIAS]
    settings = {**measured.settings_dict, "NAME": os.environ[BASELINE_ENV]}
    return type(measured)(settings, DEFAULT_DB_ALIAS), measured


@contextlib.contextmanager
def using(connection: Any) -> Iterator[None]:
    """Make `connection` the default one: services, querysets and transactions all use it."""
    from django.db import DEFAULT_DB_ALIAS, connections

    previous = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = connection
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS] = previous


def interleaved_ms(
    pairs: Sequence[tuple[Callable[[], Any], Callable[[], Any]]], baseline: Any, measured: Any
) -> tuple[float, float]:
    """Median milliseconds of the baseline and the measured action of each pair, run in turn
    (order swapped every round so neither side always goes first). An action's ``prepare``
    (see Prepared) runs untimed just before it."""
    timings: dict[int, list[float]] = {0: [], 1: []}
    for round_, actions in enumerate(pairs):
        sides = [(0, baseline, actions[0]), (1, measured, actions[1])]
        for side, connection, action in sides if round_ % 2 == 0 else reversed(sides):
            with using(connection):
                prepare = getattr(action, "prepare", None)
                if prepare is not None:
                    prepare()
                started = time.perf_counter()
                action()
                timings[side].append((time.perf_counter() - started) * 1000)
    return statistics.median(timings[0]), statistics.median(timings[1])


class Prepared:
    """An action for interleaved_ms with an untimed step before each call (e.g. a change that
    makes the next call do its work afresh)."""

    def __init__(self, prepare: Callable[[], Any], action: Callable[[], Any]) -> None:
        self.prepare, self.action = prepare, action

    def __call__(self) -> Any:
        return self.action()


def database_label(*services: str) -> str:
    """'SQLite 3.40.1' or 'PostgreSQL 15.4', then the services named (a broker, a cache)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        label = f"SQLite {sqlite3.sqlite_version}"
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            label = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    return ", ".join([label, *services])


def cache_label() -> str:
    from django.conf import settings

    return "Redis cache" if settings.REDIS_URL else "local-memory cache"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM a server started with start_new_session=True, then SIGKILL what is left."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def progress(message: str) -> None:
    """Progress goes to stderr, which the parent passes through; stdout carries the result."""
    print(f"  {message}", file=sys.stderr, flush=True)


def emit(result: dict) -> None:
    print(RESULT_PREFIX + json.dumps(result), flush=True)
