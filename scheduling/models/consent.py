"""A tenant host's consent to receive a visit at its stop, and the e-mails that ask for it.

The rules (who is asked, what an answer needs, what a move does) are in
``scheduling.services.consent``; the e-mail is written and sent by ``visitors.consents``.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import OutboxMessage

from .events import ProgrammeItem

NOTE_MAX_LENGTH = 1000


class StopConsent(models.Model):
    """Whether the tenant hosting a stop agrees to receive the party then and there."""

    class Answer(models.TextChoices):
        REQUESTED = "requested", _("Asked, no answer yet")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        ANOTHER_TIME = "another_time", _("Asks for another time")

    item = models.OneToOneField(
        ProgrammeItem,
        verbose_name=_("programme item"),
        on_delete=models.CASCADE,
        related_name="consent",
    )
    person = models.ForeignKey(
        "visitors.Person",
        verbose_name=_("host asked"),
        on_delete=models.PROTECT,
        related_name="stop_consents",
    )
    answer = models.CharField(
        _("answer"), max_length=12, choices=Answer.choices, default=Answer.REQUESTED
    )
    version = models.PositiveIntegerField(
        _("link version"),
        default=1,
        help_text=_("Rises with each request: links sent with an earlier request stop working."),
    )
    requested_at = models.DateTimeField(_("asked at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    proposed_start = models.DateTimeField(
        _("proposed time"),
        null=True,
        blank=True,
        help_text=_("When the host asks for another time."),
    )
    note = models.TextField(_("host's note"), max_length=NOTE_MAX_LENGTH, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("host's consent")
        verbose_name_plural = _("hosts' consents")
        constraints = [
            models.CheckConstraint(
                condition=Q(answer="requested", answered_at__isnull=True)
                | (~Q(answer="requested") & Q(answered_at__isnull=False)),
                name="stop_consent_answered_at_with_answer",
            ),
            models.CheckConstraint(
                condition=Q(answer="another_time") | Q(proposed_start__isnull=True),
                name="stop_consent_proposal_only_for_another_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.get_answer_display()}"

    @property
    def is_confirmed(self) -> bool:
        return self.answer == self.Answer.CONFIRMED


class ConsentMessage(OutboxMessage):
    """The e-mail asking a host for its consent: an outbox row (core.outbox) per request,
    superseded when a newer request (a higher version) or a final event makes it pointless."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Retrying")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPERSEDED = "superseded", _("Superseded")

    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    consent = models.ForeignKey(
        StopConsent, verbose_name=_("consent"), on_delete=models.CASCADE, related_name="messages"
    )
    version = models.PositiveIntegerField(_("link version"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent request e-mail")
        verbose_name_plural = _("consent request e-mails")
        constraints = [
            # One e-mail per request: a retried task or a second signal never writes another.
            models.UniqueConstraint(
                fields=["consent", "version"], name="consent_message_once_per_version"
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="consent_message_due")]

    def __str__(self) -> str:
        return f"{self.consent} (v{self.version}): {self.get_state_display()}"
