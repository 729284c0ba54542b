"""`manage.py ensure_admin`: the back-office login `make run` prints."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _run(capsys) -> str:
    call_command("ensure_admin")
    return capsys.readouterr().out


def test_ensure_admin_generates_a_password_once_and_keeps_it(
    settings, tmp_path, capsys, monkeypatch
):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("ADMIN_USERNAME", raising=False)
    settings.VAR_DIR = tmp_path

    first, second = _run(capsys), _run(capsys)

    kept = (tmp_path / "admin_password.txt").read_text().strip()
    assert len(kept) >= 16
    assert f"Back office login: admin / {kept}" in first
    assert first == second
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password(kept)
    assert (tmp_path / "admin_password.txt").stat().st_mode & 0o077 == 0  # only the owner reads it


def test_ensure_admin_takes_name_and_password_from_the_environment(
    settings, tmp_path, capsys, monkeypatch
):
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("ADMIN_USERNAME", "protocol")
    monkeypatch.setenv("ADMIN_PASSWORD", "first-password")
    _run(capsys)
    monkeypatch.setenv("ADMIN_PASSWORD", "second-password")

    shown = _run(capsys)

    user = get_user_model().objects.get(username="protocol")
    assert "Back office login: protocol / second-password" in shown
    assert user.check_password("second-password")
    assert get_user_model().objects.count() == 1
    assert not (tmp_path / "admin_password.txt").exists()
