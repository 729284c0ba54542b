"""Forms of visitors: the public RSVP and host consent forms, and the back office's attendance
row."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from scheduling.forms import InlineRowForm
from scheduling.models import StopConsent
from scheduling.models.consent import NOTE_MAX_LENGTH

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


class ConsentForm(forms.Form):
    """A host's answer: one of the page's three buttons, with a time for "another time" (read on
    the clock of the timezone the view activates: the event's)."""

    answer = forms.ChoiceField(
        choices=[
            (StopConsent.Answer.CONFIRMED, _("Confirm")),
            (StopConsent.Answer.DECLINED, _("Decline")),
            (StopConsent.Answer.ANOTHER_TIME, _("Ask for another time")),
        ]
    )
    proposed_start = forms.DateTimeField(
        label=_("Another time that suits you"),
        required=False,
        help_text=_("Only when you ask for another time."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(
        label=_("Note to the protocol office"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        wants_another = data.get("answer") == StopConsent.Answer.ANOTHER_TIME
        if wants_another and not data.get("proposed_start") and "proposed_start" not in self.errors:
            self.add_error("proposed_start", _("Say which time would suit you."))
        return data


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
