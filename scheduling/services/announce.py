"""Telling attendees of a change their invites show that is not a field of the event itself
(its programme, where it happens, the name of its site or facility)."""

from django.contrib.auth.models import AbstractBaseUser

from core.audit import stamp

from ..models import Event
from ..signals import event_changed
from ..wording import Said
from . import changes as change_log


def event_announce(
    event: Event,
    *,
    changed: set[str],
    summary: Said,
    reason: str,
    by: AbstractBaseUser | None,
    partner_id: int | None = None,
) -> None:
    """For an event the caller has locked: raise its revision (feed entries move with it), keep
    who and why, let visitors queue the update (scheduling.signals), then log it (the change
    log's lock comes last)."""
    event.revision += 1
    stamp(event, by=by, reason=reason)
    event.save(update_fields=["revision", "updated_at"])
    event_changed.send(
        sender=Event,
        event=event,
        changed=changed,
        previous_status=event.status,
        by=by,
        partner_id=partner_id,
        summary=summary,
    )
    change_log.event_changed(event=event)
