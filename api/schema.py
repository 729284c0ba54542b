"""OpenAPI (drf-spectacular) pieces the views share, and the hook that documents every answer an
operation can give: errors, 304, 409, 410, 422, 429, and the conditional-request headers."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from . import idempotency
from .pagination import (
    CURSOR_PARAM,
    MAX_PAGE_SIZE,
    ORDERING_PARAM,
    PAGE_SIZE_PARAM,
    SYNC_PARAM,
)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer pdk_…`, from `manage.py create_api_key`.",
        }


def list_parameters(orderings, default: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            SYNC_PARAM,
            OpenApiTypes.STR,
            description=(
                "Only what changed since the list (or sync) that gave this token, with "
                "tombstones in `deleted`. Follow `next` until it is null, then keep the last "
                "`sync_token`. 410: the token expired; list again from the start."
            ),
        ),
        OpenApiParameter(CURSOR_PARAM, OpenApiTypes.STR, description="From a `next` link."),
        OpenApiParameter(
            PAGE_SIZE_PARAM,
            OpenApiTypes.INT,
            description=f"Results per page, 1 to {MAX_PAGE_SIZE} (default 50).",
        ),
        OpenApiParameter(
            ORDERING_PARAM,
            OpenApiTypes.STR,
            enum=list(orderings),
            description=f"Default: {default}.",
        ),
    ]


CONDITIONAL_HEADERS = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="An ETag from an earlier answer: 304 if nothing changed.",
    ),
    OpenApiParameter(
        "If-Modified-Since",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="An HTTP date: 304 if nothing changed since.",
    ),
]


def conditional() -> dict:
    return {"parameters": CONDITIONAL_HEADERS}


def idempotent() -> dict:
    return {
        "parameters": [
            OpenApiParameter(
                idempotency.HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=(
                    f"Any unique string (up to {idempotency.MAX_LENGTH} printable ASCII "
                    "characters). A retry with the same key replays the first answer; the same "
                    "key with another body is 422."
                ),
            )
        ]
    }


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a code, a sentence, and messages by field.",
    "properties": {
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "request_id": {
            "type": "string",
            "description": "Also in the X-Request-ID header: quote it when reporting a problem.",
        },
    },
    "required": ["code", "detail", "errors", "request_id"],
}

CLASH_SCHEMA = {
    "type": "object",
    "description": (
        "The facility is not free: what is in the way (bookings of events this key may not "
        "see appear as “Booked”, with their times only) and the nearest free slots and "
        "facilities."
    ),
    "properties": {
        "code": {"type": "string", "enum": ["booking_clash"]},
        "message": {"type": "string"},
        "request_id": {"type": "string"},
        "facility": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        },
        "requested": {"type": "object", "additionalProperties": {"type": "string"}},
        "conflicts": {"type": "array", "items": {"type": "object"}},
        "suggestions": {
            "type": "object",
            "properties": {
                "slots": {"type": "array", "items": {"type": "object"}},
                "facilities": {"type": "array", "items": {"type": "object"}},
            },
        },
    },
    "required": ["code", "message", "facility", "requested", "conflicts", "suggestions"],
}

VALIDATOR_HEADERS = {
    "ETag": {"schema": {"type": "string"}, "description": "Send back as If-None-Match."},
    "Last-Modified": {"schema": {"type": "string"}, "description": "An HTTP date."},
}

# Operations whose service can answer with a booking clash.
CLASHING = {"bookings_create", "bookings_hold_create", "events_reschedule_create"}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


GUIDE = """
Schedules of ceremonies and VIP site visits, for partners' systems and staff tools.

**Keys.** Send `Authorization: Bearer <key>`. A partner key sees what its organisation may see;
a staff key acts as its staff user. Scopes: `events:read`, `events:write`, `attendees:read`,
`attendees:write`, `bookings:write`.

**Who sees what.** Public events: every key. Partners events: every partner key. Internal and
restricted events: staff, and for restricted events the keys of the host organisation and of
every organisation hosting one of its programme items (the tenants a visit stops at). Internal
programme items go to staff, the event's host organisation and the item's own host. Anything a
key may not see answers 404 and never appears in a list; in availability it is busy time
without a title. Phones, dietary and accessibility notes and staff notes go to staff keys
only; a partner key sees the e-mail addresses of its own organisation's people and of the
people it nominated, and nobody else's. A partner adds attendees as nominations of its own
(never matched to people on file); invites the office would send with a partner's words or to
a partner's nominees wait for staff approval (send-invites answers 202).

**Spreadsheets.** Staff keys download an event's attendee list (in order of precedence), its
run-of-show and the caterers' dietary summary as CSV (UTF-8 with a BOM, for Excel) or XLSX:
`/events/{id}/export/attendees/`, `run-of-show/` and `catering/`, with `?format=` or `Accept`.

**Times** are ISO 8601 with their offset, shown in the event's own zone. Send them with an
offset; a time without one is refused.

**Lists** are paged by cursor (`next`, up to 200 per page) and carry a `sync_token`. Later,
`?sync_token=` answers only what changed since, with `deleted` tombstones for events deleted,
cancelled or no longer visible; follow `next` until null and keep the last token. A token that
is too old answers 410: list again.

**Caching.** Details, lists and iCalendar copies carry `ETag` and `Last-Modified`; send
`If-None-Match` for a 304.

**Retries.** Send `Idempotency-Key` with a POST: a retry gets the first answer; the same key
with another body is 422.

**Limits.** Requests per minute per key; 429 with `Retry-After` beyond.

**Errors** are JSON, every one under `/api/` (404, 405, 413, 415, 500 and 503 included):
`code`, `detail`, `errors` by field, and the `request_id` also sent as `X-Request-ID`. A booking
that clashes is 409 with what is in the way and what is free instead. 503 means the database is
busy or unreachable: retry after `Retry-After` seconds. Bodies nested deeper than 32 levels
are refused (400).
"""


def add_standard_responses(result, generator, request, public):
    """Postprocessing hook: document the answers every API operation shares."""
    result.setdefault("info", {})["description"] = GUIDE.strip()
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas["BookingClash"] = CLASH_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            shared = {
                "400": "Invalid input: messages by field.",
                "401": "No key, or an invalid, expired or revoked one.",
                "403": "The key lacks the scope, or may not change this.",
                "404": "No such object, or not one this key may see.",
                "406": "Cannot answer in the media type asked for.",
                "429": "Too many requests: wait for Retry-After seconds.",
                "500": "A fault of ours: quote the request_id when reporting it.",
                "503": "The database is busy or unreachable: retry after Retry-After seconds.",
            }
            if method in ("post", "patch", "put"):
                shared["413"] = "The body is larger than the API accepts."
                shared["415"] = "Send JSON (Content-Type: application/json)."
            if method == "post":
                shared["422"] = "This Idempotency-Key was used with a different request."
            names = {p.get("name") for p in operation.get("parameters", [])}
            if SYNC_PARAM in names:
                shared["410"] = "The sync token expired or is unknown: list again."
            for code, description in shared.items():
                responses.setdefault(code, _error(description))
            for code in ("429", "503"):
                responses[code].setdefault(
                    "headers",
                    {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
                )
            if "If-None-Match" in names:
                responses.setdefault(
                    "304", {"description": "Not modified since the ETag or date sent."}
                )
                for code, response in responses.items():
                    if code.startswith("2"):
                        response.setdefault("headers", {}).update(VALIDATOR_HEADERS)
            if operation.get("operationId") in CLASHING:
                responses["409"] = {
                    "description": "The facility is not free.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/BookingClash"}
                        }
                    },
                }
    return result
