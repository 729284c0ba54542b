from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from visitors.models import InboundReply
from visitors.replies import reply_receive


class Command(BaseCommand):
    help = (
        "Apply iTIP REPLYs (.ics files, or whole .eml messages holding one) as attendees' "
        "answers. Each file is kept as an inbound reply (admin: Visitors › Inbound replies) and "
        "applied only if it answers the current version of one of our events for exactly one "
        "invitee, from the office's ORGANIZER; an e-mail must come from that invitee. Replies "
        "that may be forged, delegate or propose a new time wait for staff. A bare .ics file has "
        "no sender: by giving it, you vouch for where it came from."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help=".ics or .eml files")

    def handle(self, *args, files: list[Path], **options):
        not_applied = 0
        for path in files:
            try:
                data = path.read_bytes()
            except OSError as error:
                not_applied += 1
                self.stderr.write(f"{path}: refused: cannot read ({error.strerror})")
                continue
            reply = reply_receive(data=data, source=InboundReply.Source.FILE)
            if reply.state == InboundReply.State.APPLIED:
                attendance = reply.attendance
                self.stdout.write(
                    f"{path}: applied: {attendance.person} "
                    f"{attendance.get_rsvp_display().lower()} "
                    f"“{attendance.event}” (SEQUENCE {attendance.event.sequence})"
                )
                continue
            not_applied += 1
            verdict = "kept for review" if reply.state == reply.State.NEEDS_REVIEW else "refused"
            self.stderr.write(f"{path}: {verdict} (inbound reply #{reply.pk}): {reply.reason}")
        if not_applied:
            raise CommandError(f"{not_applied} of {len(files)} file(s) not applied.")
