"""People and attendances written many at a time (a guest list from a spreadsheet): the rules of
``services.person_create`` and ``services.attendance_add`` for a whole list, in a number of
queries that does not grow with it (one insert per 500 rows), all or none.

What a single add does row by row, these do once: validate each row's fields, refuse an address
already on file or an attendee already listed (one query per 500), stamp the history with who
added them and why (core.audit copies the inserted rows), queue the invites a newcomer to a
confirmed event is owed (visitors.invitations), and write the change log (bulk inserts send no
``post_save``, so people are logged here rather than by visitors.changes' receiver).
"""

import datetime as dt
import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core import audit
from scheduling.models import Event

from . import approvals, embargo, invitations
from .changes import attendances_changed, people_created
from .models import Attendance, Organisation, Person

BATCH = 500


@dataclass(frozen=True)
class NewPerson:
    """A person to put on file."""

    name: str = ""
    name_zh: str = ""
    honorific: str = ""
    post: str = ""
    organisation_id: int | None = None
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class NewAttendance:
    """Someone to put on an event's list, with their part and what they answered."""

    person_id: int
    role: str = Attendance.Role.GUEST
    rsvp: str = Attendance.RSVP.NEEDS_ACTION
    guests: int = 0
    call_time: dt.datetime | None = None
    dietary: str = ""
    accessibility: str = ""
    notes: str = ""


def _unchecked(model, given: type) -> list[str]:
    """The fields clean_fields need not check: those a New* leaves at their defaults, and keys
    (checked once for the whole list, not with a query per row)."""
    checked = {f.name for f in fields(given)} - {"person_id", "organisation_id"}
    return [f.name for f in model._meta.concrete_fields if f.name not in checked]


def _values(given) -> dict:
    # Not asdict(), which deep-copies.
    return {name: getattr(given, name) for name in _field_names(type(given))}


@functools.cache
def _field_names(given: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(given))


@transaction.atomic
def people_create(*, people: Sequence[NewPerson]) -> list[Person]:
    """Put people on file, all or none: each with a name, each field valid, no address twice
    nor one a person on file has."""
    made = [Person(**_values(person)) for person in people]
    problems: list[str] = []
    unchecked = _unchecked(Person, NewPerson)
    for number, person in enumerate(made, start=1):
        try:
            person.clean()
            person.clean_fields(exclude=unchecked)
        except ValidationError as error:
            problems.append(f"{number}: {person.name or person.name_zh}: {_said(error)}")
    addresses = [person.email.lower() for person in made if person.email]
    twice = sorted(address for address, count in Counter(addresses).items() if count > 1)
    taken = _addresses_on_file(addresses)
    problems += [_("%(email)s is listed twice.") % {"email": address} for address in twice]
    problems += [
        _("Another person already has the e-mail address %(email)s.") % {"email": address}
        for address in taken
    ]
    organisations = {person.organisation_id for person in made} - {None}
    if len(organisations) > Organisation.objects.filter(pk__in=organisations).count():
        problems.append(_("An organisation given is not on file."))
    if problems:
        raise ValidationError({"people": problems}, code="invalid")
    created = Person.objects.bulk_create(made, batch_size=BATCH)
    people_created(person_ids=[person.pk for person in created])
    return created


def _addresses_on_file(addresses: list[str]) -> list[str]:
    wanted = sorted(set(addresses))
    taken: list[str] = []
    for start in range(0, len(wanted), BATCH):
        people = Person.objects.on_file().with_addresses(wanted[start : start + BATCH])
        taken += people.values_list("email_lower", flat=True)
    return sorted(taken)


@transaction.atomic
def attendances_create(
    *,
    event_id: int,
    entries: Sequence[NewAttendance],
    by: AbstractBaseUser | None = None,
    reason: str = pgettext_lazy("history reason", "Added to attendee list"),
    confirmed_embargo: bool = False,
) -> list[Attendance]:
    """Put people on an event's list, all or none, as attendance_add puts one: once each (anyone
    already listed refuses the whole list), approved or held as the adder may, the media on an
    event under embargo only as staff confirmed (visitors.embargo), in the history with who
    added them and why, invited if invites went out, and logged."""
    # Lock the event: the list and the invites that follow from it change one request at a time.
    event = Event.objects.locked(event_id)
    event.refuse_if_final(closed="its list is closed")
    person_ids = [entry.person_id for entry in entries]
    people = _names(person_ids)
    twice = [pk for pk, n in Counter(person_ids).items() if n > 1]
    problems = [_("Person #%(id)d is listed twice.") % {"id": pk} for pk in twice]
    missing = sorted(set(person_ids) - people.keys())
    problems += [_("No person #%(id)d.") % {"id": pk} for pk in missing]
    listed = listed_people(event_id=event_id, person_ids=person_ids)
    problems += [
        _("%(name)s is already on the attendee list.") % {"name": people[pk]}
        for pk in sorted(listed)
    ]
    now = timezone.now()
    unchecked = _unchecked(Attendance, NewAttendance)
    attendances = []
    for entry in entries:
        attendance = Attendance(event=event, **_values(entry))
        if attendance.rsvp != Attendance.RSVP.NEEDS_ACTION:
            attendance.rsvp_at = now
        attendance.dietary = attendance.dietary.strip()
        attendance.accessibility = attendance.accessibility.strip()
        approvals.approval_for_new(attendance, event=event, by=by)
        try:
            attendance.clean_fields(exclude=unchecked)
            attendance.clean()
        except ValidationError as error:
            problems.append(f"{people.get(entry.person_id, '')}: {_said(error)}")
        attendances.append(attendance)
    if problems:
        raise ValidationError({"person": problems}, code="invalid")
    media = embargo.media_confirm(
        event=event,
        entries=[(entry.person_id, entry.role) for entry in entries],
        by=by,
        confirmed=confirmed_embargo,
    )
    created = Attendance.objects.bulk_create(attendances, batch_size=BATCH)
    for confirmed in (False, True):  # the media's history also says that staff confirmed
        ids = [a.pk for a in created if (a.person_id in media) == confirmed]
        said = embargo.reason_confirmed(reason) if confirmed else reason
        if ids:
            audit.history_copy_created(Attendance, ids, by=by, reason=said, date=now)
    invitations.invites_queue_for_attendances(event=event, attendances=created, by=by)
    attendances_changed(event_id=event.pk, attendance_ids=[a.pk for a in created])
    return created


def _names(person_ids: list[int]) -> dict[int, str]:
    """The people's names by id (those that exist), for what a refusal says."""
    wanted = sorted(set(person_ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), BATCH):
        chunk = Person.objects.filter(pk__in=wanted[start : start + BATCH])
        names = chunk.values_list("pk", "name", "name_zh")
        found.update((pk, name or name_zh) for pk, name, name_zh in names)
    return found


def listed_people(*, event_id: int, person_ids: Sequence[int]) -> set[int]:
    """Which of these people are on the event's list (a query per 500)."""
    wanted = sorted(set(person_ids))
    listed: set[int] = set()
    for start in range(0, len(wanted), BATCH):
        listed.update(
            Attendance.objects.filter(
                event_id=event_id, person_id__in=wanted[start : start + BATCH]
            ).values_list("person_id", flat=True)
        )
    return listed


def _said(error: ValidationError) -> str:
    return " ".join(error.messages)
