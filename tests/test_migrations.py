from io import StringIO

from django.core.management import call_command


def test_models_have_no_missing_migrations(db):
    out = StringIO()

    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        raise AssertionError("Model changes without a migration:\n" + out.getvalue()) from None

    assert "No changes detected" in out.getvalue()
