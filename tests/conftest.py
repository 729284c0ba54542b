import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache, caches
from django.db import connection
from django.utils import translation

from desk.staff_groups import PROTOCOL_OFFICERS, VIEWERS, staff_groups_sync


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres run only when the suite runs on PostgreSQL (CI's second pass)."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI's second pass)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def _clear_cache() -> None:
    """Empty this test process's cache. In the shared Redis only this xdist worker's keys go:
    ``cache.clear()`` would flush the whole database under the other worker's running test."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX")
    if not settings.REDIS_URL or not prefix:
        cache.clear()
        caches["throttle"].clear()  # this worker's own store (tests/settings.py)
        return
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and feed caches are keyed by row ids, which a rolled-back test may hand
    to the next one: every test starts with an empty cache."""
    _clear_cache()
    yield
    _clear_cache()


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in English. LocaleMiddleware leaves the language of the last request
    active in the thread (a server sets it again for the next request), so a test that asked
    for a page in Chinese would otherwise leave Chinese to the next test's service calls."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _staff_user(django_user_model, username: str, group: str):
    staff_groups_sync()
    user = django_user_model.objects.create_user(
        username, f"{username}@example.org", "pw", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def officer(db, django_user_model):
    """A protocol officer: may edit scheduling and visitor data."""
    return _staff_user(django_user_model, "officer", PROTOCOL_OFFICERS)


@pytest.fixture
def viewer(db, django_user_model):
    """A viewer: may read everything staff see, change nothing."""
    return _staff_user(django_user_model, "viewer", VIEWERS)
