"""config/settings.py is driven by the environment alone: each deployment shape is checked here."""

import email
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS = str(BASE_DIR / "config" / "settings.py")
VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "ORGANISER_NAME",
    "ORGANISER_EMAIL",
    "PUBLIC_BASE_URL",
    "Q_TIMEOUT",
    "Q_RETRY",
    "PRINT_LETTERHEAD_NAME",
    "PRINT_LETTERHEAD_NAME_ZH",
    "PRINT_LETTERHEAD_ADDRESS",
    "PRINT_LETTERHEAD_LOGO",
)


@pytest.fixture
def load(monkeypatch, tmp_path):
    def _load(**environ: str) -> dict:
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("VAR_DIR", str(tmp_path))
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(SETTINGS)

    return _load


def test_embedded_default_is_sqlite_wal_orm_broker_and_eml_files(load, tmp_path):
    s = load(DEBUG="true")

    db = s["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(db["NAME"]).parent == tmp_path
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert s["Q_CLUSTER"]["orm"] == "default" and "redis" not in s["Q_CLUSTER"]
    assert s["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert s["EMAIL_BACKEND"] == "config.mail.EmlFileBackend"
    assert s["EMAIL_FILE_PATH"] == tmp_path / "mail"
    assert s["TIME_ZONE"] == "Asia/Hong_Kong" and s["USE_TZ"] is True


def test_secret_key_is_required_when_debug_is_off(load, tmp_path):
    s = load()
    environ = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    environ.update(DJANGO_SETTINGS_MODULE="config.settings", VAR_DIR=str(tmp_path))

    web = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert s["SECRET_KEY"] == ""
    assert web.returncode != 0 and "SECRET_KEY" in web.stderr


def test_bad_boolean_is_a_clear_error(load):
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        load(DEBUG="perhaps")


def test_database_and_redis_urls_switch_backends(load):
    s = load(
        SECRET_KEY="x",
        DATABASE_URL="postgres://pd:secret@db.internal:5433/protocol",
        REDIS_URL="redis://cache.internal:6379/2",
    )

    db = s["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"]) == ("db.internal", 5433, "protocol")
    assert "statement_timeout" in db["OPTIONS"]["options"]
    assert db["CONN_MAX_AGE"] > 0
    assert s["Q_CLUSTER"]["redis"] == "redis://cache.internal:6379/2"
    assert "orm" not in s["Q_CLUSTER"]
    assert s["CACHES"]["default"]["BACKEND"].endswith("RedisCache")


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "ssl"),
    [
        (
            "smtp+tls://user%40park:p%40ss@mail.example.org:587",
            "mail.example.org",
            587,
            True,
            False,
        ),
        ("smtps://mail.example.org", "mail.example.org", 465, False, True),
        ("smtp://localhost:1025", "localhost", 1025, False, False),
    ],
)
def test_email_url_switches_to_smtp(load, url, host, port, tls, ssl):
    s = load(SECRET_KEY="x", EMAIL_URL=url)

    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"]) == (host, port)
    assert (s["EMAIL_USE_TLS"], s["EMAIL_USE_SSL"]) == (tls, ssl)
    if "user" in url:
        assert (s["EMAIL_HOST_USER"], s["EMAIL_HOST_PASSWORD"]) == ("user@park", "p@ss")


def test_email_host_variables_switch_to_smtp(load):
    s = load(
        SECRET_KEY="x",
        EMAIL_HOST="smtp.park.hk",
        EMAIL_PORT="2525",
        EMAIL_USE_TLS="1",
        EMAIL_HOST_USER="desk",
        EMAIL_HOST_PASSWORD="s3cret;=",
    )

    assert s["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"], s["EMAIL_USE_TLS"]) == ("smtp.park.hk", 2525, True)
    assert (s["EMAIL_HOST_USER"], s["EMAIL_HOST_PASSWORD"]) == ("desk", "s3cret;=")


# Where the environment is read: settings, the gunicorn config, the admin login command.
READERS = ("config/settings.py", "gunicorn.conf.py", "desk/management/commands/*.py")
READ = re.compile(r"""\benv(?:_int|_bool|_list)?\(\s*["']([A-Z][A-Z0-9_]+)["']|"""
                  r"""environ(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""")  # fmt: skip


def test_readme_table_lists_every_environment_variable_read():
    read = {
        name
        for pattern in READERS
        for path in BASE_DIR.glob(pattern)
        for match in READ.finditer(path.read_text())
        for name in match.groups()
        if name
    }
    table = [
        line for line in (BASE_DIR / "README.md").read_text().splitlines() if line.startswith("| `")
    ]
    documented = {
        name for line in table for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])
    }

    assert {"DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY", "ADMIN_PASSWORD"} <= read
    assert sorted(read - documented) == []  # read but not in README's table
    assert sorted(documented - read) == []  # in the table but read nowhere


def test_hosts_origins_organiser_and_base_url_come_from_the_environment(load):
    s = load(
        SECRET_KEY="x",
        ALLOWED_HOSTS="desk.park.hk, api.park.hk",
        CSRF_TRUSTED_ORIGINS="https://desk.park.hk",
        ORGANISER_NAME="HKSTP Protocol",
        ORGANISER_EMAIL="protocol@park.hk",
        PUBLIC_BASE_URL="https://desk.park.hk/",
    )

    assert s["ALLOWED_HOSTS"] == ["desk.park.hk", "api.park.hk"]
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://desk.park.hk"]
    assert s["DEFAULT_FROM_EMAIL"] == "HKSTP Protocol <protocol@park.hk>"
    assert s["PUBLIC_BASE_URL"] == "https://desk.park.hk"


def test_task_retry_exceeds_timeout_and_attempts_are_bounded(load):
    s = load(SECRET_KEY="x")

    q = s["Q_CLUSTER"]
    assert q["retry"] > q["timeout"]
    assert 0 < q["max_attempts"] <= 10
    assert q["ack_failures"] is False


def test_eml_backend_writes_one_readable_file_per_message(tmp_path):
    from config.mail import EmlFileBackend

    backend = EmlFileBackend(file_path=tmp_path)
    messages = [
        EmailMessage("邀請 Invitation", "Body 內容", "protocol@example.org", ["a@example.org"]),
        EmailMessage("Second", "Body", "protocol@example.org", ["b@example.org"]),
    ]

    sent = backend.send_messages(messages)

    files = sorted(tmp_path.glob("*.eml"))
    assert sent == 2 and len(files) == 2
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert {m["Subject"] for m in parsed} == {"邀請 Invitation", "Second"}


@pytest.mark.django_db
def test_sqlite_connection_runs_in_wal_mode():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]

    assert mode == "wal"
    assert connection.transaction_mode == "IMMEDIATE"


def test_the_printables_letterhead_comes_from_the_environment(load):
    default = load(SECRET_KEY="x", ORGANISER_NAME="HKSTP Protocol")
    chosen = load(
        SECRET_KEY="x",
        PRINT_LETTERHEAD_NAME="Science Park Protocol Office",
        PRINT_LETTERHEAD_NAME_ZH="科學園禮賓處",
        PRINT_LETTERHEAD_ADDRESS="2 Science Park West Avenue",
        PRINT_LETTERHEAD_LOGO="letterhead/logo.png",
    )

    assert default["PRINT_LETTERHEAD_NAME"] == "HKSTP Protocol"
    assert (default["PRINT_LETTERHEAD_NAME_ZH"], default["PRINT_LETTERHEAD_LOGO"]) == ("", "")
    assert (
        chosen["PRINT_LETTERHEAD_NAME"],
        chosen["PRINT_LETTERHEAD_NAME_ZH"],
        chosen["PRINT_LETTERHEAD_ADDRESS"],
        chosen["PRINT_LETTERHEAD_LOGO"],
    ) == (
        "Science Park Protocol Office",
        "科學園禮賓處",
        "2 Science Park West Avenue",
        "letterhead/logo.png",
    )
