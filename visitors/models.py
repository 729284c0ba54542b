"""Organisations, people, their attendance at events and the messages sent to them (Delivery, the
invite outbox).

An import's preview (ImportBatch) is defined beside the import it serves, in
visitors.imports.models, and imported here so that Django finds it with the app's models; so
are the calendar replies received (visitors.inbound), arrivals (visitors.arrivals.models) and
delegations with their cars and passes (visitors.delegations.models).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import OutboxMessage

from . import names
from .arrivals.codes import new_checkin_code
from .arrivals.models import Arrival, ArrivalNotice  # noqa: F401 (registers the models)
from .delegations.models import Delegation, Pass, Vehicle  # noqa: F401 (registers the models)
from .imports.models import ImportBatch  # noqa: F401 (registers the model with this app)
from .inbound import InboundReply  # noqa: F401 (registers the model with this app)
from .queries import AttendanceQuerySet, PersonQuerySet


class Organisation(models.Model):
    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government bureau or department")
        TENANT = "tenant", _("Tenant company")
        PARTNER = "partner", _("Partner")
        MEDIA = "media", _("Media")
        ACADEMIC = "academic", _("Academic")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=300, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=300, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """Someone who attends or takes part: an official, an executive, a journalist, staff."""

    honorific = models.CharField(
        _("honorific"), max_length=40, blank=True, help_text=_("Mr, Ms, Dr, Prof, The Hon…")
    )
    name = models.CharField(
        _("name (English)"), max_length=200, blank=True, help_text=_("As printed, e.g. Alfred Sit.")
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    post = models.CharField(
        _("post / title"),
        max_length=300,
        blank=True,
        help_text=_("e.g. Secretary for Innovation and Technology"),
    )
    post_nominals = models.CharField(
        _("post nominals"),
        max_length=60,
        blank=True,
        help_text=_("Honours and letters after the name, e.g. BBS, JP."),
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    precedence_rank = models.PositiveIntegerField(
        _("precedence rank"),
        null=True,
        blank=True,
        help_text=_(
            "Order of precedence: 1 is the most senior. Blank ranks after everyone ranked."
        ),
    )
    dietary = models.CharField(_("dietary"), max_length=200, blank=True)
    accessibility = models.CharField(_("accessibility"), max_length=200, blank=True)
    languages = models.CharField(
        _("languages spoken"),
        max_length=100,
        blank=True,
        help_text=_("For interpreters, e.g. Cantonese, English."),
    )
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_(
            "Invites, updates, cancellations, reminders and the RSVP page come in this language."
        ),
    )
    interpreter_needed = models.BooleanField(_("interpreter needed"), default=False)
    notes = models.TextField(_("notes"), blank=True, help_text=_("Staff only."))
    proposed_by = models.ForeignKey(
        Organisation,
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposed_people",
        help_text=_(
            "A partner's nomination, exactly as its API key supplied it. It is not matched to "
            "people on file by itself: staff merge it into the person it turns out to be, or "
            "clear this field to keep it on file as a new person."
        ),
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = [models.F("precedence_rank").asc(nulls_last=True), "name", "name_zh"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=~Q(name="", name_zh=""),
                name="person_has_a_name",
                violation_error_message=_("Give an English or a Chinese name."),
            ),
            # People on file have one address each; a partner's nominations are its own
            # namespace, so nominating an address says nothing about who else has it.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email="") & Q(proposed_by__isnull=True),
                name="person_unique_email",
                violation_error_message=_("Another person already has this e-mail address."),
            ),
            models.UniqueConstraint(
                Lower("email"),
                models.F("proposed_by"),
                condition=~Q(email="") & Q(proposed_by__isnull=False),
                name="person_unique_proposed_email",
                violation_error_message=_("This partner already nominated this e-mail address."),
            ),
        ]
        indexes = [models.Index(fields=["precedence_rank"])]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        self.name = self.name.strip()
        self.name_zh = self.name_zh.strip()
        if not self.name and not self.name_zh:
            raise ValidationError({"name": _("Give an English or a Chinese name.")}, code="no_name")

    @property
    def english_name(self) -> str:
        """'Dr Sunny Chai, BBS, JP', or "" for a person known by a Chinese name alone."""
        if not self.name:
            return ""
        english = " ".join(part for part in (self.honorific, self.name) if part)
        if english and self.post_nominals:
            english = f"{english}, {self.post_nominals}"
        return english

    def customary_name(self) -> str:
        """The name as the active language writes it: 'Dr Sunny Chai, BBS, JP' or
        '陳細潤博士，銅紫荊星章，太平紳士' (visitors.names)."""
        return names.customary_name(self)

    @property
    def display_name(self) -> str:
        """'Dr Sunny Chai, BBS, JP (陳細潤)', as a protocol list prints it."""
        english = self.english_name
        if english and self.name_zh:
            return f"{english} ({self.name_zh})"
        return english or self.name_zh


# The last place an attendance can be given in its event's order: what a small integer column
# holds on every database (SQLite alone would take more, PostgreSQL would refuse it).
MAX_PLACE = 32767


class Attendance(models.Model):
    class Role(models.TextChoices):
        HOST = "host", _("Host")
        GUEST_OF_HONOUR = "guest_of_honour", _("Guest of honour")
        OFFICIATING_GUEST = "officiating_guest", _("Officiating guest")
        SPEAKER = "speaker", _("Speaker")
        PANELLIST = "panellist", _("Panellist")
        MODERATOR = "moderator", _("Moderator")
        GUEST = "guest", _("Guest")
        MEDIA = "media", _("Media")
        STAFF = "staff", _("Staff")
        ESCORT = "escort", _("Escort")

    class RSVP(models.TextChoices):
        NEEDS_ACTION = "needs_action", _("Needs action")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        TENTATIVE = "tentative", _("Tentative")
        DELEGATED = "delegated", _("Delegated")

    event = models.ForeignKey(
        "scheduling.Event",
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="attendances"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.GUEST)
    rsvp = models.CharField(
        _("RSVP"), max_length=12, choices=RSVP.choices, default=RSVP.NEEDS_ACTION
    )
    rsvp_at = models.DateTimeField(_("RSVP at"), null=True, blank=True)
    order_override = models.PositiveSmallIntegerField(
        _("place in order"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PLACE)],
        help_text=_(
            "Place in this event's order of precedence: 1 is first; blank follows the usual rules."
        ),
    )
    guests = models.PositiveSmallIntegerField(
        _("accompanying guests"), default=0, validators=[MaxValueValidator(50)]
    )
    call_time = models.DateTimeField(
        _("call time"),
        null=True,
        blank=True,
        help_text=_("When this person must arrive, if earlier than the event (staff, escorts)."),
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checkin_code = models.CharField(
        _("check-in code"), max_length=8, default=new_checkin_code, editable=False
    )
    walk_in_reason = models.CharField(
        _("walk-in reason"),
        max_length=300,
        blank=True,
        help_text=_("Why someone not on the list was let in at the door; blank if invited."),
    )
    notify_on_arrival = models.BooleanField(
        _("tell the hosts on arrival"),
        null=True,
        blank=True,
        help_text=_("Blank: yes for the guest of honour, no for anyone else."),
    )
    rsvp_token_version = models.PositiveIntegerField(
        _("RSVP token version"),
        default=1,
        editable=False,
        help_text=_("Part of every signed RSVP link; raising it revokes all earlier links."),
    )
    dietary = models.CharField(
        _("dietary"), max_length=200, blank=True, help_text=_("As given when answering.")
    )
    accessibility = models.CharField(
        _("accessibility"), max_length=200, blank=True, help_text=_("As given when answering.")
    )
    notes = models.TextField(_("notes"), blank=True, help_text=_("Staff only."))
    proposed_by = models.ForeignKey(
        Organisation,
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_attendances",
        help_text=_("The partner organisation whose API key put this person on the list."),
    )
    awaiting_approval = models.BooleanField(
        _("awaiting approval"),
        default=False,
        help_text=_(
            "Invites and updates to this attendee wait until a staff member approves them: "
            "a partner added them, created the event, or changed what the invite says."
        ),
    )
    invite_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invite approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invite_approved_at = models.DateTimeField(_("invite approved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = AttendanceQuerySet.as_manager()

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="attendance_once_per_event"),
            models.UniqueConstraint(
                fields=["event", "checkin_code"], name="attendance_checkin_code_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(order_override__isnull=True) | Q(order_override__gte=1),
                name="attendance_order_override_from_1",
                violation_error_message=_("A place in the order starts at 1."),
            ),
        ]

    def __str__(self) -> str:
        return _("%(person)s at %(event)s") % {"person": self.person, "event": self.event}

    def clean(self) -> None:
        from scheduling.timezones import require_aware

        require_aware("call_time", self.call_time)
        require_aware("checked_in_at", self.checked_in_at)
        if self.call_time and self.event_id and self.call_time > self.event.end:
            raise ValidationError(
                {"call_time": _("The call time must be before the event ends.")}, code="call_time"
            )

    @property
    def headcount(self) -> int:
        return 1 + self.guests

    @property
    def is_walk_in(self) -> bool:
        return bool(self.walk_in_reason)

    @property
    def notifies_hosts(self) -> bool:
        """Whether the hosts hear of this arrival: as staff set it, else for the guest of honour."""
        if self.notify_on_arrival is None:
            return self.role == self.Role.GUEST_OF_HONOUR
        return self.notify_on_arrival


class Delivery(OutboxMessage):
    """The outbox: one row per message to one attendee about one version of one event.

    The unique key (event, person, sequence, method) stands for "this attendance at this SEQUENCE"
    and survives the attendance itself, so that a CANCEL can still go to someone just removed
    from the list. A retry never creates a second row for the same change.
    """

    class Method(models.TextChoices):
        REQUEST = "REQUEST", _("REQUEST (invite or update)")
        CANCEL = "CANCEL", _("CANCEL")
        REMINDER = "REMINDER", _("Reminder")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Retrying")
        FAILED = "failed", _("Failed")
        SUPERSEDED = "superseded", _("Superseded")
        HELD = "held", _("Awaiting staff approval")

    event = models.ForeignKey(
        "scheduling.Event",
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="deliveries"
    )
    attendance = models.ForeignKey(
        Attendance,
        verbose_name=_("attendance"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    sequence = models.PositiveIntegerField(_("sequence"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    message_id = models.CharField(_("message ID"), max_length=255, blank=True)
    changes = models.JSONField(
        _("changes"),
        default=dict,
        blank=True,
        help_text=_(
            "What changed since the version before, its lines in each language of the site "
            "(the update says so in its reader's)."
        ),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    venue = models.CharField(
        _("venue"),
        max_length=700,
        blank=True,
        help_text=_("Where the message said the event happens, as sent (its LOCATION)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "person", "sequence", "method"], name="delivery_once_per_change"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["event", "person"], name="delivery_by_attendee"),
        ]

    def __str__(self) -> str:
        return _("%(method)s #%(sequence)s to %(person)s for %(event)s") % {
            "method": self.method,
            "sequence": self.sequence,
            "person": self.person,
            "event": self.event,
        }
