"""What every app shares: the change log behind sync and webhooks, the outbox's shape, and each
staff user's language."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Change(models.Model):
    """One committed change to what the API serves, numbered in commit order.

    Incremental sync (the API's ``sync_token``) replays these rows instead of comparing
    ``updated_at``: ids are allocated under a lock held until commit (see
    ``core.changes``), so once a client sees id N, every lower id is committed
    and a later sync from N cannot miss a change committed out of order.

    Each row keeps who could see the changed object before and after the change (the event's
    visibility, host and stop hosts, and for a programme item whether it is internal and who
    hosts it), so that a deletion notice ("tombstone") goes only to callers that may have seen
    the object (scheduling.visibility.could_see_any reads these).
    """

    class Verb(models.TextChoices):
        """What happened, as the service that wrote the row says: webhooks and sync read it
        instead of working it out again."""

        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        CANCELLED = "cancelled", _("Cancelled")
        RELEASED = "released", _("Released")
        DELETED = "deleted", _("Deleted")

    class Entity(models.TextChoices):
        EVENT = "event", _("Event")
        PROGRAMME_ITEM = "programme_item", _("Programme item")
        BOOKING = "booking", _("Booking")
        ATTENDANCE = "attendance", _("Attendance")
        SITE = "site", _("Site")
        FACILITY = "facility", _("Facility")
        ORGANISATION = "organisation", _("Organisation")
        PERSON = "person", _("Person")

    id = models.BigAutoField(_("ID"), primary_key=True)
    entity = models.CharField(_("entity"), max_length=20, choices=Entity.choices)
    object_id = models.BigIntegerField(_("object ID"))
    # Plain ids, not foreign keys: a row must outlive the event or object it reports deleted.
    event_id = models.BigIntegerField(_("event ID"), null=True, blank=True)
    visibility = models.CharField(_("visibility"), max_length=12, blank=True)
    host_organisation_id = models.BigIntegerField(_("host organisation ID"), null=True, blank=True)
    # The organisations hosting a restricted event's stops, which see it too (core.changes.id_list:
    # ",3,7,"). Kept for restricted events only: any other visibility names no organisation.
    stop_hosts = models.TextField(_("stop hosts"), blank=True, default="")
    internal = models.BooleanField(_("internal"), default=False)
    # A programme item's own host organisation: it sees the item even when it is internal.
    item_host_id = models.BigIntegerField(_("item host ID"), null=True, blank=True)
    was_visibility = models.CharField(_("was visibility"), max_length=12, blank=True)
    was_host_organisation_id = models.BigIntegerField(
        _("was host organisation ID"), null=True, blank=True
    )
    was_stop_hosts = models.TextField(_("was stop hosts"), blank=True, default="")
    was_internal = models.BooleanField(_("was internal"), default=False)
    was_item_host_id = models.BigIntegerField(_("was item host ID"), null=True, blank=True)
    deleted = models.BooleanField(_("deleted"), default=False)
    verb = models.CharField(_("verb"), max_length=12, choices=Verb.choices, default=Verb.UPDATED)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        db_table = "scheduling_change"  # the table it had when it lived in scheduling
        indexes = [
            models.Index(fields=["entity", "id"], name="change_entity"),
            models.Index(fields=["event_id", "id"], name="change_event"),
            models.Index(fields=["entity", "object_id", "id"], name="change_object"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}: {self.entity} {self.object_id} {self.verb}"


class OutboxQuerySet(models.QuerySet):
    def due(self, now) -> "OutboxQuerySet":
        """Rows waiting to be sent whose time has come."""
        return self.filter(
            state__in=[OutboxMessage.State.QUEUED, OutboxMessage.State.RETRYING],
            next_attempt_at__lte=now,
        )


class OutboxMessage(models.Model):
    """A message the outbox sends (core.outbox): its state, attempts and when to try next.

    Each kind (an invite, a webhook notification) declares its own states, which include
    these four; what else a row holds and how it is sent is the kind's business.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Retrying")
        FAILED = "failed", _("Failed")

    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        abstract = True


class LanguagePreference(models.Model):
    """The language a staff user chose for the pages, remembered across devices (core.languages)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="language_preference",
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("language preference")
        verbose_name_plural = _("language preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"
