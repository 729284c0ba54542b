"""Replies read from the organiser's mailbox, over a real IMAP connection to Dovecot."""

import base64
import imaplib
import itertools
import os
import quopri
import textwrap
from contextlib import ExitStack

import pytest
from django.conf import settings

from tests.factories import AttendanceFactory, EventFactory
from tests.visitors.dovecot import PASSWORD, USERS, dovecot, dovecot_binary
from visitors import mailbox as mailbox_module
from visitors.mailbox import mailbox_read
from visitors.models import Attendance, InboundReply

pytestmark = pytest.mark.django_db

_users = itertools.cycle(USERS)


def _require(tool_ok: bool, reason: str) -> None:
    if tool_ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the IMAP tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def imap_port():
    binary = dovecot_binary()
    _require(binary is not None, "Dovecot is not installed (apt-get install dovecot-imapd)")
    with ExitStack() as stack:
        try:
            port = stack.enter_context(dovecot(binary))
        except RuntimeError as error:  # installed, but cannot run here (e.g. its users missing)
            _require(False, str(error))
        yield port


@pytest.fixture
def office(imap_port):
    """A fresh account on the server: (IMAP_URL, a logged-in connection to append and look)."""
    user = next(_users)
    connection = imaplib.IMAP4("127.0.0.1", imap_port, timeout=10)
    connection.login(user, PASSWORD)
    for folder in (settings.IMAP_PROCESSED_FOLDER, settings.IMAP_REVIEW_FOLDER):
        connection.delete(f'"{folder}"')  # a user comes round again after 40 tests
    _, count = connection.select("INBOX")
    if int(count[0]):
        connection.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
        connection.expunge()
    yield f"imap://{user}:{PASSWORD}@127.0.0.1:{imap_port}/INBOX", connection
    connection.logout()


def _folder(connection: imaplib.IMAP4, name: str) -> list[bytes]:
    """The Subject of each message in a folder."""
    kind, _ = connection.select(f'"{name}"', readonly=True)
    if kind != "OK":
        return []
    _, found = connection.search(None, "ALL")
    subjects = []
    for number in found[0].split():
        _, data = connection.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subjects.append(data[0][1].strip().removeprefix(b"Subject: "))
    return subjects


def _ics(attendance: Attendance, *, prodid: str, partstat: str, stamp: str) -> str:
    event = attendance.event
    return textwrap.dedent(f"""\
        BEGIN:VCALENDAR
        PRODID:{prodid}
        VERSION:2.0
        CALSCALE:GREGORIAN
        METHOD:REPLY
        BEGIN:VEVENT
        DTSTART:20300304T020000Z
        DTEND:20300304T040000Z
        DTSTAMP:{stamp}
        ORGANIZER;CN=Protocol Office:mailto:{settings.ORGANISER_EMAIL}
        UID:{event.uid}
        ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};CN={attendance.person.name}:mailto:{attendance.person.email}
        SEQUENCE:{event.sequence}
        STATUS:CONFIRMED
        SUMMARY:{event.title}
        END:VEVENT
        END:VCALENDAR
        """).replace("\n", "\r\n")


def _outlook(attendance: Attendance, sender: str | None = None) -> bytes:
    """Outlook / Exchange: text/calendar; method=REPLY inside multipart/alternative, base64."""
    ics = _ics(
        attendance,
        prodid="Microsoft Exchange Server 2010",
        partstat="ACCEPTED",
        stamp="20300201T093000Z",
    )
    body = base64.encodebytes(ics.encode()).decode().replace("\n", "\r\n")
    return (
        textwrap.dedent(f"""\
        From: "Sit, Alfred" <{sender or attendance.person.email}>
        To: Protocol Office <{settings.ORGANISER_EMAIL}>
        Subject: Accepted: {attendance.event.title}
        Thread-Topic: {attendance.event.title}
        Date: Fri, 1 Feb 2030 09:30:12 +0000
        Message-ID: <DB9PR01MB1234.outlook-{attendance.pk}@eurprd01.prod.exchangelabs.com>
        Content-Language: en-GB
        X-MS-Has-Attach:
        X-MS-TNEF-Correlator:
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="_000_DB9PR01MB_"

        --_000_DB9PR01MB_
        Content-Type: text/plain; charset="us-ascii"
        Content-Transfer-Encoding: quoted-printable

        Accepted.

        --_000_DB9PR01MB_
        Content-Type: text/html; charset="us-ascii"
        Content-Transfer-Encoding: quoted-printable

        <html><body><p>Accepted.</p></body></html>

        --_000_DB9PR01MB_
        Content-Type: text/calendar; charset="utf-8"; method=REPLY
        Content-Transfer-Encoding: base64

        """)
        .replace("\n", "\r\n")
        .encode()
        + body.encode()
        + b"\r\n--_000_DB9PR01MB_--\r\n"
    )


def _gmail(attendance: Attendance) -> bytes:
    """Gmail: text/calendar; method=REPLY in multipart/alternative, and invite.ics attached
    as application/ics, inside multipart/mixed."""
    ics = _ics(
        attendance,
        prodid="-//Google Inc//Google Calendar 70.9054//EN",
        partstat="DECLINED",
        stamp="20300201T101500Z",
    )
    body = base64.encodebytes(ics.encode()).decode().replace("\n", "\r\n")
    return (
        textwrap.dedent(f"""\
        MIME-Version: 1.0
        Date: Fri, 1 Feb 2030 10:15:00 +0000
        Message-ID: <calendar-{attendance.pk}@google.com>
        Subject: Declined: {attendance.event.title}
        From: {attendance.person.name} <{attendance.person.email}>
        To: {settings.ORGANISER_EMAIL}
        Content-Type: multipart/mixed; boundary="000000000000aa"

        --000000000000aa
        Content-Type: multipart/alternative; boundary="000000000000bb"

        --000000000000bb
        Content-Type: text/plain; charset="UTF-8"

        {attendance.person.name} has declined this invitation.

        --000000000000bb
        Content-Type: text/html; charset="UTF-8"

        <p>{attendance.person.name} has declined this invitation.</p>

        --000000000000bb
        Content-Type: text/calendar; charset="UTF-8"; method=REPLY
        Content-Transfer-Encoding: 7bit

        """).replace("\n", "\r\n")
        + ics
        + "\r\n--000000000000bb--\r\n--000000000000aa\r\n"
        + 'Content-Type: application/ics; name="invite.ics"\r\n'
        + 'Content-Disposition: attachment; filename="invite.ics"\r\n'
        + "Content-Transfer-Encoding: base64\r\n\r\n"
        + body
        + "\r\n--000000000000aa--\r\n"
    ).encode()


def _apple(attendance: Attendance, sender: str) -> bytes:
    """Apple Mail / Calendar: text/calendar; method=REPLY, quoted-printable, in multipart/mixed."""
    ics = _ics(
        attendance,
        prodid="-//Apple Inc.//macOS 14.2//EN",
        partstat="TENTATIVE",
        stamp="20300201T110000Z",
    )
    body = quopri.encodestring(ics.encode()).decode()
    return (
        textwrap.dedent(f"""\
        From: {attendance.person.name} <{sender}>
        Content-Type: multipart/mixed; boundary="Apple-Mail=_5B1C"
        Mime-Version: 1.0 (Mac OS X Mail 16.0)
        Subject: Tentative: {attendance.event.title}
        Date: Fri, 1 Feb 2030 19:00:00 +0800
        Message-Id: <A1B2C3-{attendance.pk}@example.com>
        To: {settings.ORGANISER_EMAIL}

        --Apple-Mail=_5B1C
        Content-Transfer-Encoding: 7bit
        Content-Type: text/plain; charset=us-ascii

        {attendance.person.name} has tentatively accepted.

        --Apple-Mail=_5B1C
        Content-Transfer-Encoding: quoted-printable
        Content-Type: text/calendar; method=REPLY; name="iCal-20300201-110000.ics"
        Content-Disposition: inline; filename="iCal-20300201-110000.ics"

        """).replace("\n", "\r\n")
        + body
        + "\r\n--Apple-Mail=_5B1C--\r\n"
    ).encode()


ORDINARY = (
    b"From: Ada <ada@example.org>\r\nTo: protocol@localhost\r\nSubject: Parking\r\n"
    b"Content-Type: text/plain\r\n\r\nWhere do we park?\r\n"
)


def _invitees(count: int) -> list[Attendance]:
    event = EventFactory(sequence=1)
    return [AttendanceFactory(event=event) for _ in range(count)]


def test_mailbox_read_applies_outlook_gmail_and_apple_replies_and_files_them(office):
    url, connection = office
    outlook, gmail, apple = _invitees(3)
    connection.append("INBOX", None, None, _outlook(outlook))
    connection.append("INBOX", None, None, _gmail(gmail))
    connection.append("INBOX", None, None, ORDINARY)
    connection.append("INBOX", None, None, _apple(apple, sender="someone@else.example"))

    read = mailbox_read(url=url)

    assert [reply.state for reply in read] == ["applied", "applied", "not_a_reply", "needs_review"]
    answers = {a.pk: a.rsvp for a in Attendance.objects.filter(pk__in=[outlook.pk, gmail.pk])}
    assert answers == {outlook.pk: "accepted", gmail.pk: "declined"}
    assert read[3].attendance == apple and read[3].code == "sender"
    assert _folder(connection, "INBOX") == [b"Parking"]
    assert sorted(_folder(connection, settings.IMAP_PROCESSED_FOLDER)) == sorted(
        [f"Accepted: {outlook.event.title}".encode(), f"Declined: {gmail.event.title}".encode()]
    )
    assert _folder(connection, settings.IMAP_REVIEW_FOLDER) == [
        f"Tentative: {apple.event.title}".encode()
    ]
    _, flags = connection.fetch("1", "(FLAGS)")
    assert b"\\Seen" not in flags[0]  # left unread for people


def test_mailbox_read_reads_each_message_once(office):
    url, connection = office
    (attendance,) = _invitees(1)
    connection.append("INBOX", None, None, ORDINARY)
    connection.append("INBOX", None, None, _apple(attendance, sender=attendance.person.email))

    first = mailbox_read(url=url)
    again = mailbox_read(url=url)

    assert [reply.state for reply in first] == ["not_a_reply", "applied"]
    assert again == []
    assert InboundReply.objects.count() == 2
    assert _folder(connection, "INBOX") == [b"Parking"]


def test_mailbox_read_moves_by_copy_and_expunge_without_move(office, monkeypatch):
    url, connection = office
    (attendance,) = _invitees(1)
    connection.append("INBOX", None, None, _outlook(attendance, sender="mallory@example.net"))
    connection.append("INBOX", None, None, ORDINARY)
    connection.store("2", "+FLAGS.SILENT", r"(\Deleted)")  # a person's, not ours to expunge
    real = mailbox_module._capabilities
    monkeypatch.setattr(mailbox_module, "_capabilities", lambda imap: real(imap) - {"MOVE"})

    (reply,) = mailbox_read(url=url, limit=1)

    assert reply.state == "needs_review"
    assert _folder(connection, settings.IMAP_REVIEW_FOLDER) == [
        f"Accepted: {attendance.event.title}".encode()
    ]
    assert _folder(connection, "INBOX") == [b"Parking"]


def test_mailbox_read_files_a_message_kept_before_a_failed_move(office, monkeypatch):
    url, connection = office
    (attendance,) = _invitees(1)
    connection.append("INBOX", None, None, _outlook(attendance))
    monkeypatch.setattr(mailbox_module, "_move", _fail)
    with pytest.raises(RuntimeError):
        mailbox_read(url=url)
    monkeypatch.undo()

    again = mailbox_read(url=url)

    assert [reply.state for reply in again] == ["applied"]
    assert InboundReply.objects.count() == 1
    assert _folder(connection, settings.IMAP_PROCESSED_FOLDER) == [
        f"Accepted: {attendance.event.title}".encode()
    ]


def _fail(*args):
    raise RuntimeError("the connection dropped")


def test_mailbox_read_does_nothing_without_imap_url(settings):
    settings.IMAP_URL = ""

    assert mailbox_read() == []
