"""A real SMTP server on 127.0.0.1 that keeps what it receives (aiosmtpd, in a thread).

Used by the end-to-end tests, the delivery task tests and bench/invites.py. It can refuse
chosen recipients (``rcpt_replies``), answer DATA with scripted replies (``data_replies``, e.g.
``"421 …"`` to drop the client), slow down (``delay`` seconds per message) and leave 8BITMIME
out of its EHLO answer (``eight_bit=False``), as some relays do.
"""

import asyncio
import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One message as the server got it: envelope recipients and the raw bytes."""

    rcpt_tos: tuple[str, ...]
    content: bytes
    at: float = field(default_factory=time.monotonic)  # when the server accepted it

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)

    def calendar_part(self) -> tuple[str, str]:
        """(the MIME method parameter, the decoded body) of the text/calendar alternative."""
        for part in self.message.walk():
            if part.get_content_type() == "text/calendar":
                return part.get_param("method") or "", part.get_content()
        raise AssertionError("no text/calendar part")

    def ical(self) -> dict[str, str]:
        """METHOD, and UID/SEQUENCE/STATUS of the VEVENT, read from the unfolded body."""
        _method, body = self.calendar_part()
        lines = re.sub(r"\r?\n[ \t]", "", body).splitlines()
        found: dict[str, str] = {}
        in_event = False
        for line in lines:
            name, _sep, value = line.partition(":")
            name = name.split(";")[0].upper()
            if line == "BEGIN:VEVENT":
                in_event = True
            elif line == "END:VEVENT":
                in_event = False
            elif name == "METHOD" or (in_event and name in {"UID", "SEQUENCE", "STATUS"}):
                found[name] = value
        return found


@dataclass
class Sink:
    port: int = field(default_factory=free_port)
    delay: float = 0.0
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_replies: list[str] = field(default_factory=list)
    eight_bit: bool = True  # offers 8BITMIME (RFC 6152)
    received: list[Received] = field(default_factory=list)
    sessions: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # --- aiosmtpd handler hooks ---------------------------------------------------------------

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self._lock:
            self.sessions += 1
        if not self.eight_bit:
            responses = [line for line in responses if "8BITMIME" not in line.upper()]
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            reply = self.data_replies.pop(0) if self.data_replies else "250 Accepted"
            if reply.startswith("250"):
                self.received.append(Received(tuple(envelope.rcpt_tos), envelope.content))
        return reply

    # --- control --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=10"

    def start(self) -> "Sink":
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "Sink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def by_recipient(self) -> dict[str, list[Received]]:
        with self._lock:
            received = list(self.received)
        found: dict[str, list[Received]] = {}
        for message in received:
            for address in message.rcpt_tos:
                found.setdefault(address, []).append(message)
        return found
