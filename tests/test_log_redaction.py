"""RSVP and feed tokens are bearer secrets: neither gunicorn's logs nor Django's ever hold one."""

import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from api.feeds import feed_create
from config.observability import JsonFormatter, RedactSecretsFilter, redact_secrets
from tests.e2e.cluster import BASE_DIR, database_url, wait_until
from tests.e2e.sink import free_port
from tests.factories import AttendanceFactory
from visitors.rsvp import rsvp_token


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        ("GET /rsvp/WzEsMF0:1u2v3w:AbC-d_e/ HTTP/1.1", "GET /rsvp/[redacted]/ HTTP/1.1"),
        ("/rsvp/WzEsMF0:1u2v3w:AbC/?answer=accepted", "/rsvp/[redacted]/?answer=accepted"),
        ("https://desk.example.org/feeds/Zx9_yW8-vU7tS6rQ5pO4nM3.ics", "https://desk.example.org/feeds/[redacted].ics"),
        ("webcal://desk/feeds/Zx9_yW8-vU7tS6rQ5pO4nM3.ics?v=2", "webcal://desk/feeds/[redacted].ics?v=2"),
        ("Not Found: /feeds/Zx9_yW8-vU7tS6rQ5pO4nM3", "Not Found: /feeds/[redacted]"),
        ("/api/v1/feeds/12/", "/api/v1/feeds/12/"),  # an id, not a secret
        ("/staff/events/12/", "/staff/events/12/"),
    ],
)  # fmt: skip
def test_redact_secrets_blanks_rsvp_and_feed_tokens(line, redacted):
    assert redact_secrets(line) == redacted


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_django_log_records_lose_their_tokens_before_the_handler_writes_them():
    token = "WzEsMF0:1u2v3w:SeCrEt-RsVp-ToKeN"
    handler = Collect()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("tests.redaction")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("Not Found: %s", f"/rsvp/{token}/", extra={"path": f"/rsvp/{token}/"})
        try:
            raise ValueError(f"bad link /rsvp/{token}/")
        except ValueError:
            logger.exception("Internal Server Error: %s", "/feeds/Zx9_yW8-vU7tS6rQ5pO4nM3.ics")
    finally:
        logger.removeHandler(handler)

    not_found, error = (json.loads(line) for line in handler.lines)

    assert not_found["message"] == "Not Found: /rsvp/[redacted]/"
    assert not_found["path"] == "/rsvp/[redacted]/"
    assert error["message"] == "Internal Server Error: /feeds/[redacted].ics"
    assert "ValueError: bad link /rsvp/[redacted]/" in error["exception"]  # the traceback too
    assert all(token not in line and "Zx9_yW8" not in line for line in handler.lines)


def test_the_configured_log_handler_redacts():
    (stdout,) = [h for h in logging.getLogger().handlers if h.name == "stdout"]

    assert any(isinstance(f, RedactSecretsFilter) for f in stdout.filters)


class Gunicorn:
    """gunicorn as deployed (gunicorn.conf.py, config.wsgi) on this test's database."""

    def __init__(self):
        self.port = free_port()
        self.log_path = Path(tempfile.mkdtemp(prefix="pd-gunicorn-")) / "gunicorn.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "SECRET_KEY": settings.SECRET_KEY,  # the RSVP link is signed by this process
            "DEBUG": "false",
            "VAR_DIR": str(self.log_path.parent),
            "ALLOWED_HOSTS": "127.0.0.1",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "LOG_LEVEL": "INFO",
            "GUNICORN_ACCESS_LOG": "true",
        }
        if settings.REDIS_URL:
            self.env["REDIS_URL"] = settings.REDIS_URL
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(lambda: self.get("/healthz") == 200, timeout=30, what="gunicorn to answer")
        return self

    def get(self, path: str) -> int:
        with contextlib.suppress(OSError):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                    return r.status
            except urllib.error.HTTPError as error:
                return error.code
        return 0

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_gunicorn_and_django_logs_never_show_rsvp_or_feed_tokens():
    rsvp = rsvp_token(AttendanceFactory())
    _feed, feed = feed_create(name="Public events")
    unknown_feed = "Nq8_unknown-feed-token-Tq3Zk"

    with Gunicorn() as web:
        answers = [
            web.get(f"/rsvp/{rsvp}/"),
            web.get(f"/rsvp/{rsvp}/?answer=accepted"),
            web.get(f"/rsvp/{rsvp[:-3]}xyz/"),  # tampered: django.request logs a 400
            web.get(f"/feeds/{feed}.ics"),
            web.get(f"/feeds/{unknown_feed}.ics"),  # logged as a 404
        ]
    log = web.log

    assert answers == [200, 200, 400, 200, 404], log
    for secret in (rsvp, rsvp.rsplit(":", 1)[-1], feed, unknown_feed):
        assert secret not in log
    assert log.count('"path":"/rsvp/[redacted]/"') == 3  # gunicorn's access log
    assert log.count('"path":"/feeds/[redacted].ics"') == 2
    assert "Bad Request: /rsvp/[redacted]/" in log  # Django's log
    assert "Not Found: /feeds/[redacted].ics" in log
