"""Calendar replies received (InboundReply): a model of the visitors app, defined beside the
code that reads them (visitors.replies, visitors.mailbox) and imported by visitors.models so that
Django finds it there."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InboundReply(models.Model):
    """A calendar reply received (from the organiser's mailbox or a file handed to
    apply_itip_reply) and what became of it: applied, kept for staff, or refused, with why."""

    class Source(models.TextChoices):
        MAILBOX = "mailbox", _("Organiser's mailbox")
        FILE = "file", _("File given to apply_itip_reply")

    class State(models.TextChoices):
        APPLIED = "applied", _("Applied")
        NEEDS_REVIEW = "needs_review", _("Needs review")
        REFUSED = "refused", _("Refused")
        DISMISSED = "dismissed", _("Dismissed by staff")
        NOT_A_REPLY = "not_a_reply", _("Not a calendar reply")

    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    raw = models.BinaryField(
        _("raw"), editable=False, help_text=_("The message or .ics file exactly as received.")
    )
    sender = models.CharField(
        _("sender"),
        max_length=320,
        blank=True,
        help_text=_("The From address; blank for a bare .ics file."),
    )
    message_id = models.CharField(_("message ID"), max_length=255, blank=True)
    method = models.CharField(
        _("method"), max_length=12, blank=True, help_text=_("The calendar's METHOD.")
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    code = models.CharField(
        _("code"),
        max_length=30,
        blank=True,
        help_text=_("The first rule that failed, for filtering."),
    )
    reason = models.TextField(_("reason"), blank=True)
    attendance = models.ForeignKey(
        "visitors.Attendance",
        verbose_name=_("attendance"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_replies",
        help_text=_("The invitee it answers for, when that could be told."),
    )
    # Where a message from the mailbox was: each (mailbox, UIDVALIDITY, UID) is read once.
    mailbox = models.CharField(_("mailbox"), max_length=300, blank=True)
    uidvalidity = models.PositiveBigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    uid = models.PositiveBigIntegerField(_("UID"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound reply")
        verbose_name_plural = _("inbound replies")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"],
                condition=Q(uid__isnull=False),
                name="inbound_reply_once_per_message",
            ),
        ]
        indexes = [models.Index(fields=["state"], name="inbound_reply_state")]

    def __str__(self) -> str:
        return _("Reply from %(sender)s, %(received)s (%(state)s)") % {
            "sender": self.sender or _("a file"),
            "received": f"{self.received_at:%Y-%m-%d %H:%M}",
            "state": self.get_state_display(),
        }
