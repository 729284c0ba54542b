import datetime as dt
from email.message import EmailMessage

import pytest
from django.conf import settings
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
    organizer: str | None = None,
    attendee_params: str = "",
) -> bytes:
    """A REPLY as Outlook or Thunderbird writes one."""
    event = attendance.event
    if attendees is None:
        attendees = [("alfred.sit@example.gov.hk", "ACCEPTED")]
    organizer = settings.ORGANISER_EMAIL if organizer is None else organizer
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
        *([f"ORGANIZER;CN=Protocol Office:mailto:{organizer}"] if organizer else []),
        *(
            f"ATTENDEE;PARTSTAT={partstat}{attendee_params};CN=Alfred Sit:mailto:{address}"
            for address, partstat in attendees
        ),
        "SUMMARY:Accepted: Ceremony",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode()


def _eml(
    ics: bytes, *, sender: str = "Alfred Sit <alfred.sit@example.gov.hk>", method: str = "REPLY"
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = settings.ORGANISER_EMAIL
    message["Subject"] = "Accepted: Ceremony"
    message.set_content("Alfred Sit has accepted this invitation.")
    message.add_alternative(ics, maintype="text", subtype="calendar", params={"method": method})
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
    [("TENTATIVE", "tentative"), ("DECLINED", "declined")],
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
    assert f"{stale}: refused (inbound reply #" in err
    assert "sequence: SEQUENCE 0 answers an older version" in err
    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.ACCEPTED


# --- Replies that could be forged, or that ask staff to decide (issue 13) --------------------


def test_itip_reply_answering_someone_elses_organizer_is_held_for_review():
    attendance = _invitee()

    errors = _refusal(_eml(_reply(attendance, organizer="events@other.example")))

    assert errors == {
        "organizer": [
            f"ORGANIZER is events@other.example, not {settings.ORGANISER_EMAIL}: "
            "an answer to someone else's invite."
        ]
    }
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None


def test_itip_reply_without_organizer_is_held_for_review():
    attendance = _invitee()

    errors = _refusal(_eml(_reply(attendance, organizer="")))

    assert list(errors) == ["organizer"]
    assert "No ORGANIZER" in errors["organizer"][0]
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None


def test_itip_reply_from_another_sender_is_held_for_review():
    attendance = _invitee()

    errors = _refusal(_eml(_reply(attendance), sender="Mallory <mallory@example.net>"))

    assert list(errors) == ["sender"]
    assert "Sent by mallory@example.net, not by the attendee alfred.sit@" in errors["sender"][0]
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None


def test_itip_reply_whose_mime_method_differs_from_its_method_is_held_for_review():
    attendance = _invitee()

    errors = _refusal(_eml(_reply(attendance), method="REQUEST"))

    assert list(errors) == ["mime_method"]
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None


def test_itip_reply_sent_by_the_attendees_named_delegate_applies():
    attendance = _invitee()
    ics = _reply(attendance, attendee_params=';SENT-BY="mailto:PA.Sit@example.gov.hk"')

    itip_reply_apply(data=_eml(ics, sender="pa.sit@example.gov.hk"))

    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.ACCEPTED


def test_itip_reply_delegating_is_held_for_staff_who_may_apply_it():
    attendance = _invitee()
    ics = _reply(
        attendance,
        attendees=[("alfred.sit@example.gov.hk", "DELEGATED")],
        attendee_params=';DELEGATED-TO="mailto:deputy@example.gov.hk"',
    )

    errors = _refusal(ics)
    itip_reply_apply(data=ics, review=False)

    assert errors == {
        "partstat": ["Delegated to deputy@example.gov.hk: staff decide whether to invite them."]
    }
    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.DELEGATED


def test_itip_reply_counter_is_held_and_never_applied_as_an_answer():
    attendance = _invitee()
    counter = _reply(attendance, method="COUNTER")

    errors = _refusal(counter)
    with pytest.raises(ValidationError) as overruled:
        itip_reply_apply(data=counter, review=False)

    assert list(errors) == ["method"]
    assert (
        "A COUNTER: the attendee proposes a change (DTSTART 20300304T020000Z)"
        in (errors["method"][0])
    )
    assert overruled.value.message_dict == {
        "method": ["A COUNTER proposes a change to the event; make it on the event if you agree."]
    }
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None


def test_itip_reply_bare_ics_file_still_needs_our_organizer():
    attendance = _invitee()

    errors = _refusal(_reply(attendance, organizer="events@other.example"))

    assert list(errors) == ["organizer"]
