"""The import batch: an uploaded attendee list kept between its preview and staff's
confirmation (visitors.imports.services). A model of the visitors app like the others;
visitors.models imports it so that Django registers it there."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    """An uploaded attendee list between its preview and staff's confirmation: each row as read,
    what would become of it (a new person, someone on file, a match to confirm, skipped) and why.

    Kept in a table, not in the session: a 10,000-row preview is megabytes of JSON, and the
    session (in the database too) is read and written on every request its user makes, while
    a batch is read only by its own two pages. A batch belongs to the user who uploaded it (no
    one else sees or confirms it), is deleted once confirmed or discarded, and is refused and
    swept away after ``EXPIRES_AFTER`` (visitors.imports.services)."""

    EXPIRES_AFTER = dt.timedelta(hours=24)

    event = models.ForeignKey(
        "scheduling.Event", verbose_name=_("event"), on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, db_index=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    rows = models.JSONField(
        _("rows"), default=list, help_text=_("The preview: one object per row of the file.")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return _("%(file)s for event #%(event)s (%(rows)d rows)") % {
            "file": self.filename or _("Upload"),
            "event": self.event_id,
            "rows": len(self.rows),
        }

    @property
    def expires_at(self) -> dt.datetime:
        return self.created_at + self.EXPIRES_AFTER
