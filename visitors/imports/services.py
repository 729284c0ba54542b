"""Attendee lists from spreadsheets: read and previewed, then saved once staff confirm.

``attendee_import_read`` reads a CSV or XLSX file, checks every row and decides who each is
(visitors.imports.rows and .matching), writing nothing. ``attendee_import_preview`` keeps that
preview as an ImportBatch of the uploader's (the staff pages' two steps);
``attendee_import_confirm`` saves the rows of a batch as staff accepted them and deletes it, and
``attendee_import_discard`` deletes it unsaved. ``attendee_import_save`` is the saving itself,
for rows read a moment ago (the import_attendees command): new people and the whole list in a
few bulk inserts through visitors.bulk, after checking again, under the event's lock, what may
have changed since the rows were read. On an event under embargo the rows that are the media
(``media_rows``) are saved only as staff confirm it, as when they are added one by one
(visitors.embargo).
"""

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from core import changes as change_log
from core.audit import reason_with
from core.spreadsheets import read_rows
from scheduling.models import Event

from .. import bulk, embargo
from ..models import Attendance, Organisation
from .columns import expected_headings, read_headings
from .matching import match_rows, people_by_email, skip_listed_and_twice
from .models import ImportBatch
from .rows import CONFIRM, NEW, ON_FILE, SKIPPED, ImportRow, OrganisationIndex, read_row

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000


@dataclass
class ImportResult:
    """What an import saved: attendances added, people put on file for them, and the rows
    skipped (``changed``: those skipped or matched for a reason found only when saving)."""

    added: int = 0
    people_created: int = 0
    skipped: list[ImportRow] = field(default_factory=list)
    changed: list[ImportRow] = field(default_factory=list)


def attendee_import_read(*, event_id: int, data: bytes) -> list[ImportRow]:
    """The rows of a file, each checked and matched, with a reason for every row skipped;
    a file that cannot be read as an attendee list is refused with a ValidationError that says
    why (not a spreadsheet, too large, headings missing or unknown, too many rows)."""
    event = Event.objects.get(pk=event_id)
    event.refuse_if_final(closed="its list is closed")
    if not data:
        raise ValidationError({"file": _("The file is empty.")}, code="empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than %(mb)d MB: split it.") % {"mb": _mb()}},
            code="too_large",
        )
    table = read_rows(data, max_rows=MAX_ROWS + 1)  # one more than read, to say so
    while table and not any(str(cell or "").strip() for cell in table[0]):
        table = table[1:]  # blank lines above the headings
    if not table:
        raise ValidationError({"file": _("The file is empty.")}, code="empty")
    headings = read_headings(table[0])
    problems = []
    if headings.missing_name:
        problems.append(_("Missing column: “Name” or “Chinese name” (one at least)."))
    if headings.unknown:
        problems.append(
            _("Unknown columns: %(columns)s. The columns read are %(expected)s.")
            % {
                "columns": ", ".join(f"“{name}”" for name in headings.unknown),
                "expected": expected_headings(),
            }
        )
    if headings.twice:
        problems.append(
            _("Columns given twice: %(columns)s.")
            % {"columns": ", ".join(f"“{name}”" for name in headings.twice)}
        )
    if problems:
        raise ValidationError({"file": problems}, code="columns")
    if len(table) - 1 > MAX_ROWS:
        raise ValidationError(
            {
                "file": _("The file has more than %(rows)s rows: split it.")
                % {"rows": f"{MAX_ROWS:,}"}
            },
            code="too_many_rows",
        )
    organisations = OrganisationIndex()
    rows = [
        row
        for number, cells in enumerate(table[1:], start=2)
        if (row := read_row(number, cells, headings, event=event, organisations=organisations))
    ]
    if not rows:
        raise ValidationError({"file": _("The file has headings but no rows.")}, code="empty")
    match_rows(rows, event_id=event.pk)
    return rows


def _mb() -> int:
    return MAX_UPLOAD_BYTES // (1024 * 1024)


@transaction.atomic
def attendee_import_preview(
    *, event_id: int, data: bytes, filename: str, by: AbstractBaseUser
) -> ImportBatch:
    """Read a file (attendee_import_read) and keep its preview for the uploader to confirm;
    previews older than ImportBatch.EXPIRES_AFTER, anyone's, are swept away."""
    rows = attendee_import_read(event_id=event_id, data=data)
    ImportBatch.objects.filter(created_at__lt=timezone.now() - ImportBatch.EXPIRES_AFTER).delete()
    return ImportBatch.objects.create(
        event_id=event_id,
        created_by=by,
        filename=filename[:255],
        rows=[row.as_json() for row in rows],
    )


def import_batch_of(*, batch_id: int, by: AbstractBaseUser) -> ImportBatch:
    """The uploader's own batch, still fresh; refused when gone, another's, or expired."""
    batch = ImportBatch.objects.filter(pk=batch_id, created_by=by).first()
    if batch is None:
        raise ValidationError(
            _("This preview is gone: it was imported or discarded already."), code="gone"
        )
    if batch.expires_at <= timezone.now():
        batch.delete()
        raise ValidationError(_("This preview expired: upload the file again."), code="expired")
    return batch


def attendee_import_confirm(
    *,
    batch_id: int,
    by: AbstractBaseUser,
    confirmed: Collection[int] = (),
    confirmed_embargo: bool = False,
) -> ImportResult:
    """Save a preview as staff accepted it (``confirmed``: the numbers of the rows whose match
    by name they ticked; ``confirmed_embargo``: that the media may be told of an event under
    embargo) and delete it; a preview is saved once, and one refused is kept to confirm again."""
    batch = import_batch_of(batch_id=batch_id, by=by)  # outside: an expired one goes for good
    with transaction.atomic():
        Event.objects.locked(batch.event_id)  # the event first, as every change to its list
        # Locked too: a second click on Import waits, then finds it gone.
        if not ImportBatch.objects.select_for_update().filter(pk=batch.pk).exists():
            raise ValidationError(_("This preview was imported already."), code="gone")
        rows = [ImportRow.from_json(data) for data in batch.rows]
        result = attendee_import_save(
            event_id=batch.event_id,
            rows=rows,
            confirmed=confirmed,
            by=by,
            source=batch.filename,
            confirmed_embargo=confirmed_embargo,
        )
        batch.delete()
    return result


@transaction.atomic
def attendee_import_discard(*, batch_id: int, by: AbstractBaseUser) -> None:
    """Delete a preview unsaved."""
    ImportBatch.objects.filter(pk=batch_id, created_by=by).delete()


@transaction.atomic
def attendee_import_save(
    *,
    event_id: int,
    rows: list[ImportRow],
    confirmed: Collection[int] = (),
    by: AbstractBaseUser | None = None,
    source: str = "",
    confirmed_embargo: bool = False,
) -> ImportResult:
    """Save rows read by attendee_import_read: a match by name only where its row number is in
    ``confirmed`` (the other such rows are new people); skipped rows stay skipped; the media on
    an event under embargo only with ``confirmed_embargo`` (visitors.embargo), all or none.
    Under the event's lock it checks again what may have changed since they were read: an
    address put on file meanwhile is that person, someone put on the list meanwhile is
    skipped."""
    event = Event.objects.locked(event_id)
    event.refuse_if_final(closed="its list is closed")
    before = {row.row: (row.status, row.person_id) for row in rows}
    for row in rows:
        if row.status == CONFIRM and row.row not in confirmed:
            row.status, row.person_id, row.person = NEW, None, ""
    _recheck(rows, event_id=event.pk)
    new_rows = [row for row in rows if row.status == NEW]
    with change_log.deferred():  # the log's lock after every insert
        people = bulk.people_create(people=[_new_person(row) for row in new_rows])
        for row, person in zip(new_rows, people, strict=True):
            row.person_id = person.pk
        saved = [row for row in rows if row.status != SKIPPED]
        reason = (
            reason_with(pgettext_lazy("history reason", "Imported from"), source)
            if source
            else pgettext_lazy("history reason", "Imported from a spreadsheet")
        )
        bulk.attendances_create(
            event_id=event.pk,
            entries=[_new_attendance(row) for row in saved],
            by=by,
            reason=reason,
            confirmed_embargo=confirmed_embargo,
        )
    changed = [
        row
        for row in rows
        if (row.status == SKIPPED) != (before[row.row][0] == SKIPPED)
        or (before[row.row][0] == NEW and row.status == ON_FILE)
    ]
    return ImportResult(
        added=len(saved),
        people_created=len(people),
        skipped=[row for row in rows if row.status == SKIPPED],
        changed=changed,
    )


def media_rows(*, event: Event, rows: list[ImportRow]) -> set[int]:
    """The numbers of the rows that put the media on an event under embargo, which staff
    confirm before the import (visitors.embargo); none, and no query, for any other event."""
    if not event.under_embargo:
        return set()
    saved = [row for row in rows if row.status != SKIPPED]
    on_file = embargo.media_among(
        event=event,
        entries=[(row.person_id, row.values["role"]) for row in saved if row.person_id],
    )
    # Someone new is not on file yet: their organisation's kind is what media_among will read.
    # (A match by name left unticked is new at the same organisation as the person on file.)
    organisations = {row.values["organisation_id"] for row in saved if row.status == NEW}
    media_organisations = set(
        Organisation.objects.filter(
            pk__in=organisations - {None}, kind=Organisation.Kind.MEDIA
        ).values_list("pk", flat=True)
    )
    return {
        row.row
        for row in saved
        if row.values["role"] == Attendance.Role.MEDIA
        or row.person_id in on_file
        or (row.status == NEW and row.values["organisation_id"] in media_organisations)
    }


def _recheck(rows: list[ImportRow], *, event_id: int) -> None:
    live = [row for row in rows if row.status != SKIPPED]
    organisations = {row.values["organisation_id"] for row in live} - {None}
    kept = set(Organisation.objects.filter(pk__in=organisations).values_list("pk", flat=True))
    addresses = [row.values["email"] for row in live if row.status == NEW and row.values["email"]]
    on_file = people_by_email(addresses)
    for row in live:
        if row.values["organisation_id"] not in kept | {None}:
            row.skip(_("Its organisation was removed since the file was read."))
        elif row.status == NEW and row.values["email"].lower() in on_file:
            person = on_file[row.values["email"].lower()]
            row.status, row.person_id = ON_FILE, person.pk
            row.note = _("Put on file with this address since the file was read.")
    skip_listed_and_twice(rows, event_id=event_id)


def _new_person(row: ImportRow) -> bulk.NewPerson:
    values = row.values
    return bulk.NewPerson(
        name=values["name"],
        name_zh=values["name_zh"],
        honorific=values["honorific"],
        post=values["post"],
        organisation_id=values["organisation_id"],
        email=values["email"],
        phone=values["phone"],
    )


def _new_attendance(row: ImportRow) -> bulk.NewAttendance:
    values = row.values
    return bulk.NewAttendance(
        person_id=row.person_id,
        role=values["role"],
        rsvp=values["rsvp"],
        guests=values["guests"],
        call_time=row.call_time,
        dietary=values["dietary"],
        accessibility=values["accessibility"],
        notes=values["notes"],
    )


def counts(rows: list[ImportRow]) -> Counter:
    """Rows by what becomes of them (NEW, ON_FILE, CONFIRM, SKIPPED)."""
    return Counter(row.status for row in rows)


def result_message(result: ImportResult) -> str:
    """What an import did, in a sentence for staff."""
    said = ngettext(
        "%(count)d person added to the list",
        "%(count)d people added to the list",
        result.added,
    ) % {"count": result.added}
    said += _(" (%(count)d new on file)") % {"count": result.people_created}
    if result.skipped:
        said += ngettext(
            "; %(count)d row skipped", "; %(count)d rows skipped", len(result.skipped)
        ) % {"count": len(result.skipped)}
    return pgettext("the end of a sentence", "%(sentence)s.") % {"sentence": said}


__all__ = [
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "ImportResult",
    "attendee_import_confirm",
    "attendee_import_discard",
    "attendee_import_preview",
    "attendee_import_read",
    "attendee_import_save",
    "counts",
    "import_batch_of",
    "media_rows",
    "result_message",
]
