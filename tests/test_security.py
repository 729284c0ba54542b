"""No web process starts on a weak SECRET_KEY; management commands need none."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
STRONG_KEY = "q8v#W2m!L0r$T5y^U7i&O9p*A1s(D3f)G4h_J6k+Z8x=C0v~B2n"


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
