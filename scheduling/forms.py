"""Back-office forms. They check what a form can see; the services decide the rest."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import Booking, Event, ProgrammeItem

# A new event starts here; the other statuses are reached through the lifecycle.
NEW_EVENT_STATUSES = (Event.Status.DRAFT, Event.Status.TENTATIVE, Event.Status.CONFIRMED)
# What a booking's status may become from the back office (held → confirmed → released).
BOOKING_NEXT_STATUSES = {
    Booking.Status.HELD: (Booking.Status.HELD, Booking.Status.CONFIRMED, Booking.Status.RELEASED),
    Booking.Status.CONFIRMED: (Booking.Status.CONFIRMED, Booking.Status.RELEASED),
    Booking.Status.RELEASED: (Booking.Status.RELEASED,),
}


class LifecycleChoiceField(forms.ChoiceField):
    """Offers only the allowed statuses, but lets clean_status() explain why another is refused."""

    def __init__(self, *, known: list[str], **kwargs) -> None:
        self.known = frozenset(known)
        super().__init__(**kwargs)

    def valid_value(self, value) -> bool:
        return str(value) in self.known


class EventAdminForm(forms.ModelForm):
    status = LifecycleChoiceField(known=Event.Status.values, choices=Event.Status.choices)
    times_change = forms.ChoiceField(
        label=gettext_lazy("When the start changes"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (
                "move",
                gettext_lazy(
                    "Move the whole event: programme, bookings and call times keep their times "
                    "relative to the start"
                ),
            ),
            (
                "window",
                gettext_lazy(
                    "Change only the event's window: programme, bookings and call times stay "
                    "where they are and must fit in it"
                ),
            ),
        ],
    )

    class Meta:
        model = Event
        fields = [
            "title", "title_zh", "bilingual", "reference", "kind", "status", "visibility", "site",
            "timezone",
            "start", "end", "host_organisation", "organiser", "description", "internal_notes",
            "release_at", "release_visibility",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "timezone" in self.fields:
            self.fields["timezone"].required = False
            self.fields["timezone"].help_text = _(
                "IANA zone name; leave blank for the site's zone."
            )
        if "organiser" in self.fields:
            self.fields["organiser"].queryset = get_user_model().objects.filter(is_staff=True)
        if "status" in self.fields:
            self.fields["status"].choices = [
                (value, label) for value, label in Event.Status.choices if value in self.offered()
            ]

    def offered(self) -> tuple[str, ...]:
        """The statuses this event may take now, in lifecycle order."""
        if self.instance.pk is None:
            return NEW_EVENT_STATUSES
        current = self.instance.status
        return tuple(
            s for s in Event.Status.values if s == current or s in Event.TRANSITIONS[current]
        )

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        if status in self.offered():
            return status
        if self.instance.pk is None:
            raise ValidationError(
                _("A new event starts as draft, tentative or confirmed."), code="invalid_status"
            )
        raise ValidationError(
            _("A %(current)s event cannot become %(wanted)s."),
            code="invalid_transition",
            params={
                "current": self.instance.get_status_display().lower(),
                "wanted": Event.Status(status).label.lower(),
            },
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.instance.pk and "start" in self.changed_data and not cleaned.get("times_change"):
            self.add_error(
                "times_change",
                ValidationError(
                    _(
                        "The start changed: choose whether the whole event moves with it or only "
                        "its window changes."
                    ),
                    code="times_change_required",
                ),
            )
        # Blank zone: the event is planned in its site's zone, as event_create does.
        if "timezone" in self.fields and not cleaned.get("timezone") and cleaned.get("site"):
            cleaned["timezone"] = cleaned["site"].timezone
        return cleaned


class BookingAdminForm(forms.ModelForm):
    status = LifecycleChoiceField(known=Booking.Status.values, choices=Booking.Status.choices)

    class Meta:
        model = Booking
        fields = [
            "event", "programme_item", "facility", "start", "end", "setup_minutes",
            "teardown_minutes", "status", "hold_expires_at", "backup_of", "backup_deadline",
            "capacity_override_reason",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("setup_minutes", "teardown_minutes"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = _("Leave blank for the facility's default.")
        if "hold_expires_at" in self.fields:
            hours = settings.BOOKING_HOLD_HOURS
            self.fields["hold_expires_at"].help_text = ngettext(
                "Leave blank for %(hours)d hour from now.",
                "Leave blank for %(hours)d hours from now.",
                hours,
            ) % {"hours": hours}
        if "status" in self.fields:
            self.fields["status"].choices = [
                (value, label) for value, label in Booking.Status.choices if value in self.offered()
            ]

    def offered(self) -> tuple[str, ...]:
        if self.instance.pk is None:
            return (Booking.Status.HELD, Booking.Status.CONFIRMED)
        return BOOKING_NEXT_STATUSES[self.instance.status]

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        if status not in self.offered():
            raise ValidationError(
                _("A %(current)s booking cannot become %(wanted)s."),
                code="invalid_transition",
                params={
                    "current": self.instance.get_status_display().lower()
                    if self.instance.pk
                    else _("new"),
                    "wanted": Booking.Status(status).label.lower(),
                },
            )
        return status


class InlineRowForm(forms.ModelForm):
    """A row of an event's inline: rows left untouched are not validated against the event.

    The event above may be moving in the same save, and its services move untouched rows with
    it; checking those rows against the new times here would refuse a valid reschedule.
    """

    def _post_clean(self) -> None:
        if self.instance.pk is not None and not self.has_changed():
            return
        super()._post_clean()


class ProgrammeItemInlineForm(InlineRowForm):
    class Meta:
        model = ProgrammeItem
        fields = ["start", "end", "title", "title_zh", "kind", "facility", "visibility", "position"]
