"""Asking tenant hosts to consent to a stop: the signed link, what the host is shown, and the
e-mail that carries the link (an outbox kind, core.outbox).

The rules of consent are scheduling's (``scheduling.services.consent``); it announces each
request (``scheduling.signals.consent_requested``) and this module writes its e-mail, in the
host person's language, and sends it after commit. A link carries the consent id and its
version, signed with the secret key and a timestamp, like an RSVP link (visitors.rsvp): a
newer request (the stop moved) makes the older links stale, and the page says where the stop
is now. Following a link only shows the page; the host's answer is a POST from it.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.outbox import Outbox, sending
from scheduling.models import ConsentMessage, Event, ProgrammeItem, StopConsent
from scheduling.timezones import clock, zone_label

from .emails import BETWEEN_LANGUAGES, mailbox, message_languages
from .models import Attendance

logger = logging.getLogger(__name__)

SALT = "visitors.consent.link"
OUTBOX = Outbox(model=ConsentMessage, send_task="visitors.tasks.consent_messages_send", batch=50)
FINAL = (Event.Status.CANCELLED, Event.Status.COMPLETED)


class ConsentLinkError(Exception):
    """A link that cannot be used; ``status`` is the HTTP answer (400 bad, 410 gone).
    ``consent`` is set for a stale link, so that the page can show where the stop is now."""

    def __init__(self, reason, *, status: int, consent: StopConsent | None = None):
        super().__init__(str(reason))
        self.reason = reason
        self.status = status
        self.consent = consent


# --- The link -------------------------------------------------------------------------------


def consent_url(consent: StopConsent) -> str:
    token = signing.dumps([consent.pk, consent.version], salt=SALT)
    return settings.PUBLIC_BASE_URL + reverse("visitors:consent", args=[token])


def consent_for_link(token: str) -> tuple[StopConsent, int]:
    """The consent a link answers for and the version it carries, or ConsentLinkError."""
    max_age = dt.timedelta(days=settings.RSVP_LINK_MAX_AGE_DAYS)
    try:
        consent_id, version = signing.loads(token, salt=SALT, max_age=max_age)
        consent_id, version = int(consent_id), int(version)
    except signing.SignatureExpired:
        raise ConsentLinkError(_("This link has expired."), status=410) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise ConsentLinkError(
            _("This link is not valid. Please use the link exactly as it was sent to you."),
            status=400,
        ) from None
    consent = (
        StopConsent.objects.select_related(
            "item__event__site", "item__facility__site", "item__host_organisation", "person"
        )
        .filter(pk=consent_id)
        .first()
    )
    if consent is None:
        raise ConsentLinkError(_("This link is no longer valid."), status=410)
    if consent.version != version:
        raise ConsentLinkError(
            _("The stop has changed since this link was sent, and a new one has been sent."),
            status=410,
            consent=consent,
        )
    return consent, version


# --- What the host is shown -----------------------------------------------------------------


class StopFacts:
    """A stop as its host reads it, in the language active when each fact is read (a bilingual
    message reads them once in each)."""

    def __init__(self, item: ProgrammeItem):
        self.item = item
        self.event = item.event
        counts = Attendance.objects.filter(event_id=item.event_id).headcounts()
        # The party to receive: the event's expected people with their guests.
        self.party_size = next((row["headcount"] for row in counts), 0)

    @property
    def title(self) -> str:
        item = self.item
        if translation.get_language().startswith("zh") and item.title_zh:
            return item.title_zh
        return item.title

    @property
    def event_title(self) -> str:
        event = self.event
        if translation.get_language().startswith("zh") and event.title_zh:
            return event.title_zh
        return event.title

    @property
    def when(self) -> str:
        """'Monday 1 July 2030, 10:30–11:00 (HKT, Asia/Hong_Kong)' in the event's zone."""
        zone = self.event.zone
        start, end = self.item.start.astimezone(zone), self.item.end.astimezone(zone)
        day = _("%(date)s, %(time)s") % {
            "date": date_format(start, "DATE_FORMAT"),
            "time": clock(start),
        }
        return _("%(start)s–%(end)s (%(zone)s)") % {
            "start": day,
            "end": clock(end),
            "zone": zone_label(self.event.timezone, start),
        }

    @property
    def place(self) -> str:
        facility = self.item.facility
        if facility is None:
            return ""
        zh = translation.get_language().startswith("zh")
        name = facility.name_zh if zh and facility.name_zh else facility.name
        site = facility.site.name_zh if zh and facility.site.name_zh else facility.site.name
        return f"{name}, {site}"

    @property
    def rules(self) -> list[str]:
        facility = self.item.facility
        return facility.rules_shown(translation.get_language()) if facility else []


def proposed_time(consent: StopConsent) -> str:
    """The time a host proposed, on the event's clock."""
    if consent.proposed_start is None:
        return ""
    local = consent.proposed_start.astimezone(consent.item.event.zone)
    return _("%(date)s, %(time)s") % {
        "date": date_format(local, "DATE_FORMAT"),
        "time": clock(local),
    }


# --- The e-mail -----------------------------------------------------------------------------

SUBJECT = gettext_lazy("Please confirm: %(stop)s, %(event)s")


def queue_consent_message(sender, *, consent: StopConsent, **kwargs) -> None:
    """On scheduling.signals.consent_requested: write the e-mail of this request, sent after
    commit."""
    row, _created = ConsentMessage.objects.get_or_create(
        consent=consent, version=consent.version, defaults={"next_attempt_at": timezone.now()}
    )
    OUTBOX.enqueue([row.pk])


def consent_email(row: ConsentMessage) -> EmailMultiAlternatives:
    """The request for one outbox row, in the host person's language (and the other one too for
    a bilingual event). Raises ValueError when the host has no address a server would take."""
    consent = row.consent
    person, item = consent.person, consent.item
    if not person.email:
        raise ValueError(f"{person} has no e-mail address.")
    languages = message_languages(person, item.event)
    facts = StopFacts(item)
    context = {
        "facts": facts,
        "name": person.customary_name,
        "link": consent_url(consent),
        "organiser_name": settings.ORGANISER_NAME,
        "organiser_email": settings.ORGANISER_EMAIL,
    }
    subjects, texts = [], []
    for language in languages:
        with translation.override(language):
            subjects.append(SUBJECT % {"stop": facts.title, "event": facts.event_title})
            texts.append(render_to_string("visitors/email/consent.txt", context).strip())
    return EmailMultiAlternatives(
        subject=" / ".join(subjects),
        body=BETWEEN_LANGUAGES.join(texts),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mailbox(person)],
    )


# --- Sending (the worker side) --------------------------------------------------------------


@sending()
def consent_messages_send(*, message_ids: list[int]) -> list[ConsentMessage]:
    """Send the given rows still due and current; each is recorded right after its attempt."""
    rows = OUTBOX.claim(
        message_ids, timezone.now(), related=("consent__item__event",), keep=_current
    )
    if not rows:
        return []
    connection = get_connection()
    for row in rows:
        try:
            message = consent_email(row)
            connection.send_messages([message])
        except ValueError as error:  # no address, or none a server would take: for good
            OUTBOX.record(row, state=ConsentMessage.State.FAILED, error=str(error))
        except Exception as error:
            logger.warning("Consent request %s failed: %s", row.pk, error)
            OUTBOX.retry_or_fail(
                row,
                timezone.now(),
                error=f"{type(error).__name__}: {error}",
                base_seconds=settings.INVITE_RETRY_BASE_SECONDS,
                give_up=lambda _next, row=row: row.attempts >= settings.INVITE_MAX_ATTEMPTS,
            )
        else:
            OUTBOX.record(row, state=ConsentMessage.State.SENT, sent_at=timezone.now())
    return rows


def consent_messages_sweep() -> list[int]:
    """Hand retries, and rows a dead worker or a lost task left, back to the queue."""
    return OUTBOX.sweep(
        timezone.now(),
        stuck_after=dt.timedelta(seconds=settings.INVITE_STUCK_SECONDS),
        note="The worker stopped while sending; it may have gone out once already.",
        exhausted=Q(attempts__gte=settings.INVITE_MAX_ATTEMPTS),
    )


def _current(rows: list[ConsentMessage]) -> list[ConsentMessage]:
    """Of the locked rows, those still worth sending; a request a newer one replaced, or of an
    event that is over or cancelled, is superseded."""
    keep, stale = [], []
    for row in rows:
        consent = row.consent
        current = consent.version == row.version and consent.item.event.status not in FINAL
        (keep if current else stale).append(row)
    if stale:
        ConsentMessage.objects.filter(pk__in=[row.pk for row in stale]).update(
            state=ConsentMessage.State.SUPERSEDED, updated_at=timezone.now()
        )
    return keep
