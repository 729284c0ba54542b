"""Arrivals and the notices they send: models of the visitors app, defined beside the code that
writes them and imported by visitors.models so that Django finds them there."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import OutboxMessage


class Arrival(models.Model):
    """One check-in of one attendee: when, by whom, with how many of their guests; and, if it was
    taken back (the wrong name tapped), when and by whom. Kept when undone, so the day's record
    reads "checked in 10:42 by Ann; undone 10:44 by Ben"."""

    attendance = models.ForeignKey(
        "visitors.Attendance",
        verbose_name=_("attendance"),
        on_delete=models.CASCADE,
        related_name="arrivals",
    )
    at = models.DateTimeField(_("arrived at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    guests = models.PositiveSmallIntegerField(_("guests arrived"), default=0)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("arrival")
        verbose_name_plural = _("arrivals")
        constraints = [
            # One standing arrival per attendee: a second tap finds the first.
            models.UniqueConstraint(
                fields=["attendance"],
                condition=Q(undone_at__isnull=True),
                name="arrival_one_standing",
            ),
        ]

    def __str__(self) -> str:
        return _("%(attendance)s, arrived %(at)s") % {
            "attendance": self.attendance,
            "at": f"{self.at:%Y-%m-%d %H:%M}",
        }

    @property
    def headcount(self) -> int:
        return 1 + self.guests


class ArrivalNotice(OutboxMessage):
    """The outbox row of one e-mail telling one host that someone has arrived.

    Hosts hear of an attendee's arrival once: the partial unique key (attendance, address) holds
    for every notice not superseded, so a retried task or a new check-in after an undo finds
    the notice already there. An arrival undone before its notice went supersedes it (the wrong
    tap was no news), and the next real arrival sends one.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Retrying")
        FAILED = "failed", _("Failed")
        SUPERSEDED = "superseded", _("Superseded")

    arrival = models.ForeignKey(
        Arrival, verbose_name=_("arrival"), on_delete=models.CASCADE, related_name="notices"
    )
    attendance = models.ForeignKey(
        "visitors.Attendance",
        verbose_name=_("attendance"),
        on_delete=models.CASCADE,
        related_name="arrival_notices",
    )
    recipient = models.ForeignKey(
        "visitors.Person",
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="arrival_notices",
    )
    email = models.EmailField(_("e-mail"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("arrival notice")
        verbose_name_plural = _("arrival notices")
        constraints = [
            models.UniqueConstraint(
                "attendance",
                models.functions.Lower("email"),
                condition=~Q(state="superseded"),
                name="arrival_notice_once_per_host",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="arrival_notice_due")]

    def __str__(self) -> str:
        return _("Arrival of %(attendance)s, to %(email)s") % {
            "attendance": self.attendance,
            "email": self.email,
        }
