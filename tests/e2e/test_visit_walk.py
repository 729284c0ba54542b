"""End to end, as a head of protocol works: plan the Secretary's inspection of the MARS Centre
(three stops, travel between buildings), invite the party, move the whole visit 30 minutes
later, drop a stop, change one staff call time, take a guest off the list, then cancel. After
each step: what every attendee received over real SMTP (a ``qcluster`` with two workers and
aiosmtpd), what the API and a subscription feed show, and which warnings stand.
"""

import datetime as dt
import zoneinfo

import pytest
from django.test import Client
from icalendar import Calendar

from api import feeds
from api.services import api_key_create
from desk.visits import VisitPerson, VisitStop, visit_create
from desk.warnings import event_warnings
from scheduling import services as scheduling_services
from scheduling.models import Booking, Event, ProgrammeItem, TravelTime
from tests.e2e.cluster import QCluster, use_cluster_broker, wait_until
from tests.e2e.sink import Received, Sink
from tests.factories import (
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    SiteFactory,
)
from visitors import invitations
from visitors import services as visitor_services
from visitors.models import Attendance, Delivery

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SETTINGS = {
    "INVITE_COALESCE_SECONDS": 0,
    "INVITE_RETRY_BASE_SECONDS": 1,
    "INVITE_STUCK_SECONDS": 2,
}
LATER = dt.timedelta(minutes=30)
HONG_KONG = zoneinfo.ZoneInfo("Asia/Hong_Kong")
DAY = dt.date.today() + dt.timedelta(days=40)  # inside every feed's window


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=HONG_KONG)


def sent() -> int:
    return Delivery.objects.filter(state=Delivery.State.SENT).count()


def what_arrived(message: Received) -> tuple[str, int, dt.datetime]:
    """(METHOD, SEQUENCE, DTSTART) of a received invite, read with icalendar."""
    _method, body = message.calendar_part()
    calendar = Calendar.from_ical(body)
    vevent = calendar.walk("VEVENT")[0]
    return str(calendar["METHOD"]), int(vevent["SEQUENCE"]), vevent.decoded("DTSTART")


def text_of(message: Received) -> str:
    return message.message.get_body(("plain",)).get_content()


@pytest.fixture
def visit(settings, officer):
    for name, value in SETTINGS.items():
        setattr(settings, name, value)
    tai_po = SiteFactory(name="InnoPark Tai Po", internal_travel_minutes=5)
    science_park = SiteFactory(name="Science Park")
    TravelTime.objects.create(from_site=tai_po, to_site=science_park, minutes=20)
    hall = FacilityFactory(site=tai_po, name="MARS Hall", setup_minutes=15, teardown_minutes=15)
    lab = FacilityFactory(
        site=tai_po, name="Cleanroom gallery", setup_minutes=0, teardown_minutes=0
    )
    koln = FacilityFactory(
        site=tai_po, name="Koln 3D premises", setup_minutes=0, teardown_minutes=0
    )
    tenant = OrganisationFactory(name="Koln 3D Technology")
    secretary = PersonFactory(honorific="Prof", name="Sun Dong", name_zh="孫東")
    escort = PersonFactory(name="Winnie Lai", name_zh="黎慧")
    event = visit_create(
        title="Secretary visits the MARS Centre",
        site_id=tai_po.pk,
        start=at(10),
        stops=[
            VisitStop(facility_id=hall.pk, minutes=30),
            VisitStop(facility_id=lab.pk, minutes=20),
            VisitStop(facility_id=koln.pk, minutes=25, host_organisation_id=tenant.pk),
        ],
        people=[
            VisitPerson(person_id=secretary.pk, role=Attendance.Role.GUEST_OF_HONOUR),
            VisitPerson(person_id=escort.pk, role=Attendance.Role.ESCORT),
        ],
        visibility=Event.Visibility.PARTNERS,
        by=officer,
    )
    for booking in event.bookings.all():
        scheduling_services.booking_confirm(booking_id=booking.pk, by=officer)
    staff = visitor_services.attendance_add(
        event_id=event.pk,
        person_id=PersonFactory(name="Carmen Ho").pk,
        role=Attendance.Role.STAFF,
        call_time=at(8, 50),
        by=officer,
    )
    guest = visitor_services.attendance_add(
        event_id=event.pk, person_id=PersonFactory(name="Ada Fung").pk, by=officer
    )
    scheduling_services.event_confirm(event_id=event.pk, by=officer)
    return {
        "event": Event.objects.get(pk=event.pk),
        "officer": officer,
        "secretary": secretary,
        "escort": escort,
        "staff": staff,
        "guest": guest,
        "koln": koln,
        "partner": tenant,  # hosts a stop: the visit is in its feed
    }


def test_a_visit_stays_consistent_from_invite_to_cancel(monkeypatch, visit):
    event, officer = visit["event"], visit["officer"]
    people = {
        "secretary": visit["secretary"].email,
        "escort": visit["escort"].email,
        "staff": visit["staff"].person.email,
        "guest": visit["guest"].person.email,
    }
    _key, token = api_key_create(
        name="Partner", organisation=visit["partner"], scopes=["events:read"]
    )
    api = Client(headers={"Authorization": f"Bearer {token}"})
    _feed, feed_token = feeds.feed_create(name="Partner", owner_organisation=visit["partner"])

    def api_event() -> dict:
        return api.get(f"/api/v1/events/{event.pk}/").json()

    def feed_entry():
        [vevent] = Calendar.from_ical(Client().get(f"/feeds/{feed_token}.ics").content).walk(
            "VEVENT"
        )
        return int(vevent["SEQUENCE"]), vevent.decoded("DTSTART"), str(vevent["DESCRIPTION"])

    sink = Sink()
    cluster = QCluster(email_url=sink.url, **{k: str(v) for k, v in SETTINGS.items()})
    use_cluster_broker(monkeypatch, cluster)

    def step(action, count: int, what: str) -> dict[str, Received]:
        """Do one thing, wait until `count` more messages went, and return them by address."""
        before, received = sent(), len(sink.received)
        action()
        wait_until(lambda: sent() == before + count, timeout=30, what=what, cluster=cluster)
        wait_until(lambda: len(sink.received) == received + count, timeout=5, what=what)
        new = sink.received[received:]
        return {m.rcpt_tos[0]: m for m in new}

    try:
        sink.start()
        cluster.start()

        # 1. Invite the party.
        invited = step(
            lambda: invitations.invites_send(event_id=event.pk, by=officer), 4, "invites"
        )
        s0 = Event.objects.get(pk=event.pk).sequence
        assert sorted(invited) == sorted(people.values())
        assert what_arrived(invited[people["staff"]]) == ("REQUEST", s0, at(8, 50))
        assert what_arrived(invited[people["secretary"]]) == ("REQUEST", s0, at(10))
        assert feed_entry()[0] == s0

        # 2. Move the whole visit 30 minutes later: everyone's entry moves, call times too.
        event.refresh_from_db()
        moved = step(
            lambda: scheduling_services.event_reschedule(
                event_id=event.pk, start=event.start + LATER, end=event.end + LATER, by=officer
            ),
            4,
            "updates after the move",
        )
        s1 = Event.objects.get(pk=event.pk).sequence
        assert s1 > s0
        assert what_arrived(moved[people["staff"]]) == ("REQUEST", s1, at(9, 20))
        assert what_arrived(moved[people["secretary"]]) == ("REQUEST", s1, at(10, 30))
        assert "Time: 10:00–11:25 → 10:30–11:55" in text_of(moved[people["guest"]])
        assert all(b.start >= at(10, 30) for b in Booking.objects.filter(event=event))
        assert api_event()["start"] == at(10, 30).isoformat()
        sequence, start, _description = feed_entry()
        assert (sequence, start) == (s1, at(10, 30))

        # 3. Drop the Koln 3D stop: its booking is released, everyone hears of it.
        stop = ProgrammeItem.objects.get(event=event, facility=visit["koln"])
        stop_booking = Booking.objects.get(programme_item=stop)
        dropped = step(
            lambda: scheduling_services.programme_item_delete(item_id=stop.pk, by=officer),
            4,
            "updates after the dropped stop",
        )
        s2 = Event.objects.get(pk=event.pk).sequence
        stop_booking.refresh_from_db()
        assert stop_booking.status == Booking.Status.RELEASED
        for message in dropped.values():
            assert what_arrived(message)[:2] == ("REQUEST", s2)
            assert "Stop removed: Koln 3D Technology" in text_of(message)
            assert "Koln 3D premises" not in message.calendar_part()[1].replace("\r\n ", "")
        assert "Koln 3D" not in str(api_event()["programme"])
        sequence, _start, description = feed_entry()
        assert sequence == s2 and "Koln 3D" not in description

        # 4. One staff call time changes: that person alone hears of it.
        recalled = step(
            lambda: visitor_services.attendance_update(
                attendance_id=visit["staff"].pk, call_time=at(9, 30), by=officer
            ),
            1,
            "the staff member's update",
        )
        s3 = Event.objects.get(pk=event.pk).sequence
        assert list(recalled) == [people["staff"]]
        assert what_arrived(recalled[people["staff"]]) == ("REQUEST", s3, at(9, 30))
        assert "Your call time: 09:20 → 09:30" in text_of(recalled[people["staff"]])

        # 5. A guest is taken off the list: a CANCEL to them alone.
        removed = step(
            lambda: visitor_services.attendance_remove(attendance_id=visit["guest"].pk, by=officer),
            1,
            "the removed guest's CANCEL",
        )
        assert list(removed) == [people["guest"]]
        assert what_arrived(removed[people["guest"]])[0] == "CANCEL"
        assert event_warnings(event_id=event.pk) == []
        # A typhoon closes the MARS Hall over the visit's booking: saved, and a warning stands.
        hall = Booking.objects.get(event=event, facility__name="MARS Hall").facility
        scheduling_services.closure_create(
            facility_id=hall.pk, start=at(10), end=at(13), reason="other", note="Typhoon signal 8"
        )
        assert [w.code for w in event_warnings(event_id=event.pk)] == ["closed_over_booking"]

        # 6. The visit is cancelled: everyone still on the list gets a CANCEL.
        cancelled = step(
            lambda: scheduling_services.event_cancel(
                event_id=event.pk, by=officer, reason="The Secretary is called to LegCo."
            ),
            3,
            "the CANCELs",
        )
        s_final = Event.objects.get(pk=event.pk).sequence
        assert sorted(cancelled) == sorted(
            people[name] for name in ("secretary", "escort", "staff")
        )
        for message in cancelled.values():
            assert what_arrived(message)[:2] == ("CANCEL", s_final)
            assert "The Secretary is called to LegCo." in text_of(message)
        assert not Booking.objects.filter(event=event).active().exists()
        assert api_event()["status"] == "cancelled"
    finally:
        cluster.stop()
        sink.stop()

    # Every attendee's calendar only ever moved forward.
    for address in people.values():
        sequences = [what_arrived(m)[1] for m in sink.received if m.rcpt_tos[0] == address]
        assert sequences == sorted(sequences)
