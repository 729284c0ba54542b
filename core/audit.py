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

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext

REASON = "history reason"  # the context of the reasons services give (see above)
DETAIL = ": "
PARTS = "; "
MAX_LENGTH = 100  # django-simple-history's history_change_reason


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
