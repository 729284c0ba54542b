"""The e-mail for one outbox row: an invite or update (REQUEST), a CANCEL, or a reminder.

An invite is ``multipart/mixed`` → ``multipart/alternative`` [text/plain, text/html,
``text/calendar; method=…; charset=utf-8``] + ``application/ics`` (invite.ics), the shape
Outlook, Gmail, Apple Calendar and Thunderbird all read (RFC 6047, CALENDAR.md), built by
Django's EmailMultiAlternatives from bodies rendered with ``render_to_string`` and the calendar
icalendar writes (``invite_calendar(...).to_ical()``). The MIME ``method`` always equals the
METHOD inside, which Exchange Online insists on.

Messages are built from current data when they are sent, never stored: an update that lands
while a row waits in the queue is what the attendee gets. They are written in the attendee's
preferred language (Person.language); a bilingual event's carry both, theirs first.
"""

import unicodedata
from email.encoders import encode_base64
from email.errors import MessageError
from email.header import Header
from email.headerregistry import Address
from email.utils import make_msgid, quote
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scheduling.facts import EventFacts, event_facts
from scheduling.models import Event
from scheduling.wording import lines_for

from .arrivals import codes
from .ical import invite_calendar
from .models import Attendance, Delivery, Person
from .rsvp import rsvp_url

ANSWER_LINKS = (
    (Attendance.RSVP.ACCEPTED, gettext_lazy("Accept")),
    (Attendance.RSVP.TENTATIVE, gettext_lazy("Tentative")),
    (Attendance.RSVP.DECLINED, gettext_lazy("Decline")),
)


class InviteMessage(EmailMultiAlternatives):
    """EmailMultiAlternatives whose text/calendar alternative names its iTIP method, and whose
    bytes are 7-bit.

    RFC 6047 §2.4 wants ``Content-Type: text/calendar; method=REQUEST``. Django writes an
    alternative's Content-Type from the mimetype it is given, which is documented as a type
    only (and ``"text/calendar; method=REQUEST; charset=utf-8"`` comes out with charset twice),
    so the parameter is set on the built part instead, in ``message()``: the method Django's
    documentation names for subclasses that put more into the MIME object.

    Django writes UTF-8 text parts as 8bit, and its SMTP backend never declares
    ``BODY=8BITMIME`` (RFC 6152), which a relay that does not offer it may refuse or mangle.
    So each 8-bit part is sent base64 instead (every client reads it; Chinese text grows by a
    third rather than threefold as quoted-printable), and a non-ASCII Subject is written with
    its first encoded word on the Subject line: folded onto the next, Python's parser and some
    clients read a leading space into the subject.
    """

    def __init__(self, *args, calendar_method: str = "", venue: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar_method = calendar_method
        self.venue = venue  # where it says the event happens: kept with the sent message
        self._built = None

    def message(self, **kwargs):
        # Built once: the sender builds it to find a header Django refuses before it is sent,
        # and the mail backend asks for it again to send it.
        if self._built is None or kwargs:
            message = super().message(**kwargs)
            for part in message.walk():
                if self.calendar_method and part.get_content_type() == "text/calendar":
                    part.set_param("method", self.calendar_method, requote=False)
                _seven_bit(part)
            if not self.subject.isascii():
                message.replace_header(
                    "Subject", Header(self.subject, "utf-8", header_name="Subject")
                )
            if kwargs:
                return message
            self._built = message
        return self._built


def _seven_bit(part) -> None:
    if part.is_multipart() or part.get("Content-Transfer-Encoding", "").lower() != "8bit":
        return
    data = part.get_payload(decode=True)
    del part["Content-Transfer-Encoding"]
    if data.isascii():
        part["Content-Transfer-Encoding"] = "7bit"
        return
    part.set_payload(data)
    encode_base64(part)


def organiser_domain() -> str:
    return settings.ORGANISER_EMAIL.rpartition("@")[2] or "localhost"


def _single_line(text: str) -> str:
    return " ".join(text.split())


def mailbox(person: Person) -> str:
    """'"Dr Lee Kwok-ming, GBS, JP (李國明)" <lee@example.org>': the person's display name as
    a quoted string, for Django to encode (RFC 2047) and fold as a header. Quoted whole, so a
    parenthesis stays part of the name rather than becoming a comment.

    Control characters go and runs of white space become one space: a header is one line.
    Raises ValueError when the address is no address a mail server would take.
    """
    name = "".join(ch for ch in person.display_name if unicodedata.category(ch) != "Cc")
    try:
        address = Address(display_name=_single_line(name), addr_spec=person.email)
    except (ValueError, IndexError, MessageError) as error:
        raise ValueError(
            f"the e-mail address of {person} is not an address: {person.email!r} ({error})"
        ) from error
    if not address.display_name:
        return address.addr_spec
    return f'"{quote(address.display_name)}" <{address.addr_spec}>'


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


def cancel_reason(event: Event, method: str) -> str:
    """The reason a CANCEL gives: the event's, when the event itself was cancelled (someone
    taken off the list of an event that goes ahead is told nothing more)."""
    if method != Delivery.Method.CANCEL or event.status != Event.Status.CANCELLED:
        return ""
    return event.cancel_reason


def _subject(method: str, facts: EventFacts, *, is_update: bool) -> str:
    title = _single_line(facts.title)
    if method == Delivery.Method.CANCEL:
        return _("Cancelled: %(title)s") % {"title": title}
    if method == Delivery.Method.REMINDER:
        return _("Reminder: %(title)s, %(date)s") % {"title": title, "date": facts.date}
    if is_update:
        return _("Updated invitation: %(title)s") % {"title": title}
    return _("Invitation: %(title)s") % {"title": title}


BETWEEN_LANGUAGES = "\n\n" + "―" * 20 + "\n\n"


def message_languages(person: Person, event: Event) -> list[str]:
    """The languages a message to the person is written in: theirs, then for a bilingual event
    the other one too."""
    first = person.language or settings.LANGUAGE_CODE
    if not event.bilingual:
        return [first]
    return [first, *(code for code, _name in settings.LANGUAGES if code != first)]


def _in_each(languages: list[str], render) -> list[str]:
    texts = []
    for language in languages:
        with translation.override(language):
            texts.append(render())
    return texts


def delivery_message(delivery: Delivery) -> InviteMessage:
    """The complete message for one outbox row, from the current event, person and answer.

    Sets a fresh Message-ID (read it from ``message.extra_headers["Message-ID"]``). Raises
    ValueError when the row cannot become a message: no e-mail address or none a server would
    take, or a REQUEST or reminder for someone no longer on the list (such a row is stale and
    should not be sent).
    """
    languages = message_languages(delivery.person, delivery.event)
    with translation.override(languages[0]):
        return _message(delivery, languages)


def _message(delivery: Delivery, languages: list[str]) -> InviteMessage:
    event, person, attendance = delivery.event, delivery.person, delivery.attendance
    method = delivery.method
    if not person.email:
        raise ValueError(f"{person} has no e-mail address.")
    if attendance is None and method != Delivery.Method.CANCEL:
        raise ValueError(f"{person} is no longer on the list of {event}; only a CANCEL can go.")
    if method not in Delivery.Method.values:
        raise ValueError(f"Unknown delivery method {method!r}.")
    to = mailbox(person)
    facts = event_facts(event)
    context = {
        "event": event,
        "facts": facts,
        "organiser_name": settings.ORGANISER_NAME,
        "organiser_email": settings.ORGANISER_EMAIL,
        "name": person.customary_name,  # called in each language the message is written in
        # Read in each language the message is written in (a template calls it).
        "call_time": (
            partial(facts.time_of, attendance.call_time)
            if attendance and attendance.call_time
            else ""
        ),
        "languages": languages,
        "is_update": False,
        "cancel_reason": cancel_reason(event, method),
    }
    link = None
    if method == Delivery.Method.REQUEST:
        context["is_update"] = _is_update(delivery)
        # Read in each language the message is written in (a template calls it).
        context["changes"] = partial(lines_for, delivery.changes)
        link = rsvp_url(attendance)  # signed once, shared by the links
        context["current_answer"] = (
            Attendance.RSVP(attendance.rsvp).label
            if attendance.rsvp != Attendance.RSVP.NEEDS_ACTION
            else ""
        )
        context["answer_links"] = [
            (label, f"{link}?{urlencode({'answer': answer})}") for answer, label in ANSWER_LINKS
        ]
        context["checkin_code"] = codes.shown(attendance.checkin_code)
        context["qr_url"] = f"{link}check-in-code.png"
    elif method == Delivery.Method.REMINDER:
        context["rsvp_url"] = rsvp_url(attendance)
    template = {
        Delivery.Method.REQUEST: "invite",
        Delivery.Method.CANCEL: "cancel",
        Delivery.Method.REMINDER: "reminder",
    }[method]

    with_calendar = method in (Delivery.Method.REQUEST, Delivery.Method.CANCEL)
    text = f"visitors/email/{template}.txt"
    subjects = _in_each(languages, lambda: _subject(method, facts, is_update=context["is_update"]))
    bodies = _in_each(languages, lambda: render_to_string(text, context))
    message = InviteMessage(
        subject=" / ".join(subjects),
        body=bodies[0] if len(bodies) == 1 else BETWEEN_LANGUAGES.join(b.strip() for b in bodies),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": make_msgid(domain=organiser_domain())},
        venue=facts.venue,
        calendar_method=method if with_calendar else "",
    )
    html = render_to_string(f"visitors/email/{template}.html", context)
    message.attach_alternative(html, "text/html")
    if with_calendar:
        ics = invite_calendar(
            event=event,
            person=person,
            attendance=attendance,
            method=method,
            sequence=delivery.sequence,
            rsvp_link=link,
            facts=facts,
            cancel_reason=context["cancel_reason"],
        ).to_ical()
        message.attach_alternative(ics.decode("utf-8"), "text/calendar")
        message.attach("invite.ics", ics, "application/ics")
    return message
