"""The embedded profile served as deployed: gunicorn with several workers on the SQLite file (or
PostgreSQL in CI's second pass), with no Redis unless the suite has one.

A key's rate limit holds across web workers (they share the throttle store), TRACE is refused
as a method, and the OpenAPI schema answers from the very first requests.
"""

import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest
from django.conf import settings

from api.services import api_key_create
from tests.e2e.cluster import database_url
from tests.e2e.web import Client, Gunicorn
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _web(**extra: str) -> Gunicorn:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "false",
        "VAR_DIR": tempfile.mkdtemp(prefix="pd-web-"),
        **extra,
    }
    env.pop("REDIS_URL", None)
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    return Gunicorn(env=env)


def test_a_keys_rate_limit_holds_across_embedded_web_workers():
    web = _web().start()
    _key, token = api_key_create(
        name="busy partner", organisation=OrganisationFactory(), rate_per_minute=10
    )
    partner = Client(web.url, token)
    barrier, answers = threading.Barrier(6), []
    if time.time() % 60 > 50:  # the burst stays inside one minute of the throttle's window
        time.sleep(61 - time.time() % 60)

    def burst() -> None:
        barrier.wait()
        for _ in range(5):
            answers.append(partner.call("GET", "sites/")[0])

    try:
        threads = [threading.Thread(target=burst) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        _key, calm = api_key_create(name="calm partner", organisation=OrganisationFactory())
        trace = urllib.request.Request(
            f"{web.url}/api/v1/events/",
            method="TRACE",
            headers={"Authorization": f"Bearer {calm}"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(trace, timeout=10)
    finally:
        web.stop()

    # Thirty requests over two processes: ten pass, whichever worker answers.
    assert Counter(answers) == {200: 10, 429: 20}
    assert refused.value.code == 405
    assert refused.value.headers["Content-Type"] == "application/json"


def test_the_schema_answers_the_first_concurrent_requests():
    web = _web(GUNICORN_THREADS="4").start()
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def fetch() -> None:
        barrier.wait()
        try:
            with urllib.request.urlopen(f"{web.url}/api/schema/?format=json", timeout=30) as r:
                statuses.append(r.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    try:
        threads = [threading.Thread(target=fetch) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        web.stop()

    assert statuses == [200] * 8
