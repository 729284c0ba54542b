import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from scheduling import ical
from scheduling.facts import event_facts
from scheduling.models import Booking, Event, ProgrammeItem
from scheduling.venue import event_venue
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
)
from visitors import services
from visitors.ical import invite_calendar
from visitors.models import Attendance, Delivery

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
TRICKY = 'Chinese 名字, "quoted"; semi;colon\nnewline'


def _event(**fields) -> Event:
    site = SiteFactory(
        name="InnoPark Tai Po",
        name_zh="大埔創新園",
        address="5 Dai Fu Street\nTai Po Industrial Estate",
    )
    values = {
        "title": "Opening of the MARS Centre",
        "status": Event.Status.CONFIRMED,
        "site": site,
        "timezone": "Europe/London",
        "start": dt.datetime(2030, 7, 1, 10, 0, tzinfo=LONDON),
        "end": dt.datetime(2030, 7, 1, 12, 0, tzinfo=LONDON),
        "description": "The MARS Centre opens to the public.",
        **fields,
    }
    event = EventFactory(**values)
    BookingFactory(event=event, facility__name="Auditorium", facility__name_zh="演講廳")
    return event


def _ics(attendance: Attendance, method: str = "REQUEST", **kwargs) -> bytes:
    return invite_calendar(
        event=attendance.event,
        person=attendance.person,
        attendance=attendance,
        method=method,
        sequence=kwargs.pop("sequence", attendance.event.sequence),
        **kwargs,
    ).to_ical()


def _vevent(ics: bytes):
    return Calendar.from_ical(ics).walk("VEVENT")[0]


def test_invite_request_carries_every_field_an_itip_request_needs(settings):
    settings.ORGANISER_NAME, settings.ORGANISER_EMAIL = "Protocol Office", "protocol@hkstp.example"
    event = _event()
    attendance = AttendanceFactory(event=event, person__name="Alfred Sit", role="speaker")
    before = timezone.now().replace(microsecond=0)

    ics = _ics(attendance, sequence=4, rsvp_link="https://desk.example/rsvp/abc/")

    calendar = Calendar.from_ical(ics)
    vevent = calendar.walk("VEVENT")[0]
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert vevent["UID"] == event.uid
    assert vevent["SEQUENCE"] == 4
    assert b"DTSTAMP:" in ics and vevent["DTSTAMP"].dt.tzinfo is not None
    assert vevent["DTSTAMP"].dt.utcoffset() == dt.timedelta(0)
    assert vevent["DTSTAMP"].dt >= before
    assert str(vevent["ORGANIZER"]) == "mailto:protocol@hkstp.example"
    assert vevent["ORGANIZER"].params["CN"] == "Protocol Office"
    assert str(vevent["ATTENDEE"]) == f"mailto:{attendance.person.email}"
    assert dict(vevent["ATTENDEE"].params) == {
        "CN": "Ms Alfred Sit",
        "CUTYPE": "INDIVIDUAL",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
        "RSVP": "TRUE",
    }
    assert b"DTSTART;TZID=Europe/London:20300701T100000" in ics
    assert b"DTEND;TZID=Europe/London:20300701T120000" in ics
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert vevent["DTSTART"].dt == event.start and vevent["DTEND"].dt == event.end
    assert vevent["SUMMARY"] == "Opening of the MARS Centre"
    assert vevent["LOCATION"] == (
        "Auditorium (演講廳), InnoPark Tai Po (大埔創新園), "
        "5 Dai Fu Street, Tai Po Industrial Estate"
    )
    assert vevent["STATUS"] == "CONFIRMED"
    assert "The MARS Centre opens to the public." in vevent["DESCRIPTION"]
    assert "https://desk.example/rsvp/abc/" in vevent["DESCRIPTION"]
    alarm = vevent.walk("VALARM")[0]
    assert alarm["ACTION"] == "DISPLAY" and alarm["TRIGGER"].dt == -dt.timedelta(hours=1)
    assert alarm["DESCRIPTION"]


def test_invite_description_lists_the_public_programme_in_the_events_zone():
    event = _event()
    ProgrammeItemFactory(
        event=event,
        title="Welcome remarks",
        title_zh="歡迎辭",
        start=event.start,
        end=event.start + dt.timedelta(minutes=15),
    )
    ProgrammeItemFactory(
        event=event,
        title="Lab tour",
        facility=FacilityFactory(site=event.site, name="Robotics Lab"),
        start=event.start + dt.timedelta(minutes=30),
        end=event.start + dt.timedelta(minutes=90),
    )
    attendance = AttendanceFactory(event=event)

    description = str(_vevent(_ics(attendance))["DESCRIPTION"])

    assert "Programme (times in BST, Europe/London):" in description
    assert "10:00–10:15  Welcome remarks (歡迎辭)" in description
    assert "10:30–11:30  Lab tour (Robotics Lab)" in description
    assert "When: Monday 1 July 2030, 10:00–12:00 (BST, Europe/London)" in description


def test_invite_keeps_everything_internal_out():
    event = _event(internal_notes="Minister arrives by side gate")
    ProgrammeItemFactory(event=event, title="Welcome", cue_notes="Cue lights at 09:58")
    ProgrammeItemFactory(
        event=event, title="Security sweep", visibility=ProgrammeItem.Visibility.INTERNAL
    )
    attendance = AttendanceFactory(
        event=event,
        notes="Prefers aisle seat (staff note)",
        person__phone="+852 9123 4567",
        person__notes="Personal assistant: Ms Wong",
    )

    ics = _ics(attendance).decode()

    unfolded = ics.replace("\r\n ", "")
    for secret in (
        "side gate",
        "Cue lights",
        "Security sweep",
        "9123 4567",
        "aisle seat",
        "Ms Wong",
    ):
        assert secret not in unfolded


def test_invite_internal_booking_does_not_set_the_place():
    event = _event()
    holding = ProgrammeItemFactory(
        event=event, title="VIP holding", visibility=ProgrammeItem.Visibility.INTERNAL
    )
    event.bookings.all().delete()
    BookingFactory(event=event, programme_item=holding, facility__name="VIP Room")

    assert event_venue(event) is None


def test_main_facility_prefers_the_whole_event_booking_over_backups_and_released():
    event = _event()
    primary = event.bookings.get()
    released = BookingFactory(
        event=event, facility__name="Old hall", status=Booking.Status.RELEASED
    )
    backup = BookingFactory(event=event, facility__name="Rain plan", backup_of=primary)
    item = ProgrammeItemFactory(event=event)
    BookingFactory(event=event, programme_item=item, facility__name="Tour stop")

    assert event_venue(event) == primary.facility
    assert released.facility != primary.facility != backup.facility


def test_main_facility_falls_back_to_the_programme():
    event = _event()
    event.bookings.all().delete()
    lab = FacilityFactory(site=event.site, name="Lab")
    ProgrammeItemFactory(
        event=event, facility=lab, start=event.start, end=event.start + dt.timedelta(hours=1)
    )
    ProgrammeItemFactory(
        event=event,
        facility=FacilityFactory(site=event.site, name="Lobby"),
        start=event.start + dt.timedelta(hours=1),
        end=event.start + dt.timedelta(minutes=70),
    )

    assert event_venue(event) == lab


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("host", "CHAIR"),
        ("guest_of_honour", "REQ-PARTICIPANT"),
        ("officiating_guest", "REQ-PARTICIPANT"),
        ("speaker", "REQ-PARTICIPANT"),
        ("staff", "REQ-PARTICIPANT"),
        ("escort", "REQ-PARTICIPANT"),
        ("guest", "OPT-PARTICIPANT"),
        ("media", "NON-PARTICIPANT"),
    ],
)
def test_invite_role_follows_the_attendance_role(role, expected):
    attendance = AttendanceFactory(event=_event(), role=role)

    assert _vevent(_ics(attendance))["ATTENDEE"].params["ROLE"] == expected


@pytest.mark.parametrize(
    ("answer", "partstat"),
    [("accepted", "ACCEPTED"), ("tentative", "TENTATIVE"), ("declined", "DECLINED")],
)
def test_invite_carries_the_recorded_answer_as_partstat(answer, partstat):
    attendance = AttendanceFactory(event=_event())
    attendance = services.rsvp_record(attendance_id=attendance.pk, answer=answer)

    assert _vevent(_ics(attendance))["ATTENDEE"].params["PARTSTAT"] == partstat


def test_invite_shows_the_attendees_own_call_time():
    event = _event()
    escort = AttendanceFactory(
        event=event, role="escort", call_time=dt.datetime(2030, 7, 1, 9, 15, tzinfo=LONDON)
    )
    guest = AttendanceFactory(event=event)

    escort_event, guest_event = _vevent(_ics(escort)), _vevent(_ics(guest))

    assert escort_event["DTSTART"].dt == dt.datetime(2030, 7, 1, 9, 15, tzinfo=LONDON)
    assert guest_event["DTSTART"].dt == event.start
    assert escort_event["DTEND"].dt == guest_event["DTEND"].dt == event.end
    assert "Your call time: Monday 1 July 2030, 09:15 (BST" in escort_event["DESCRIPTION"]
    assert "call time" not in guest_event["DESCRIPTION"]


def test_invite_text_and_names_survive_exactly():
    event = _event(title=TRICKY, title_zh="", description=TRICKY)
    person = PersonFactory(honorific="", name=TRICKY, name_zh="陳大文")
    attendance = AttendanceFactory(event=event, person=person)

    ics = _ics(attendance)

    vevent = _vevent(ics)
    assert vevent["SUMMARY"] == TRICKY
    assert vevent["DESCRIPTION"].startswith(TRICKY + "\n\n")
    assert 'SUMMARY:Chinese 名字\\, "quoted"\\; semi\\;colon\\nnewline' in ics.decode()
    # A parameter value cannot hold CR, LF or '"': they go; ':;,' are kept inside quotes.
    assert vevent["ATTENDEE"].params["CN"] == "Chinese 名字, quoted; semi;colon newline (陳大文)"
    assert 'ATTENDEE;CN="Chinese 名字, quoted; semi;colon newline (陳大文)"' in (
        ics.decode().replace("\r\n ", "")
    )


def test_invite_lines_end_in_crlf_and_fold_at_75_octets_without_splitting_utf8():
    long_title = "香港科學園火星中心開幕典禮暨創新科技展覽會" * 4 + " and a long English tail"
    attendance = AttendanceFactory(event=_event(title=long_title))

    ics = _ics(attendance)

    assert ics.endswith(b"\r\n")
    assert b"\n" not in ics.replace(b"\r\n", b"")
    lines = ics.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # it did fold
    for line in lines:
        line.decode("utf-8")  # no multi-byte character cut in two
    assert _vevent(ics)["SUMMARY"] == long_title


def test_invite_cancel_has_the_cancel_shape():
    event = _event()
    attendance = AttendanceFactory(event=event)
    event.status, event.sequence = Event.Status.CANCELLED, 2
    event.save()

    ics = _ics(attendance, "CANCEL", rsvp_link="https://desk.example/rsvp/abc/")

    calendar = Calendar.from_ical(ics)
    vevent = calendar.walk("VEVENT")[0]
    assert calendar["METHOD"] == "CANCEL"
    assert vevent["UID"] == event.uid and vevent["SEQUENCE"] == 2
    assert vevent["STATUS"] == "CANCELLED"
    assert str(vevent["ATTENDEE"]) == f"mailto:{attendance.person.email}"
    assert "RSVP" not in vevent["ATTENDEE"].params
    assert "rsvp/abc" not in vevent["DESCRIPTION"]
    assert not vevent.walk("VALARM")


def test_invite_cancel_for_a_removed_attendee_still_names_them():
    event = _event()
    person = PersonFactory()

    ics = invite_calendar(
        event=event, person=person, attendance=None, method="CANCEL", sequence=1
    ).to_ical()

    vevent = _vevent(ics)
    assert str(vevent["ATTENDEE"]) == f"mailto:{person.email}"
    assert vevent["STATUS"] == "CANCELLED"


def test_invite_in_a_zone_without_yearly_rules_is_written_in_utc():
    event = _event(
        timezone="Africa/Casablanca",
        start=dt.datetime(2030, 7, 1, 9, 0, tzinfo=dt.UTC),
        end=dt.datetime(2030, 7, 1, 11, 0, tzinfo=dt.UTC),
    )
    attendance = AttendanceFactory(event=event)

    ics = _ics(attendance)

    assert b"BEGIN:VTIMEZONE" not in ics and b"TZID" not in ics
    assert b"DTSTART:20300701T090000Z" in ics and b"DTEND:20300701T110000Z" in ics


def test_invite_needs_an_address_and_a_method_clients_know():
    attendance = AttendanceFactory(event=_event(), person__email="")

    with pytest.raises(ValueError, match="no e-mail address"):
        _ics(attendance)
    attendance.person.email = "a@example.org"
    with pytest.raises(ValueError, match="REQUEST or a CANCEL"):
        _ics(attendance, Delivery.Method.REMINDER)


def test_event_vevent_serves_feeds_without_attendees():
    event = _event()

    vevent = ical.published_vevent(
        event_facts(event), zone_written=False, uid="feed-1@protocol-desk"
    )

    text = vevent.to_ical().decode()
    assert "ATTENDEE" not in text and "ORGANIZER" not in text
    assert "UID:feed-1@protocol-desk" in text
    assert "DTSTART:20300701T090000Z" in text  # 10:00 BST
    assert vevent["STATUS"] == "CONFIRMED"


def test_invite_writes_the_zone_for_a_call_time_in_another_year():
    event = _event(
        start=dt.datetime(2031, 1, 1, 0, 30, tzinfo=LONDON),
        end=dt.datetime(2031, 1, 1, 2, 0, tzinfo=LONDON),
    )
    crew = AttendanceFactory(
        event=event, role="staff", call_time=dt.datetime(2030, 12, 31, 22, 0, tzinfo=LONDON)
    )

    ics = _ics(crew)

    assert b"DTSTART;TZID=Europe/London:20301231T220000" in ics
    assert b"DTEND;TZID=Europe/London:20310101T020000" in ics
    zone = Calendar.from_ical(ics).walk("VTIMEZONE")[0].to_tz()
    assert _vevent(ics)["DTSTART"].dt.astimezone(zone).utcoffset() == dt.timedelta(0)


CLASSES = [
    ("public", None),
    ("partners", None),
    ("internal", "PRIVATE"),
    ("restricted", "CONFIDENTIAL"),  # an unannounced visit
]


@pytest.mark.parametrize(("visibility", "shown"), CLASSES)
def test_invite_and_published_copy_say_who_may_see_the_event(visibility, shown):
    from api.ics import publish_calendar

    event = _event(visibility=visibility)
    attendance = AttendanceFactory(event=event)

    assert _vevent(_ics(attendance)).get("CLASS") == shown
    assert _vevent(publish_calendar(event)).get("CLASS") == shown


@pytest.mark.parametrize(("visibility", "shown"), CLASSES)
def test_an_invite_to_a_restricted_visit_says_it_is_not_for_publication(visibility, shown):
    from visitors.emails import delivery_message

    attendance = AttendanceFactory(event=_event(visibility=visibility))
    delivery = Delivery(
        event=attendance.event,
        person=attendance.person,
        attendance=attendance,
        method=Delivery.Method.REQUEST,
        sequence=0,
    )
    message = delivery_message(delivery)
    html = message.alternatives[0][0]
    description = str(_vevent(_ics(attendance)).get("DESCRIPTION"))

    for text in (message.body, html, description):
        assert ("Not for publication" in text) == (visibility == "restricted")


def test_invite_in_the_hour_the_clocks_repeat_is_unmistakable():
    # 25 October 2026, London: 01:00 BST is 00:00 UTC; an hour later it is 01:00 GMT.
    first = dt.datetime(2026, 10, 25, 0, 0, tzinfo=dt.UTC)
    event = _event(start=first, end=first + dt.timedelta(hours=1))
    attendance = AttendanceFactory(event=event)

    ics = _ics(attendance)

    assert b"DTSTART:20261025T000000Z" in ics and b"DTEND:20261025T010000Z" in ics
    assert b"BEGIN:VTIMEZONE" in ics  # the zone still names the event's place in time
    description = str(_vevent(ics)["DESCRIPTION"])
    assert "When: Sunday 25 October 2026, 01:00 BST–01:00 GMT (BST, Europe/London)" in description
