"""The one place errors become HTTP answers, always JSON with field-level messages.

- django ValidationError from a service → 400 ``{"code", "detail", "errors": {field: [..]}}``;
- BookingClash → 409 with ``BookingClash.as_dict(can_see=…)`` for the caller's audience;
- not found, or not visible to this key → 404 (never 403: that would confirm it exists);
- DRF's own errors (401, 403, 405, 406, 415, 429…) in the same shape.

Every body carries the request id. Errors Django answers before or after DRF (an unknown path,
an oversized body, a fault, the database unavailable) get the same shape from config/errors.py.
"""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from scheduling.services import BookingClash
from scheduling.visibility import event_test

NON_FIELD = "non_field_errors"


class SyncTokenGone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = _("This sync token is no longer valid: list again from the start.")
    default_code = "sync_token_gone"


class IdempotencyMismatch(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was used with a different request.")
    default_code = "idempotency_key_reused"


def error_body(request, *, code: str, detail: str, errors: dict | None = None) -> dict:
    """The one shape of every error under /api/, with the id that is in the logs too."""
    return {
        "code": code,
        "detail": detail,
        "errors": errors or {},
        "request_id": getattr(request, "request_id", "-"),
    }


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    if isinstance(exc, BookingClash):
        body = exc.as_dict(can_see=_can_see_for(request))
        body["request_id"] = getattr(request, "request_id", "-")
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        errors = _field_errors(exc)
        return Response(
            error_body(request, code="invalid", detail=_summary(errors), errors=errors),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, ObjectDoesNotExist | Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _drf_field_errors(exc.detail)
        response.data = error_body(request, code="invalid", detail=_summary(errors), errors=errors)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = error_body(
            request, code=code if isinstance(code, str) else "error", detail=str(detail)
        )
    return response


def _can_see_for(request):
    """None (show every title) for staff keys; the visibility rule for partners."""
    from .authentication import audience_of
    from .models import ApiKey

    key = getattr(request, "auth", None)
    if isinstance(key, ApiKey):
        audience = audience_of(key)
        if audience.is_staff:
            return None
        return event_test(audience)
    return lambda event: False


def _field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            NON_FIELD if field == NON_FIELD_ERRORS else field: [
                str(message) for error in errors for message in error.messages
            ]
            for field, errors in exc.error_dict.items()
        }
    return {NON_FIELD: [str(message) for message in exc.messages]}


def _drf_field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested errors to {"field" or "field.0.part": [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(
                _drf_field_errors(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}")
            )
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or NON_FIELD: [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_drf_field_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or NON_FIELD: [str(detail)]}


def _summary(errors: dict[str, list[str]]) -> str:
    for field, messages in errors.items():
        if messages:
            return messages[0] if field == NON_FIELD else f"{field}: {messages[0]}"
    return str(_("Invalid input."))
