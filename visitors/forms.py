"""Forms of visitors: the public RSVP form, and the back office's attendance row."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from scheduling.forms import InlineRowForm

from .models import Attendance

MAX_GUESTS = 50  # what Attendance.guests allows

ANSWER_CHOICES = [
    (Attendance.RSVP.ACCEPTED, _("I will attend")),
    (Attendance.RSVP.TENTATIVE, _("I might attend")),
    (Attendance.RSVP.DECLINED, _("I cannot attend")),
]


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Your answer"), choices=ANSWER_CHOICES, widget=forms.RadioSelect
    )
    guests = forms.IntegerField(
        label=_("Accompanying guests"),
        min_value=0,
        max_value=MAX_GUESTS,
        initial=0,
        help_text=_("People coming with you, not counting yourself."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    dietary = forms.CharField(
        label=_("Dietary requirements"),
        max_length=Attendance._meta.get_field("dietary").max_length,
        required=False,
    )
    accessibility = forms.CharField(
        label=_("Accessibility needs"),
        max_length=Attendance._meta.get_field("accessibility").max_length,
        required=False,
    )

    @classmethod
    def for_attendance(cls, attendance: Attendance, *, preselect: str | None = None) -> "RsvpForm":
        """The form filled in with what the attendee told us, or the answer a link preselects."""
        answers = {value for value, _label in ANSWER_CHOICES}
        return cls(
            initial={
                "answer": preselect if preselect in answers else attendance.rsvp,
                "guests": attendance.guests,
                "dietary": attendance.dietary,
                "accessibility": attendance.accessibility,
            }
        )


class AttendanceAdminForm(InlineRowForm):
    class Meta:
        model = Attendance
        fields = [
            "event", "person", "role", "order_override", "rsvp", "guests", "call_time", "notes",
            "notify_on_arrival",
        ]  # fmt: skip

    def clean_person(self):
        person = self.cleaned_data["person"]
        if self.instance.pk and person and person.pk != self.instance.person_id:
            # The attendance's history and invite belong to the person first listed.
            raise ValidationError(
                _("To replace someone, remove this attendance and add the other person."),
                code="person_fixed",
            )
        return person
