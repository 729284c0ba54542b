"""The check-in page's forms: guests arriving with an attendee, and a walk-in at the door."""

from django import forms
from django.utils.translation import gettext_lazy as _

from scheduling.models import Event
from visitors.arrivals.services import MAX_GUESTS
from visitors.models import Attendance


class ArrivalForm(forms.Form):
    guests = forms.IntegerField(
        label=_("Guests arrived"), min_value=0, max_value=MAX_GUESTS, required=False
    )


class EventChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, event: Event) -> str:
        return f"{event.start.astimezone(event.zone):%H:%M} {event.title}"


class WalkInForm(forms.Form):
    event = EventChoiceField(label=_("Event"), queryset=Event.objects.none())
    name = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100, required=False)
    post = forms.CharField(label=_("Post / title"), max_length=300, required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=Attendance.Role.choices, initial=Attendance.Role.GUEST
    )
    guests = forms.IntegerField(
        label=_("Accompanying guests"), min_value=0, max_value=MAX_GUESTS, initial=0
    )
    reason = forms.CharField(
        label=_("Why let in"),
        max_length=300,
        help_text=_("Required: e.g. 'Replaces the Permanent Secretary, confirmed by phone'."),
    )

    def __init__(self, *args, events, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = events.order_by("start", "pk")
