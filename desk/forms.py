"""Forms of the staff pages. They check what a form can see; the services decide the rest.

Times are typed in the zone of the event or site they belong to, not the office's: each form
that takes times is given that zone and parses (and refuses impossible or ambiguous local
times) under it.
"""

import datetime as dt
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scheduling.models import Event, Facility, Site
from scheduling.models.events import CANCEL_REASON_MAX_LENGTH
from visitors.models import Attendance, Organisation, Person

from .visits import MAX_STOP_MINUTES, MAX_STOPS, MIN_STOP_MINUTES, VisitStop

LOCAL_INPUT = "%Y-%m-%dT%H:%M"
# The years staff pages plan in, as in the API: far enough from datetime's own limits (years 1
# and 9999) that a week's navigation, a visit's stops or a zone's offset cannot leave them.
FIRST_YEAR, LAST_YEAR = 1900, 2200
MAX_ID = 2**63 - 1  # the largest value of a (big) auto field


def validate_supported_year(value: dt.date) -> None:
    """Refuse a date (or time) outside the supported years."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Choose a date between the years %(first)s and %(last)s."),
            code="out_of_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )


class ZonedForm(forms.Form):
    """A form whose times are read in a given IANA zone instead of the office's."""

    def __init__(self, *args, zone: zoneinfo.ZoneInfo, **kwargs) -> None:
        self.zone = zone
        super().__init__(*args, **kwargs)

    def full_clean(self) -> None:
        with timezone.override(self.zone):
            super().full_clean()


def local_datetime_field(label) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[LOCAL_INPUT, "%Y-%m-%d %H:%M"],
        validators=[validate_supported_year],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )


class StatusForm(forms.Form):
    """A status action of the event page: the status to move to, and why.

    The status comes only from the button pressed. Enter in the reason box presses the form's
    first submit button, which sends no status (the page puts a hidden one first), so a post
    without one is refused and changes nothing.
    """

    to = forms.ChoiceField(
        choices=Event.Status.choices,
        error_messages={
            "required": _("Choose one of the status buttons: pressing Enter changes nothing.")
        },
    )
    reason = forms.CharField(
        label=_("Reason (kept in the history)"), required=False, max_length=100
    )

    def clean_to(self) -> str:
        to = self.cleaned_data["to"]
        if to == Event.Status.CANCELLED:
            # Final, and attendees are told: the confirmation page (CancelForm) does it.
            raise ValidationError(
                _("Cancelling asks for confirmation first: press “Cancel event…”."),
                code="confirm_cancel",
            )
        return to


class CancelForm(forms.Form):
    """The cancellation page's form: why, in words attendees are sent."""

    reason = forms.CharField(
        label=_("Reason for the cancellation"),
        help_text=_(
            "Told to everyone who is sent the cancellation, and kept in the history. Optional."
        ),
        required=False,
        max_length=CANCEL_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AttendanceOrderForm(forms.Form):
    """An attendee's place in the event's order of precedence; blank: the usual rules."""

    order_override = Attendance._meta.get_field("order_override").formfield(required=False)


class RescheduleForm(ZonedForm):
    start = local_datetime_field(_("New start"))
    end = local_datetime_field(_("New end"))
    reason = forms.CharField(
        label=_("Reason (kept in the history)"), required=False, max_length=100
    )

    @classmethod
    def for_event(cls, event: Event) -> "RescheduleForm":
        zone = event.zone
        return cls(
            zone=zone,
            initial={
                "start": event.start.astimezone(zone).strftime(LOCAL_INPUT),
                "end": event.end.astimezone(zone).strftime(LOCAL_INPUT),
            },
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The end must be after the start."))
        return cleaned


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, person: Person) -> str:
        return person.display_name

    def clean(self, value):
        # Django looks the choices up with "pk IN (...)", where SQLite raises on a number past
        # 64 bits instead of matching nothing: no row has such an id, so it is no valid choice.
        for pk in value if isinstance(value, list | tuple) else ():
            if _beyond_any_id(pk):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super().clean(value)


class FacilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, facility: Facility) -> str:
        name = f"{facility.name} ({facility.name_zh})" if facility.name_zh else facility.name
        extra = "" if facility.is_bookable else f", {_('not bookable')}"
        return f"{facility.site.name}: {name} [{facility.get_kind_display()}{extra}]"


class VisitForm(forms.Form):
    """The visit as a whole: what it is called, where and when it starts, and who comes."""

    title = forms.CharField(label=_("Title"), max_length=300)
    title_zh = forms.CharField(label=_("Chinese title"), max_length=300, required=False)
    site = forms.ModelChoiceField(
        label=_("Site"),
        queryset=Site.objects.order_by("name"),
        help_text=_("The event's site: the date and start are in its time zone."),
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=Event.Visibility.choices, initial=Event.Visibility.INTERNAL
    )
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_supported_year],
    )
    start_time = forms.TimeField(
        label=_("Start"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    dignitaries = PersonChoiceField(
        label=_("Visiting dignitaries"),
        queryset=Person.objects.all(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("They take part in every stop. Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    party = PersonChoiceField(
        label=_("Accompanying party"),
        queryset=Person.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Escorts and hosts who go with them."),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        both = set(cleaned.get("dignitaries") or ()) & set(cleaned.get("party") or ())
        if both:
            names = ", ".join(sorted(person.display_name for person in both))
            self.add_error("party", _("Listed as visitor and in the party: %s.") % names)
        site, day, start = cleaned.get("site"), cleaned.get("date"), cleaned.get("start_time")
        if site and day and start:
            try:
                cleaned["start"] = _aware(dt.datetime.combine(day, start), site.timezone)
            except ValueError as error:
                self.add_error("start_time", str(error))
        return cleaned


class StopForm(forms.Form):
    """One stop of the tour; a row left empty is ignored."""

    facility = FacilityChoiceField(
        label=_("Facility or tenant premises"),
        queryset=Facility.objects.select_related("site").order_by("site__name", "name"),
        required=False,
    )
    host = forms.ModelChoiceField(
        label=_("Hosting tenant"),
        queryset=Organisation.objects.filter(kind=Organisation.Kind.TENANT).order_by("name"),
        required=False,
    )
    minutes = forms.IntegerField(
        label=_("Minutes"), min_value=MIN_STOP_MINUTES, max_value=MAX_STOP_MINUTES, required=False
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("host") and not cleaned.get("facility"):
            self.add_error("facility", _("Choose where the tenant receives the visit."))
        if cleaned.get("facility") and not cleaned.get("minutes") and "minutes" not in self.errors:
            self.add_error("minutes", _("Give the stop's length in minutes."))
        if cleaned.get("minutes") and not cleaned.get("facility"):
            self.add_error("facility", _("Choose where this stop is."))
        return cleaned

    @property
    def stop(self) -> VisitStop | None:
        data = self.cleaned_data
        if not data.get("facility"):
            return None
        host = data.get("host")
        return VisitStop(
            facility_id=data["facility"].pk,
            minutes=data["minutes"],
            host_organisation_id=host.pk if host else None,
        )


class BaseStopFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.stops:
            raise ValidationError(_("Give at least one stop."), code="no_stops")

    @property
    def stops(self) -> list[VisitStop]:
        return [form.stop for form in self.forms if form.stop is not None]


StopFormSet = formset_factory(
    StopForm, formset=BaseStopFormSet, extra=0, max_num=MAX_STOPS, absolute_max=MAX_STOPS
)


def _beyond_any_id(value: object) -> bool:
    try:
        return abs(int(str(value))) > MAX_ID
    except ValueError:
        return False


def _aware(local: dt.datetime, zone_name: str) -> dt.datetime:
    """A wall-clock time in the zone; one the zone skips or repeats (DST) is refused."""
    zone = zoneinfo.ZoneInfo(zone_name)
    early, late = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        raise ValueError(
            _("%(zone)s skips or repeats this time; choose another.") % {"zone": zone_name}
        )
    return early
