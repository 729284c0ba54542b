"""Keyset ("cursor") pagination that stays stable while rows are inserted, and the list envelope.

A cursor holds the sort key of the last row sent, so the next page is "rows after that key":
an insert or delete anywhere cannot shift a row onto the next page twice or skip it, as an
offset would. Every ordering ends with the primary key, so keys are unique. The cursor also
carries the sync position read with the first page, so every page of one listing hands out the
same ``sync_token``.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.utils.urls import remove_query_param, replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
CURSOR_PARAM = "cursor"
PAGE_SIZE_PARAM = "page_size"
ORDERING_PARAM = "ordering"
SYNC_PARAM = "sync_token"
CURSOR_SALT = "api.cursor"


def page_size(request) -> int:
    raw = request.query_params.get(PAGE_SIZE_PARAM)
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        message = _("Give a whole number from 1 to %(most)s.") % {"most": MAX_PAGE_SIZE}
        raise ValidationError({PAGE_SIZE_PARAM: [message]})
    return size


def ordering_of(
    request, choices: dict[str, Sequence[str]], default: str
) -> tuple[str, Sequence[str]]:
    """The ordering asked for (a name in choices) and its key fields, "-" meaning descending."""
    name = request.query_params.get(ORDERING_PARAM) or default
    if name not in choices:
        raise ValidationError(
            {ORDERING_PARAM: [_("Choose one of %(choices)s.") % {"choices": ", ".join(choices)}]}
        )
    return name, choices[name]


def decode_cursor(request) -> dict[str, Any] | None:
    raw = request.query_params.get(CURSOR_PARAM)
    if not raw:
        return None
    # Signed: a cursor is only ever one we wrote, so its values are safe to filter on. Dated:
    # it carries a sync position, which must not outlive the change log behind it.
    max_age = dt.timedelta(days=settings.API_SYNC_TOKEN_MAX_AGE_DAYS)
    try:
        cursor = signing.loads(raw, salt=CURSOR_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ValidationError({CURSOR_PARAM: [_("This cursor has expired.")]}) from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise ValidationError({CURSOR_PARAM: [_("Invalid cursor.")]}) from None
    return cursor


def _encode_cursor(cursor: dict[str, Any]) -> str:
    return signing.dumps(cursor, salt=CURSOR_SALT, compress=True)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def paginate(
    queryset: QuerySet,
    request,
    *,
    ordering_name: str,
    keys: Sequence[str],
    position: int,
    cursor: dict[str, Any] | None,
) -> tuple[list[Any], str | None]:
    """One page of `queryset` in `keys` order after the cursor, and the link to the next page."""
    size = page_size(request)
    fields = [(key.lstrip("-"), key.startswith("-")) for key in keys]
    queryset = queryset.order_by(*keys)
    if cursor is not None:
        values = cursor["k"]
        if cursor["o"] != ordering_name or len(values) != len(fields):
            raise ValidationError({CURSOR_PARAM: [_("This cursor belongs to another ordering.")]})
        after, equal = Q(), {}
        for (name, descending), value in zip(fields, values, strict=True):
            after |= Q(**equal, **{f"{name}__{'lt' if descending else 'gt'}": value})
            equal[name] = value
        # The bound on the first key alone lets the database range-scan its index.
        (first, descending), value = fields[0], values[0]
        queryset = queryset.filter(after, **{f"{first}__{'lte' if descending else 'gte'}": value})
    rows = list(queryset[: size + 1])
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    last = rows[-1]
    key = [_plain(_value(last, name)) for name, _descending in fields]
    url = request.build_absolute_uri()
    url = replace_query_param(
        url, CURSOR_PARAM, _encode_cursor({"k": key, "o": ordering_name, "s": position})
    )
    return rows, url


def _value(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


def next_sync_url(request, token: str) -> str:
    url = remove_query_param(request.build_absolute_uri(), CURSOR_PARAM)
    return replace_query_param(url, SYNC_PARAM, token)


def envelope(
    results: list[Any], *, next_url: str | None, token: str, deleted: list[dict] | None = None
) -> dict[str, Any]:
    """Every list answer: the page, tombstones (sync answers only), the next link, the token."""
    return {"results": results, "deleted": deleted or [], "next": next_url, "sync_token": token}
