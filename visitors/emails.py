"""The e-mail for one outbox row: an invite or update (REQUEST), a CANCEL, or a reminder.

An invite is ``multipart/mixed`` → ``multipart/alternative`` [text/plain, text/html,
``text/calendar; method=…; charset=utf-8``] + ``application/ics`` (invite.ics), the shape
Outlook, Gmail, Apple Calendar and Thunderbird all read (RFC 6047, CALENDAR.md). The MIME
``method`` always equals the METHOD inside, which Exchange Online insists on.

Messages are built from current data when they are sent, never stored: an update that lands
while a row waits in the queue is what the attendee gets.

A batch sends one event version to many attendees, so what they share is built once and kept
with the event's facts (``InviteFacts.shared``): the calendar lines (``invite_ics``) and the
bodies. The templates see the event and its facts, and of the attendee only ``name``,
``call_time``, ``is_update``, ``current_answer``, ``answer_links`` and ``rsvp_url``. A body is
rendered once per event version and variant with markers in place of those values, which each
message fills in, escaped as the template would have; the first message of each variant is
also rendered in full and compared, and a template that does more with those values than show
them is then simply rendered in full for every message. The MIME tree is the one Django's
EmailMultiAlternatives builds, built directly and written out without Python's generic
generator: the same bytes (the tests compare them) at a fraction of the cost.
"""

import base64
import functools
import logging
import re
import secrets
from email import policy as email_policy
from email.message import Message
from email.mime.base import MIMEBase
from email.utils import formatdate, make_msgid, parseaddr, quote
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import (
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    SafeMIMEMultipart,
    SafeMIMEText,
    forbid_multi_line_headers,
    sanitize_address,
    utf8_charset,
)
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .ical import InviteFacts, invite_facts, invite_ics
from .models import Attendance, Delivery
from .rsvp import rsvp_url

logger = logging.getLogger(__name__)

ANSWER_LINKS = (
    (Attendance.RSVP.ACCEPTED, _lazy("Accept")),
    (Attendance.RSVP.TENTATIVE, _lazy("Tentative")),
    (Attendance.RSVP.DECLINED, _lazy("Decline")),
)


class _FoldOnce(email_policy.Compat32):
    """Python's default (compat32) e-mail policy, remembering how it folded each header.

    Most headers of an invite (content types, encodings, From, a batch's Subject) are the
    same in every message, and compat32's folding of one costs more than the rest of writing
    it. Folding is a pure function of the header, so a remembered answer is the same bytes;
    and a short line of printable ASCII is written as it is, which is what compat32 does.
    """

    _folded: dict[tuple, bytes] = {}

    def fold_binary(self, name, value):
        if not isinstance(value, str):  # a Header object: not worth a key
            return super().fold_binary(name, value)
        if (
            self.max_line_length
            and len(name) + 2 + len(value) <= self.max_line_length
            and value.isascii()
            and value.isprintable()
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        key = (name, value, self.linesep, self.max_line_length, self.cte_type)
        folded = self._folded.get(key)
        if folded is None:
            if len(self._folded) >= 4096:
                self._folded.clear()
            folded = self._folded[key] = super().fold_binary(name, value)
        return folded


FOLD_ONCE = _FoldOnce()


class InviteMessage(EmailMultiAlternatives):
    """EmailMultiAlternatives whose text/calendar part carries the iTIP method parameter."""

    def _create_mime_attachment(self, content, mimetype):
        if mimetype.startswith("text/calendar"):
            part = SafeMIMEText(content, "calendar", "utf-8")
            method = _calendar_method(mimetype)
            if method is not None:
                part.set_param("method", method, requote=False)
            return part
        return super()._create_mime_attachment(content, mimetype)

    # The bare addresses of to, cc and bcc, when whoever built the message knows them: the
    # SMTP backend then addresses the envelope without parsing the display names again.
    envelope_recipients: list[str] | None = None

    def recipients(self):
        if self.envelope_recipients is not None:
            return list(self.envelope_recipients)
        return super().recipients()

    def message(self):
        """Django's message, as Django builds it and Python writes it, only sooner.

        An invite, cancellation or reminder is built directly in the shape Django gives it
        (``_invite_tree``, the same bytes); anything else is Django's own. The multipart
        boundaries are chosen here, random and checked against the content, rather than by
        Python's generator, which compiles a new regular expression for each one.
        """
        message = _invite_tree(self)
        if message is not None:
            return message
        message = super().message()
        message.policy = FOLD_ONCE
        contents = [self.body, *(content for content, _mimetype in self.alternatives)]
        texts = [content for content in contents if isinstance(content, str)]
        for part in message.walk():
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(_boundary(texts))
        return message


def _calendar_method(mimetype: str) -> str | None:
    for parameter in mimetype.split(";")[1:]:
        name, _sep, value = parameter.strip().partition("=")
        if name.lower() == "method":
            return value
    return None


class InviteMIME(SafeMIMEMultipart):
    """The top of an invite's MIME tree, which writes itself out directly (``_written``):
    the bytes of Python's generator under compat32, at a fraction of the cost."""

    def as_bytes(self, unixfrom=False, linesep="\n"):
        if unixfrom or not isinstance(self.policy, _FoldOnce):
            return super().as_bytes(unixfrom=unixfrom, linesep=linesep)
        return _written(self, _fold_for(linesep))


@functools.lru_cache(maxsize=4)
def _fold_for(linesep: str) -> _FoldOnce:
    return FOLD_ONCE.clone(linesep=linesep)


_LINE_END = re.compile(r"\r\n|\r|\n")  # as email.generator splits lines


def _written(part, policy: _FoldOnce) -> bytes:
    """What BytesGenerator(mangle_from_=False) writes for part under policy (compat32 rules,
    8bit allowed), for the trees _invite_tree builds: no preamble, epilogue or unixfrom."""
    newline = policy.linesep
    head = b"".join(policy.fold_binary(name, value) for name, value in part.raw_items())
    if part.is_multipart():
        boundary = part.get_boundary()
        body = (
            f"--{boundary}{newline}".encode()
            + f"{newline}--{boundary}{newline}".encode().join(
                _written(child, policy) for child in part.get_payload()
            )
            + f"{newline}--{boundary}--{newline}".encode()
        )
    else:
        payload = part._payload
        body = (
            _LINE_END.sub(newline, payload).encode("ascii", "surrogateescape") if payload else b""
        )
    return head + newline.encode() + body


def _invite_tree(message: InviteMessage) -> InviteMIME | None:
    """The tree Django's EmailMultiAlternatives.message() builds for delivery_message's
    messages, built directly: the same parts, headers (in the same order) and payloads, without
    parsing each header back as it is set. None for a message of any other shape (then
    Django builds it): other headers or parts, another charset, or a line too long for 8bit.
    """
    encoding = message.encoding or settings.DEFAULT_CHARSET
    alternatives = message.alternatives
    kinds = [mimetype.split(";")[0] for _content, mimetype in alternatives]
    attachments = message.attachments
    if (
        encoding != "utf-8"
        or not message.body
        or message.cc
        or message.reply_to
        or set(message.extra_headers) != {"Message-ID", "From", "To"}
        or kinds not in (["text/html"], ["text/html", "text/calendar"])
        or [(name, mimetype) for name, _content, mimetype in attachments]
        not in ([], [("invite.ics", "application/ics")])
        or not all(isinstance(content, str) for content, _mimetype in alternatives)
        or not all(isinstance(content, bytes) for _name, content, _mimetype in attachments)
    ):
        return None
    texts = [("plain", message.body, None)]
    texts += [
        (kind.split("/")[1], content, _calendar_method(mimetype))
        for (content, mimetype), kind in zip(alternatives, kinds, strict=True)
    ]
    if any(_needs_quoted_printable(content) for _subtype, content, _method in texts):
        return None
    contents = [content for _subtype, content, _method in texts]
    parts = [_text_part(*text) for text in texts]
    if attachments:
        ((_name, content, _mimetype),) = attachments
        alternative = _part(
            SafeMIMEMultipart,
            [
                ("Content-Type", f'multipart/alternative; boundary="{_boundary(contents)}"'),
                ("MIME-Version", "1.0"),
            ],
            parts,
        )
        alternative.encoding = encoding
        attachment = _part(
            MIMEBase,
            [
                ("Content-Type", "application/ics"),
                ("MIME-Version", "1.0"),
                ("Content-Transfer-Encoding", "base64"),
                ("Content-Disposition", 'attachment; filename="invite.ics"'),
            ],
            base64.encodebytes(content).decode("ascii"),  # as email.encoders.encode_base64
        )
        content_type = f'multipart/mixed; boundary="{_boundary(contents)}"'
        parts = [alternative, attachment]
    else:
        content_type = f'multipart/alternative; boundary="{_boundary(contents)}"'
    root = _part(InviteMIME, [("Content-Type", content_type), ("MIME-Version", "1.0")], parts)
    root.encoding = encoding
    root.policy = FOLD_ONCE
    headers = [
        ("Subject", message.subject),
        ("From", message.extra_headers["From"]),
        ("To", message.extra_headers["To"]),
        ("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)),
        ("Message-ID", message.extra_headers["Message-ID"]),
    ]
    root._headers += [forbid_multi_line_headers(name, value, encoding) for name, value in headers]
    return root


def _part(cls, headers: list[tuple[str, str]], payload):
    part = cls.__new__(cls)
    Message.__init__(part)
    part._headers = headers
    part._payload = payload
    return part


def _text_part(subtype: str, content: str, method: str | None) -> SafeMIMEText:
    # What MIMEText and Django's SafeMIMEText set: 7bit when the text is ASCII, else 8bit.
    transfer = "7bit" if content.isascii() else "8bit"
    content_type = f'text/{subtype}; charset="utf-8"'
    if method is None:
        headers = [
            ("Content-Type", content_type),
            ("MIME-Version", "1.0"),
            ("Content-Transfer-Encoding", transfer),
        ]
    else:  # set_param moves the header to the end
        headers = [
            ("MIME-Version", "1.0"),
            ("Content-Transfer-Encoding", transfer),
            ("Content-Type", f"{content_type}; method={method}"),
        ]
    part = _part(SafeMIMEText, headers, content.encode("utf-8").decode("ascii", "surrogateescape"))
    part.encoding = "utf-8"
    part._charset = utf8_charset
    return part


def _needs_quoted_printable(content: str) -> bool:
    """Django's test (SafeMIMEText.set_payload): a line longer than RFC 5322 allows."""
    return any(
        len(line.encode(errors="surrogateescape")) > RFC5322_EMAIL_LINE_LENGTH_LIMIT
        for line in content.splitlines()
    )


def _boundary(texts: list[str]) -> str:
    """A boundary like the generator's, from a secure random source, absent from texts."""
    while True:
        boundary = f"==============={secrets.randbits(63):019d}=="
        if not any(boundary in text for text in texts):
            return boundary


def _to_header(name: str, address: str) -> str:
    """The To header Django writes for '"name" <address>', without parsing that again.

    A non-ASCII name becomes an RFC 2047 encoded word (Django's sanitize_address, given the
    parts); an ASCII one stays as written."""
    quoted = f'"{quote(name)}" <{address}>'
    if quoted.isascii():
        return quoted
    return sanitize_address((name, address), settings.DEFAULT_CHARSET)


@functools.lru_cache(maxsize=16)
def _envelope_sender(mailbox: str) -> str:
    """The address SMTP's MAIL FROM gets for a From of 'Name <address>', found once."""
    return parseaddr(sanitize_address(mailbox, settings.DEFAULT_CHARSET))[1] or mailbox


def organiser_domain() -> str:
    return settings.ORGANISER_EMAIL.rpartition("@")[2] or "localhost"


def _single_line(text: str) -> str:
    return " ".join(text.split())


def _is_update(delivery: Delivery) -> bool:
    """Whether this person already has an earlier version of the invite.

    The sender answers this for a whole batch at once (``delivery.is_update``); a row built on
    its own asks the database."""
    known = getattr(delivery, "is_update", None)
    if known is not None:
        return known
    return Delivery.objects.filter(
        event_id=delivery.event_id,
        person_id=delivery.person_id,
        method=Delivery.Method.REQUEST,
        state=Delivery.State.SENT,
        sequence__lt=delivery.sequence,
    ).exists()


def _subject(method: str, facts: InviteFacts, *, is_update: bool) -> str:
    title = _single_line(facts.title)
    if method == Delivery.Method.CANCEL:
        return _("Cancelled: %(title)s") % {"title": title}
    if method == Delivery.Method.REMINDER:
        return _("Reminder: %(title)s, %(date)s") % {"title": title, "date": facts.date}
    if is_update:
        return _("Updated invitation: %(title)s") % {"title": title}
    return _("Invitation: %(title)s") % {"title": title}


# A marker stands for one attendee's value in a body rendered once per event version. The
# per-process secret makes it impossible for event text to contain one by accident or design.
_MARK = f"\x00{secrets.token_hex(8)}:"
_MARKER = re.compile(re.escape(_MARK) + r"(\w+)\x00")


def _marker(name: str) -> str:
    return f"{_MARK}{name}\x00"


def _render(template: str, *, facts: InviteFacts, shared: dict, own: dict, variant: tuple) -> str:
    """render_to_string(template, shared | own), the shared part rendered once per variant.

    ``own`` holds the attendee's values: strings, or lists of (label, url) pairs whose labels
    are the same for everyone. ``variant`` names everything the shared part depends on beyond
    the facts; which of the attendee's values are empty is added here.
    """
    variant = ("body", template, get_language(), *variant, *map(bool, own.values()))
    stand_ins, values = {}, {}
    for name, value in own.items():
        if isinstance(value, str):
            stand_ins[name] = _marker(name) if value else value
            values[name] = value
        else:
            stand_ins[name] = [
                (label, _marker(f"{name}_{n}")) for n, (label, _u) in enumerate(value)
            ]
            values.update((f"{name}_{n}", url) for n, (_l, url) in enumerate(value))
    skeleton = facts.shared.get(variant)
    if skeleton is None:
        whole = render_to_string(template, {"facts": facts, **shared, **own})
        skeleton = render_to_string(template, {"facts": facts, **shared, **stand_ins})
        if _fill(skeleton, values, template) != whole:
            logger.warning("%s does more with an attendee's values than show them", template)
            skeleton = ""  # then every message is rendered in full
        facts.shared[variant] = skeleton
        return whole
    if not skeleton:
        return render_to_string(template, {"facts": facts, **shared, **own})
    return _fill(skeleton, values, template)


def _fill(skeleton: str, values: dict[str, str], template: str) -> str:
    if template.endswith(".html"):  # autoescaped, as Django escapes a plain string
        values = {name: escape(value) for name, value in values.items()}
    return _MARKER.sub(lambda match: values[match[1]], skeleton)


def delivery_message(delivery: Delivery) -> InviteMessage:
    """The complete message for one outbox row, from the current event, person and answer.

    Sets a fresh Message-ID (read it from ``message.extra_headers["Message-ID"]``). Raises
    ValueError when the row cannot become a message: no e-mail address, or a REQUEST or
    reminder for someone no longer on the list (such a row is stale and should not be sent).
    """
    event, person, attendance = delivery.event, delivery.person, delivery.attendance
    method = delivery.method
    if not person.email:
        raise ValueError(f"{person} has no e-mail address.")
    if attendance is None and method != Delivery.Method.CANCEL:
        raise ValueError(f"{person} is no longer on the list of {event}; only a CANCEL can go.")
    facts = invite_facts(event)
    shared = {
        "event": event,
        "organiser_name": settings.ORGANISER_NAME,
        "organiser_email": settings.ORGANISER_EMAIL,
    }
    own = {
        "name": person.display_name,
        "call_time": (
            facts.time_of(attendance.call_time) if attendance and attendance.call_time else ""
        ),
    }
    is_update = False
    link = None
    if method == Delivery.Method.REQUEST:
        shared["is_update"] = is_update = _is_update(delivery)
        link = rsvp_url(attendance)  # signed once, shared by the links
        own["current_answer"] = (
            attendance.get_rsvp_display() if attendance.rsvp != Attendance.RSVP.NEEDS_ACTION else ""
        )
        own["answer_links"] = [
            (label, f"{link}?{urlencode({'answer': answer})}") for answer, label in ANSWER_LINKS
        ]
        template = "invite"
    elif method == Delivery.Method.CANCEL:
        template = "cancel"
    elif method == Delivery.Method.REMINDER:
        own["rsvp_url"] = rsvp_url(attendance)
        template = "reminder"
    else:
        raise ValueError(f"Unknown delivery method {method!r}.")
    # What the bodies read beyond the facts and the attendee (the event's other fields).
    variant = (
        is_update,
        event.description,
        event.status,
        settings.ORGANISER_NAME,
        settings.ORGANISER_EMAIL,
    )
    text, html = (
        _render(
            f"visitors/email/{template}.{kind}",
            facts=facts,
            shared=shared,
            own=own,
            variant=variant,
        )
        for kind in ("txt", "html")
    )

    name = _single_line(person.display_name)
    message = InviteMessage(
        subject=_subject(method, facts, is_update=is_update),
        body=text,
        from_email=_envelope_sender(settings.DEFAULT_FROM_EMAIL),
        # Quoted whole: a bare "Name (陳大文) <addr>" would lose the parenthesis as a comment.
        to=[f'"{quote(name)}" <{person.email}>'],
        headers={
            "Message-ID": make_msgid(domain=organiser_domain()),
            "From": settings.DEFAULT_FROM_EMAIL,
            "To": _to_header(name, person.email),
        },
    )
    message.envelope_recipients = [person.email]
    message.attach_alternative(html, "text/html")
    if method in (Delivery.Method.REQUEST, Delivery.Method.CANCEL):
        ics = invite_ics(
            event=event,
            person=person,
            attendance=attendance,
            method=method,
            sequence=delivery.sequence,
            rsvp_link=link,
            facts=facts,
        )
        message.attach_alternative(
            ics.decode("utf-8"), f"text/calendar; method={method}; charset=utf-8"
        )
        message.attach("invite.ics", ics, "application/ics")
    return message
