"""A real ``manage.py qcluster`` in a subprocess, on the test database, for end-to-end tests.

The test process plays the web process: its services write outbox rows and enqueue tasks in the
real broker (the test database's ORM queue, or Redis when REDIS_URL is set), and the cluster,
with the production settings module and two workers, runs them and talks SMTP.
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database this test runs on (the test database, not the configured one)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


class QCluster:
    """``python manage.py qcluster`` with its own cluster name; start, kill, restart."""

    def __init__(self, *, email_url: str, workers: int = 2, **extra_env: str):
        self.name = f"pd-e2e-{uuid.uuid4().hex[:8]}"
        self.var_dir = tempfile.mkdtemp(prefix="pd-e2e-")
        self.log_path = Path(self.var_dir) / "qcluster.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",  # as deployed: no sync mode
            "DATABASE_URL": database_url(),
            "SECRET_KEY": settings.SECRET_KEY,  # the test process signs the task packages
            "DEBUG": "false",
            "VAR_DIR": self.var_dir,
            "Q_CLUSTER_NAME": self.name,
            "Q_WORKERS": str(workers),
            "EMAIL_URL": email_url,
            "LOG_LEVEL": "WARNING",
            **extra_env,
        }
        if settings.REDIS_URL:
            env["REDIS_URL"] = settings.REDIS_URL
        else:
            env.pop("REDIS_URL", None)
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> "QCluster":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: workers die with it
        )
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL the whole cluster (sentinel, pusher, workers, monitor) at once."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def pids_talking_to(self, port: int) -> list[int]:
        """The cluster's processes with a TCP connection open to 127.0.0.1:port: the workers
        in the middle of an SMTP conversation, when port is the mail server's."""
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(FileNotFoundError), open(table) as lines:
                next(lines)
                for line in lines:
                    fields = line.split()
                    remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                    if remote_port == port and fields[3] == "01":  # ESTABLISHED
                        inodes.add(fields[9])
        found = []
        for pid in self._descendants():
            with contextlib.suppress(OSError):
                links = {
                    os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")
                }
                if any(f"socket:[{inode}]" in links for inode in inodes):
                    found.append(pid)
        return found

    def _descendants(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                    children.setdefault(parent, []).append(int(entry))
        found, todo = [], [self.process.pid] if self.process else []
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def stop(self) -> None:
        """Ask the cluster to stop; kill it if it takes more than a few seconds."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # stragglers of the group
        self.process.wait(timeout=10)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def use_cluster_broker(monkeypatch, cluster: QCluster) -> None:
    """Make this process enqueue into the cluster's queue instead of running tasks inline."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", cluster.name)
    monkeypatch.setattr(Conf, "PREFIX", cluster.name)  # the signing salt


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    cluster: QCluster | None = None,
    every: float = 0.1,
    meanwhile: Callable[[], None] | None = None,
    meanwhile_every: float = 1.0,
) -> None:
    """Poll condition until true; call meanwhile (e.g. trigger a sweep) every meanwhile_every s."""
    deadline = time.monotonic() + timeout
    next_meanwhile = time.monotonic() + meanwhile_every
    while not condition():
        now = time.monotonic()
        if now > deadline:
            log = f"\n--- qcluster log ---\n{cluster.log_tail()}" if cluster else ""
            raise AssertionError(f"Timed out after {timeout:g}s waiting for {what}.{log}")
        if meanwhile is not None and now >= next_meanwhile:
            meanwhile()
            next_meanwhile = now + meanwhile_every
        time.sleep(every)
