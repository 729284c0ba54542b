"""The media and an event under embargo (scheduling.services.embargo).

Until its release an embargoed event is known to staff, its host and its stop hosts only. An
attendee from the media (their role is Media, or their organisation's kind is Media) would be
told of it by the invite, so putting one on the list of an event under embargo, or making an
attendee one, needs a staff member's confirmation: the services refuse it (code
``embargo_media``) unless ``confirmed_embargo=True`` is passed by staff, and a partner's key is
refused outright. The confirmation is recorded in the attendance's history: who confirmed it,
when, and the reason ``MEDIA_CONFIRMED``. Once confirmed, their invites go as anyone's do (a
restricted event's invites say it is not for publication). After the release nothing is asked.
"""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.audit import PARTS, kept
from scheduling.models import Event

from .models import Attendance, Organisation, Person

CODE = "embargo_media"
MEDIA_CONFIRMED = pgettext_lazy("history reason", "Media before the embargo ends, confirmed")
BATCH = 500


def media_among(*, event: Event, entries: Iterable[tuple[int, str]]) -> set[int]:
    """The people among (person id, role) entries who are the media, for an event under
    embargo; nobody (and no query) for any other event."""
    if not event.under_embargo:
        return set()
    entries = list(entries)
    media = {person_id for person_id, role in entries if role == Attendance.Role.MEDIA}
    others = sorted({person_id for person_id, _role in entries} - media)
    for start in range(0, len(others), BATCH):
        media.update(
            Person.objects.filter(
                pk__in=others[start : start + BATCH], organisation__kind=Organisation.Kind.MEDIA
            ).values_list("pk", flat=True)
        )
    return media


def media_confirm(
    *,
    event: Event,
    entries: Iterable[tuple[int, str]],
    by: AbstractBaseUser | None,
    partner_id: int | None = None,
    confirmed: bool = False,
) -> set[int]:
    """Refuse the media on an event under embargo unless staff confirmed it; returns the people
    whose place on the list the confirmation covers (their history says so)."""
    media = media_among(event=event, entries=entries)
    if not media:
        return media
    if partner_id is not None:
        raise ValidationError(
            {
                "role": ValidationError(
                    _("“%(event)s” is under embargo: only staff can invite the media to it."),
                    code=CODE,
                    params={"event": event},
                )
            }
        )
    if not confirmed or (by is not None and not getattr(by, "is_staff", False)):
        raise ValidationError(
            {
                "confirmed_embargo": ValidationError(
                    _(
                        "“%(event)s” is under embargo until its release: confirm that the "
                        "media (%(names)s) may be told of it before then."
                    ),
                    code=CODE,
                    params={"event": event, "names": _names(media)},
                )
            }
        )
    return media


def role_confirm(
    attendance: Attendance, *, role: str, by: AbstractBaseUser | None, confirmed: bool
) -> set[int]:
    """media_confirm for an attendee whose role becomes `role`: only becoming the media asks
    (someone of a media organisation was confirmed when put on the list)."""
    if role != Attendance.Role.MEDIA or attendance.role == Attendance.Role.MEDIA:
        return set()
    entries = [(attendance.person_id, role)]
    return media_confirm(event=attendance.event, entries=entries, by=by, confirmed=confirmed)


def reason_confirmed(reason) -> str:
    """A history reason with the confirmation after it."""
    return PARTS.join([kept(reason), kept(MEDIA_CONFIRMED)])


def _names(person_ids: set[int]) -> str:
    people = Person.objects.filter(pk__in=sorted(person_ids)[:10])
    names = [person.display_name for person in people]
    if len(person_ids) > len(names):
        names.append("…")
    return ", ".join(names)
