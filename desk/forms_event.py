"""Forms of the event page's workbench: programme items, attendees and bookings.

Times are typed in the event's zone (``ZonedForm``). Facilities are the event's site's, read
once per page and shared by every row's form, so a page of fifty bookings asks for them once.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core import spreadsheets
from scheduling.models import Booking, Event, Facility, ProgrammeItem, ProgrammeRole
from visitors.imports.services import MAX_UPLOAD_BYTES
from visitors.models import Attendance, Organisation, Person

from .forms import LOCAL_INPUT, ZonedForm, local_datetime_field
from .people import PeopleField, PersonField

MAX_ROLE_ROWS = 12


def site_facilities(event: Event) -> dict[int, Facility]:
    """The facilities of the event's site, by id (one query)."""
    return {facility.pk: facility for facility in event.site.facilities.order_by("name")}


def _facility_choices(facilities: dict[int, Facility], *, bookable_only: bool) -> list:
    def label(facility: Facility) -> str:
        name = f"{facility.name} ({facility.name_zh})" if facility.name_zh else facility.name
        return f"{name} · {facility.get_kind_display()}, {facility.capacity}"

    return [("", "—")] + [
        (pk, label(facility))
        for pk, facility in facilities.items()
        if facility.is_bookable or not bookable_only
    ]


def _local(moment) -> str:
    return moment.strftime(LOCAL_INPUT) if moment else ""


class EventPartForm(ZonedForm):
    """A form about one part of an event: times in its zone, facilities of its site."""

    def __init__(self, *args, event: Event, facilities: dict[int, Facility], **kwargs) -> None:
        self.event = event
        self.facilities = facilities
        super().__init__(*args, zone=event.zone, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The end must be after the start."))
        return cleaned


class ProgrammeItemForm(EventPartForm):
    """A run-of-show line: what, when, where, who takes part and in what part, and the cues."""

    title = forms.CharField(label=_("Title"), max_length=300)
    title_zh = forms.CharField(label=_("Chinese title"), max_length=300, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=ProgrammeItem.Kind.choices)
    start = local_datetime_field(_("Start"))
    end = local_datetime_field(_("End"))
    facility = forms.TypedChoiceField(label=_("Facility"), coerce=int, required=False)
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=ProgrammeItem.Visibility.choices,
        help_text=_("Internal items are left out of invites."),
    )
    host_organisation = forms.ModelChoiceField(
        label=_("Hosting tenant"),
        queryset=Organisation.objects.filter(kind=Organisation.Kind.TENANT).order_by("name"),
        required=False,
        help_text=_("The tenant receiving a tour stop: it sees the event and this item."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    cue_notes = forms.CharField(
        label=_("Cues (staff only)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, roles: int = 2, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = _facility_choices(self.facilities, bookable_only=False)
        if self.is_bound:  # as many rows as were sent
            sent = [key for key in self.data if key.startswith(self.add_prefix("person_"))]
            roles = len(sent) or roles
        self.role_rows = []
        for row in range(min(roles, MAX_ROLE_ROWS)):
            self.fields[f"person_{row}"] = PersonField(label=_("Person"), required=False)
            self.fields[f"part_{row}"] = forms.ChoiceField(
                label=_("Part"), choices=ProgrammeRole.Part.choices, required=False
            )
            self.role_rows.append((self[f"person_{row}"], self[f"part_{row}"]))

    @classmethod
    def for_item(cls, item: ProgrammeItem, **kwargs) -> "ProgrammeItemForm":
        zone = item.event.zone
        roles = list(item.roles.all())
        initial = {
            "title": item.title,
            "title_zh": item.title_zh,
            "kind": item.kind,
            "start": _local(item.start.astimezone(zone)),
            "end": _local(item.end.astimezone(zone)),
            "facility": item.facility_id or "",
            "visibility": item.visibility,
            "cue_notes": item.cue_notes,
            "description": item.description,
            "host_organisation": item.host_organisation_id,
        }
        for row, role in enumerate(roles):
            initial[f"person_{row}"] = role.person
            initial[f"part_{row}"] = role.part
        return cls(initial=initial, roles=len(roles) + 2, **kwargs)

    @classmethod
    def after_last(cls, event: Event, programme: list[ProgrammeItem], **kwargs):
        """A blank item starting when the run-of-show now ends (or the event starts)."""
        start = max((item.end for item in programme), default=event.start)
        end = min(start + (event.end - event.start) / 8, event.end)
        if end <= start:
            start, end = event.start, event.end
        zone = event.zone
        initial = {
            "start": _local(start.astimezone(zone)),
            "end": _local(end.astimezone(zone)),
            "kind": ProgrammeItem.Kind.OTHER,
            "visibility": ProgrammeItem.Visibility.PUBLIC,
        }
        return cls(initial=initial, event=event, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        people: list[Person] = []
        for row, (person, _part) in enumerate(self.role_rows):
            chosen = cleaned.get(person.name)
            if chosen is not None and chosen in people:
                self.add_error(person.name, _("%(name)s is listed twice.") % {"name": chosen})
            elif chosen is not None:
                people.append(chosen)
                if not cleaned.get(f"part_{row}"):
                    self.add_error(f"part_{row}", _("Choose their part."))
        return cleaned

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        roles = [
            (data[f"person_{row}"], data[f"part_{row}"])
            for row in range(len(self.role_rows))
            if data.get(f"person_{row}") is not None
        ]
        return {
            "title": data["title"],
            "title_zh": data["title_zh"],
            "kind": data["kind"],
            "start": data["start"],
            "end": data["end"],
            "facility": self.facilities.get(data["facility"]) if data["facility"] else None,
            "visibility": data["visibility"],
            "cue_notes": data["cue_notes"],
            "description": data["description"],
            "host_organisation": data["host_organisation"],
            "roles": roles,
        }


# The confirm step for the media on an event under embargo (visitors.embargo): shown while it is.
EMBARGO_CONFIRM = _(
    "Under embargo: I confirm that the media may be told of this event before its release"
)


class AttendeeFields(ZonedForm):
    """What staff set of one attendee: role, call time, guests and notes."""

    role = forms.ChoiceField(
        label=_("Role"), choices=Attendance.Role.choices, initial=Attendance.Role.GUEST
    )
    call_time = local_datetime_field(_("Call time"))
    guests = forms.IntegerField(label=_("Guests"), min_value=0, max_value=50, initial=0)
    notes = forms.CharField(
        label=_("Notes (staff only)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    confirmed_embargo = forms.BooleanField(label=EMBARGO_CONFIRM, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["call_time"].required = False
        self.fields["call_time"].help_text = _("If they must arrive before the event starts.")

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        names = ("role", "call_time", "guests", "notes", "confirmed_embargo")
        return {name: data[name] for name in names}


class AttendeeAddForm(AttendeeFields):
    person = PersonField(
        label=_("Person"),
        help_text=_("Type part of a name in English or Chinese, an e-mail or an organisation."),
    )
    field_order = ["person", "role", "call_time", "guests", "notes"]

    def service_arguments(self) -> dict:
        return {"person_id": self.cleaned_data["person"].pk, **super().service_arguments()}


class AttendanceEditForm(AttendeeFields):
    @classmethod
    def for_attendance(cls, attendance: Attendance, **kwargs) -> "AttendanceEditForm":
        zone = attendance.event.zone
        call_time = attendance.call_time.astimezone(zone) if attendance.call_time else None
        initial = {
            "role": attendance.role,
            "call_time": _local(call_time),
            "guests": attendance.guests,
            "notes": attendance.notes,
        }
        return cls(initial=initial, zone=zone, prefix=f"a{attendance.pk}", **kwargs)


class AttendeesAddForm(forms.Form):
    """Several people at once: a pasted list (one a line), everyone of an organisation, or both."""

    people = PeopleField(
        label=_("People, one a line"),
        required=False,
        help_text=_("Paste names or e-mail addresses, or find people to add one by one."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Everyone of an organisation"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
    )
    role = forms.ChoiceField(
        label=_("Their role"), choices=Attendance.Role.choices, initial=Attendance.Role.GUEST
    )
    confirmed_embargo = forms.BooleanField(label=EMBARGO_CONFIRM, required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        people = list(cleaned.get("people") or [])
        organisation = cleaned.get("organisation")
        if organisation is not None:
            delegation = Person.objects.filter(
                organisation=organisation, proposed_by__isnull=True
            ).order_by("precedence_rank", "name")
            if not delegation:
                self.add_error(
                    "organisation",
                    _("No one of %(organisation)s is on file.") % {"organisation": organisation},
                )
            people += [person for person in delegation if person not in people]
        if not people and not self.errors:
            raise ValidationError(_("List people or choose an organisation."), code="nobody")
        cleaned["everyone"] = people
        return cleaned


class AttendeeImportForm(forms.Form):
    """An attendee list to preview: an Excel workbook or a CSV file, within the size read."""

    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,.csv,text/csv," + spreadsheets.XLSX_TYPE}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is larger than %(mb)d MB: split it."),
                code="too_large",
                params={"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
            )
        return upload


class AttendeeImportConfirmForm(forms.Form):
    """The import of a preview: the media on an event under embargo only as staff confirm."""

    confirmed_embargo = forms.BooleanField(label=EMBARGO_CONFIRM, required=False)


class BookingForm(EventPartForm):
    """A facility of the event's site, from and to (in the event's zone)."""

    facility = forms.TypedChoiceField(label=_("Facility"), coerce=int)
    start = local_datetime_field(_("From"))
    end = local_datetime_field(_("Until"))
    capacity_override_reason = forms.CharField(
        label=_("Reason to book it over capacity"), required=False, max_length=200
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = _facility_choices(self.facilities, bookable_only=True)

    @classmethod
    def for_event(cls, event: Event, **kwargs) -> "BookingForm":
        initial = {"start": _local(event.local_start), "end": _local(event.local_end)}
        return cls(initial=initial, event=event, **kwargs)

    @classmethod
    def for_booking(cls, booking: Booking, **kwargs) -> "BookingForm":
        zone = booking.event.zone
        initial = {
            "facility": booking.facility_id,
            "start": _local(booking.start.astimezone(zone)),
            "end": _local(booking.end.astimezone(zone)),
        }
        return cls(initial=initial, event=booking.event, prefix=f"b{booking.pk}", **kwargs)
