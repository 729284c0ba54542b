"""The organiser's mailbox over IMAP (IMAP_URL): replies read by themselves, on a schedule.

Each message is read once, by (mailbox, UIDVALIDITY, UID), and kept as an InboundReply
(visitors/replies.py decides it). Replies applied or refused move to IMAP_PROCESSED_FOLDER,
those held for staff to IMAP_REVIEW_FOLDER; mail that is no calendar reply stays in the inbox,
unread, for people (with a note in the back office). Folders are created when missing; MOVE is
used when the server has it, else COPY, \\Deleted and EXPUNGE (UID EXPUNGE with UIDPLUS).
"""

import contextlib
import imaplib
import ipaddress
import re
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .models import InboundReply
from .replies import reply_receive

# A calendar reply is a few kilobytes; past this only the headers are kept (mail for people).
MAX_MESSAGE_BYTES = 1_000_000
TIMEOUT_SECONDS = 30


class MailboxError(Exception):
    """The server refused something we asked (a folder, a move)."""


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str
    folder: str
    tls: bool

    @property
    def key(self) -> str:
        """Where a UID is valid: the same folder of the same account on the same server."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


def mailbox_parse(url: str) -> Mailbox:
    """imaps://user:pass@host:993/INBOX (TLS) or imap://…:143/INBOX (STARTTLS when offered)."""
    parts = urlsplit(url)
    if parts.scheme not in {"imap", "imaps"}:
        raise ImproperlyConfigured(f"IMAP_URL scheme {parts.scheme!r}: use imaps or imap")
    if not parts.hostname or not parts.username:
        raise ImproperlyConfigured("IMAP_URL needs a user and a host: imaps://user:pass@host/")
    tls = parts.scheme == "imaps"
    return Mailbox(
        host=parts.hostname,
        port=parts.port or (993 if tls else 143),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        tls=tls,
    )


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.tls:
        imap = imaplib.IMAP4_SSL(
            mailbox.host,
            mailbox.port,
            ssl_context=ssl.create_default_context(),
            timeout=TIMEOUT_SECONDS,
        )
    else:
        imap = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
        if "STARTTLS" in imap.capabilities:
            imap.starttls(ssl.create_default_context())
        elif not _loopback(mailbox.host):
            imap.shutdown()
            raise ImproperlyConfigured(
                f"{mailbox.host} offers no STARTTLS: the password would go in clear. Use imaps://."
            )
    imap.login(mailbox.user, mailbox.password)
    return imap


def _capabilities(imap: imaplib.IMAP4) -> set[str]:
    # Asked again after login: servers announce MOVE and UIDPLUS only to logged-in users.
    _, data = imap.capability()
    return set(data[0].decode().upper().split())


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(answer: tuple[str, list], doing: str) -> list:
    kind, data = answer
    if kind != "OK":
        raise MailboxError(f"{doing}: {kind} {data!r}")
    return data


def _folder_ensure(imap: imaplib.IMAP4, name: str) -> None:
    kind, _ = imap.create(_quote(name))
    if kind != "OK":  # most often [ALREADYEXISTS]; anything else shows when listing it
        listed = _check(imap.list('""', _quote(name)), f"LIST {name}")
        if not listed or listed == [None]:
            raise MailboxError(f"Cannot create the folder {name!r}")


def _move(imap: imaplib.IMAP4, uid: int, folder: str, capabilities: set[str]) -> None:
    if "MOVE" in capabilities:
        _check(imap.uid("MOVE", str(uid), _quote(folder)), f"MOVE {uid}")
        return
    _check(imap.uid("COPY", str(uid), _quote(folder)), f"COPY {uid}")
    _check(imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), f"STORE {uid}")
    if "UIDPLUS" in capabilities:
        _check(imap.uid("EXPUNGE", str(uid)), f"UID EXPUNGE {uid}")
    else:
        _check(imap.expunge(), "EXPUNGE")


def _fetched(data: list) -> bytes:
    return next(item[1] for item in data if isinstance(item, tuple))


def _message(imap: imaplib.IMAP4, uid: int) -> bytes:
    sized = _check(imap.uid("FETCH", str(uid), "(RFC822.SIZE)"), f"FETCH {uid}")
    size = re.search(rb"RFC822\.SIZE (\d+)", sized[0] or b"")
    # PEEK: mail left for people stays unread.
    part = "BODY.PEEK[]" if size and int(size[1]) <= MAX_MESSAGE_BYTES else "BODY.PEEK[HEADER]"
    return _fetched(_check(imap.uid("FETCH", str(uid), f"({part})"), f"FETCH {uid}"))


def _destination(reply: InboundReply) -> str | None:
    if reply.state == InboundReply.State.NOT_A_REPLY:
        return None
    if reply.state == InboundReply.State.NEEDS_REVIEW:
        return settings.IMAP_REVIEW_FOLDER
    return settings.IMAP_PROCESSED_FOLDER


def mailbox_read(*, url: str = "", limit: int = 100) -> list[InboundReply]:
    """Keep and decide each message not read before (up to ``limit``) and file it away; mail
    that is no reply stays for people. Nothing to do without IMAP_URL."""
    url = url or settings.IMAP_URL
    if not url:
        return []
    mailbox = mailbox_parse(url)
    imap = _connect(mailbox)
    try:
        capabilities = _capabilities(imap)
        for folder in (settings.IMAP_PROCESSED_FOLDER, settings.IMAP_REVIEW_FOLDER):
            _folder_ensure(imap, folder)
        _check(imap.select(_quote(mailbox.folder)), f"SELECT {mailbox.folder}")
        uidvalidity = int(imap.response("UIDVALIDITY")[1][0])
        uids = [int(uid) for uid in _check(imap.uid("SEARCH", None, "ALL"), "SEARCH")[0].split()]
        kept = dict(
            InboundReply.objects.filter(
                mailbox=mailbox.key, uidvalidity=uidvalidity, uid__in=uids
            ).values_list("uid", "state")
        )
        # Kept before but not moved (the run stopped between the two): just move them.
        todo = [uid for uid in uids if kept.get(uid) != InboundReply.State.NOT_A_REPLY]
        read = []
        for uid in todo[:limit]:
            data = b"" if uid in kept else _message(imap, uid)
            reply = reply_receive(
                data=data,
                source=InboundReply.Source.MAILBOX,
                mailbox=mailbox.key,
                uidvalidity=uidvalidity,
                uid=uid,
            )
            if folder := _destination(reply):
                _move(imap, uid, folder, capabilities)
            read.append(reply)
        return read
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):  # the work is already done
            imap.logout()
