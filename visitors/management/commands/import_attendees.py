from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from scheduling.models import Event
from visitors.imports import services
from visitors.imports.rows import CONFIRM, SKIPPED

WORDS = {
    "new": "new person",
    "on_file": "on file",
    "confirm": "match to confirm",
    "skipped": "skipped",
}


class Command(BaseCommand):
    help = (
        "Import an event's attendee list from an Excel workbook (.xlsx) or a CSV file, as the "
        "staff pages do. Prints what each row would become (a new person, someone on file by "
        "e-mail, a match by name and organisation to confirm, or skipped and why) and saves "
        "nothing unless --confirm is given. Matches by name are taken only for the rows named "
        "with --accept-match (or all of them with --accept-all-matches); the others become new "
        "people. The media on an event under embargo are imported only with --confirm-embargo, "
        "which the history records as the user's confirmation."
    )

    def add_arguments(self, parser):
        parser.add_argument("event_id", type=int, help="the event's id")
        parser.add_argument("file", type=Path, help="an .xlsx or .csv file")
        parser.add_argument("--confirm", action="store_true", help="save the rows not skipped")
        parser.add_argument(
            "--accept-match",
            type=int,
            action="append",
            default=[],
            metavar="ROW",
            help="a row number whose match by name is right (repeatable)",
        )
        parser.add_argument(
            "--accept-all-matches", action="store_true", help="take every match by name"
        )
        parser.add_argument(
            "--confirm-embargo",
            action="store_true",
            help="the media may be told of this event before its embargo ends (recorded)",
        )
        parser.add_argument("--user", help="the staff user the history names (a username)")

    def handle(self, *args, event_id: int, file: Path, **options):
        if not Event.objects.filter(pk=event_id).exists():
            raise CommandError(f"No event #{event_id}.")
        by = None
        if options["user"]:
            by = get_user_model().objects.filter(username=options["user"]).first()
            if by is None:
                raise CommandError(f"No user {options['user']!r}.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: cannot read ({error.strerror}).") from None
        try:
            rows = services.attendee_import_read(event_id=event_id, data=data)
        except ValidationError as error:
            raise CommandError(f"{file}: {' '.join(error.messages)}") from None
        media = services.media_rows(event=Event.objects.get(pk=event_id), rows=rows)
        for row in rows:
            shown = row.shown
            who = " ".join(part for part in (shown["name"], shown["name_zh"]) if part)
            line = f"row {row.row}: {WORDS[row.status]}: {who}"
            if row.person:
                line += f" → {row.person}"
            if row.reason or row.note:
                line += f" ({row.reason or row.note})"
            if row.row in media:
                line += " [media, under embargo: needs --confirm-embargo]"
            self.stdout.write(line)
        counts = services.counts(rows)
        self.stdout.write(", ".join(f"{counts[status]} {WORDS[status]}" for status in WORDS) + ".")
        if not options["confirm"]:
            self.stdout.write("Nothing saved: run again with --confirm to import.")
            return
        accepted = {row.row for row in rows if row.status == CONFIRM}
        if not options["accept_all_matches"]:
            accepted &= set(options["accept_match"])
        try:
            result = services.attendee_import_save(
                event_id=event_id,
                rows=rows,
                confirmed=accepted,
                by=by,
                source=file.name,
                confirmed_embargo=options["confirm_embargo"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        for row in result.changed:
            self.stderr.write(f"row {row.row}: {row.reason or row.note}")
        skipped = sum(1 for row in rows if row.status == SKIPPED)
        self.stdout.write(
            f"Imported: {result.added} added to the list ({result.people_created} new on file); "
            f"{skipped} skipped."
        )
