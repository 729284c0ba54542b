"""Events and their run-of-show: programme items and the people who take part in them."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..timezones import validate_iana_zone
from .places import Facility, Site
from .rules import check_embargo, check_window, new_event_uid

# Room for a sentence or two to attendees ("Typhoon signal No. 8 is in force; a new date will
# follow."); the history keeps only its first 100 characters as the change's reason.
CANCEL_REASON_MAX_LENGTH = 500
# What a final event refuses, unless the caller names what is closed ("its list is closed").
CLOSED = _("it can no longer be changed")


class EventQuerySet(models.QuerySet):
    def between(self, start: dt.datetime, end: dt.datetime) -> "EventQuerySet":
        """Events overlapping the half-open window [start, end)."""
        return self.filter(start__lt=end, end__gt=start)

    def active(self) -> "EventQuerySet":
        return self.exclude(status__in=[Event.Status.CANCELLED])

    def at_site(self, site_id: int) -> "EventQuerySet":
        return self.filter(site_id=site_id)

    def locked(self, event_id: int) -> "Event":
        """The event, locked until the transaction ends, so that changes to it and to its parts
        apply one at a time (and its SEQUENCE rises once per change); refused when missing."""
        try:
            return self.select_for_update().get(pk=event_id)
        except Event.DoesNotExist:
            raise ValidationError({"event": _("No such event.")}, code="not_found") from None

    def visible_to(self, audience) -> "EventQuerySet":
        """Events this audience may see (scheduling.visibility has the rule)."""
        from ..visibility import event_filter

        return self.filter(event_filter(audience))


class Event(models.Model):
    class Kind(models.TextChoices):
        CEREMONY = "ceremony", _("Ceremony")
        FIRESIDE_CHAT = "fireside_chat", _("Fireside chat")
        MINISTERIAL_VISIT = "ministerial_visit", _("Ministerial visit")
        SITE_INSPECTION = "site_inspection", _("Site inspection")
        FORUM = "forum", _("Forum")
        KEYNOTE = "keynote", _("Keynote")
        PANEL = "panel", _("Panel")
        PRESS_CONFERENCE = "press_conference", _("Press conference")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        TENTATIVE = "tentative", _("Tentative")
        CONFIRMED = "confirmed", _("Confirmed")
        POSTPONED = "postponed", _("Postponed")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        PARTNERS = "partners", _("Partners")
        INTERNAL = "internal", _("Internal")
        RESTRICTED = "restricted", _("Restricted")

    # Which status may follow which. Cancelled and completed are final: a cancelled event's
    # CANCEL has gone out to attendees, so it comes back only as a new event.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DRAFT: frozenset({Status.TENTATIVE, Status.CONFIRMED, Status.CANCELLED}),
        Status.TENTATIVE: frozenset(
            {Status.DRAFT, Status.CONFIRMED, Status.POSTPONED, Status.CANCELLED}
        ),
        Status.CONFIRMED: frozenset(
            {Status.TENTATIVE, Status.POSTPONED, Status.CANCELLED, Status.COMPLETED}
        ),
        Status.POSTPONED: frozenset({Status.TENTATIVE, Status.CONFIRMED, Status.CANCELLED}),
        Status.CANCELLED: frozenset(),
        Status.COMPLETED: frozenset(),
    }

    uid = models.CharField(
        _("calendar UID"), max_length=255, unique=True, default=new_event_uid, editable=False
    )
    sequence = models.PositiveIntegerField(
        _("sequence"),
        default=0,
        editable=False,
        help_text=_(
            "The invites' iCalendar SEQUENCE: rises once for each update attendees are sent "
            "(changes that wait to go out together share one)."
        ),
    )
    revision = models.PositiveIntegerField(
        _("revision"),
        default=0,
        editable=False,
        help_text=_(
            "Rises on every change to what the event shows: the SEQUENCE of its feed entries "
            "and .ics answers, and the version partners sync."
        ),
    )
    reference = models.CharField(
        _("reference"),
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Optional office reference, e.g. PD-2026-014."),
    )
    title = models.CharField(_("title"), max_length=300)
    title_zh = models.CharField(_("Chinese title"), max_length=300, blank=True)
    bilingual = models.BooleanField(
        _("bilingual"),
        default=False,
        help_text=_(
            "Invites, updates, cancellations and reminders carry both English and Chinese, "
            "each attendee's preferred language first."
        ),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=12,
        choices=Visibility.choices,
        default=Visibility.INTERNAL,
        help_text=_(
            "Restricted: staff, the host organisation and the organisations hosting its "
            "programme items (stops) only, e.g. an unannounced visit."
        ),
    )
    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="events"
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        validators=[validate_iana_zone],
        default="Asia/Hong_Kong",
        help_text=_("IANA zone the event is planned and shown in; defaults to the site's."),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    host_organisation = models.ForeignKey(
        "visitors.Organisation",
        verbose_name=_("host organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_events",
    )
    proposed_by = models.ForeignKey(
        "visitors.Organisation",
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_events",
        help_text=_(
            "The partner organisation whose API key created it: its invites wait for "
            "staff approval."
        ),
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organised_events",
        help_text=_("The protocol officer in charge."),
    )
    description = models.TextField(_("description"), blank=True, help_text=_("Public description."))
    internal_notes = models.TextField(
        _("internal notes"), blank=True, help_text=_("Staff only; never sent or published.")
    )
    release_at = models.DateTimeField(
        _("release at"),
        null=True,
        blank=True,
        help_text=_(
            "An embargo on a restricted event: at this time it takes the visibility at release "
            "and partners' feeds, sync and webhooks show it. Blank: no embargo."
        ),
    )
    release_visibility = models.CharField(
        _("visibility at release"),
        max_length=12,
        choices=[
            (Visibility.PUBLIC.value, Visibility.PUBLIC.label),
            (Visibility.PARTNERS.value, Visibility.PARTNERS.label),
        ],
        blank=True,
        help_text=_("What the event becomes when its embargo ends: public or partners."),
    )
    cancel_reason = models.CharField(
        _("reason for the cancellation"),
        max_length=CANCEL_REASON_MAX_LENGTH,
        blank=True,
        editable=False,
        help_text=_("As given when it was cancelled: the cancellation sent to attendees says it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["site", "start"]),
            models.Index(fields=["start", "end"]),
            models.Index(fields=["status", "start"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="event_end_after_start"),
            # An embargo is a release time and what the event becomes then, on a restricted
            # event only (clean() says so in words).
            models.CheckConstraint(
                condition=Q(release_at__isnull=True, release_visibility="")
                | Q(
                    release_at__isnull=False,
                    visibility="restricted",
                    release_visibility__in=["public", "partners"],
                ),
                name="event_embargo_restricted",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        check_window(self)
        check_embargo(self)

    @property
    def under_embargo(self) -> bool:
        """A restricted event waiting for its release (scheduling.services.embargo)."""
        return self.release_at is not None

    def can_become(self, status: str) -> bool:
        return status == self.status or status in self.TRANSITIONS[self.status]

    @property
    def is_final(self) -> bool:
        """Cancelled and completed events are final: they, their programme, bookings and
        attendee list are a record of what was planned or happened, and change no more."""
        return not self.TRANSITIONS[self.status]

    def refuse_if_final(self, *, closed: str = CLOSED) -> None:
        """Refuse a change to a final event, saying what is closed ("its list is closed")."""
        if self.is_final:
            raise ValidationError(
                {
                    "event": _("The event is %(status)s; %(closed)s.")
                    % {"status": self.get_status_display().lower(), "closed": closed}
                },
                code="final",
            )

    @property
    def has_ended(self) -> bool:
        """Whether its end has passed: only then can it be marked completed."""
        return self.end <= dt.datetime.now(dt.UTC)

    @property
    def zone(self):
        import zoneinfo

        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(self.zone)

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(self.zone)


class ProgrammeItem(models.Model):
    """One line of an event's run-of-show."""

    class Kind(models.TextChoices):
        ARRIVAL = "arrival", _("Arrival")
        REMARKS = "remarks", _("Remarks")
        KEYNOTE = "keynote", _("Keynote")
        FIRESIDE_CHAT = "fireside_chat", _("Fireside chat")
        PANEL = "panel", _("Panel")
        TOUR_STOP = "tour_stop", _("Tour stop")
        TRANSFER = "transfer", _("Transfer")
        PHOTO_CALL = "photo_call", _("Photo call")
        BREAK = "break", _("Break")
        CEREMONY = "ceremony", _("Ceremonial act")
        DEPARTURE = "departure", _("Departure")
        OTHER = "other", _("Other")

    # The kinds of stop a visit is made of (the planner's), in the programme's own words.
    STOP_KINDS = (
        Kind.ARRIVAL,
        Kind.REMARKS,
        Kind.TOUR_STOP,
        Kind.TRANSFER,
        Kind.PHOTO_CALL,
        Kind.DEPARTURE,
    )

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Internal")

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="programme"
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Tie-breaker for items that start together.")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    title = models.CharField(_("title"), max_length=300)
    title_zh = models.CharField(_("Chinese title"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    facility = models.ForeignKey(
        Facility,
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programme_items",
    )
    host_organisation = models.ForeignKey(
        "visitors.Organisation",
        verbose_name=_("host organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_programme_items",
        help_text=_(
            "The tenant hosting a tour stop: it sees the event (restricted ones too) and "
            "this item, even when internal."
        ),
    )
    description = models.TextField(_("description"), blank=True)
    cue_notes = models.TextField(
        _("cue notes"), blank=True, help_text=_("Staff cues: never shown to attendees.")
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    people = models.ManyToManyField(
        "visitors.Person",
        verbose_name=_("people"),
        through="ProgrammeRole",
        related_name="programme_items",
        blank=True,
    )
    # The day itself (scheduling.live): what happened, against the plan above.
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    skipped = models.BooleanField(_("skipped"), default=False, help_text=_("Left out on the day."))
    extra_minutes = models.PositiveSmallIntegerField(
        _("extended by (minutes)"),
        default=0,
        help_text=_("Minutes added on the day to the time the item was planned to take."),
    )
    expected_start = models.DateTimeField(
        _("expected start"),
        null=True,
        blank=True,
        help_text=_("On the day: when it is now expected to start (empty: as planned)."),
    )
    expected_end = models.DateTimeField(_("expected end"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["event", "start", "position", "id"]
        verbose_name = _("programme item")
        verbose_name_plural = _("programme items")
        indexes = [
            models.Index(fields=["event", "start"]),
            models.Index(fields=["facility", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="programme_item_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def expected_or_planned_start(self) -> dt.datetime | None:
        """When it is expected to start: as planned until the day moves it; None if skipped."""
        return None if self.skipped else self.expected_start or self.start

    @property
    def expected_or_planned_end(self) -> dt.datetime | None:
        return None if self.skipped else self.expected_end or self.end

    def clean(self) -> None:
        check_window(self)
        event = self.event if self.event_id else None
        comparable = event and self.start and self.end and event.start and event.end
        if comparable and (self.start < event.start or self.end > event.end):
            raise ValidationError(
                {"start": _("A programme item must fall inside its event's time.")},
                code="outside_event",
            )


class ProgrammeRole(models.Model):
    """A person's part in a programme item."""

    class Part(models.TextChoices):
        SPEAKER = "speaker", _("Speaker")
        MODERATOR = "moderator", _("Moderator")
        PANELLIST = "panellist", _("Panellist")
        HOST = "host", _("Host at the stop")
        OFFICIATING = "officiating", _("Officiating")
        PARTICIPANT = "participant", _("Participant")

    item = models.ForeignKey(
        ProgrammeItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="roles"
    )
    person = models.ForeignKey(
        "visitors.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="programme_roles",
    )
    part = models.CharField(_("part"), max_length=12, choices=Part.choices, default=Part.SPEAKER)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["item", "position", "id"]
        verbose_name = _("programme role")
        verbose_name_plural = _("programme roles")
        constraints = [
            models.UniqueConstraint(fields=["item", "person"], name="programme_role_once_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_part_display()})"
