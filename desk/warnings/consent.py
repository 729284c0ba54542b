"""``stop_consent``: a stop a tenant hosts, starting within CONSENT_WARNING_DAYS, whose host has
not confirmed (never asked, not answered, declined, or asked for another time)."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scheduling.models import Event, ProgrammeItem, StopConsent

from .base import STOP_CONSENT, EventWarning, _moment

FINAL = (Event.Status.CANCELLED, Event.Status.COMPLETED)
SAID = {
    None: _("Nobody has asked the host of “%(title)s” (%(when)s) to confirm."),
    StopConsent.Answer.REQUESTED: _("The host of “%(title)s” (%(when)s) has not confirmed."),
    StopConsent.Answer.DECLINED: _("The host of “%(title)s” (%(when)s) declined."),
    StopConsent.Answer.ANOTHER_TIME: _("The host of “%(title)s” (%(when)s) asks for another time."),
}


def _consent_warnings(
    events: dict[int, Event], items: list[ProgrammeItem], now: dt.datetime | None = None
):
    """Items come with their consent (select_related): no query of its own."""
    now = now or timezone.now()
    near = now + dt.timedelta(days=settings.CONSENT_WARNING_DAYS)
    for item in items:
        event = events[item.event_id]
        if item.host_organisation_id is None or event.status in FINAL:
            continue
        if not now <= item.start < near:
            continue
        consent = getattr(item, "consent", None)
        if consent is not None and consent.is_confirmed:
            continue
        said = SAID[consent.answer if consent else None]
        yield EventWarning(
            code=STOP_CONSENT,
            message=str(said % {"title": item.title, "when": _moment(item.start, event)}),
            event_id=item.event_id,
            item_ids=(item.pk,),
        )
