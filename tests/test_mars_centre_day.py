"""Issue 16's "done when": the MARS Centre inspection's day, played through the office's pages,
the partners' API and webhooks, and the e-mail that leaves.

The Secretary and the Commissioner arrive at Tai Po InnoPark in two cars (the gate has its list),
are received by the park's chairman and visit three tenants in turn. Before the day the visit
is under embargo until the Bureau announces it, and each tenant confirms its stop. On the day
the cars are late: the board and the next host see the expected times move; the Secretary's
arrival tells the hosts at once; a walk-in is let in and a wrong tap undone.

The day's marks are made with the time they happened (``at``), as the live pages do with
"now" on the day itself, so that the test is the same whenever it runs.
"""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api import webhooks
from api.models import WebhookDelivery
from desk.visits import VisitPerson, VisitStop, visit_create
from desk.warnings import event_warnings
from scheduling import services, tasks
from scheduling.models import Event, ProgrammeItem, StopConsent
from scheduling.services import live
from tests.api.conftest import Api
from tests.factories import FacilityFactory, OrganisationFactory, PersonFactory, SiteFactory, hk
from visitors.arrivals.models import Arrival
from visitors.delegations.services import delegation_create, pass_create, vehicle_create
from visitors.models import Attendance, Pass

pytestmark = pytest.mark.django_db

EVENT_TYPES = ["event.created", "event.updated", "event.cancelled", "event.deleted"]
DAY = dt.date(2030, 3, 5)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return hk(DAY.year, DAY.month, DAY.day, hour, minute)


def key_for(organisation) -> Api:
    from api.services import api_key_create

    _key, token = api_key_create(name=organisation.name, organisation=organisation)
    return Api(Client(), token)


@pytest.fixture
def inspection(officer):
    """The visit as planned: arrival at the MARS Centre lobby, three tenant stops with cleanroom
    rules, a photo call and the departure; restricted, released to partners an hour from now."""
    park = OrganisationFactory(name="Hong Kong Science and Technology Parks")
    tenants = [
        OrganisationFactory(name=name)
        for name in ("Koln 3D Technology", "Bionik Diagnostics", "Mask Works")
    ]
    outsider = OrganisationFactory(name="Another tenant")
    site = SiteFactory(name="Tai Po InnoPark", name_zh="大埔創新園", internal_travel_minutes=5)
    lobby = FacilityFactory(
        site=site, name="MARS Centre lobby", setup_minutes=0, teardown_minutes=0
    )
    premises = [
        FacilityFactory(
            site=site,
            name=f"{tenant.name} cleanroom",
            setup_minutes=0,
            teardown_minutes=0,
            cleanroom=True,
            ppe_required=True,
            photography_allowed=False,
        )
        for tenant in tenants
    ]
    hosts = [
        PersonFactory(
            name=f"{tenant.name} CEO", email=f"ceo{n}@tenant.example", organisation=tenant
        )
        for n, tenant in enumerate(tenants)
    ]
    secretary = PersonFactory(
        honorific="Mr", name="Alfred Sit", name_zh="薛永恒", precedence_rank=1
    )
    commissioner = PersonFactory(honorific="Ms", name="Rebecca Pun", name_zh="潘婷婷")
    aide = PersonFactory(name="Press secretary")
    chairman = PersonFactory(
        honorific="Dr", name="Sunny Chai", email="chairman@park.example", organisation=park
    )
    stops = [VisitStop(facility_id=lobby.pk, minutes=10, kind=ProgrammeItem.Kind.ARRIVAL)]
    stops += [
        VisitStop(
            facility_id=place.pk, minutes=25, host_organisation_id=tenant.pk, host_person_id=ceo.pk
        )
        for place, tenant, ceo in zip(premises, tenants, hosts, strict=True)
    ]
    stops += [
        VisitStop(facility_id=lobby.pk, minutes=10, kind=ProgrammeItem.Kind.PHOTO_CALL),
        VisitStop(facility_id=lobby.pk, minutes=10, kind=ProgrammeItem.Kind.DEPARTURE),
    ]
    event = visit_create(
        title="S for IT visits MARS Centre",
        site_id=site.pk,
        start=at(10),
        stops=stops,
        people=[
            VisitPerson(person_id=secretary.pk, role=Attendance.Role.GUEST_OF_HONOUR),
            VisitPerson(person_id=commissioner.pk, role=Attendance.Role.OFFICIATING_GUEST),
            VisitPerson(person_id=aide.pk, role=Attendance.Role.ESCORT),
            VisitPerson(person_id=chairman.pk, role=Attendance.Role.HOST),
        ],
        visibility=Event.Visibility.RESTRICTED,
        host_organisation=park,
        by=officer,
    )
    for booking in event.bookings.all():
        services.booking_confirm(booking_id=booking.pk, by=officer)
    services.event_update(
        event_id=event.pk,
        release_at=timezone.now() + dt.timedelta(hours=1),
        release_visibility=Event.Visibility.PARTNERS,
        by=officer,
    )
    services.event_confirm(event_id=event.pk, by=officer)
    programme = list(  # without the transfers the planner put between buildings
        Event.objects.get(pk=event.pk)
        .programme.exclude(kind=ProgrammeItem.Kind.TRANSFER)
        .order_by("start")
    )
    return {
        "event": Event.objects.get(pk=event.pk),
        "programme": programme,
        "tenants": tenants,
        "outsider": outsider,
        "people": {
            "secretary": secretary,
            "commissioner": commissioner,
            "aide": aide,
            "chairman": chairman,
        },
        "hosts": hosts,
        "lobby": lobby,
    }


def _attendance(event, person) -> Attendance:
    return Attendance.objects.get(event=event, person=person)


def test_the_mars_centre_inspection_day(
    client, officer, inspection, monkeypatch, django_capture_on_commit_callbacks
):
    event, programme = inspection["event"], inspection["programme"]
    arrival, first, second, third, photo, departure = programme
    people, tenants = inspection["people"], inspection["tenants"]
    client.force_login(officer)
    keys = {"second host": key_for(tenants[1]), "outsider": key_for(inspection["outsider"])}
    endpoints = {
        who: webhooks.webhook_endpoint_register(
            name=who, url="http://127.0.0.1:9/hooks", event_types=EVENT_TYPES, organisation=org
        )[0]
        for who, org in (("second host", tenants[1]), ("outsider", inspection["outsider"]))
    }

    def listed(who: str) -> bool:
        return event.pk in {e["id"] for e in keys[who].get("/api/v1/events/").json()["results"]}

    def hooks(who: str) -> list[tuple[str, int]]:
        webhooks.webhooks_dispatch()
        found = WebhookDelivery.objects.filter(endpoint=endpoints[who])
        return sorted(found.values_list("event_type", "object_id"))

    # --- Before the day ---------------------------------------------------------------------
    # 1. Under embargo: the stop's host sees it, another partner nothing at all.
    assert listed("second host") and not listed("outsider")
    assert keys["outsider"].get(f"/api/v1/events/{event.pk}/").status_code == 404
    assert hooks("outsider") == []

    # 2. The delegation: two cars, a driver each, a permit for the first.
    party = delegation_create(
        event_id=event.pk,
        name="Innovation, Technology and Industry Bureau",
        name_zh="創新科技及工業局",
        lead=people["secretary"],
        members=[people["commissioner"], people["aide"]],
        by=officer,
    )
    lead_car = vehicle_create(
        delegation_id=party.pk,
        plate="am 1",
        make="Toyota Alphard",
        colour="Black",
        driver="Chan Tai Man",
        driver_phone="9123 4567",
        passengers=[people["secretary"], people["aide"]],
        car_call_at=at(11, 35),
        drop_off_facility=inspection["lobby"],
        pick_up_facility=inspection["lobby"],
        arrival_item=arrival,
        departure_item=departure,
        by=officer,
    )
    second_car = vehicle_create(
        delegation_id=party.pk,
        plate="AM 2388",
        make="Toyota Crown",
        colour="Silver",
        driver="Lee Siu Ming",
        passengers=[people["commissioner"]],
        car_call_at=at(11, 35),
        drop_off_point="East gate lay-by",
        pick_up_facility=inspection["lobby"],
        arrival_item=arrival,
        departure_item=departure,
        by=officer,
    )
    pass_create(
        delegation_id=party.pk,
        kind=Pass.Kind.VEHICLE,
        number="VP-0001",
        status=Pass.Status.ISSUED,
        vehicle=lead_car,
        by=officer,
    )
    # The gate's list: both cars, their drivers, when they are expected, the permit.
    gate = client.get(reverse("staff:print", args=[event.pk, "gate"]))
    assert gate.status_code == 200
    text = gate.content.decode()
    for expected in ("AM 1", "AM 2388", "Chan Tai Man", "Lee Siu Ming", "10:00", "VP-0001"):
        assert expected in text
    pdf = client.get(reverse("staff:print-pdf", args=[event.pk, "gate"]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    cars = {"vehicle_without_driver", "passenger_two_vehicles", "car_call_after_departure"}
    assert not cars & {w.code for w in event_warnings(event_id=event.pk)}

    # 3. Each tenant confirms its stop from the link in its e-mail, without logging in.
    with django_capture_on_commit_callbacks(execute=True):
        services.stop_consents_request(event_id=event.pk, by=officer)
    links = [re.search(r"https?://\S+/consent/\S+/", m.body).group(0) for m in mail.outbox]
    assert len(links) == 3
    for link in links:
        answer = Client().post(link.removeprefix(settings.PUBLIC_BASE_URL), {"answer": "confirmed"})
        assert answer.status_code in (200, 302)
    answers = StopConsent.objects.filter(item__event=event).values_list("answer", flat=True)
    assert sorted(answers) == [StopConsent.Answer.CONFIRMED] * 3
    assert "stop_consent" not in {w.code for w in event_warnings(event_id=event.pk)}
    mail.outbox.clear()

    # 4. The Bureau announces: at the release time the task publishes the visit to partners.
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    monkeypatch.setattr(tasks.timezone, "now", lambda: later)
    assert tasks.events_release_due() == 1
    monkeypatch.undo()
    assert listed("outsider")
    assert hooks("outsider") == [("event.updated", event.pk)]

    # --- The day ----------------------------------------------------------------------------
    # 5. The cars are 12 minutes late: the first stop and everything after are expected later,
    #    on the board and in the second host's API.
    live.programme_item_start(item_id=arrival.pk, at=at(10, 12), by=officer)
    live.programme_item_finish(item_id=arrival.pk, at=at(10, 22), by=officer)
    live.programme_item_start(item_id=first.pk, at=at(10, 27), by=officer)  # 5 min walk
    board = client.get(reverse("staff:board", args=[event.pk]), {"part": "board"})
    text = board.content.decode()
    assert "The party is at Koln 3D Technology cleanroom." in text
    assert "Expected 10:52 (planned 10:40)." in text  # the walk to the second tenant
    row = text.split(f'id="board-item-{second.pk}"')[1].split("</tr>")[0]
    assert "10:45" in row and "10:57" in row and "+12 min" in row
    path = f"/api/v1/events/{event.pk}/programme/{second.pk}/"
    seen = keys["second host"].get(path).json()
    moved = dt.datetime.fromisoformat(seen["expected_start"]) - dt.datetime.fromisoformat(
        seen["start"]
    )
    assert moved == dt.timedelta(minutes=12)
    assert ("event.updated", event.pk) in hooks("second host")
    # The day's marks send no calendar update to the attendees.
    assert mail.outbox == []

    # 6. The Secretary is checked in at the door: the hosts hear of it at once.
    door = reverse("staff:checkin") + f"?date={DAY.isoformat()}"
    secretary = _attendance(event, people["secretary"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("staff:checkin-arrive", args=[secretary.pk]), {"next": door})
    told = sorted(message.to[0] for message in mail.outbox)
    assert any("chairman@park.example" in address for address in told)
    assert {host.email for host in inspection["hosts"]} <= {
        address.split("<")[-1].rstrip(">") for address in told
    }
    assert all(
        "Alfred Sit" in message.subject or "薛永恒" in message.subject for message in mail.outbox
    )

    # 7. A walk-in with a reason takes their place in the list; a wrong tap is undone.
    answer = client.post(
        reverse("staff:checkin-walk-in"),
        {
            "date": DAY.isoformat(),
            "event": event.pk,
            "name": "Deputy Commissioner",
            "role": Attendance.Role.OFFICIATING_GUEST,
            "guests": 0,
            "reason": "Replaces the Permanent Secretary, confirmed by phone",
        },
    )
    assert answer.status_code == 302
    walk_in = Attendance.objects.get(event=event, person__name="Deputy Commissioner")
    assert walk_in.is_walk_in and walk_in.checked_in_at is not None
    aide = _attendance(event, people["aide"])
    client.post(reverse("staff:checkin-arrive", args=[aide.pk]), {"next": door})
    client.post(reverse("staff:checkin-undo", args=[aide.pk]), {"next": door})
    aide.refresh_from_db()
    assert aide.checked_in_at is None
    [undone] = Arrival.objects.filter(attendance=aide)
    assert undone.undone_at is not None and undone.undone_by == officer
    page = client.get(door).content.decode()
    assert "Deputy Commissioner" in page
    assert Arrival.objects.filter(attendance__event=event, undone_at=None).count() == 2

    # The second car was never linked to another item; both leave with the departure.
    assert set(departure.departing_vehicles.all()) == {lead_car, second_car}
