"""E-mail backend for the embedded default: one .eml file per message under EMAIL_FILE_PATH."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    """Writes each message as RFC 5322 bytes, so a mail client opens it (invites included)."""

    def __init__(self, *, file_path: str | Path | None = None, **kwargs):
        super().__init__(**kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            path = self.directory / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            try:
                path.write_bytes(message.message().as_bytes(linesep="\r\n"))
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent
