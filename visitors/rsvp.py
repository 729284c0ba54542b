"""Signed RSVP links: expiring (RSVP_LINK_MAX_AGE_DAYS) and revocable (rsvp_links_revoke).

A link carries the attendance id and its ``rsvp_token_version``, signed with the secret key and
a timestamp. Raising the version revokes every earlier link of that attendance. Following a
link (GET) shows a page; only the form the person submits (POST) records an answer, because
mail scanners and link previews follow every link they see.
"""

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Attendance

SALT = "visitors.rsvp.link"


class RsvpLinkError(Exception):
    """A link that cannot be used; ``status`` is the HTTP answer (400 bad, 410 gone)."""

    def __init__(self, reason: str, *, code: str, status: int):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.status = status


def rsvp_token(attendance: Attendance) -> str:
    return signing.dumps([attendance.pk, attendance.rsvp_token_version], salt=SALT)


def rsvp_url(attendance: Attendance, answer: str | None = None) -> str:
    """The absolute link to the attendee's RSVP page, optionally with an answer preselected."""
    url = settings.PUBLIC_BASE_URL + reverse("visitors:rsvp", args=[rsvp_token(attendance)])
    if answer:
        url += "?" + urlencode({"answer": answer})
    return url


def rsvp_link_max_age() -> dt.timedelta:
    return dt.timedelta(days=settings.RSVP_LINK_MAX_AGE_DAYS)


def rsvp_attendance(token: str) -> Attendance:
    """The attendance a link answers for, or RsvpLinkError saying why the link is unusable."""
    try:
        attendance_id, version = signing.loads(token, salt=SALT, max_age=rsvp_link_max_age())
    except signing.SignatureExpired:
        raise RsvpLinkError(_("This reply link has expired."), code="expired", status=410) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise RsvpLinkError(
            _("This reply link is not valid. Please use the link exactly as it was sent to you."),
            code="invalid",
            status=400,
        ) from None
    attendance = (
        Attendance.objects.select_related("event__site", "person").filter(pk=attendance_id).first()
    )
    if attendance is None or attendance.rsvp_token_version != version:
        # Removed from the list, or the office revoked the links: the same answer either way,
        # so that an old link does not tell whether the person is still invited.
        raise RsvpLinkError(_("This reply link is no longer valid."), code="revoked", status=410)
    return attendance
