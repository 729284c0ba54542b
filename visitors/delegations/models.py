"""Delegations, their vehicles and passes: models of the visitors app, defined beside the code
that writes them and imported by visitors.models so that Django finds them there.

A place to be dropped off or picked up is a facility of the site (the Main Lobby) or a point
named for the day ("East gate, lay-by 2"); the rules one row can check alone are here, the
rules across rows (a passenger is a member, an item is of the same event) in services."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Delegation(models.Model):
    """A visiting party of an event: who leads it and who is in it (people on file)."""

    event = models.ForeignKey(
        "scheduling.Event",
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        related_name="delegations",
    )
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    lead = models.ForeignKey(
        "visitors.Person",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    members = models.ManyToManyField(
        "visitors.Person",
        verbose_name=_("members"),
        blank=True,
        related_name="delegations",
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="delegation_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.name_zh})" if self.name_zh else self.name


def _place(facility, point: str) -> str:
    if facility is not None:
        return f"{facility.name} ({facility.name_zh})" if facility.name_zh else facility.name
    return point


class Vehicle(models.Model):
    """One car of a delegation: who drives it and who rides in it, when its driver is called to
    the pick-up point, and the programme items it arrives for and leaves with."""

    delegation = models.ForeignKey(
        Delegation,
        verbose_name=_("delegation"),
        on_delete=models.CASCADE,
        related_name="vehicles",
    )
    position = models.PositiveSmallIntegerField(_("car number"), default=1)
    plate = models.CharField(_("plate"), max_length=20)
    make = models.CharField(_("make and model"), max_length=100, blank=True)
    colour = models.CharField(_("colour"), max_length=50, blank=True)
    driver = models.CharField(_("driver"), max_length=200, blank=True)
    driver_phone = models.CharField(_("driver's phone"), max_length=50, blank=True)
    contact = models.CharField(
        _("contact in the car"),
        max_length=200,
        blank=True,
        help_text=_("Who answers for the car on the day (an aide), with a phone number."),
    )
    passengers = models.ManyToManyField(
        "visitors.Person",
        verbose_name=_("passengers"),
        blank=True,
        related_name="vehicle_seats",
    )
    car_call_at = models.DateTimeField(
        _("car call"),
        null=True,
        blank=True,
        help_text=_("When the driver is called to the pick-up point."),
    )
    drop_off_facility = models.ForeignKey(
        "scheduling.Facility",
        verbose_name=_("drop-off facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    drop_off_point = models.CharField(_("drop-off point"), max_length=200, blank=True)
    pick_up_facility = models.ForeignKey(
        "scheduling.Facility",
        verbose_name=_("pick-up facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    pick_up_point = models.CharField(_("pick-up point"), max_length=200, blank=True)
    arrival_item = models.ForeignKey(
        "scheduling.ProgrammeItem",
        verbose_name=_("arrival item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="arriving_vehicles",
    )
    departure_item = models.ForeignKey(
        "scheduling.ProgrammeItem",
        verbose_name=_("departure item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="departing_vehicles",
    )

    class Meta:
        ordering = ["delegation", "position", "id"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.UniqueConstraint(fields=["delegation", "plate"], name="vehicle_unique_plate"),
            models.CheckConstraint(condition=~Q(plate=""), name="vehicle_plate_not_empty"),
            # A place is a facility or a named point, not both.
            models.CheckConstraint(
                condition=Q(drop_off_facility__isnull=True) | Q(drop_off_point=""),
                name="vehicle_one_drop_off",
            ),
            models.CheckConstraint(
                condition=Q(pick_up_facility__isnull=True) | Q(pick_up_point=""),
                name="vehicle_one_pick_up",
            ),
        ]

    def __str__(self) -> str:
        return " ".join(part for part in (self.plate, self.colour, self.make) if part)

    def clean(self) -> None:
        self.plate = self.written_plate(self.plate)
        errors = {}
        if not self.plate:
            errors["plate"] = _("Give the car's plate.")
        if self.drop_off_facility_id and self.drop_off_point.strip():
            errors["drop_off_point"] = _("Give a facility or a named point, not both.")
        if self.pick_up_facility_id and self.pick_up_point.strip():
            errors["pick_up_point"] = _("Give a facility or a named point, not both.")
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def written_plate(plate: str) -> str:
        """'am  1234 ' is written 'AM 1234': capitals, single spaces."""
        return " ".join(plate.upper().split())

    @property
    def drop_off(self) -> str:
        return _place(self.drop_off_facility, self.drop_off_point)

    @property
    def pick_up(self) -> str:
        return _place(self.pick_up_facility, self.pick_up_point)


class Pass(models.Model):
    """A pass or permit issued for the visit, to a member of the delegation or for a car."""

    class Kind(models.TextChoices):
        SITE = "site", _("Site pass")
        VEHICLE = "vehicle", _("Vehicle permit")
        CLEANROOM = "cleanroom", _("Cleanroom access")
        MEDIA = "media", _("Media pass")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ISSUED = "issued", _("Issued")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")

    delegation = models.ForeignKey(
        Delegation,
        verbose_name=_("delegation"),
        on_delete=models.CASCADE,
        related_name="passes",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.SITE)
    number = models.CharField(_("number"), max_length=50, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    person = models.ForeignKey(
        "visitors.Person",
        verbose_name=_("for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="passes",
    )
    vehicle = models.ForeignKey(
        Vehicle,
        verbose_name=_("for the car"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="passes",
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        ordering = ["delegation", "kind", "number", "id"]
        verbose_name = _("pass")
        verbose_name_plural = _("passes")
        constraints = [
            # For whom: a person or a car, exactly one.
            models.CheckConstraint(
                condition=Q(person__isnull=False, vehicle__isnull=True)
                | Q(person__isnull=True, vehicle__isnull=False),
                name="pass_for_person_or_vehicle",
            ),
            # An issued (or returned) pass has its number.
            models.CheckConstraint(
                condition=Q(status__in=["requested", "cancelled"]) | ~Q(number=""),
                name="pass_issued_has_number",
            ),
            models.UniqueConstraint(
                fields=["delegation", "kind", "number"],
                condition=~Q(number=""),
                name="pass_unique_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}".strip()

    def clean(self) -> None:
        self.number = self.number.strip()
        if (self.person_id is None) == (self.vehicle_id is None):
            raise ValidationError(_("A pass is for one person or for one car."))
        if self.status in (self.Status.ISSUED, self.Status.RETURNED) and not self.number:
            raise ValidationError({"number": _("An issued pass has a number.")})

    @property
    def holder(self) -> str:
        return str(self.person) if self.person_id else str(self.vehicle)
