"""What every API view shares: keys, scopes, throttling, JSON, conditional GETs, synced lists and
idempotent POSTs. The concrete views only say what they list and which service a write calls."""

import calendar
import datetime as dt
import hashlib
from functools import cached_property
from typing import Any

from django.db import models
from django.db.models import Q
from django.http import HttpResponseNotModified
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from rest_framework import exceptions, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.models import Change
from scheduling.visibility import Audience

from .. import pagination, sync
from ..authentication import ApiKeyAuthentication, audience_of
from ..fields import MAX_ID
from ..idempotency import IdempotentPostMixin
from ..models import ApiKey
from ..parsers import JSONParser
from ..permissions import HostOrganisationWrites, KeyRequired, ScopeRequired
from ..throttling import KeyRateThrottle

# Bumped when the JSON of any object changes shape, so that cached copies stop matching.
REPRESENTATION_VERSION = "2"  # 2: attendees' times in the event's zone, as every other time


def object_id(raw: str) -> int:
    """An id from the URL; anything that cannot be one is simply not found."""
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise exceptions.NotFound()
    return int(raw)


class ApiViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Base of every /api/v1/ view.

    ``scopes`` maps an action to the scope it needs; ``staff_perms`` to the Django permission a
    staff key's user needs. ``visible_queryset()`` is what this key may see; ``get_queryset()``
    adds what rendering needs (prefetches). POSTs with an Idempotency-Key are answered once
    (api.idempotency).
    """

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [KeyRequired, ScopeRequired, HostOrganisationWrites]
    throttle_classes = [KeyRateThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    # Any path segment reaches the view, so that a malformed id is a JSON 404 like any other.
    lookup_value_regex = r"[^/]+"
    scopes: dict[str, str] = {}
    staff_perms: dict[str, str] = {}

    @cached_property
    def audience(self) -> Audience:
        return audience_of(self.request.auth)

    @property
    def key(self) -> ApiKey:
        return self.request.auth

    def visible_queryset(self) -> models.QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> models.QuerySet:
        return self.visible_queryset()

    def object_id(self) -> int:
        return object_id(self.kwargs[self.lookup_url_kwarg or self.lookup_field])

    def get_object(self):
        """The object by id among those this key may see (list filters do not apply)."""
        obj = get_object_or_404(self.get_queryset(), pk=self.object_id())
        self.check_object_permissions(self.request, obj)
        return obj

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if isinstance(self.request.auth, ApiKey):
            context["audience"] = self.audience
        return context

    def acting_user(self):
        """Who the audit trail names: a staff key's user; nobody for a partner key."""
        return self.key.user if self.key.is_staff_key else None

    def partner_id(self) -> int | None:
        """The organisation a partner key writes for; None for staff keys. Services hold what a
        partner writes into the office's invites for staff approval."""
        return None if self.key.is_staff_key else self.key.organisation_id

    # --- Conditional GET -------------------------------------------------------------------------

    def audience_tag(self) -> str:
        """What changes the JSON besides the data: who is looking and what the key may read."""
        return f"{self.audience}|{' '.join(sorted(self.key.scope_set))}|{REPRESENTATION_VERSION}"

    def not_modified(self, etag: str, last_modified: dt.datetime | None):
        """A 304 answer if the client's copy is current (If-None-Match / If-Modified-Since)."""
        stamp = calendar.timegm(last_modified.utctimetuple()) if last_modified else None
        answer = get_conditional_response(self.request._request, etag=etag, last_modified=stamp)
        if isinstance(answer, HttpResponseNotModified):
            answer["ETag"] = etag
            if last_modified:
                answer["Last-Modified"] = http_date(stamp)
            return answer
        return None

    @staticmethod
    def with_validators(response, etag: str, last_modified: dt.datetime | None):
        response["ETag"] = etag
        if last_modified:
            response["Last-Modified"] = http_date(calendar.timegm(last_modified.utctimetuple()))
        return response


def etag_of(*parts: Any) -> str:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]
    # Weak: equal tags mean equal data; the bytes may differ (a list's sync token is dated).
    return f'W/"{digest}"'


class SyncedListMixin:
    """GET list: keyset pages, a sync token, ?sync_token= deltas, ETag and 304.

    A view sets ``sync_spec()`` (which log rows concern it), ``orderings`` (name → key fields,
    each ending with "id") and ``default_ordering``.
    """

    orderings: dict[str, tuple[str, ...]] = {"id": ("id",)}
    default_ordering = "id"

    def sync_spec(self) -> sync.SyncSpec:
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        self.check_list_access()
        # Rows are inserted under the log's lock, so the latest by id is also the latest in time.
        head = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0
        # A request that cannot be answered is told so (400, 410) before any 304.
        collection = self.filter_queryset(self.get_queryset())
        pagination.page_size(request)
        token = request.query_params.get(pagination.SYNC_PARAM)
        if token is not None:
            if request.query_params.get(pagination.CURSOR_PARAM):
                raise exceptions.ValidationError(
                    {
                        pagination.CURSOR_PARAM: [
                            _("A sync answer is not paged by cursor: follow next.")
                        ]
                    }
                )
            position = sync.position_of(token, head=head)
        else:
            pagination.ordering_of(request, self.orderings, self.default_ordering)
            cursor = pagination.decode_cursor(request)
        # The validators come from what this caller can see, so that changes hidden from it
        # neither move them nor tell it when they happened.
        last = sync.latest_seen(self.sync_spec(), self.audience)
        etag = etag_of("list", request.get_full_path(), last["id"], self.audience_tag())
        cached = self.not_modified(etag, last["created_at"])
        if cached is not None:
            return cached
        if token is not None:
            body = self._delta(collection, position, head)
        else:
            body = self._page(collection, head, cursor)
        return self.with_validators(Response(body), etag, last["created_at"])

    def check_list_access(self) -> None:
        """Hook for nested lists: the parent must be visible (404 otherwise)."""

    def _page(self, collection, head: int, cursor: dict[str, Any] | None) -> dict[str, Any]:
        position = cursor["s"] if cursor else head
        name, keys = pagination.ordering_of(self.request, self.orderings, self.default_ordering)
        rows, next_url = pagination.paginate(
            collection,
            self.request,
            ordering_name=name,
            keys=keys,
            position=position,
            cursor=cursor,
        )
        data = self.get_serializer(rows, many=True).data
        return pagination.envelope(data, next_url=next_url, token=sync.token_for(position))

    def _delta(self, collection, position: int, head: int) -> dict[str, Any]:
        found = sync.delta(
            self.sync_spec(),
            audience=self.audience,
            collection=collection,
            position=position,
            head=head,
            limit=pagination.page_size(self.request),
        )
        new_token = sync.token_for(found.position)
        data = self.get_serializer(found.objects, many=True).data
        return pagination.envelope(
            data,
            deleted=found.tombstones,
            next_url=pagination.next_sync_url(self.request, new_token) if found.has_more else None,
            token=new_token,
        )


class ConditionalRetrieveMixin:
    """GET one object with ETag and Last-Modified; 304 before anything is rendered.

    ``version_q(pk)`` selects the change-log rows that alter this object's JSON;
    ``version_fields`` are columns of the row that do too (a write the log missed still shows).
    """

    version_fields: tuple[str, ...] = ()

    def version_q(self, pk: int) -> Q:
        raise NotImplementedError

    def retrieve(self, request, *args, **kwargs):
        pk = self.object_id()
        etag, last_modified = self.validators_for(pk)
        cached = self.not_modified(etag, last_modified)
        if cached is not None:
            return cached
        data = self.get_serializer(self.get_object()).data
        return self.with_validators(Response(data), etag, last_modified)

    def validators_for(self, pk: int) -> tuple[str, dt.datetime | None]:
        """(ETag, Last-Modified) from two cheap queries; 404 if this key may not see it."""
        visible = self.visible_queryset().filter(pk=pk)
        found = visible.values_list("pk", *self.version_fields).first()
        if found is None:
            raise exceptions.NotFound()
        last = (
            Change.objects.filter(self.version_q(pk))
            .order_by("-id")
            .values("id", "created_at")
            .first()
        ) or {"id": 0, "created_at": None}
        etag = etag_of("detail", self.basename, pk, last["id"], *found, self.audience_tag())
        return etag, last["created_at"]
