"""The production profile: health endpoints, request ids in logs, and a clean deploy check."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.observability import JsonFormatter, RequestIdFilter, request_id_var

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_broker(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_broker_is_down(client, monkeypatch):
    class DownBroker:
        def ping(self):
            raise ConnectionError("broker down")

    monkeypatch.setattr("config.health.get_broker", lambda: DownBroker())

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["broker"] == "error: ConnectionError"


def test_request_id_is_made_or_kept_and_echoed(client):
    made = client.get("/healthz")
    kept = client.get("/healthz", headers={"X-Request-ID": "edge-1234abcd"})
    refused = client.get("/healthz", headers={"X-Request-ID": "bad id\r\nInjected: 1"})

    assert len(made["X-Request-ID"]) == 32
    assert kept["X-Request-ID"] == "edge-1234abcd"
    assert refused["X-Request-ID"] != "bad id\r\nInjected: 1" and len(refused["X-Request-ID"]) == 32


def test_log_lines_are_json_with_the_request_id():
    record = logging.LogRecord(
        "protocol", logging.INFO, __file__, 1, "Booked %s", ("大會堂",), None
    )
    token = request_id_var.set("req-42abcdef")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)

    line = json.loads(JsonFormatter().format(record))

    assert line["request_id"] == "req-42abcdef"
    assert line["message"] == "Booked 大會堂" and line["level"] == "INFO"


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    production = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": "q8v#W2m!L0r$T5y^U7i&O9p*A1s(D3f)G4h_J6k+Z8x=C0v~B2n",
        "ALLOWED_HOSTS": "desk.example.org",
        "SECURE_SSL_REDIRECT": "true",
        "SESSION_COOKIE_SECURE": "true",
        "CSRF_COOKIE_SECURE": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "SECURE_PROXY_SSL_HEADER": "true",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _production_python(script: str, tmp_path: Path, **environ: str) -> subprocess.CompletedProcess:
    """Run script in a fresh process with production settings (DEBUG off) and environ."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": "q8v#W2m!L0r$T5y^U7i&O9p*A1s(D3f)G4h_J6k+Z8x=C0v~B2n",
        "ALLOWED_HOSTS": "testserver",
        "LOG_FORMAT": "json",
        **environ,
    }
    setup = "import django; django.setup()\nfrom django.test import Client\n"
    return subprocess.run(
        [sys.executable, "-c", setup + script],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        # WhiteNoise brotli-compresses every file, the API docs' 9 MB of scripts included: about
        # 45 CPU-seconds, which a loaded two-core machine can stretch past two minutes.
        timeout=360,
    )


def test_readyz_is_unavailable_when_the_database_is_down(tmp_path):
    script = "r = Client().get('/readyz'); print('ANSWER', r.status_code, r.content.decode())"

    done = _production_python(
        script, tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:9/none", CONN_MAX_AGE="0"
    )

    answer = next(line for line in done.stdout.splitlines() if line.startswith("ANSWER"))
    _label, status, body = answer.split(" ", 2)
    assert status == "503", done.stderr
    assert json.loads(body)["database"] == "error: OperationalError"


def test_static_files_are_served_with_hashed_names_and_long_caching(tmp_path):
    static_root = tmp_path / "static"
    script = (
        "from django.core.management import call_command\n"
        "from django.templatetags.static import static\n"
        "call_command('collectstatic', interactive=False, verbosity=0)\n"
        "url = static('staff/staff.css')\n"
        "r = Client().get(url)\n"
        "print('ANSWER', url, r.status_code, r['Cache-Control'])\n"
    )

    done = _production_python(script, tmp_path, STATIC_ROOT=str(static_root))

    answer = next(line for line in done.stdout.splitlines() if line.startswith("ANSWER"))
    _label, url, status, cache_control = answer.split(" ", 3)
    assert status == "200", done.stderr
    assert url.startswith("/static/staff/staff.") and url.endswith(".css")
    assert url != "/static/staff/staff.css"  # a content hash in the name
    assert (static_root / url.removeprefix("/static/")).exists()
    assert (static_root / (url.removeprefix("/static/") + ".gz")).exists()  # compressed too
    assert "immutable" in cache_control and "max-age=315360000" in cache_control


def test_production_logs_are_json_lines_on_stdout_with_the_request_id(tmp_path):
    script = "Client().get('/no-such-page/', headers={'X-Request-ID': 'edge-1234abcd'})"

    done = _production_python(script, tmp_path)

    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    (not_found,) = [line for line in lines if line["message"] == "Not Found: /no-such-page/"]
    assert not_found["request_id"] == "edge-1234abcd"
    assert not_found["level"] == "WARNING" and not_found["status_code"] == 404


def test_the_wsgi_application_loads_every_view_and_freezes_what_it_loaded(tmp_path):
    script = (
        "import gc, sys\n"
        "import config.wsgi\n"
        "print('ANSWER', gc.get_freeze_count(), 'api.views.events' in sys.modules)\n"
    )

    done = _production_python(script, tmp_path)

    answer = next(line for line in done.stdout.splitlines() if line.startswith("ANSWER"))
    _label, frozen, views_loaded = answer.split()
    assert int(frozen) > 50_000, done.stderr  # the framework, the apps, the URLconf
    assert views_loaded == "True"


def test_a_task_worker_warms_up_when_django_q_spawns_it(tmp_path):
    script = (
        "import gc, sys\n"
        "from django_q.signals import post_spawn\n"
        "before = gc.get_freeze_count()\n"
        "post_spawn.send(sender='django_q', proc_name='Process-1')\n"
        "print('ANSWER', before, gc.get_freeze_count(), 'api.views.events' in sys.modules)\n"
    )

    done = _production_python(script, tmp_path)

    answer = next(line for line in done.stdout.splitlines() if line.startswith("ANSWER"))
    _label, before, after, views_loaded = answer.split()
    assert int(before) == 0 and int(after) > 50_000, done.stderr
    assert views_loaded == "True"  # an invite's RSVP link is reversed without a slow first time
