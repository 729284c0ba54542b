"""Sites, their facilities, closures and the travel times between buildings."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..timezones import validate_iana_zone
from .rules import MAX_BUFFER_MINUTES, check_window


class Site(models.Model):
    """A campus: InnoPark Tai Po, Hong Kong Science Park..."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    address = models.TextField(_("address"))
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Asia/Hong_Kong",
        validators=[validate_iana_zone],
        help_text=_("IANA time zone name, e.g. Asia/Hong_Kong."),
    )
    internal_travel_minutes = models.PositiveSmallIntegerField(
        _("internal travel minutes"),
        default=5,
        validators=[MaxValueValidator(240)],
        help_text=_("Default time to move between two facilities of this site."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name


class TravelTime(models.Model):
    """Minutes needed to move a party from one site to another (one row per direction)."""

    from_site = models.ForeignKey(
        Site, verbose_name=_("from site"), on_delete=models.CASCADE, related_name="travel_from"
    )
    to_site = models.ForeignKey(
        Site, verbose_name=_("to site"), on_delete=models.CASCADE, related_name="travel_to"
    )
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MaxValueValidator(24 * 60)]
    )

    class Meta:
        verbose_name = _("travel time")
        verbose_name_plural = _("travel times")
        constraints = [
            models.UniqueConstraint(
                fields=["from_site", "to_site"], name="travel_time_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(from_site=F("to_site")), name="travel_time_distinct_sites"
            ),
        ]

    def __str__(self) -> str:
        return _("%(from)s → %(to)s: %(minutes)s min") % {
            "from": self.from_site,
            "to": self.to_site,
            "minutes": self.minutes,
        }


class Facility(models.Model):
    class Kind(models.TextChoices):
        HALL = "hall", _("Hall / auditorium")
        MEETING_ROOM = "meeting_room", _("Meeting room")
        PRODUCTION_LINE = "production_line", _("Production line")
        LAB = "lab", _("Laboratory")
        OUTDOOR = "outdoor", _("Outdoor area")
        TENANT_PREMISES = "tenant_premises", _("Tenant premises")
        OTHER = "other", _("Other")

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="facilities"
    )
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.MEETING_ROOM
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), help_text=_("Seated or standing people it holds safely.")
    )
    setup_minutes = models.PositiveSmallIntegerField(
        _("set-up minutes"),
        default=30,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)],
        help_text=_("Default set-up time before a booking."),
    )
    teardown_minutes = models.PositiveSmallIntegerField(
        _("teardown minutes"),
        default=15,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)],
        help_text=_("Default teardown time after a booking."),
    )
    is_bookable = models.BooleanField(_("bookable"), default=True)
    bookable_from = models.TimeField(
        _("bookable from"),
        null=True,
        blank=True,
        help_text=_("Earliest occupied time, in the site's time zone."),
    )
    bookable_until = models.TimeField(
        _("bookable until"),
        null=True,
        blank=True,
        help_text=_("Latest occupied time, in the site's time zone."),
    )
    description = models.TextField(_("description"), blank=True)
    # What a host's consent page tells the party's tenant host to expect (and the office to
    # brief): the three questions every tenant asks, then anything else in each language.
    ppe_required = models.BooleanField(
        _("protective equipment required"),
        default=False,
        help_text=_("Visitors wear protective equipment (safety shoes, glasses, helmets)."),
    )
    cleanroom = models.BooleanField(
        _("cleanroom"),
        default=False,
        help_text=_("Visitors gown up and follow the cleanroom's entry procedure."),
    )
    photography_allowed = models.BooleanField(
        _("photography allowed"),
        default=True,
        help_text=_("Visitors and the media may take photographs here."),
    )
    visitor_rules = models.TextField(
        _("other rules for visitors"),
        blank=True,
        help_text=_("Anything else a visiting party must know, e.g. no jewellery past the line."),
    )
    visitor_rules_zh = models.TextField(_("other rules for visitors (Chinese)"), blank=True)

    class Meta:
        ordering = ["site__name", "name"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
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
                violation_error_message=_("Give both bookable hours, the end after the start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.site.name}"

    def rules_shown(self, language: str | None = None) -> list[str]:
        """The rules a visiting party follows here, as lines in the active language; the notes
        in the given language (the active one by default) where written, else in English."""
        language = language or get_language() or "en"
        lines = [_("Protective equipment is required.")] if self.ppe_required else []
        if self.cleanroom:
            lines.append(_("Cleanroom: gowning and the entry procedure are required."))
        if not self.photography_allowed:
            lines.append(_("No photography."))
        note = (self.visitor_rules_zh if language.startswith("zh") else "") or self.visitor_rules
        if note:
            lines.append(note)
        return lines

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
        Site,
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="closures",
    )
    facility = models.ForeignKey(
        Facility,
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="closures",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(
        _("reason"), max_length=20, choices=Reason.choices, default=Reason.MAINTENANCE
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["start"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
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
                violation_error_message=_("A closure applies to either a site or a facility."),
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
