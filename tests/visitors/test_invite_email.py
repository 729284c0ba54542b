import datetime as dt
import email
import re
import zoneinfo
from email import policy

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from scheduling.models import Event
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    ProgrammeItemFactory,
    SiteFactory,
)
from visitors.emails import delivery_message
from visitors.models import Attendance, Delivery

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _invited(**event_fields) -> Attendance:
    site = SiteFactory(name="MARS Centre", address="2 Science Park West Avenue\nSha Tin")
    fields = {
        "title": "Opening of the MARS Centre",
        "title_zh": "火星中心開幕典禮",
        "status": Event.Status.CONFIRMED,
        "site": site,
        "timezone": "Europe/London",
        "start": dt.datetime(2030, 7, 1, 10, 0, tzinfo=LONDON),
        "end": dt.datetime(2030, 7, 1, 12, 0, tzinfo=LONDON),
        **event_fields,
    }
    event = EventFactory(**fields)
    BookingFactory(event=event, facility__name="Auditorium")
    ProgrammeItemFactory(
        event=event,
        title="Welcome remarks",
        start=event.start,
        end=event.start + dt.timedelta(minutes=15),
    )
    return AttendanceFactory(
        event=event, person__name="Alfred Sit", person__name_zh="薛永恒", person__honorific="Mr"
    )


def _delivery(attendance: Attendance, method: str = Delivery.Method.REQUEST, **fields) -> Delivery:
    return Delivery.objects.create(
        event=attendance.event,
        person=attendance.person,
        attendance=attendance,
        method=method,
        sequence=fields.pop("sequence", attendance.event.sequence),
        next_attempt_at=timezone.now(),
        **fields,
    )


def _parsed(message) -> email.message.EmailMessage:
    """What a receiving mail server sees: the bytes on the wire, parsed by Python's email."""
    return email.message_from_bytes(
        message.message().as_bytes(linesep="\r\n"), policy=policy.default
    )


def _tree(part) -> list:
    if part.is_multipart():
        return [part.get_content_type(), [_tree(child) for child in part.iter_parts()]]
    return part.get_content_type()


def test_delivery_message_request_has_the_imip_mime_tree():
    attendance = _invited()

    parsed = _parsed(delivery_message(_delivery(attendance)))

    assert _tree(parsed) == [
        "multipart/mixed",
        [
            ["multipart/alternative", ["text/plain", "text/html", "text/calendar"]],
            "application/ics",
        ],
    ]
    calendar_part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    attachment = next(p for p in parsed.walk() if p.get_content_type() == "application/ics")
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_content_charset() == "utf-8"
    assert attachment.get_filename() == "invite.ics"
    assert attachment["Content-Transfer-Encoding"] == "base64"
    body = Calendar.from_ical(calendar_part.get_payload(decode=True))
    assert body["METHOD"] == "REQUEST"
    assert attachment.get_payload(decode=True) == calendar_part.get_payload(decode=True)


def test_delivery_message_cancel_method_matches_in_mime_and_body():
    attendance = _invited()
    event = attendance.event
    event.status, event.sequence = Event.Status.CANCELLED, 3
    event.save()

    parsed = _parsed(delivery_message(_delivery(attendance, Delivery.Method.CANCEL)))

    calendar_part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    body = Calendar.from_ical(calendar_part.get_payload(decode=True))
    assert calendar_part.get_param("method") == body["METHOD"] == "CANCEL"
    assert body.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
    assert body.walk("VEVENT")[0]["SEQUENCE"] == 3
    assert parsed["Subject"].strip() == "Cancelled: Opening of the MARS Centre (火星中心開幕典禮)"
    text = parsed.get_body(("plain",)).get_content()
    assert "This event has been cancelled" in text
    assert "Monday 1 July 2030, 10:00–12:00 (BST, Europe/London)" in text


def test_delivery_message_addresses_the_attendee_from_the_organiser(settings):
    settings.ORGANISER_EMAIL = "protocol@hkstp.example"
    settings.DEFAULT_FROM_EMAIL = "Protocol Office <protocol@hkstp.example>"
    attendance = _invited()

    parsed = _parsed(delivery_message(_delivery(attendance)))

    assert parsed["To"].addresses[0].addr_spec == attendance.person.email
    assert parsed["To"].addresses[0].display_name == "Mr Alfred Sit (薛永恒)"
    assert parsed["From"].addresses[0].addr_spec == "protocol@hkstp.example"
    assert parsed["Message-ID"].endswith("@hkstp.example>")
    assert parsed["Subject"].strip() == "Invitation: Opening of the MARS Centre (火星中心開幕典禮)"


def test_delivery_message_ids_are_unique_per_message():
    attendance = _invited()
    delivery = _delivery(attendance)

    first, second = delivery_message(delivery), delivery_message(delivery)

    assert first.extra_headers["Message-ID"] != second.extra_headers["Message-ID"]


def test_delivery_message_body_gives_date_time_zone_place_programme_and_answer_links():
    attendance = _invited()

    parsed = _parsed(delivery_message(_delivery(attendance)))

    for body in (
        parsed.get_body(("plain",)).get_content(),
        parsed.get_body(("html",)).get_content(),
    ):
        assert "Monday 1 July 2030, 10:00–12:00 (BST, Europe/London)" in body
        assert "Auditorium, MARS Centre, 2 Science Park West Avenue, Sha Tin" in body
        assert "10:00–10:15" in body and "Welcome remarks" in body
        for answer in ("accepted", "tentative", "declined"):
            link = rf'"?http://127\.0\.0\.1:8000/rsvp/[\w:-]+/\?answer={answer}"?'
            assert re.search(link, body), answer


def test_delivery_message_update_says_so_in_the_subject():
    attendance = _invited()
    _delivery(attendance, sequence=0, state=Delivery.State.SENT)
    attendance.event.sequence = 1
    attendance.event.save()

    message = delivery_message(_delivery(attendance, sequence=1))

    assert message.subject == "Updated invitation: Opening of the MARS Centre (火星中心開幕典禮)"


def test_delivery_message_subject_is_one_line_and_html_is_escaped():
    attendance = _invited(title='<script>alert(1)</script> "A"; B,\nC', title_zh="")

    parsed = _parsed(delivery_message(_delivery(attendance)))

    assert parsed["Subject"].strip() == 'Invitation: <script>alert(1)</script> "A"; B, C'
    html = parsed.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_delivery_message_reminder_is_plain_mail_without_calendar_parts():
    attendance = _invited()

    parsed = _parsed(delivery_message(_delivery(attendance, Delivery.Method.REMINDER)))

    assert _tree(parsed) == ["multipart/alternative", ["text/plain", "text/html"]]
    assert parsed["Subject"].strip().startswith("Reminder: Opening of the MARS Centre")
    assert "Monday 1 July 2030, 10:00–12:00" in parsed.get_body(("plain",)).get_content()


def test_delivery_message_cancel_reaches_someone_removed_from_the_list():
    attendance = _invited()
    delivery = _delivery(attendance, Delivery.Method.CANCEL)
    attendance.delete()
    delivery.refresh_from_db()

    parsed = _parsed(delivery_message(delivery))

    calendar_part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "CANCEL"
    assert "no longer expected" in parsed.get_body(("plain",)).get_content()


def test_delivery_message_refuses_a_request_for_someone_removed():
    attendance = _invited()
    delivery = _delivery(attendance)
    attendance.delete()
    delivery.refresh_from_db()

    with pytest.raises(ValueError, match="no longer on the list"):
        delivery_message(delivery)


def test_delivery_message_goes_through_a_django_backend():
    attendance = _invited()

    sent = delivery_message(_delivery(attendance)).send()

    assert sent == 1
    assert mail.outbox[0].to == [f'"Mr Alfred Sit (薛永恒)" <{attendance.person.email}>']
    assert "BEGIN:VCALENDAR" in mail.outbox[0].alternatives[1].content


def test_delivery_messages_about_one_event_gather_its_facts_once(django_assert_num_queries):
    event = _invited().event
    ProgrammeItemFactory(event=event, title="Tour")
    rows = [_delivery(attendance) for attendance in AttendanceFactory.create_batch(3, event=event)]
    shared = (
        Event.objects.select_related("site")
        .prefetch_related("bookings__facility", "bookings__programme_item", "programme__facility")
        .get(pk=event.pk)
    )
    for row in rows:
        row.event = shared  # as the sender hands out one batch

    with django_assert_num_queries(len(rows)):  # one "was an earlier version sent?" each
        messages = [delivery_message(row) for row in rows]

    assert all("Tour" in message.body for message in messages)
