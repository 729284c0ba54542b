"""Who changed what: every service stamps the rows it saves for the audit trail.

Why a row changed is kept with it (django-simple-history's change reason) and read later, in
whatever language the reader works in. So the reasons services give are messages in their own
context, marked where they are given with ``pgettext_lazy("history reason", "Rescheduled")``
and kept as their English message id (``kept``); a reason that carries a detail which is no
message (a file name, a title, field names) keeps it after the message (``reason_with``), and
several reasons in one are joined with PARTS. ``reason_shown`` reads a kept reason in the
active language. What a person wrote as the reason is no message of that context, so it reads
as written, even where its words are a message elsewhere ("Go").
"""

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext

REASON = "history reason"  # the context of the reasons services give (see above)
DETAIL = ": "
PARTS = "; "
MAX_LENGTH = 100  # django-simple-history's history_change_reason
BATCH = 500


def stamp(
    instance: models.Model, *, by: AbstractBaseUser | None, reason: str | Promise = ""
) -> None:
    """Attach the acting user and a reason to the next history record of this instance."""
    if by is not None and getattr(by, "is_authenticated", False):
        instance._history_user = by
    if reason:
        instance._change_reason = kept(reason)


def kept(reason: str | Promise) -> str:
    """A reason as the history keeps it: a marked one as its English message id, whatever the
    active language; anything else as it is. At most MAX_LENGTH characters."""
    with translation.override(None):  # no catalogue: a message reads as its id
        return str(reason)[:MAX_LENGTH]


def reason_with(message: Promise, detail: object) -> str:
    """'Imported from: guests.xlsx': a reason's message and the detail it carries, kept."""
    return kept(f"{kept(message)}{DETAIL}{detail}")


def reason_shown(text: str) -> str:
    """A kept reason in the active language: each part that is a reason services give
    translated (with its detail), anything else as written."""
    return PARTS.join(_part_shown(part) for part in text.split(PARTS)) if text else text


def _part_shown(part: str) -> str:
    if (shown := pgettext(REASON, part)) != part:
        return shown
    message, detail_follows, detail = part.partition(DETAIL)
    if detail_follows and (shown := pgettext(REASON, message)) != message:
        return pgettext("a reason and its detail", "%(reason)s: %(detail)s") % {
            "reason": shown,
            "detail": detail,
        }
    return part


def history_copy_created(
    model: type[models.Model],
    ids: Sequence[int],
    *,
    by: AbstractBaseUser | None,
    reason: str | Promise,
    date: dt.datetime,
) -> None:
    """Record rows just inserted in bulk as created ("+") in the model's history, as
    simple-history's ``bulk_create_with_history`` does, but copied by the database from the
    rows as stored (INSERT … SELECT, one statement per 500) instead of compiled value by
    value in Python.

    Why not the library's: a 5,000-row guest list (visitors.imports) is 5,000 history rows of
    23 columns, and compiling them took longer than inserting the people and attendances
    themselves. With this and the change log's own copy (core.changes), confirming the import
    takes 1.7× (SQLite) and 1.8× (PostgreSQL) a bare ``bulk_create`` of the people and
    attendances, against 2.6× and 2.9× before (bench/imports.py; issue 15 asks for at most
    2). The columns are the history
    model's own, read from its fields, so a field the model gains is copied without a change
    here; tests/core/test_audit.py checks the copy against the row simple-history writes."""
    history = model.history.model
    own = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}
    same = [field for field in history._meta.concrete_fields if field.name not in own]
    copied = [model._meta.get_field(field.name).column for field in same]
    quote = connection.ops.quote_name
    user = by.pk if by is not None and getattr(by, "is_authenticated", False) else None
    stamped = {
        "history_date": connection.ops.adapt_datetimefield_value(date),
        "history_change_reason": kept(reason),
        "history_type": "+",
        "history_user": user,
    }
    targets = [field.column for field in same]
    targets += [history._meta.get_field(name).column for name in stamped]
    columns = ", ".join(quote(column) for column in targets)
    selected = ", ".join([*(quote(column) for column in copied), *["%s"] * len(stamped)])
    ids = sorted(ids)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({columns}) "
                f"SELECT {selected} FROM {quote(model._meta.db_table)} "
                f"WHERE {quote(model._meta.pk.column)} IN ({', '.join(['%s'] * len(chunk))}) "
                f"ORDER BY {quote(model._meta.pk.column)}",
                [*stamped.values(), *chunk],
            )
