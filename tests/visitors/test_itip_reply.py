import datetime as dt
from email.message import EmailMessage

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from scheduling.models import Event
from tests.factories import AttendanceFactory, EventFactory
from visitors import services
from visitors.itip import itip_reply_apply
from visitors.models import Attendance, Delivery

pytestmark = pytest.mark.django_db

STAMP = dt.datetime(2030, 2, 1, 9, 30, tzinfo=dt.UTC)


def _invitee(**fields) -> Attendance:
    event = EventFactory(status=Event.Status.CONFIRMED, sequence=2)
    return AttendanceFactory(event=event, person__email="Alfred.Sit@Example.gov.hk", **fields)


def _reply(
    attendance: Attendance,
    *,
    method: str = "REPLY",
    uid: str | None = None,
    sequence: int | None = None,
    stamp: dt.datetime = STAMP,
    attendees: list[tuple[str, str]] | None = None,
) -> bytes:
    """A REPLY as Outlook or Thunderbird writes one."""
    event = attendance.event
    if attendees is None:
        attendees = [("alfred.sit@example.gov.hk", "ACCEPTED")]
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{uid or event.uid}",
        f"SEQUENCE:{event.sequence if sequence is None else sequence}",
        f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
        "DTSTART:20300304T020000Z",
        "ORGANIZER;CN=Protocol Office:mailto:protocol@localhost",
        *(
            f"ATTENDEE;PARTSTAT={partstat};CN=Alfred Sit:mailto:{address}"
            for address, partstat in attendees
        ),
        "SUMMARY:Accepted: Ceremony",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode()


def _eml(ics: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = "Alfred Sit <alfred.sit@example.gov.hk>"
    message["To"] = "protocol@localhost"
    message["Subject"] = "Accepted: Ceremony"
    message.set_content("Alfred Sit has accepted this invitation.")
    message.add_alternative(ics, maintype="text", subtype="calendar", params={"method": "REPLY"})
    return message.as_bytes()


def _refusal(data: bytes) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        itip_reply_apply(data=data)
    return error.value.message_dict


def test_itip_reply_applies_an_accept_from_an_ics_file():
    attendance = _invitee()

    result = itip_reply_apply(data=_reply(attendance))

    attendance.refresh_from_db()
    assert result.pk == attendance.pk
    assert attendance.rsvp == Attendance.RSVP.ACCEPTED
    assert attendance.rsvp_at == STAMP


def test_itip_reply_applies_from_a_whole_email():
    attendance = _invitee()
    ics = _reply(attendance, attendees=[("ALFRED.SIT@example.gov.hk", "DECLINED")])

    itip_reply_apply(data=_eml(ics))

    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.DECLINED


@pytest.mark.parametrize(
    ("partstat", "answer"),
    [("TENTATIVE", "tentative"), ("DELEGATED", "delegated"), ("DECLINED", "declined")],
)
def test_itip_reply_maps_partstat_to_the_answer(partstat, answer):
    attendance = _invitee()

    itip_reply_apply(data=_reply(attendance, attendees=[("alfred.sit@example.gov.hk", partstat)]))

    attendance.refresh_from_db()
    assert attendance.rsvp == answer


def test_itip_reply_newer_reply_wins_over_an_older_web_answer():
    attendance = _invitee()
    services.rsvp_record(
        attendance_id=attendance.pk, answer="declined", at=STAMP - dt.timedelta(hours=1)
    )

    itip_reply_apply(data=_reply(attendance))

    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.ACCEPTED


def test_itip_reply_from_someone_not_invited_is_refused():
    attendance = _invitee()
    AttendanceFactory(person__email="stranger@example.org")  # invited elsewhere only

    errors = _refusal(_reply(attendance, attendees=[("stranger@example.org", "ACCEPTED")]))

    assert errors == {"attendee": ["stranger@example.org is not invited to this event."]}
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None


def test_itip_reply_with_two_attendees_is_refused():
    attendance = _invitee()
    other = AttendanceFactory(event=attendance.event)

    errors = _refusal(
        _reply(
            attendance,
            attendees=[
                ("alfred.sit@example.gov.hk", "ACCEPTED"),
                (other.person.email, "ACCEPTED"),
            ],
        )
    )

    assert errors == {"attendee": ["A REPLY must carry exactly one ATTENDEE; this one has 2."]}
    assert not Attendance.objects.filter(rsvp_at__isnull=False).exists()


def test_itip_reply_with_an_unknown_uid_is_refused():
    attendance = _invitee()

    errors = _refusal(_reply(attendance, uid="someone-else@calendar.example"))

    assert errors == {"uid": ["Unknown UID someone-else@calendar.example: not one of our events."]}


def test_itip_reply_to_an_older_sequence_is_refused():
    attendance = _invitee()

    errors = _refusal(_reply(attendance, sequence=1))

    assert errors == {"sequence": ["SEQUENCE 1 answers an older version; this invitee's is at 2."]}
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None


def test_itip_reply_answers_the_newest_invite_this_invitee_holds():
    attendance = _invitee()
    Delivery.objects.create(
        event=attendance.event,
        person=attendance.person,
        attendance=attendance,
        method=Delivery.Method.REQUEST,
        sequence=2,
        state=Delivery.State.SENT,
        next_attempt_at=STAMP,
    )
    # Someone else was taken off the list: the event moved on, this invitee's invite did not.
    Event.objects.filter(pk=attendance.event_id).update(sequence=3)

    applied = itip_reply_apply(data=_reply(attendance, sequence=2))

    assert applied.rsvp == Attendance.RSVP.ACCEPTED
    with pytest.raises(ValidationError):
        itip_reply_apply(data=_reply(attendance, sequence=3, stamp=STAMP + dt.timedelta(minutes=1)))


def test_itip_reply_not_newer_than_the_last_answer_is_refused():
    attendance = _invitee()
    services.rsvp_record(attendance_id=attendance.pk, answer="declined", at=STAMP)

    errors = _refusal(_reply(attendance, stamp=STAMP))

    assert list(errors) == ["dtstamp"]
    assert "not newer than the last answer" in errors["dtstamp"][0]
    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.DECLINED


def test_itip_reply_replayed_is_refused_the_second_time():
    attendance = _invitee()
    reply = _reply(attendance)
    itip_reply_apply(data=reply)

    errors = _refusal(reply)

    assert list(errors) == ["dtstamp"]


def test_itip_reply_must_be_a_reply():
    attendance = _invitee()

    errors = _refusal(_reply(attendance, method="REQUEST"))

    assert errors == {"method": ["METHOD is REQUEST, not REPLY: not an answer."]}


def test_itip_reply_with_no_answer_in_partstat_is_refused():
    attendance = _invitee()

    errors = _refusal(_reply(attendance, attendees=[("alfred.sit@example.gov.hk", "NEEDS-ACTION")]))

    assert list(errors) == ["partstat"]


def test_itip_reply_unreadable_input_is_refused():
    assert list(_refusal(b"hello, this is not a calendar")) == ["file"]
    assert list(_refusal(b"BEGIN:VCALENDAR\r\nthis is broken")) == ["file"]


def test_itip_reply_for_a_cancelled_event_is_refused():
    attendance = _invitee()
    Event.objects.filter(pk=attendance.event_id).update(status=Event.Status.CANCELLED)

    errors = _refusal(_reply(attendance))

    assert list(errors) == ["rsvp"]


def test_apply_itip_reply_command_reports_each_file(tmp_path, capsys):
    attendance = _invitee()
    good, stale = tmp_path / "good.eml", tmp_path / "stale.ics"
    good.write_bytes(_eml(_reply(attendance)))
    stale.write_bytes(_reply(attendance, sequence=0))

    with pytest.raises(CommandError, match="1 of 2 file"):
        call_command("apply_itip_reply", str(good), str(stale))

    out, err = capsys.readouterr()
    assert f"{good}: applied:" in out and "accepted" in out
    assert f"{stale}: refused: sequence: SEQUENCE 0 answers an older version" in err
    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.ACCEPTED
