"""The cache and the task broker answer over real connections (Redis in CI's second pass)."""

import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django_q.brokers import get_broker


def test_cache_round_trip():
    key = f"roundtrip-{uuid.uuid4()}"

    cache.set(key, {"站點": "大埔創新園"}, 30)

    assert cache.get(key) == {"站點": "大埔創新園"}
    cache.delete(key)


@pytest.mark.django_db(transaction=True)
def test_task_broker_round_trip():
    broker = get_broker(list_key=f"pd-test-{uuid.uuid4().hex}")

    broker.enqueue("payload")
    received = broker.dequeue()

    task_id, payload = received[0]
    assert (payload.decode() if isinstance(payload, bytes) else payload) == "payload"
    broker.acknowledge(task_id)
    broker.delete_queue()


@pytest.mark.django_db
def test_broker_is_redis_when_redis_url_is_set():
    broker = get_broker()

    expected = "Redis" if settings.REDIS_URL else "ORM"
    assert type(broker).__name__ == expected
