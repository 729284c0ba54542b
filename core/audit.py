"""Who changed what: every service stamps the rows it saves for the audit trail."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import models


def stamp(instance: models.Model, *, by: AbstractBaseUser | None, reason: str = "") -> None:
    """Attach the acting user and a reason to the next history record of this instance."""
    if by is not None and getattr(by, "is_authenticated", False):
        instance._history_user = by
    if reason:
        instance._change_reason = reason[:100]
