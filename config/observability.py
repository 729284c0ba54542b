"""Request ids and structured logs: every log line of a request carries the same id.

The id comes from a trusted proxy's X-Request-ID when it looks sane, or is made here, and is
echoed in the response so a user's report can be matched with the logs.

Logs never hold the bearer secrets some URLs carry (signed RSVP links, feed tokens):
``redact_secrets`` blanks them, in Django's log records (``RedactSecretsFilter``) and in
gunicorn's access and error logs (gunicorn.conf.py).
"""

import contextvars
import json
import logging
import re
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")

# /rsvp/<signed token>/ (visitors/urls.py) and /feeds/<token>.ics (config/urls.py), wherever
# they appear in a line: a path, a full URL, a request line, a Referer. A mistyped feed URL
# without .ics still holds the token; the API's /api/v1/feeds/<number>/ holds none.
_SECRET_IN_URL = re.compile(
    r"(?P<prefix>/rsvp/|/feeds/(?!\d+(?:[/?#\s\"']|$)))"
    r"[^/?#\s\"']+?(?P<suffix>\.ics)?(?=[/?#\s\"']|$)"
)
REDACTED = "[redacted]"


def redact_secrets(text: str) -> str:
    """text with the token of every RSVP and feed URL in it replaced by [redacted]."""
    if "/rsvp/" not in text and "/feeds/" not in text:
        return text  # the common case, without a regex
    return _SECRET_IN_URL.sub(lambda m: m["prefix"] + REDACTED + (m["suffix"] or ""), text)


class RequestIdMiddleware:
    header = "X-Request-ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(self.header, "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        request.request_id = request_id
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[self.header] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs 4xx and 5xx answers (django.request) after the middleware has returned,
        # with the request attached: its id is there.
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """Redact RSVP and feed tokens from a record before any handler formats it: its message
    with the arguments merged in (django.request logs "Not Found: %s" with the path), its
    ``path`` attribute and its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed call: the handler reports it, as without this filter
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if isinstance(getattr(record, "path", None), str):
            record.path = redact_secrets(record.path)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log collectors parse without configuration."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key in ("status_code", "method", "path", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
