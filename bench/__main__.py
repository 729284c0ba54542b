"""`python -m bench`: run every bench on SQLite and, when configured, PostgreSQL; print one table.

Each bench runs in its own process (Django settings are per process) against two throwaway
databases, the baseline and the measured one: SQLite files in a temporary folder under
var/bench/, and, when DATABASE_URL and REDIS_URL are set, databases created on the PostgreSQL
server DATABASE_URL names and dropped afterwards. Both figures of a row come from the same run,
timed call by call in turn, so their ratio compares like with like on this machine.

    python -m bench                      # all benches, every configured database
    python -m bench bookings --sizes 500,5000 --holds 20 --explain
    python -m bench api                  # the partner API's page against a bare view (gunicorn)
    python -m bench imports --sizes 1000 # a guest list's import against bare bulk_create
    python -m bench --strict             # exit 1 when a figure misses its goal (for CI)
"""

import argparse
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.harness import BASELINE_ENV, RESULT_PREFIX

BASE_DIR = Path(__file__).resolve().parent.parent
BENCHES = ("bookings", "invites", "feeds", "feed_scale", "api", "calendar", "imports")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("benches", nargs="*", help=f"some of {', '.join(BENCHES)} (default: all)")
    parser.add_argument("--sizes", help="passed to the benches, e.g. 1000,100000")
    parser.add_argument("--holds", help="passed to the benches: timed holds per size")
    parser.add_argument("--queries", help="passed to the benches: timed queries per size")
    parser.add_argument("--explain", action="store_true", help="print the query plans too")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a goal is missed")
    args = parser.parse_args(argv)
    unknown = set(args.benches) - set(BENCHES)
    if unknown:
        parser.error(f"unknown bench: {', '.join(sorted(unknown))} (choose from {BENCHES})")
    passed_on = [
        *(
            item
            for name in ("sizes", "holds", "queries")
            if getattr(args, name)
            for item in (f"--{name}", getattr(args, name))
        ),
        *(["--explain"] * args.explain),
    ]

    databases = ["sqlite"]
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        databases.append("postgresql")
    else:
        print("DATABASE_URL and REDIS_URL are not both set: SQLite only.", file=sys.stderr)

    results = []
    for bench in args.benches or BENCHES:
        for database in databases:
            print(f"{bench} on {database}…", file=sys.stderr, flush=True)
            with throwaway_database(database) as env:
                results.append(run(bench, env, passed_on))

    print(table(results))
    if args.explain:
        for result in results:
            for query, plan in result.get("plans", {}).items():
                print(f"\n[{result['bench']} · {result['database']}] {query}")
                print("\n".join(f"    {line}" for line in plan))
    missed = [f for r in results for f in r["figures"] if not _met(f)]
    return 1 if args.strict and missed else 0


def run(bench: str, env: dict[str, str], passed_on: list[str]) -> dict:
    """Run one bench module in a child process and return the JSON result it printed."""
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{bench}", *passed_on],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode or not lines:
        sys.stdout.write(done.stdout)
        raise SystemExit(f"bench.{bench} failed (exit {done.returncode}).")
    return json.loads(lines[-1][len(RESULT_PREFIX) :])


@contextlib.contextmanager
def throwaway_database(database: str) -> Iterator[dict[str, str]]:
    """The environment for a child process whose two databases (measured and baseline, see
    bench.harness) exist only for this run."""
    (BASE_DIR / "var" / "bench").mkdir(parents=True, exist_ok=True)
    var_dir = tempfile.mkdtemp(prefix=f"{database}-", dir=BASE_DIR / "var" / "bench")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": var_dir,  # the SQLite files and any mail land here, then go
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-" + secrets.token_hex(32),
        "DEBUG": "false",  # DEBUG keeps every query in memory, which skews timings
        "LOG_LEVEL": "WARNING",
        # Whatever a bench enqueues must not reach the workers of a real cluster.
        "Q_CLUSTER_NAME": "protocol-desk-bench",
    }
    try:
        if database == "sqlite":
            env.pop("DATABASE_URL", None)
            env.pop("REDIS_URL", None)  # embedded: ORM broker, local-memory cache
            env[BASELINE_ENV] = str(Path(var_dir) / "baseline.sqlite3")
            yield env
        else:
            server = os.environ["DATABASE_URL"]
            with postgres_database(server) as measured, postgres_database(server) as baseline:
                env["DATABASE_URL"] = measured
                env[BASELINE_ENV] = urlsplit(baseline).path.lstrip("/")
                yield env
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


@contextlib.contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """Create a database on the server of server_url, yield its URL, then drop it."""
    import psycopg

    parts = urlsplit(server_url)
    name = f"pd_bench_{secrets.token_hex(4)}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _met(figure: dict) -> bool:
    """A figure without a goal (shown for what it is) misses nothing."""
    return figure["goal"] is None or figure["ratio"] <= figure["goal"]


def table(results: list[dict]) -> str:
    """One row per figure: baseline and measured value from the same run, ratio, goal."""
    header = ("bench", "database", "figure", "baseline", "measured", "ratio", "goal", "met")
    rows = [header]
    for result in results:
        for f in result["figures"]:
            rows.append(
                (
                    result["bench"],
                    result["database"],
                    f["figure"],
                    f"{f['baseline']['value']:.2f} {f['unit']} @ {f['baseline']['label']}",
                    f"{f['value']['value']:.2f} {f['unit']} @ {f['value']['label']}",
                    f"{f['ratio']:.2f}",
                    "—" if f["goal"] is None else f"≤ {f['goal']:g}",
                    "—" if f["goal"] is None else "ok" if _met(f) else "MISSED",
                )
            )
    widths = [max(len(row[n]) for row in rows) for n in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    notes = [f"{r['bench']} · {r['database']}: {r['notes']}" for r in results if r.get("notes")]
    return "\n".join(["", *lines, "", *notes])


if __name__ == "__main__":
    sys.exit(main())
