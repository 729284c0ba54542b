"""Django's error views (handler400/403/404/500 in config/urls.py): JSON under /api/, pages
elsewhere, and 503 with Retry-After when the database is busy or unreachable.

DRF answers the errors it raises itself (api/exceptions.py); these cover what happens outside
it: a path no view serves, a body over DATA_UPLOAD_MAX_MEMORY_SIZE, an unhandled fault. A
database that is locked past SQLite's busy timeout, refuses connections or cancels a statement
is not a fault of the request: the client should come back shortly, so it is told 503.
"""

import sys

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from api.exceptions import error_body

API_PREFIX = "/api/"
BUSY_RETRY_SECONDS = 5  # another writer holds the lock: it is gone in moments
DOWN_RETRY_SECONDS = 30  # the database is unreachable: give it time to come back


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        if _is_api(request):
            return _json(request, 413, "too_large", _("The body is larger than the API accepts."))
        return HttpResponse(_("Request too large."), status=413, content_type="text/plain")
    if _is_api(request):
        return _json(request, 400, "bad_request", _("The request could not be read."))
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json(request, 403, "permission_denied", _("You may not do this."))
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json(request, 404, "not_found", _("Not found."))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, so it is still the current one.
    retry_after = database_unavailable(sys.exc_info()[1])
    if retry_after:
        if _is_api(request):
            response = _json(
                request,
                503,
                "unavailable",
                _("The database is busy or unreachable: try again shortly."),
            )
        else:
            response = render(
                request,
                "503.html",
                {"retry_after": retry_after, "request_id": getattr(request, "request_id", "")},
                status=503,
            )
        response["Retry-After"] = str(retry_after)
        return response
    if _is_api(request):
        return _json(request, 500, "server_error", _("Something went wrong on our side."))
    return defaults.server_error(request)


def database_unavailable(error: BaseException | None) -> int:
    """Seconds to wait if error means the database cannot serve now (else 0): SQLite's write
    lock held past the busy timeout, or PostgreSQL refusing, dropping or cancelling us."""
    if isinstance(error, InterfaceError):
        return DOWN_RETRY_SECONDS  # the connection is closed or unusable
    if not isinstance(error, OperationalError):
        return 0
    if connection.vendor == "sqlite":
        text = str(error).lower()
        if "locked" in text or "busy" in text:
            return BUSY_RETRY_SECONDS
        return DOWN_RETRY_SECONDS if "unable to open" in text else 0
    # psycopg raises OperationalError for connections refused or lost, statement timeouts and
    # lock timeouts; mistakes in our SQL are ProgrammingError and stay 500.
    return DOWN_RETRY_SECONDS


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(request: HttpRequest, status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(error_body(request, code=code, detail=detail), status=status)
