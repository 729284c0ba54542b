"""Facility bookings: an event's hold on a facility, set-up and teardown included."""

import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..constraints import PostgresExclusionConstraint, TsTzRange
from .events import Event, ProgrammeItem
from .places import Facility
from .rules import MAX_BUFFER_MINUTES, MAX_OCCUPANCY, check_window


class BookingQuerySet(models.QuerySet):
    def active(self) -> "BookingQuerySet":
        """Bookings that occupy their facility: held or confirmed."""
        return self.filter(status__in=Booking.ACTIVE_STATUSES)

    def occupying(self, start: dt.datetime, end: dt.datetime) -> "BookingQuerySet":
        """Active bookings whose occupied interval (buffers included) overlaps [start, end)."""
        return self.active().filter(
            occupied_start__lt=end,
            # Exact, not a heuristic: no booking occupies longer than MAX_OCCUPANCY.
            occupied_start__gt=start - MAX_OCCUPANCY,
            occupied_end__gt=start,
        )


class Booking(models.Model):
    """A facility reserved for an event, with set-up and teardown buffers around it."""

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        CONFIRMED = "confirmed", _("Confirmed")
        RELEASED = "released", _("Released")

    ACTIVE_STATUSES = (Status.HELD, Status.CONFIRMED)

    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="bookings"
    )
    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="bookings"
    )
    programme_item = models.ForeignKey(
        ProgrammeItem,
        verbose_name=_("programme item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    setup_minutes = models.PositiveSmallIntegerField(
        _("set-up minutes"), validators=[MaxValueValidator(MAX_BUFFER_MINUTES)]
    )
    teardown_minutes = models.PositiveSmallIntegerField(
        _("teardown minutes"), validators=[MaxValueValidator(MAX_BUFFER_MINUTES)]
    )
    # The half-open interval the facility is blocked for: [start - setup, end + teardown).
    # Stored so that both databases can index it and PostgreSQL can constrain it.
    occupied_start = models.DateTimeField(_("occupied start"), editable=False)
    occupied_end = models.DateTimeField(_("occupied end"), editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.HELD
    )
    hold_expires_at = models.DateTimeField(_("hold expires at"), null=True, blank=True)
    backup_of = models.ForeignKey(
        "self",
        verbose_name=_("backup of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backups",
        help_text=_("This booking is the fallback (rain plan) for another."),
    )
    backup_deadline = models.DateTimeField(
        _("backup deadline"),
        null=True,
        blank=True,
        help_text=_("A backup is released automatically at this time."),
    )
    capacity_override_reason = models.CharField(
        _("capacity override reason"), max_length=300, blank=True
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [
            # Not partial: SQLite only uses a partial index when the query repeats its
            # condition with literals, and Django binds the status values as parameters.
            models.Index(
                fields=["facility", "occupied_start", "occupied_end"], name="booking_occupancy"
            ),
            models.Index(fields=["event"]),
            models.Index(
                fields=["hold_expires_at"], condition=Q(status="held"), name="booking_hold_expiry"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_end_after_start"),
            models.CheckConstraint(
                condition=Q(occupied_start__lte=F("start"), occupied_end__gte=F("end")),
                name="booking_occupancy_covers_booking",
            ),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(hold_expires_at__isnull=False),
                name="booking_hold_has_expiry",
                violation_error_message=_("A held booking needs an expiry time."),
            ),
            # The guarantee against double booking on PostgreSQL: two active bookings of one
            # facility can never overlap, whatever the concurrency. SQLite serialises writers
            # instead (see scheduling.services.bookings).
            PostgresExclusionConstraint(
                name="booking_no_overlap",
                expressions=[
                    ("facility", RangeOperators.EQUAL),
                    (
                        TsTzRange("occupied_start", "occupied_end", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(status__in=["held", "confirmed"]),
                violation_error_code="booking_clash",
                violation_error_message=_("The facility is already booked at that time."),
            ),
        ]

    def __str__(self) -> str:
        return _("%(facility)s for %(event)s") % {"facility": self.facility, "event": self.event}

    def save(self, *args, **kwargs):
        # Derived columns, not a business rule: keep the stored occupied interval in step with
        # start/end and the buffers whichever code path saves the row.
        self.refresh_occupancy()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "occupied_start", "occupied_end"}
        super().save(*args, **kwargs)

    def refresh_occupancy(self) -> None:
        if self.start is not None and self.setup_minutes is not None:
            self.occupied_start = self.start - dt.timedelta(minutes=self.setup_minutes)
        if self.end is not None and self.teardown_minutes is not None:
            self.occupied_end = self.end + dt.timedelta(minutes=self.teardown_minutes)

    def clean(self) -> None:
        check_window(self)
        self.refresh_occupancy()
        if (
            self.occupied_start
            and self.occupied_end
            and self.occupied_end - self.occupied_start > MAX_OCCUPANCY
        ):
            raise ValidationError(
                {
                    "end": _(
                        "A booking may occupy a facility for 14 days at most, buffers included."
                    )
                },
                code="too_long",
            )
        if self.status == self.Status.HELD and self.hold_expires_at is None:
            self.hold_expires_at = timezone.now() + dt.timedelta(hours=settings.BOOKING_HOLD_HOURS)
        if self.backup_of_id and self.backup_of_id == self.pk:
            raise ValidationError({"backup_of": _("A booking cannot back itself up.")})

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES
