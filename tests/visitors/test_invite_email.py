import datetime as dt
import email
import re
import zoneinfo
from email import policy

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends import locmem
from django.core.mail.message import forbid_multi_line_headers
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from scheduling.models import Event
from tests.e2e.sink import Sink
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    ProgrammeItemFactory,
    SiteFactory,
)
from visitors import tasks
from visitors.emails import FOLD_ONCE, InviteMessage, delivery_message
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


# --- A batch: what attendees share is built once --------------------------------------------------

HTML_NAME = """<b>Tom & "Jerry"</b> O'Neil"""


def _masked(text: str) -> str:
    """Without what differs between two builds of one message: the link's signing time, DTSTAMP."""
    text = text.replace("\r\n ", "")  # unfolded
    text = re.sub(r"rsvp/[\w:-]+/", "rsvp/TOKEN/", text)
    return re.sub(r"DTSTAMP:\w+", "DTSTAMP:STAMP", text)


def _parts(message) -> list[str]:
    return [
        message.subject,
        message.extra_headers["To"],
        _masked(message.body),
        *(_masked(content) for content, _mimetype in message.alternatives),
    ]


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


def test_delivery_messages_in_one_batch_equal_messages_built_alone():
    attendance = _invited(description='Bring <ID> & "invitation"')
    event = attendance.event
    others = [
        AttendanceFactory(event=event, person__name=HTML_NAME, person__name_zh="陳大文"),
        AttendanceFactory(
            event=event, role="escort", call_time=dt.datetime(2030, 7, 1, 9, 15, tzinfo=LONDON)
        ),
        AttendanceFactory(event=event, rsvp=Attendance.RSVP.ACCEPTED, person__honorific=""),
    ]
    rows = _batch_rows(event, [attendance, *others])

    batch = [delivery_message(row) for row in rows]

    alone = [delivery_message(Delivery.objects.get(pk=row.pk)) for row in rows]
    for together, by_itself in zip(batch, alone, strict=True):
        assert _parts(together) == _parts(by_itself)
    assert len({message.body for message in batch}) == len(batch)


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


def test_a_template_that_transforms_an_attendee_value_is_rendered_whole(settings, caplog):
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "APP_DIRS": False,
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {"visitors/email/invite.txt": "Dear {{ name|upper }}, {{ facts.title }}"},
                    ),
                    "django.template.loaders.filesystem.Loader",
                ],
            },
        }
    ]
    event = _invited().event
    rows = _batch_rows(event, AttendanceFactory.create_batch(3, event=event))

    bodies = [delivery_message(row).body for row in rows]

    assert bodies == [
        f"Dear {row.person.display_name.upper()}, Opening of the MARS Centre (火星中心開幕典禮)"
        for row in rows
    ]
    assert "does more with an attendee's values than show them" in caplog.text


# --- The MIME message: what Django and Python would write -----------------------------------------


def _as_django_builds_it(message) -> bytes:
    """The message as Django's EmailMultiAlternatives.message() builds it and Python's
    generator writes it, with the boundaries and Date of ours, to compare."""
    ours = message.message()
    theirs = EmailMultiAlternatives.message(message)
    ours_multiparts = [part for part in ours.walk() if part.is_multipart()]
    theirs_multiparts = [part for part in theirs.walk() if part.is_multipart()]
    for mine, django in zip(ours_multiparts, theirs_multiparts, strict=True):
        django.set_boundary(mine.get_boundary())
    theirs.replace_header("Date", ours["Date"])
    return ours, theirs.as_bytes(linesep="\r\n")


@pytest.mark.parametrize(
    "case",
    ["invite", "update", "cancel", "removed", "reminder", "ascii", "long subject", "tricky name"],
)
def test_delivery_message_bytes_are_those_django_and_python_write(case):
    fields = {}
    if case == "ascii":
        fields = {"title_zh": "", "site": SiteFactory(name="Lab", address="1 Road")}
    if case == "long subject":
        fields = {"title": "The opening ceremony of the Robotics and Advanced Manufacturing Centre"}
    attendance = _invited(**fields)
    event = attendance.event
    method = Delivery.Method.REQUEST
    if case == "ascii":
        attendance.person.name_zh = ""
        attendance.person.save()
    if case == "tricky name":
        attendance.person.name = 'Sit, "Alfred"; <CEO> \\ (陳)'
        attendance.person.save()
    if case == "update":
        _delivery(attendance, sequence=0, state=Delivery.State.SENT)
        event.sequence = 1
        event.save()
    if case in ("cancel", "removed"):
        event.status, event.sequence, method = Event.Status.CANCELLED, 2, Delivery.Method.CANCEL
        event.save()
    if case == "reminder":
        method = Delivery.Method.REMINDER
    delivery = _delivery(attendance, method)
    if case == "removed":
        attendance.delete()
        delivery.refresh_from_db()
    message = delivery_message(delivery)

    ours, django_writes = _as_django_builds_it(message)

    assert ours.as_bytes(linesep="\r\n") == django_writes
    ours.policy = policy.compat32  # Python's own generator, on our tree
    assert ours.as_bytes(linesep="\r\n") == django_writes
    assert ours.as_bytes() == django_writes.replace(b"\r\n", b"\n")


@pytest.mark.parametrize(
    ("text", "transfer"), [("Plain words", b"7bit"), ("Caf\u00e9 \u2013 11:00", b"8bit")]
)
def test_invite_message_bytes_are_those_django_and_python_write(text, transfer):
    message = InviteMessage(
        subject=f"Invitation: {text}",
        body=f"{text}\nsecond line\r\nthird\n",
        from_email="protocol@example.org",
        to=["a@example.org"],
        headers={
            "Message-ID": "<1@example.org>",
            "From": "P <p@example.org>",
            "To": "a@example.org",
        },
    )
    message.attach_alternative(f"<p>{text}</p>", "text/html")
    message.attach_alternative(f"BEGIN:VCALENDAR\r\nX:{text}\r\n", "text/calendar; method=CANCEL")
    message.attach("invite.ics", f"BEGIN:VCALENDAR\r\nX:{text}".encode(), "application/ics")

    ours, django_writes = _as_django_builds_it(message)

    assert type(ours).__name__ == "InviteMIME"
    assert ours.as_bytes(linesep="\r\n") == django_writes
    assert django_writes.count(b"Content-Transfer-Encoding: " + transfer) == 3


HEADER_NAMES = st.sampled_from(["To", "Date", "Subject", "Content-Type", "X-A-Long-Header-Name"])
HEADER_VALUES = (
    st.text(alphabet=st.characters(max_codepoint=127), max_size=100)
    | st.text(alphabet=st.sampled_from(list(' \t;,=?"<>@.:ab陳')), max_size=100)
    | st.text(max_size=40)
)


@given(HEADER_NAMES, HEADER_VALUES, st.sampled_from(["\n", "\r\n"]))
def test_remembered_header_folding_is_compat32s(name, value, linesep):
    ours, python = FOLD_ONCE.clone(linesep=linesep), policy.compat32.clone(linesep=linesep)
    try:
        expected = python.fold_binary(name, value)
    except Exception as error:  # what compat32 refuses, ours refuses too
        with pytest.raises(type(error)):
            ours.fold_binary(name, value)
        return

    assert ours.fold_binary(name, value) == expected
    assert ours.fold_binary(name, value) == expected  # remembered


def test_delivery_message_with_a_line_too_long_for_8bit_is_built_by_django():
    attendance = _invited(description="A very long paragraph. " * 60)

    message = delivery_message(_delivery(attendance))

    tree = message.message()
    assert type(tree).__name__ == "SafeMIMEMultipart"  # Django's own, quoted-printable
    html = next(p for p in tree.walk() if p.get_content_type() == "text/html")
    assert html["Content-Transfer-Encoding"] == "quoted-printable"
    parsed = email.message_from_bytes(tree.as_bytes(linesep="\r\n"), policy=policy.default)
    assert "A very long paragraph. " * 60 in parsed.get_body(("html",)).get_content()
    assert [p.get_boundary() for p in tree.walk() if p.is_multipart()][0] in str(tree)


def test_delivery_message_boundaries_are_fresh_and_absent_from_the_content():
    event = _invited().event
    rows = _batch_rows(event, AttendanceFactory.create_batch(2, event=event))

    trees = [delivery_message(row).message() for row in rows]

    boundaries = [
        part.get_boundary() for tree in trees for part in tree.walk() if part.is_multipart()
    ]
    assert len(set(boundaries)) == 4
    for tree in trees:
        written = tree.as_bytes(linesep="\r\n")
        for part in tree.walk():
            if part.is_multipart():
                dashes = b"--" + part.get_boundary().encode()
                assert written.count(dashes) == len(part.get_payload()) + 1


@pytest.mark.parametrize(
    ("name", "name_zh"),
    [
        ("Alfred Sit", "薛永恒"),
        ("Ada", ""),
        ('Sit, "Alfred"; <CEO> \\ (x)', "陳"),
        ("Zoë O'Neil", ""),
    ],
)
def test_delivery_message_headers_and_envelope_are_what_django_would_write(settings, name, name_zh):
    settings.DEFAULT_FROM_EMAIL = "Protocol Office <protocol@hkstp.example>"
    attendance = _invited()
    attendance.person.name, attendance.person.name_zh = name, name_zh
    attendance.person.save()

    message = delivery_message(_delivery(attendance))

    (to,) = message.to
    headers = message.message()
    assert headers["To"] == forbid_multi_line_headers("To", to, "utf-8")[1]
    assert headers["From"] == "Protocol Office <protocol@hkstp.example>"
    assert message.recipients() == [attendance.person.email]
    assert message.from_email == "protocol@hkstp.example"
    parsed = _parsed(message)
    assert parsed["To"].addresses[0].display_name == attendance.person.display_name
    assert parsed["To"].addresses[0].addr_spec == attendance.person.email


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


@pytest.mark.xfail(strict=True, reason="issue 11: a long non-ASCII name's To header is refused")
@settings(
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
    [to] = received.message["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, attendance.person.email)
    mime_method, body = received.calendar_part()
    attendee = Calendar.from_ical(body).walk("VEVENT")[0]["ATTENDEE"]
    assert mime_method == "REQUEST"
    assert attendee.params["CN"] == " ".join(name.replace('"', "").split())


@pytest.mark.parametrize(
    "address",
    [
        pytest.param(
            "guest@example.org@example.org",  # no address a server takes
            marks=pytest.mark.xfail(strict=True, reason="issue 11: retried as if temporary"),
        ),
        pytest.param(
            "guest@example.org\r\nBcc: everyone@example.org",  # a header injection
            marks=pytest.mark.xfail(strict=True, reason="issue 11: a bare reason"),
        ),
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
