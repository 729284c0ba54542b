"""Idempotency-Key on POST: a retry gets the first answer, and the write happens once.

The request runs in one transaction that starts by inserting the key's ledger row
(``IdempotencyRecord``, unique per API key and Idempotency-Key). A concurrent retry with the same
key blocks on that row's unique index (PostgreSQL) or on the write lock (SQLite) until the first
commits, then finds its answer and replays it (``Idempotent-Replayed: true``). The same key with
another request is 422. A server error is not stored, so a retry runs again; any other answer
(errors included) is stored and replayed, byte for byte the same data.

The ledger row needs the API key, which authentication finds in ``initial``; the answer is only
known in ``finalize_response``. So the mixin takes four of DRF's APIView hooks, each doing one
step, and nothing else in the view knows about idempotency.
"""

import datetime as dt
import hashlib
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .exceptions import IdempotencyMismatch
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_LENGTH = 255  # IdempotencyRecord.key's
REPLAYED_HEADER = "Idempotent-Replayed"
# Headers of the first answer that its replays repeat.
KEPT_HEADERS = ("Location",)


class _Replay(Exception):
    """Raised in ``initial`` when the key's answer exists: DRF hands it to handle_exception,
    which answers with the stored one instead of running the handler."""

    def __init__(self, record: IdempotencyRecord) -> None:
        self.record = record


def _asks_for_idempotency(request) -> bool:
    return request.method == "POST" and bool(request.headers.get(HEADER))


class IdempotentPostMixin:
    """For an APIView whose ``request.auth`` is an ``ApiKey`` (``self.key``)."""

    _idempotency: IdempotencyRecord | None = None

    def dispatch(self, request, *args, **kwargs):
        # 1. The whole request in one transaction, the ledger row first (see initial).
        self._idempotency = None
        if _asks_for_idempotency(request):
            # The body as sent, before any parser has read it.
            self._fingerprint = hashlib.sha256(
                b"\n".join([request.method.encode(), request.path.encode(), request.body])
            ).hexdigest()
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        # 2. After authentication: claim the key, or replay its answer.
        super().initial(request, *args, **kwargs)
        if not _asks_for_idempotency(request):
            return
        raw = request.headers[HEADER]
        if len(raw) > MAX_LENGTH or not raw.isascii() or not raw.isprintable():
            raise exceptions.ValidationError(
                {
                    HEADER: [
                        _("Use at most %(most)s printable ASCII characters.") % {"most": MAX_LENGTH}
                    ]
                }
            )
        expired = timezone.now() - dt.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
        IdempotencyRecord.objects.filter(api_key=self.key, key=raw, created_at__lt=expired).delete()
        try:
            with transaction.atomic():  # a savepoint: the request goes on after a duplicate
                self._idempotency = IdempotencyRecord.objects.create(
                    api_key=self.key, key=raw, fingerprint=self._fingerprint
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(api_key=self.key, key=raw)
            if record.fingerprint != self._fingerprint:
                raise IdempotencyMismatch() from None
            raise _Replay(record) from None

    def handle_exception(self, exc):
        # 3. The stored answer, instead of running the handler again.
        if isinstance(exc, _Replay):
            response = Response(exc.record.body, status=exc.record.status_code)
            for name, value in exc.record.headers.items():
                response[name] = value
            response[REPLAYED_HEADER] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        # 4. Store the answer in the claimed row, inside the request's transaction.
        response = super().finalize_response(request, response, *args, **kwargs)
        record, self._idempotency = self._idempotency, None
        if record is None:
            return response
        if response.status_code >= 500:
            record.delete()  # a server error is not an answer worth replaying
            return response
        record.status_code = response.status_code
        # Stored as rendered JSON, so a replay answers byte for byte the same data.
        record.body = json.loads(JSONRenderer().render(response.data) or b"null")
        record.headers = {
            name: response[name] for name in KEPT_HEADERS if response.has_header(name)
        }
        record.save(update_fields=["status_code", "body", "headers"])
        return response
