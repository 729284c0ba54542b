"""Replies received from attendees' calendars: each is kept, then applied when every rule of
visitors/itip.py holds, held for staff when one they may overrule fails, or refused."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .itip import REVIEW, Reading, itip_reply_apply, itip_reply_read, received_read
from .models import InboundReply

# Codes of refusals that say the message is no calendar reply at all (ordinary mail).
NOT_A_REPLY = frozenset({"no_ics", "unreadable", "not_reply"})


def refusal_text(error: ValidationError) -> str:
    """A refusal as one line: 'field: reason; field: reason'."""
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def _codes(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [item.code or field for field, items in error.error_dict.items() for item in items]
    return [item.code or "" for item in error.error_list]


def _state_for(codes: list[str]) -> str:
    if set(codes) <= NOT_A_REPLY:
        return InboundReply.State.NOT_A_REPLY
    if set(codes) <= REVIEW:
        return InboundReply.State.NEEDS_REVIEW
    return InboundReply.State.REFUSED


def _keep(reply: InboundReply, error: ValidationError) -> None:
    codes = _codes(error)
    reply.state, reply.code, reply.reason = _state_for(codes), codes[0], refusal_text(error)


@transaction.atomic
def reply_receive(
    *,
    data: bytes,
    source: str,
    mailbox: str = "",
    uidvalidity: int | None = None,
    uid: int | None = None,
) -> InboundReply:
    """Keep one received message, applied if every rule holds, else with the reason; a mailbox
    message (mailbox, UIDVALIDITY, UID) already kept is returned as it was, not read again."""
    where = {"mailbox": mailbox, "uidvalidity": uidvalidity, "uid": uid}
    if uid is not None and (kept := InboundReply.objects.filter(**where).first()):
        return kept
    reply = InboundReply(source=source, raw=data, state=InboundReply.State.REFUSED, **where)
    try:
        # Written first, so that a second reader of the same message waits here, then stops.
        with transaction.atomic():
            reply.save()
    except IntegrityError:
        if uid is None:
            raise
        return InboundReply.objects.get(**where)
    try:
        received = received_read(data)
        reply.sender, reply.message_id = received.sender or "", received.message_id[:255]
        reading = Reading(received)
        try:
            itip_reply_read(reading)
        finally:
            reply.method, reply.attendance = reading.method, reading.attendance
        with transaction.atomic():
            reply.attendance = itip_reply_apply(data=received)
    except ValidationError as error:
        _keep(reply, error)
    else:
        reply.state = InboundReply.State.APPLIED
    reply.save()
    return reply


def _locked_for_review(reply_id: int) -> InboundReply:
    # Locked: two staff deciding the same reply at once must not both act on it.
    reply = InboundReply.objects.select_for_update().get(pk=reply_id)
    if reply.state != InboundReply.State.NEEDS_REVIEW:
        raise ValidationError(
            _("This reply is %(state)s, not waiting for review.")
            % {"state": reply.get_state_display().lower()},
            code="not_for_review",
        )
    return reply


@transaction.atomic
def reply_apply(*, reply_id: int, by: AbstractBaseUser) -> InboundReply:
    """Staff apply a reply held for review as the attendee's answer; the rules that make it no
    answer (UID, invitee, SEQUENCE, DTSTAMP, PARTSTAT, a COUNTER) still hold."""
    reply = _locked_for_review(reply_id)
    reply.attendance = itip_reply_apply(data=bytes(reply.raw), review=False, by=by)
    reply.state, reply.reviewed_by, reply.reviewed_at = (
        InboundReply.State.APPLIED,
        by,
        timezone.now(),
    )
    reply.save()
    return reply


@transaction.atomic
def reply_dismiss(*, reply_id: int, by: AbstractBaseUser) -> InboundReply:
    """Staff looked at a reply held for review and leave the answer as it is."""
    reply = _locked_for_review(reply_id)
    reply.state, reply.reviewed_by, reply.reviewed_at = (
        InboundReply.State.DISMISSED,
        by,
        timezone.now(),
    )
    reply.save()
    return reply
