"""The demo world, loaded once per test module that asks for it."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load the demo once for the module, inside a transaction rolled back at the end.

    Each test's own transaction nests inside it (a savepoint), as with setUpTestData.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def world(demo, db):
    return demo
