import datetime as dt
import email
import re
import zoneinfo
from email import policy

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from icalendar import Calendar

from scheduling import services as scheduling_services
from scheduling.models import Event
from tests.e2e.sink import Sink
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    ProgrammeItemFactory,
    SiteFactory,
)
from tests.interop.headers import mailboxes
from visitors import tasks
from visitors.emails import delivery_message
from visitors.models import Attendance, Delivery, Person

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


def test_delivery_message_cancel_gives_the_reason_given_when_cancelling(officer):
    attendance = _invited()
    reason = "Typhoon signal No. 8 <T8> is in force.\nA new date will follow."
    scheduling_services.event_cancel(event_id=attendance.event_id, by=officer, reason=reason)
    attendance.event.refresh_from_db()

    parsed = _parsed(delivery_message(_delivery(attendance, Delivery.Method.CANCEL)))

    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    calendar_part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    vevent = Calendar.from_ical(calendar_part.get_payload(decode=True)).walk("VEVENT")[0]
    assert "Reason for the cancellation: Typhoon signal No. 8 <T8> is in force." in text
    assert "A new date will follow." in text
    assert "Typhoon signal No. 8 &lt;T8&gt; is in force.<br>A new date will follow." in html
    assert str(vevent["COMMENT"]) == reason
    assert str(vevent["DESCRIPTION"]).startswith(f"Reason for the cancellation: {reason}\n\n")


def test_delivery_message_cancel_to_someone_removed_gives_no_reason():
    attendance = _invited()
    Event.objects.filter(pk=attendance.event_id).update(cancel_reason="Not for them")
    attendance.event.refresh_from_db()

    parsed = _parsed(delivery_message(_delivery(attendance, Delivery.Method.CANCEL)))

    assert "Reason" not in parsed.get_body(("plain",)).get_content()
    calendar_part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert (
        "COMMENT"
        not in Calendar.from_ical(calendar_part.get_payload(decode=True)).walk("VEVENT")[0]
    )


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


def test_delivery_messages_about_one_event_cost_one_query_each(django_assert_num_queries):
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


# --- A batch: what attendees share is built once --------------------------------------------------

HTML_NAME = """<b>Tom & "Jerry"</b> O'Neil"""


def _batch_rows(event: Event, attendances: list[Attendance]) -> list[Delivery]:
    shared = (
        Event.objects.select_related("site")
        .prefetch_related("bookings__facility", "bookings__programme_item", "programme__facility")
        .get(pk=event.pk)
    )
    rows = [_delivery(attendance) for attendance in attendances]
    for row in rows:
        row.event = shared  # as the sender hands out one batch
    return rows


def test_delivery_messages_in_one_batch_each_show_only_their_own_attendee():
    event = _invited().event
    first, second = (
        AttendanceFactory(event=event, person__name=HTML_NAME),
        AttendanceFactory(
            event=event, person__name="Ada", call_time=dt.datetime(2030, 7, 1, 9, 0, tzinfo=LONDON)
        ),
    )
    rows = _batch_rows(event, [first, second])

    messages = [_parsed(delivery_message(row)) for row in rows]

    (first_text, first_html), (second_text, second_html) = (
        (m.get_body(("plain",)).get_content(), m.get_body(("html",)).get_content())
        for m in messages
    )
    assert f"Dear Ms {HTML_NAME}," in first_text
    assert "Dear Ms &lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt; O&#x27;Neil," in first_html
    assert "Your call time" not in first_text + first_html
    assert "Dear Ms Ada," in second_text and "Dear Ms Ada," in second_html
    assert "Tom" not in second_text + second_html
    assert "Your call time: Monday 1 July 2030, 09:00 (BST, Europe/London)" in second_text
    first_link, second_link = (
        re.search(r"rsvp/[\w:-]+/", text)[0] for text in (first_text, second_text)
    )
    assert first_link != second_link
    assert first_link in first_html and second_link in second_html


# --- The MIME message --------------------------------------------------------------------------


def test_delivery_message_with_a_line_too_long_for_smtp_arrives_whole():
    attendance = _invited(description="A very long paragraph. " * 60)

    parsed = _parsed(delivery_message(_delivery(attendance)))

    html = parsed.get_body(("html",))
    assert html["Content-Transfer-Encoding"] == "quoted-printable"  # no line over 998 octets
    assert "A very long paragraph. " * 60 in html.get_content()


@pytest.mark.parametrize(
    ("name", "name_zh"),
    [
        ("Alfred Sit", "薛永恒"),
        ("Ada", ""),
        ('Sit, "Alfred"; <CEO> \\ (x)', "陳"),
        ("Zoë O'Neil", ""),
        ("Chan Tai-man, Peter Alexander Lam", "陳大文"),
    ],
)
def test_delivery_message_names_the_attendee_exactly_and_comes_from_the_organiser(
    settings, name, name_zh
):
    settings.DEFAULT_FROM_EMAIL = "Protocol Office <protocol@hkstp.example>"
    attendance = _invited()
    attendance.person.name, attendance.person.name_zh = name, name_zh
    attendance.person.save()

    wire = delivery_message(_delivery(attendance)).message().as_bytes(linesep="\r\n")

    person = attendance.person
    assert mailboxes(wire, "To") == [(person.display_name, person.email)]
    assert mailboxes(wire, "From") == [("Protocol Office", "protocol@hkstp.example")]


# --- Sending -------------------------------------------------------------------------------------


class LedgerCheckingBackend(locmem.EmailBackend):
    """The test outbox, which notes, as each message goes out, how many rows the ledger
    already shows as sent."""

    sent_before: list[int] = []

    def send_messages(self, messages):
        sent = Delivery.objects.filter(state=Delivery.State.SENT).count()
        LedgerCheckingBackend.sent_before += [sent] * len(messages)
        return super().send_messages(messages)


def test_each_message_is_recorded_before_the_next_goes_out(settings):
    settings.EMAIL_BACKEND = f"{__name__}.LedgerCheckingBackend"
    LedgerCheckingBackend.sent_before = []
    event = _invited().event
    rows = [_delivery(a) for a in AttendanceFactory.create_batch(5, event=event)]

    tasks.deliveries_send([row.pk for row in rows])

    assert LedgerCheckingBackend.sent_before == [0, 1, 2, 3, 4]
    recorded = list(Delivery.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk"))
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [r.message_id for r in recorded]
    assert all(row.state == Delivery.State.SENT and row.sent_at for row in recorded)


# --- Any name, over real SMTP --------------------------------------------------------------------


@pytest.fixture
def smtp(settings):
    """Mail goes over SMTP to a real server on 127.0.0.1 (aiosmtpd, tests/e2e/sink.py)."""
    sink = Sink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_TIMEOUT = 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    with sink:
        yield sink


ISSUE_NAMES = [
    "Professor the Honourable Sun Dong, GBS, JP (孫東)",
    "Dr the Honourable Sir Lee Kwok-ming, GBS, JP (李國明)",
    "Excma. Sra. María José Fernández-Castellanos Villanueva",
    "Mr Chan Tai-man, Peter Alexander Lam (陳大文)",
]
# What people's names hold: letters, marks, digits, punctuation, symbols (emoji) and spaces of
# any script, and more often the characters that mean something in an address header.
NAME_PIECES = st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")) | (
    st.sampled_from(
        [*"\"',;:<>@()[]\\.=?_- ", "孫東", "李國明", "é", "ñ", "😀", "👩‍🔬", ", GBS, JP"]
    )
)
NAMES = (
    st.lists(NAME_PIECES, min_size=1, max_size=200)
    .map(lambda pieces: " ".join("".join(pieces).split())[:200].strip())
    .filter(bool)
)


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.sampled_from(ISSUE_NAMES) | NAMES)
@example(name="孫" * 200)
@example(name="😀" * 200)
@example(name='Sit, "Alfred"; <CEO> \\ (陳)')
def test_an_invite_reaches_anyone_over_smtp_and_names_them_exactly(smtp, name):
    event = Event.objects.filter(title="Opening of the MARS Centre").first() or _invited().event
    attendance = AttendanceFactory(
        event=event, person__honorific="", person__name=name, person__name_zh=""
    )
    row = _delivery(attendance)
    before = smtp.count()

    tasks.deliveries_send([row.pk])

    row.refresh_from_db()
    assert (row.state, row.last_error) == (Delivery.State.SENT, "")
    [received] = smtp.received[before:]
    assert received.rcpt_tos == (attendance.person.email,)
    assert mailboxes(received.content) == [(name, attendance.person.email)]
    mime_method, body = received.calendar_part()
    attendee = Calendar.from_ical(body).walk("VEVENT")[0]["ATTENDEE"]
    assert mime_method == "REQUEST"
    assert attendee.params["CN"] == " ".join(name.replace('"', "").replace("\\", "").split())


@pytest.mark.parametrize(
    "address",
    [
        "guest@example.org@example.org",  # no address a server takes
        "guest@example.org\r\nBcc: everyone@example.org",  # a header injection
    ],
)
def test_a_message_that_cannot_be_built_fails_for_good_with_its_reason_for_staff(
    smtp, admin_client, address
):
    attendance = _invited()
    # Written past the forms' validation, as an import or an old row could hold it.
    Person.objects.filter(pk=attendance.person_id).update(email=address)
    row = _delivery(attendance)

    tasks.deliveries_send([row.pk])

    row.refresh_from_db()
    assert (row.state, row.attempts) == (Delivery.State.FAILED, 1)
    assert row.last_error.startswith("The message cannot be built: ")
    assert "address" in row.last_error
    assert smtp.count() == 0
    page = admin_client.get(f"/staff/events/{attendance.event_id}/invitations/")
    assert escape(row.last_error) in page.content.decode()
