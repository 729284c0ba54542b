"""Sites, facilities, events, their run-of-show and facility bookings.

Models hold data and the rules one row can check alone. Rules that span rows (clashes,
transitions with side effects) live in ``scheduling.services``.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .constraints import PostgresExclusionConstraint, TsTzRange
from .timezones import require_aware, validate_iana_zone

MAX_BUFFER_MINUTES = 24 * 60
# The longest a single booking may occupy a facility, buffers included. The bound makes every
# overlap query a short index range scan: a booking that ends after T started after T − cap.
MAX_OCCUPANCY = dt.timedelta(days=14)


def new_event_uid() -> str:
    """A UID that stays with the event for life and is unique across deployments (RFC 5545)."""
    return f"{uuid.uuid4()}@protocol-desk"


def check_window(instance: models.Model, start_field: str = "start", end_field: str = "end"):
    """Shared single-row rule: both ends aware, end strictly after start."""
    start, end = getattr(instance, start_field), getattr(instance, end_field)
    require_aware(start_field, start)
    require_aware(end_field, end)
    if start and end and end <= start:
        raise ValidationError(
            {end_field: _("The end must be after the start.")}, code="end_before_start"
        )


class Site(models.Model):
    """A campus: InnoPark Tai Po, Hong Kong Science Park..."""

    name = models.CharField(max_length=200, unique=True)
    name_zh = models.CharField("Chinese name", max_length=200, blank=True)
    slug = models.SlugField(max_length=80, unique=True)
    address = models.TextField()
    timezone = models.CharField(
        max_length=64,
        default="Asia/Hong_Kong",
        validators=[validate_iana_zone],
        help_text="IANA time zone name, e.g. Asia/Hong_Kong.",
    )
    internal_travel_minutes = models.PositiveSmallIntegerField(
        default=5,
        validators=[MaxValueValidator(240)],
        help_text="Default time to move between two facilities of this site.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TravelTime(models.Model):
    """Minutes needed to move a party from one site to another (one row per direction)."""

    from_site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="travel_from")
    to_site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="travel_to")
    minutes = models.PositiveSmallIntegerField(validators=[MaxValueValidator(24 * 60)])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_site", "to_site"], name="travel_time_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(from_site=F("to_site")), name="travel_time_distinct_sites"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_site} → {self.to_site}: {self.minutes} min"


class Facility(models.Model):
    class Kind(models.TextChoices):
        HALL = "hall", _("Hall / auditorium")
        MEETING_ROOM = "meeting_room", _("Meeting room")
        PRODUCTION_LINE = "production_line", _("Production line")
        LAB = "lab", _("Laboratory")
        OUTDOOR = "outdoor", _("Outdoor area")
        TENANT_PREMISES = "tenant_premises", _("Tenant premises")
        OTHER = "other", _("Other")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="facilities")
    name = models.CharField(max_length=200)
    name_zh = models.CharField("Chinese name", max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MEETING_ROOM)
    capacity = models.PositiveIntegerField(help_text="Seated or standing people it holds safely.")
    setup_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)],
        help_text="Default set-up time before a booking.",
    )
    teardown_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)],
        help_text="Default teardown time after a booking.",
    )
    is_bookable = models.BooleanField(default=True)
    bookable_from = models.TimeField(
        null=True, blank=True, help_text="Earliest occupied time, in the site's time zone."
    )
    bookable_until = models.TimeField(
        null=True, blank=True, help_text="Latest occupied time, in the site's time zone."
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["site__name", "name"]
        verbose_name_plural = "facilities"
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="facility_unique_name_per_site"),
            models.CheckConstraint(
                condition=(
                    Q(bookable_from__isnull=True, bookable_until__isnull=True)
                    | Q(
                        bookable_from__isnull=False,
                        bookable_until__isnull=False,
                        bookable_until__gt=F("bookable_from"),
                    )
                ),
                name="facility_bookable_hours_valid",
                violation_error_message="Give both bookable hours, the end after the start.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.site.name}"

    def clean(self) -> None:
        if (self.bookable_from is None) != (self.bookable_until is None):
            raise ValidationError(
                {"bookable_until": _("Give both bookable hours, or neither.")}, code="hours"
            )
        if self.bookable_from and self.bookable_until and self.bookable_until <= self.bookable_from:
            raise ValidationError(
                {"bookable_until": _("Bookable hours must end after they start.")}, code="hours"
            )


class Closure(models.Model):
    """A facility or a whole site unavailable for an interval."""

    class Reason(models.TextChoices):
        MAINTENANCE = "maintenance", _("Maintenance")
        PUBLIC_HOLIDAY = "public_holiday", _("Public holiday")
        RESERVED = "reserved", _("Reserved by park management")
        OTHER = "other", _("Other")

    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="closures"
    )
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.CASCADE, related_name="closures"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.MAINTENANCE)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["facility", "start"]),
            models.Index(fields=["site", "start"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="closure_end_after_start"),
            models.CheckConstraint(
                condition=(
                    Q(site__isnull=False, facility__isnull=True)
                    | Q(site__isnull=True, facility__isnull=False)
                ),
                name="closure_site_xor_facility",
                violation_error_message="A closure applies to either a site or a facility.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.facility or self.site}"

    def clean(self) -> None:
        check_window(self)
        if bool(self.site_id) == bool(self.facility_id):
            raise ValidationError(
                {"facility": _("Choose either a whole site or one facility.")}, code="scope"
            )


class EventQuerySet(models.QuerySet):
    def between(self, start: dt.datetime, end: dt.datetime) -> "EventQuerySet":
        """Events overlapping the half-open window [start, end)."""
        return self.filter(start__lt=end, end__gt=start)

    def active(self) -> "EventQuerySet":
        return self.exclude(status__in=[Event.Status.CANCELLED])

    def at_site(self, site_id: int) -> "EventQuerySet":
        return self.filter(site_id=site_id)

    def visible_to(self, audience) -> "EventQuerySet":
        """Events this audience may see (scheduling.visibility has the rule)."""
        from .visibility import event_filter

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
        "calendar UID", max_length=255, unique=True, default=new_event_uid, editable=False
    )
    sequence = models.PositiveIntegerField(
        default=0, editable=False, help_text="iCalendar SEQUENCE: rises on every material change."
    )
    reference = models.CharField(
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        help_text="Optional office reference, e.g. PD-2026-014.",
    )
    title = models.CharField(max_length=300)
    title_zh = models.CharField("Chinese title", max_length=300, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    visibility = models.CharField(
        max_length=12,
        choices=Visibility.choices,
        default=Visibility.INTERNAL,
        help_text="Restricted: staff and the host organisation only (e.g. an unannounced visit).",
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="events")
    timezone = models.CharField(
        max_length=64,
        validators=[validate_iana_zone],
        default="Asia/Hong_Kong",
        help_text="IANA zone the event is planned and shown in; defaults to the site's.",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    host_organisation = models.ForeignKey(
        "visitors.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_events",
    )
    proposed_by = models.ForeignKey(
        "visitors.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_events",
        help_text="The partner organisation whose API key created it: its invites wait for "
        "staff approval.",
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organised_events",
        help_text="The protocol officer in charge.",
    )
    description = models.TextField(blank=True, help_text="Public description.")
    internal_notes = models.TextField(blank=True, help_text="Staff only; never sent or published.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["site", "start"]),
            models.Index(fields=["start", "end"]),
            models.Index(fields=["status", "start"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="event_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        check_window(self)

    def can_become(self, status: str) -> bool:
        return status == self.status or status in self.TRANSITIONS[self.status]

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
        REMARKS = "remarks", _("Remarks")
        KEYNOTE = "keynote", _("Keynote")
        FIRESIDE_CHAT = "fireside_chat", _("Fireside chat")
        PANEL = "panel", _("Panel")
        TOUR_STOP = "tour_stop", _("Tour stop")
        TRANSFER = "transfer", _("Transfer")
        PHOTO_CALL = "photo_call", _("Photo call")
        BREAK = "break", _("Break")
        CEREMONY = "ceremony", _("Ceremonial act")
        OTHER = "other", _("Other")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Internal")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="programme")
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Tie-breaker for items that start together."
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    title = models.CharField(max_length=300)
    title_zh = models.CharField("Chinese title", max_length=300, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="programme_items"
    )
    host_organisation = models.ForeignKey(
        "visitors.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_programme_items",
        help_text="The tenant hosting a tour stop.",
    )
    description = models.TextField(blank=True)
    cue_notes = models.TextField(blank=True, help_text="Staff cues: never shown to attendees.")
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    people = models.ManyToManyField(
        "visitors.Person", through="ProgrammeRole", related_name="programme_items", blank=True
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["event", "start", "position", "id"]
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

    item = models.ForeignKey(ProgrammeItem, on_delete=models.CASCADE, related_name="roles")
    person = models.ForeignKey(
        "visitors.Person", on_delete=models.PROTECT, related_name="programme_roles"
    )
    part = models.CharField(max_length=12, choices=Part.choices, default=Part.SPEAKER)
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["item", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "person"], name="programme_role_once_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_part_display()})"


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

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="bookings")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="bookings")
    programme_item = models.ForeignKey(
        ProgrammeItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    setup_minutes = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)]
    )
    teardown_minutes = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)]
    )
    # The half-open interval the facility is blocked for: [start - setup, end + teardown).
    # Stored so that both databases can index it and PostgreSQL can constrain it.
    occupied_start = models.DateTimeField(editable=False)
    occupied_end = models.DateTimeField(editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    backup_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backups",
        help_text="This booking is the fallback (rain plan) for another.",
    )
    backup_deadline = models.DateTimeField(
        null=True, blank=True, help_text="A backup is released automatically at this time."
    )
    capacity_override_reason = models.CharField(max_length=300, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
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
                violation_error_message="A held booking needs an expiry time.",
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
                violation_error_message="The facility is already booked at that time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility} for {self.event}"

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
