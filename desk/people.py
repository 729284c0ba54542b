"""Finding people on file by what staff type: English or Chinese name, e-mail or organisation.

One rule for the type-ahead pickers and for the forms that read what was typed: a suggestion's
label ends with the person's number ("Prof Sun Dong (孫東) · Time Medical Systems [#42]"), so a
chosen suggestion names one person for sure; anything else typed is looked up and must match
exactly one person (by name, Chinese name, name as printed or e-mail), else the form says who
matched or that no one did.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from visitors.models import Person

SUGGESTIONS = 12
_NUMBERED = re.compile(r"\[#(\d{1,18})\]\s*$")
_WORDS = re.compile(r"[^\s()\[\],·]+")  # what a typed name is made of, brackets aside


def people_matching(text: str) -> QuerySet[Person]:
    """Everyone whose names, e-mail or organisation contain every word typed, most senior first."""
    people = Person.objects.filter(proposed_by__isnull=True).select_related("organisation")
    for word in _WORDS.findall(text)[:8]:
        people = people.filter(
            Q(name__icontains=word)
            | Q(name_zh__icontains=word)
            | Q(honorific__icontains=word)
            | Q(email__icontains=word)
            | Q(organisation__name__icontains=word)
            | Q(organisation__name_zh__icontains=word)
        )
    return people


def person_label(person: Person) -> str:
    """What a suggestion shows and puts in the field."""
    organisation = person.organisation
    parts = [person.display_name]
    if organisation is not None:
        parts.append(
            f"{organisation.name} ({organisation.name_zh})"
            if organisation.name_zh
            else organisation.name
        )
    return f"{' · '.join(parts)} [#{person.pk}]"


def person_from_text(text: str) -> Person:
    """The one person a typed line names, or a ValidationError that says why not."""
    text = " ".join(text.split())
    numbered = _NUMBERED.search(text)
    if numbered:
        person = Person.objects.filter(pk=int(numbered[1]), proposed_by__isnull=True).first()
        if person is None:
            raise ValidationError(
                _("“%(text)s” is not a person on file any more.") % {"text": text}, code="gone"
            )
        return person
    found = (
        list(
            Person.objects.filter(proposed_by__isnull=True).filter(
                Q(name__iexact=text) | Q(name_zh=text) | Q(email__iexact=text)
            )[:6]
        )
        or [person for person in people_matching(text)[:50] if person.display_name == text][:6]
    )
    if not found:
        raise ValidationError(
            _("No one on file is called “%(text)s”. Choose from the suggestions.") % {"text": text},
            code="unknown",
        )
    if len(found) > 1:
        raise ValidationError(
            _("Several people match “%(text)s”: %(names)s. Choose one from the suggestions.")
            % {"text": text, "names": "; ".join(person_label(person) for person in found[:5])},
            code="ambiguous",
        )
    return found[0]


def _picker_attrs(attrs: dict | None) -> dict:
    return {
        "data-people-search": reverse_lazy("staff:people-search"),
        "autocomplete": "off",
        **(attrs or {}),
    }


class PersonField(forms.CharField):
    """One person, typed with suggestions (an <input> that static/staff/people.js completes)."""

    def __init__(self, *, attrs: dict | None = None, **kwargs) -> None:
        kwargs.setdefault("max_length", 400)
        super().__init__(widget=forms.TextInput(attrs=_picker_attrs(attrs)), **kwargs)

    def prepare_value(self, value):
        return person_label(value) if isinstance(value, Person) else value

    def clean(self, value) -> Person | None:
        text = super().clean(value)
        return person_from_text(text) if text else None


class PeopleField(forms.CharField):
    """Several people, one per line: pasted, or added one at a time with suggestions."""

    default_error_messages = {
        "twice": gettext_lazy("%(name)s is listed twice."),
        "too_many": gettext_lazy("List at most %(limit)d people at once."),
    }
    LIMIT = 200

    def __init__(self, *, attrs: dict | None = None, **kwargs) -> None:
        attrs = {"rows": 4, "data-find-label": gettext_lazy("Find someone to add"), **(attrs or {})}
        widget = forms.Textarea(attrs=_picker_attrs(attrs))
        super().__init__(widget=widget, max_length=40_000, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(
                person_label(item) if isinstance(item, Person) else str(item) for item in value
            )
        return value

    def clean(self, value) -> list[Person]:
        text = super().clean(value) or ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) > self.LIMIT:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"limit": self.LIMIT}
            )
        people: list[Person] = []
        problems: list[ValidationError] = []
        for line in lines:
            try:
                person = person_from_text(line)
            except ValidationError as error:
                problems.append(error)
                continue
            if person in people:
                problems.append(
                    ValidationError(
                        self.error_messages["twice"],
                        code="twice",
                        params={"name": person.display_name},
                    )
                )
            else:
                people.append(person)
        if problems:
            raise ValidationError(problems)
        return people
