"""The check-in code on the invite e-mail and the RSVP page: the short code and its QR image."""

import io
import re

import pytest
import segno
from django.urls import reverse

from tests.visitors.test_invitations import confirmed_event
from visitors.arrivals import codes
from visitors.emails import delivery_message
from visitors.models import Delivery
from visitors.rsvp import rsvp_attendance, rsvp_token

pytestmark = pytest.mark.django_db


def _qr(text: str) -> bytes:
    """A QR code of this text, made independently of the page (what a scan reads back)."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


def test_invite_email_carries_the_code_and_its_qr_image():
    event, (attendance, *_) = confirmed_event(attendees=1)
    delivery = Delivery.objects.create(
        event=event,
        person=attendance.person,
        attendance=attendance,
        method=Delivery.Method.REQUEST,
        sequence=0,
        next_attempt_at=event.start,
    )
    shown = codes.shown(attendance.checkin_code)

    message = delivery_message(delivery)

    html = next(body for body, mimetype in message.alternatives if mimetype == "text/html")
    image = re.search(r'<img src="http://127.0.0.1:8000/rsvp/([^/"]+)/check-in-code.png"', html)
    assert rsvp_attendance(image[1]) == attendance  # behind the attendee's own signed link
    assert shown in html
    assert f"Your check-in code: {shown}" in message.body


def test_rsvp_page_shows_the_code_and_the_qr_image_reads_it(client):
    event, (attendance, *_) = confirmed_event(attendees=1)
    token = rsvp_token(attendance)
    shown = codes.shown(attendance.checkin_code)

    page = client.get(reverse("visitors:rsvp", args=[token])).content.decode()
    image = client.get(reverse("visitors:rsvp-qr", args=[token]))

    assert f'<p class="code" id="checkin-code"><strong>{shown}</strong></p>' in page
    assert f'src="{reverse("visitors:rsvp-qr", args=[token])}"' in page
    assert image["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    # The image is the QR code of the text code as a person reads it (what a scan fills in).
    assert image.content == _qr(shown)


def test_qr_image_behind_a_bad_link_is_not_found(client):
    response = client.get(reverse("visitors:rsvp-qr", args=["not-a-token"]))

    assert response.status_code == 404
