"""Logins are throttled and unlockable, passwords are long, sessions last a working day, and no
web process starts on a weak SECRET_KEY."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import F
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from config.security import client_ip

BASE_DIR = Path(__file__).resolve().parent.parent
LOGIN_URLS = ["/staff/login/", "/admin/login/"]
STRONG_KEY = "q8v#W2m!L0r$T5y^U7i&O9p*A1s(D3f)G4h_J6k+Z8x=C0v~B2n"


@pytest.fixture
def desk(db, django_user_model):
    """A staff user who may use both the staff pages and the admin."""
    return django_user_model.objects.create_user(
        "desk", "desk@example.org", "a long staff passphrase", is_staff=True, is_superuser=True
    )


def _log_in(client: Client, url: str, password: str):
    return client.post(url, {"username": "desk", "password": password})


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("url", LOGIN_URLS)
def test_login_locks_after_the_failure_limit_and_refuses_even_the_right_password(
    client, desk, url, settings
):
    statuses = [_log_in(client, url, f"wrong guess {n}").status_code for n in range(30)]
    right = _log_in(client, url, "a long staff passphrase")

    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    assert statuses == [200] * (limit - 1) + [429] * (30 - limit + 1)
    assert right.status_code == 429 and not _logged_in(client)
    page = right.content.decode()
    assert "Too many failed logins" in page
    assert "in 15 minutes, or ask an administrator to unlock it now" in page


@pytest.mark.django_db
@pytest.mark.parametrize("url", LOGIN_URLS)
def test_axes_reset_username_unlocks_a_locked_login(client, desk, url):
    for n in range(30):
        _log_in(client, url, f"wrong guess {n}")

    call_command("axes_reset_username", "desk")
    unlocked = _log_in(client, url, "a long staff passphrase")

    assert unlocked.status_code == 302 and _logged_in(client)


@pytest.mark.django_db
def test_lockout_ends_after_the_cool_off(client, desk, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, LOGIN_URLS[0], f"wrong guess {n}")
    locked = _log_in(client, LOGIN_URLS[0], "a long staff passphrase")
    # Fifteen minutes pass: the failures are that much older.
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    )

    response = _log_in(client, LOGIN_URLS[0], "a long staff passphrase")

    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert locked.status_code == 429
    assert response.status_code == 302 and _logged_in(client)


@pytest.mark.django_db
def test_a_lockout_holds_one_username_from_one_address_only(desk, django_user_model):
    django_user_model.objects.create_user("other", password="another long passphrase")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(10):
        _log_in(attacker, LOGIN_URLS[0], f"wrong guess {n}")

    elsewhere = Client(REMOTE_ADDR="198.51.100.4")
    from_elsewhere = _log_in(elsewhere, LOGIN_URLS[0], "a long staff passphrase")
    other_user = attacker.post(
        LOGIN_URLS[0], {"username": "other", "password": "another long passphrase"}
    )

    assert from_elsewhere.status_code == 302 and _logged_in(elsewhere)
    assert other_user.status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "10.0.0.2"),  # no proxy: the header is the client's say-so
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # a spoofed entry on the left
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (1, "", "10.0.0.2"),  # reached the app without the proxy
    ],
)
def test_client_ip_trusts_only_the_entries_our_proxies_added(
    settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post(
        "/staff/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded
    )

    assert client_ip(request) == expected


@pytest.mark.django_db
def test_login_behind_a_proxy_counts_each_forwarded_client_apart(desk, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for n in range(10):
        proxy.post(
            LOGIN_URLS[0],
            {"username": "desk", "password": f"wrong {n}"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )

    locked = proxy.post(
        LOGIN_URLS[0],
        {"username": "desk", "password": "a long staff passphrase"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    other = proxy.post(
        LOGIN_URLS[0],
        {"username": "desk", "password": "a long staff passphrase"},
        headers={"X-Forwarded-For": "198.51.100.4"},
    )

    assert locked.status_code == 429
    assert other.status_code == 302


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Protocol1", "too short"),
        ("password1234", "too common"),
        ("123456789012345", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused(password, reason):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)

    assert any(reason in message for message in refused.value.messages)


def test_a_long_uncommon_password_is_accepted():
    assert validate_password("cobalt lanterns at the pier") is None


@pytest.mark.django_db
def test_ensure_admin_generates_a_password_the_validators_accept(
    settings, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("ADMIN_USERNAME", raising=False)
    settings.VAR_DIR = tmp_path

    call_command("ensure_admin")

    password = (tmp_path / "admin_password.txt").read_text().strip()
    admin = get_user_model().objects.get(username="admin")
    assert validate_password(password, user=admin) is None


@pytest.mark.django_db
def test_staff_session_ends_with_the_browser_and_lasts_a_working_day(client, desk):
    response = _log_in(client, reverse("staff:login"), "a long staff passphrase")

    cookie = response.cookies["sessionid"]
    assert response.status_code == 302
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == 10 * 3600
    assert client.session.get_expiry_date() < timezone.now() + dt.timedelta(hours=10, minutes=1)


def _start_web(tmp_path: Path, module: str, **environ: str) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(tmp_path),
        "DEBUG": "false",
        **environ,
    }
    return subprocess.run(
        [sys.executable, "-c", f"import {module}; print('STARTED')"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("x", "shorter than 50 characters (1)"),
        ("django-insecure-" + "k" * 60, "starts with 'django-insecure-'"),
        ("ab" * 40, "fewer than 5 different characters (2)"),
    ],
)
def test_web_start_refuses_a_weak_secret_key_and_says_how_to_make_one(tmp_path, module, key, why):
    done = _start_web(tmp_path, module, SECRET_KEY=key)

    assert done.returncode != 0 and "STARTED" not in done.stdout
    assert "SECRET_KEY is too weak" in done.stderr and why in done.stderr
    assert "get_random_secret_key()" in done.stderr


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_web_starts_with_a_strong_secret_key(tmp_path, module):
    done = _start_web(tmp_path, module, SECRET_KEY=STRONG_KEY)

    assert done.returncode == 0, done.stderr
    assert "STARTED" in done.stdout


def test_commands_run_without_a_secret_key(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(tmp_path),
        "DEBUG": "false",
    }

    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout
