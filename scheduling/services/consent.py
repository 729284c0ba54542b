"""Hosts' consent to the stops of a visit: asking, answering, and asking again after a move.

A stop hosted by a tenant (``host_organisation``) asks its host person (the HOST role) to
confirm, decline or ask for another time, through a signed link sent by e-mail (visitors writes
and sends it on ``scheduling.signals.consent_requested``). Each request raises the consent's
version, so the links of earlier requests stop working.

The API shows a stop's consent on its programme item (to staff and the stop's host): asking
and answering log the item in the change log, last, so that caches and syncs hear of it.

A consent is for a time and a place: when a stop's start, end or facility changes (an edit, a
swap with its neighbour, the whole event rescheduled) an answer given or awaited no longer
holds, and the host is asked again at once with a new link; the answer goes back to
"asked, no answer yet".
"""

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.audit import stamp

from ..models import Event, ProgrammeItem, ProgrammeRole, StopConsent
from ..signals import consent_requested
from ..timezones import require_aware
from . import changes as change_log

Answer = StopConsent.Answer
ANSWERS = (Answer.CONFIRMED, Answer.DECLINED, Answer.ANOTHER_TIME)
CONSENT_CLOSED = gettext_lazy("its hosts are asked nothing more")


@transaction.atomic
def stop_consent_request(*, item_id: int, by: AbstractBaseUser | None = None) -> StopConsent:
    """Ask the stop's host person for consent (the e-mail goes after commit). Asking again sends
    a new link and the earlier ones stop working. Refused for a stop no tenant hosts, one with
    no host person with an e-mail address, and a final event's."""
    event_id = ProgrammeItem.objects.filter(pk=item_id).values_list("event_id", flat=True).first()
    if event_id is None:
        raise ValidationError({"item": _("No such programme item.")}, code="not_found")
    event = Event.objects.locked(event_id)  # as every run-of-show write: one order of locks
    event.refuse_if_final(closed=CONSENT_CLOSED)
    item = ProgrammeItem.objects.get(pk=item_id)
    item.event = event
    consent = _ask(item, host=_host_person(item), by=by)
    change_log.programme_item_changed(item=item)  # last: the log's lock
    return consent


@transaction.atomic
def stop_consents_request(
    *, event_id: int, by: AbstractBaseUser | None = None
) -> list[StopConsent]:
    """Ask the host of every hosted stop not asked yet; returns the consents asked. Stops already
    asked are left alone (asking twice sends nothing twice), and so are stops with no host
    person with an e-mail address (the event page says so)."""
    event = Event.objects.locked(event_id)
    event.refuse_if_final(closed=CONSENT_CLOSED)
    asked = []
    for item in hosted_stops(event).filter(consent__isnull=True):
        item.event = event
        host = _host_person(item, required=False)
        if host is not None:
            asked.append(_ask(item, host=host, by=by))
    for consent in asked:  # last: the log's lock
        change_log.programme_item_changed(item=consent.item)
    return asked


@transaction.atomic
def stop_consent_answer(
    *,
    consent_id: int,
    version: int,
    answer: str,
    note: str = "",
    proposed_start: dt.datetime | None = None,
) -> StopConsent:
    """Record the host's answer to the request of this version, with the time it was given.
    Refused for a link a later request replaced (the stop moved) and for a final event;
    answering the same again changes nothing."""
    event_id = (
        StopConsent.objects.filter(pk=consent_id).values_list("item__event_id", flat=True).first()
    )
    if event_id is None:
        raise ValidationError({"consent": _("No such request.")}, code="not_found")
    event = Event.objects.locked(event_id)  # a move of the stop waits, or this waits for it
    consent = StopConsent.objects.select_for_update().get(pk=consent_id)
    if consent.version != version:
        raise ValidationError(
            {"version": _("A newer request replaced this one: the stop has moved since.")},
            code="stale",
        )
    event.refuse_if_final(closed=CONSENT_CLOSED)
    if answer not in ANSWERS:
        raise ValidationError({"answer": _("Confirm, decline or ask for another time.")})
    if answer == Answer.ANOTHER_TIME:
        if proposed_start is None:
            raise ValidationError(
                {"proposed_start": _("Say which time would suit you.")}, code="required"
            )
        require_aware("proposed_start", proposed_start)
    else:
        proposed_start = None
    note = note.strip()
    if (consent.answer, consent.note, consent.proposed_start) == (answer, note, proposed_start):
        return consent  # the same form sent twice
    consent.answer, consent.note, consent.proposed_start = answer, note, proposed_start
    consent.answered_at = timezone.now()
    consent.full_clean(exclude=["item", "person"])
    stamp(consent, by=None, reason=pgettext_lazy("history reason", "Answered by the host"))
    consent.save()
    change_log.programme_item_changed(item=consent.item)  # last: the log's lock
    return consent


def stop_consents_ask_again(
    *, items: Iterable[ProgrammeItem], by: AbstractBaseUser | None
) -> list[StopConsent]:
    """For stops the caller has locked and just moved (time or place): ask again every host
    already asked, with a new link; the answer given was for another time or place."""
    pks = [item.pk for item in items]
    again = []
    for consent in StopConsent.objects.select_for_update().filter(item_id__in=pks).order_by("pk"):
        host = _host_person(consent.item, required=False) or consent.person
        again.append(_ask(consent.item, host=host, by=by, consent=consent))
    return again


def hosted_stops(event: Event):
    """The event's programme items a tenant hosts: each asks its host for consent."""
    return event.programme.filter(host_organisation__isnull=False)


def _host_person(item: ProgrammeItem, *, required: bool = True) -> Model | None:
    role = (
        ProgrammeRole.objects.filter(item=item, part=ProgrammeRole.Part.HOST)
        .exclude(person__email="")
        .select_related("person")
        .order_by("position", "pk")
        .first()
    )
    if role is not None and item.host_organisation_id is not None:
        return role.person
    if not required:
        return None
    if item.host_organisation_id is None:
        message = _("No tenant hosts this stop: there is no one to ask.")
    else:
        message = _("The stop has no host person with an e-mail address to ask.")
    raise ValidationError({"item": message}, code="no_host")


def _ask(
    item: ProgrammeItem, *, host: Model, by, consent: StopConsent | None = None
) -> StopConsent:
    if consent is None:
        consent = StopConsent.objects.select_for_update().filter(item=item).first()
    if consent is None:
        consent = StopConsent(item=item, version=1)
        reason = pgettext_lazy("history reason", "Host asked for consent")
    else:
        consent.version += 1
        reason = pgettext_lazy("history reason", "Host asked again")
    consent.person = host
    consent.answer = Answer.REQUESTED
    consent.answered_at = consent.proposed_start = None
    consent.note = ""
    consent.requested_at = timezone.now()
    stamp(consent, by=by, reason=reason)
    consent.save()
    consent_requested.send(sender=StopConsent, consent=consent)
    return consent
