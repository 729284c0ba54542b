"""Who changed what: every service stamps the rows it saves for the audit trail."""

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, models

BATCH = 500


def stamp(instance: models.Model, *, by: AbstractBaseUser | None, reason: str = "") -> None:
    """Attach the acting user and a reason to the next history record of this instance."""
    if by is not None and getattr(by, "is_authenticated", False):
        instance._history_user = by
    if reason:
        instance._change_reason = reason[:100]


def history_copy_created(
    model: type[models.Model],
    ids: Sequence[int],
    *,
    by: AbstractBaseUser | None,
    reason: str,
    date: dt.datetime,
) -> None:
    """Record rows just inserted in bulk as created ("+") in the model's history, as
    simple-history's ``bulk_create_with_history`` does, but copied by the database from the
    rows as stored (INSERT … SELECT, one statement per 500) instead of compiled value by
    value in Python.

    Why not the library's: a 5,000-row guest list (visitors.imports) is 5,000 history rows of
    23 columns, and compiling them took longer than inserting the people and attendances
    themselves: confirming the import took 2.6× a bare ``bulk_create`` of those rows, 1.0×
    with this (bench/imports.py; issue 15 asks for at most 2). The columns are the history
    model's own, read from its fields, so a field the model gains is copied without a change
    here; tests/test_audit.py checks the copy against the row simple-history writes."""
    history = model.history.model
    own = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}
    kept = [field for field in history._meta.concrete_fields if field.name not in own]
    copied = [model._meta.get_field(field.name).column for field in kept]
    quote = connection.ops.quote_name
    user = by.pk if by is not None and getattr(by, "is_authenticated", False) else None
    stamped = {
        "history_date": connection.ops.adapt_datetimefield_value(date),
        "history_change_reason": reason[:100],
        "history_type": "+",
        "history_user": user,
    }
    targets = [field.column for field in kept]
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
