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

from scheduling.models import Event, Facility, ProgrammeItem, Site
from scheduling.models.events import CANCEL_REASON_MAX_LENGTH
from visitors.models import Attendance, Organisation

from .people import PersonField
from .visits import (
    MAX_STOP_MINUTES,
    MAX_STOPS,
    MIN_STOP_MINUTES,
    STOP_KINDS,
    TITLE_MAX_LENGTH,
    VisitPerson,
    VisitStop,
    check_people,
)

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


class FacilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, facility: Facility) -> str:
        name = f"{facility.name} ({facility.name_zh})" if facility.name_zh else facility.name
        extra = "" if facility.is_bookable else f", {_('not bookable')}"
        return f"{facility.site.name}: {name} [{facility.get_kind_display()}{extra}]"


class VisitForm(forms.Form):
    """The visit as a whole: what it is called, where and when it starts."""

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

    def clean(self) -> dict:
        cleaned = super().clean()
        site, day, start = cleaned.get("site"), cleaned.get("date"), cleaned.get("start_time")
        if site and day and start:
            try:
                cleaned["start"] = _aware(dt.datetime.combine(day, start), site.timezone)
            except ValueError as error:
                self.add_error("start_time", str(error))
        return cleaned


class PartyMemberForm(forms.Form):
    """One person in the visit and the role chosen for them; a row without a name is ignored."""

    person = PersonField(label=_("Person"), required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=Attendance.Role.choices, initial=Attendance.Role.GUEST
    )

    @property
    def member(self) -> VisitPerson | None:
        person = self.cleaned_data.get("person")
        if person is None:
            return None
        return VisitPerson(person_id=person.pk, role=self.cleaned_data["role"])


class BasePartyFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        try:
            check_people(self.members)
        except ValidationError as refusal:
            raise ValidationError(refusal.messages) from None

    @property
    def members(self) -> list[VisitPerson]:
        return [form.member for form in self.forms if form.member is not None]


MAX_PARTY = 40  # people named at once in the planner; more are added on the event page
PartyFormSet = formset_factory(
    PartyMemberForm, formset=BasePartyFormSet, extra=0, max_num=MAX_PARTY, absolute_max=MAX_PARTY
)


class StopForm(forms.Form):
    """One stop of the visit; a row left empty is ignored. places: the facilities the visit's
    site allows (desk.visits.stop_places), or None while no site is chosen."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(kind.value, kind.label) for kind in STOP_KINDS],
        initial=ProgrammeItem.Kind.TOUR_STOP,
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX_LENGTH,
        required=False,
        help_text=_("Blank: made from the kind and the place."),
    )
    facility = FacilityChoiceField(
        label=_("Facility or tenant premises"),
        queryset=Facility.objects.select_related("site").order_by("site__name", "name"),
        required=False,
        error_messages={
            "invalid_choice": _(
                "Choose one of the site's facilities, or a tenant's premises within reach."
            )
        },
    )
    host = forms.ModelChoiceField(
        label=_("Hosting tenant"),
        queryset=Organisation.objects.filter(kind=Organisation.Kind.TENANT).order_by("name"),
        required=False,
    )
    host_person = PersonField(label=_("Received by"), required=False)
    minutes = forms.IntegerField(
        label=_("Minutes"), min_value=MIN_STOP_MINUTES, max_value=MAX_STOP_MINUTES, required=False
    )

    def __init__(self, *args, places: list[Facility] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if places is not None:
            field = self.fields["facility"]
            field.queryset = field.queryset.filter(pk__in=[facility.pk for facility in places])
            # The site's own first, then tenants within reach (the order stop_places gives).
            field.choices = [("", field.empty_label)] + [
                (field.prepare_value(facility), field.label_from_instance(facility))
                for facility in places
            ]

    def clean(self) -> dict:
        cleaned = super().clean()
        facility, minutes = cleaned.get("facility"), cleaned.get("minutes")
        moving = cleaned.get("kind") == ProgrammeItem.Kind.TRANSFER
        said = any(cleaned.get(name) for name in ("title", "host", "host_person"))
        if cleaned.get("host") and not facility:
            self.add_error("facility", _("Choose where the tenant receives the visit."))
        elif (minutes or said) and not facility and not moving and "facility" not in self.errors:
            self.add_error("facility", _("Choose where this stop is."))
        if (facility or said) and not minutes and "minutes" not in self.errors:
            self.add_error("minutes", _("Give the stop's length in minutes."))
        return cleaned

    @property
    def stop(self) -> VisitStop | None:
        data = self.cleaned_data
        if not data.get("minutes"):
            return None
        host, person, facility = data.get("host"), data.get("host_person"), data.get("facility")
        return VisitStop(
            facility_id=facility.pk if facility else None,
            minutes=data["minutes"],
            host_organisation_id=host.pk if host else None,
            kind=data["kind"],
            title=data.get("title") or "",
            host_person_id=person.pk if person else None,
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


def _aware(local: dt.datetime, zone_name: str) -> dt.datetime:
    """A wall-clock time in the zone; one the zone skips or repeats (DST) is refused."""
    zone = zoneinfo.ZoneInfo(zone_name)
    early, late = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        raise ValueError(
            _("%(zone)s skips or repeats this time; choose another.") % {"zone": zone_name}
        )
    return early
