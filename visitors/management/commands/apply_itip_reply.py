from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from visitors.itip import itip_reply_apply


def _reason(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


class Command(BaseCommand):
    help = (
        "Apply iTIP REPLYs (.ics files, or whole .eml messages holding one) as attendees' "
        "answers. Each file is applied only if it answers the current version of one of our "
        "events for exactly one invitee; otherwise the reason is printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help=".ics or .eml files")

    def handle(self, *args, files: list[Path], **options):
        refused = 0
        for path in files:
            try:
                attendance = itip_reply_apply(data=path.read_bytes())
            except OSError as error:
                refused += 1
                self.stderr.write(f"{path}: refused: cannot read ({error.strerror})")
            except ValidationError as error:
                refused += 1
                self.stderr.write(f"{path}: refused: {_reason(error)}")
            else:
                self.stdout.write(
                    f"{path}: applied: {attendance.person} "
                    f"{attendance.get_rsvp_display().lower()} "
                    f"“{attendance.event}” (SEQUENCE {attendance.event.sequence})"
                )
        if refused:
            raise CommandError(f"{refused} of {len(files)} file(s) refused.")
