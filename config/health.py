"""Liveness and readiness for load balancers and process managers."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django_q.brokers import get_broker


@never_cache
def healthz(request):
    """The process is up and answering; checks nothing else, so it never flaps."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Ready for traffic: the database answers and the task broker is reachable."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; say which
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        checks["broker"] = "ok" if get_broker().ping() else "error: no answer"
    except Exception as exc:
        checks["broker"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
    )
