"""Who each row of an attendee list is: someone on file, someone new, or a repeat.

By e-mail address first, whatever its case (full-width characters were made ASCII when the row
was read): an address on file is that person, for sure. Then, for a row whose address is not on
file or that has none, by name (English, whatever its case, or Chinese) and organisation: a
likely match that staff confirm row by row in the preview, since two people may share a name. A
row that would put someone on the list twice (a repeat within the file, or someone already on
the event's list) is skipped with the row or the listing it repeats. Partners' nominations are
never matched: they are not people on file.

Every lookup is a query per 500 rows, whatever the file holds.
"""

from collections.abc import Iterable

from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from ..bulk import listed_people
from ..models import Person
from .columns import folded
from .rows import CONFIRM, NEW, ON_FILE, SKIPPED, ImportRow

CHUNK = 500


def match_rows(rows: list[ImportRow], *, event_id: int) -> None:
    """Decide, in place, what each row that passed its checks becomes."""
    _skip_repeats(rows)
    live = [row for row in rows if row.status != SKIPPED]
    on_file = people_by_email(row.values["email"] for row in live if row.values["email"])
    for row in live:
        person = on_file.get(row.values["email"].lower()) if row.values["email"] else None
        if person is not None:
            row.status, row.person_id, row.person = ON_FILE, person.pk, on_file_label(person)
    _propose_by_name([row for row in live if row.status == NEW])
    skip_listed_and_twice(rows, event_id=event_id)


def _skip_repeats(rows: list[ImportRow]) -> None:
    """A row for the same address, or the same name at the same organisation, as an earlier
    row is skipped."""
    first: dict[tuple, int] = {}
    for row in rows:
        if row.status == SKIPPED:
            continue
        values = row.values
        key = (
            ("email", values["email"].lower())
            if values["email"]
            else ("name", folded(values["name"]), values["name_zh"], values["organisation_id"])
        )
        if key in first:
            row.skip(_("The same person as row %(row)d.") % {"row": first[key]})
        else:
            first[key] = row.row


def people_by_email(addresses: Iterable[str]) -> dict[str, Person]:
    """People on file by their address in lower case."""
    wanted = sorted({address.lower() for address in addresses})
    found: dict[str, Person] = {}
    for start in range(0, len(wanted), CHUNK):
        people = _on_file().with_addresses(wanted[start : start + CHUNK])
        found.update({person.email.lower(): person for person in people})
    return found


def _propose_by_name(rows: list[ImportRow]) -> None:
    names = sorted({row.values["name"].lower() for row in rows if row.values["name"]})
    names_zh = sorted({row.values["name_zh"] for row in rows if row.values["name_zh"]})
    candidates: dict[int, Person] = {}
    for start in range(0, len(names), CHUNK):
        people = _on_file().annotate(name_lower=Lower("name"))
        candidates.update(
            (p.pk, p) for p in people.filter(name_lower__in=names[start : start + CHUNK])
        )
    for start in range(0, len(names_zh), CHUNK):
        people = _on_file().filter(name_zh__in=names_zh[start : start + CHUNK])
        candidates.update((p.pk, p) for p in people)
    by_name: dict[tuple, list[Person]] = {}
    for person in candidates.values():
        for key in _name_keys(person.name, person.name_zh, person.organisation_id):
            by_name.setdefault(key, []).append(person)
    for row in rows:
        values = row.values
        keys = _name_keys(values["name"], values["name_zh"], values["organisation_id"])
        matches = list({p.pk: p for key in keys for p in by_name.get(key, [])}.values())
        if len(matches) == 1:
            person = matches[0]
            row.status, row.person_id, row.person = CONFIRM, person.pk, on_file_label(person)
            if values["email"] and person.email:
                row.note = _("On file with another address, %(email)s.") % {"email": person.email}
        elif matches:
            row.skip(
                _(
                    "Several people on file have this name at this organisation (%(people)s): "
                    "give the row their e-mail address."
                )
                % {"people": "; ".join(on_file_label(person) for person in matches[:5])}
            )


def _name_keys(name: str, name_zh: str, organisation_id: int | None) -> list[tuple]:
    keys = []
    if name:
        keys.append(("en", folded(name), organisation_id))
    if name_zh:
        keys.append(("zh", folded(name_zh), organisation_id))
    return keys


def skip_listed_and_twice(rows: list[ImportRow], *, event_id: int) -> None:
    """Someone already on the event's list, or found for an earlier row, is skipped."""
    people = sorted({row.person_id for row in rows if row.person_id is not None})
    listed = listed_people(event_id=event_id, person_ids=people)
    found_at: dict[int, int] = {}
    for row in rows:
        if row.person_id is None:
            continue
        if row.person_id in listed:
            row.skip(
                _("Already on the attendee list.")
                if row.status == ON_FILE
                else _(
                    "%(person)s, of this name and organisation, is already on the attendee "
                    "list: if the row is someone else, give their e-mail address."
                )
                % {"person": row.person}
            )
        elif row.person_id in found_at:
            row.skip(_("The same person as row %(row)d.") % {"row": found_at[row.person_id]})
        else:
            found_at[row.person_id] = row.row


def _on_file():
    return Person.objects.on_file().select_related("organisation")


def on_file_label(person: Person) -> str:
    """'Ms Chan Tai Man (陳大文) · Time Medical · chan@example.org': who a row was matched to."""
    parts = [person.display_name]
    if person.organisation is not None:
        parts.append(person.organisation.name)
    if person.email:
        parts.append(person.email)
    return " · ".join(parts)
