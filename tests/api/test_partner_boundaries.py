"""What a partner key writes reveals nothing it could not already see, and the office's mailbox
sends only what staff approved (issue 10, partner boundaries)."""

import pytest
from django.core import mail

from scheduling import services
from scheduling.models import Event
from tests.factories import OrganisationFactory, PersonFactory, hk
from visitors import approvals
from visitors import services as visitor_services
from visitors.models import Attendance, Delivery, Person

pytestmark = pytest.mark.django_db


def _partner_event(api, world, **extra):
    body = {
        "title": "Tenant open day",
        "site": world["site"].pk,
        "start": "2030-05-02T10:00:00+08:00",
        "end": "2030-05-02T12:00:00+08:00",
        **extra,
    }
    return api.post("/api/v1/events/", body)


@pytest.fixture
def secret_person(world):
    """Someone on file only through another organisation's restricted visit."""
    bureau = OrganisationFactory(slug="bureau")
    person = PersonFactory(
        honorific="Prof the Hon",
        name="Sun Dong",
        name_zh="孫東",
        email="secretary@gov.example",
        phone="+852 2810 0000",
        dietary="Vegetarian",
        notes="Security detail of two",
        organisation=bureau,
    )
    visit = services.event_create(
        title="Unannounced inspection",
        site=world["site"],
        start=hk(2030, 5, 9, 10),
        end=hk(2030, 5, 9, 11),
        visibility="restricted",
        host_organisation=world["host"],
    )
    visitor_services.attendance_add(event_id=visit.pk, person_id=person.pk)
    return person


def test_a_partner_learns_nothing_from_an_address_on_file(world, api_for, secret_person):
    partner = api_for(organisation=world["other"])
    event_id = _partner_event(partner, world).json()["id"]
    path = f"/api/v1/events/{event_id}/attendees/"

    known = partner.post(path, {"name": "Someone", "email": "SECRETARY@gov.example"})
    unknown = partner.post(path, {"name": "Someone Else", "email": "nobody@gov.example"})
    listed = partner.get(path).json()["results"]

    assert (known.status_code, unknown.status_code) == (201, 201)
    body = known.json()
    assert body["person"]["name"] == "Someone"
    assert body["person"]["display_name"] == "Someone"
    assert body["person"]["email"] == "SECRETARY@gov.example"  # what it supplied, nothing more
    assert body["person"]["phone"] is None
    assert (body["dietary"], body["accessibility"], body["notes"]) == (None, None, None)
    # Both answers have the same shape and the same kinds of values.
    assert set(body) == set(unknown.json())
    assert {k: v is None for k, v in body["person"].items()} == {
        k: v is None for k, v in unknown.json()["person"].items()
    }
    assert sorted(row["person"]["name"] for row in listed) == ["Someone", "Someone Else"]
    assert "2810" not in str(listed) and "孫東" not in str(listed)
    # The stored person is untouched and not on the partner's event: staff decide.
    secret_person.refresh_from_db()
    assert secret_person.name == "Sun Dong"
    assert not Attendance.objects.filter(event_id=event_id, person=secret_person).exists()
    nominee = Attendance.objects.get(pk=body["id"]).person
    assert nominee.proposed_by == world["other"]
    assert nominee.email == "SECRETARY@gov.example"


def test_a_partner_nominating_the_same_address_twice_gets_its_own_answer(world, api_for):
    partner = api_for(organisation=world["other"])
    first = _partner_event(partner, world).json()["id"]
    second = _partner_event(partner, world).json()["id"]

    a = partner.post(f"/api/v1/events/{first}/attendees/", {"name": "Ada", "email": "a@x.org"})
    again = partner.post(f"/api/v1/events/{first}/attendees/", {"name": "Ada", "email": "a@x.org"})
    renamed = partner.post(
        f"/api/v1/events/{second}/attendees/", {"name": "Ada Lau", "email": "A@x.org"}
    )

    assert a.status_code == 201
    assert again.status_code == 400 and "person" in again.json()["errors"]
    assert renamed.status_code == 201 and renamed.json()["person"]["name"] == "Ada Lau"
    assert Person.objects.filter(proposed_by=world["other"]).count() == 1


def test_partners_never_see_phones_notes_or_other_organisations_contacts(world, api_for, staff_api):
    host = api_for(organisation=world["host"])
    event = world["events"]["partners"]
    colleague = PersonFactory(
        organisation=world["host"], email="colleague@a.example", phone="+852 1111"
    )
    outsider = PersonFactory(email="minister@gov.example", phone="+852 1234 5678")
    for person in (colleague, outsider):
        visitor_services.attendance_add(event_id=event.pk, person_id=person.pk)
    Attendance.objects.filter(event=event).update(dietary="No pork", accessibility="Ramp")
    path = f"/api/v1/events/{event.pk}/attendees/"

    rows = {row["person"]["name"]: row for row in host.get(path).json()["results"]}
    staff_rows = {row["person"]["name"]: row for row in staff_api.get(path).json()["results"]}

    assert rows[colleague.name]["person"]["email"] == "colleague@a.example"
    assert rows[outsider.name]["person"]["email"] is None
    assert {row["person"]["phone"] for row in rows.values()} == {None}
    assert {(row["dietary"], row["accessibility"], row["notes"]) for row in rows.values()} == {
        (None, None, None)
    }
    assert staff_rows[outsider.name]["person"]["phone"] == "+852 1234 5678"
    assert staff_rows[outsider.name]["dietary"] == "No pork"


def test_staff_merge_a_nomination_into_the_person_on_file(world, api_for, secret_person):
    partner = api_for(organisation=world["other"])
    event_id = _partner_event(partner, world).json()["id"]
    added = partner.post(
        f"/api/v1/events/{event_id}/attendees/",
        {"name": "Someone", "email": "secretary@gov.example"},
    ).json()
    nominee = Attendance.objects.get(pk=added["id"]).person

    assert list(visitor_services.person_matches_on_file(person_id=nominee.pk)) == [secret_person]
    visitor_services.person_merge(
        nominee_id=nominee.pk, into_id=secret_person.pk, by=world["officer"]
    )
    after = partner.get(f"/api/v1/events/{event_id}/attendees/{added['id']}/").json()

    assert Attendance.objects.get(pk=added["id"]).person == secret_person
    assert not Person.objects.filter(pk=nominee.pk).exists()
    assert after["person"]["email"] is None and after["person"]["phone"] is None


# --- Invites from the office are the office's word ---------------------------------------------


def _confirmed_partner_event_with_guest(world, partner, email="outsider@elsewhere.example"):
    event_id = _partner_event(partner, world, visibility="partners").json()["id"]
    booked = partner.post(
        "/api/v1/bookings/",
        {
            "event": event_id,
            "facility": world["hall"].pk,
            "start": "2030-05-02T10:00:00+08:00",
            "end": "2030-05-02T12:00:00+08:00",
            "status": "confirmed",
        },
    )
    assert booked.status_code == 201, booked.json()
    added = partner.post(
        f"/api/v1/events/{event_id}/attendees/", {"name": "Anyone", "email": email}
    )
    assert added.status_code == 201
    assert partner.post(f"/api/v1/events/{event_id}/confirm/").status_code == 200
    return event_id, added.json()["id"]


def test_invites_for_a_partner_event_wait_for_staff_approval(
    world, api_for, django_capture_on_commit_callbacks
):
    partner = api_for(organisation=world["other"])
    event_id, attendance_id = _confirmed_partner_event_with_guest(world, partner)

    with django_capture_on_commit_callbacks(execute=True):
        answer = partner.post(f"/api/v1/events/{event_id}/send-invites/")

    assert answer.status_code == 202
    assert answer.json()["queued"] == 0
    assert answer.json()["awaiting_approval"] == 1
    assert "awaiting staff approval" in answer.json()["detail"]
    assert mail.outbox == []
    assert set(Delivery.objects.filter(event_id=event_id).values_list("state", flat=True)) == {
        Delivery.State.HELD
    }
    listed = partner.get(f"/api/v1/events/{event_id}/attendees/{attendance_id}/").json()
    assert listed["awaiting_approval"] is True

    with django_capture_on_commit_callbacks(execute=True):
        approvals.invites_approve(
            event_id=event_id, attendance_ids=[attendance_id], by=world["officer"]
        )

    assert [m.to for m in mail.outbox] == [['"Anyone" <outsider@elsewhere.example>']]
    attendance = Attendance.objects.get(pk=attendance_id)
    assert attendance.invite_approved_by == world["officer"]
    assert not attendance.awaiting_approval


def test_an_attendee_a_partner_adds_to_a_staff_event_waits_for_approval(
    world, api_for, staff_api, django_capture_on_commit_callbacks
):
    host = api_for(organisation=world["host"])
    event = world["events"]["partners"]
    staff_guest = PersonFactory()
    path = f"/api/v1/events/{event.pk}/"
    staff_api.post(path + "attendees/", {"person": staff_guest.pk})
    with django_capture_on_commit_callbacks(execute=True):
        staff_api.post(path + "send-invites/")
        late = host.post(path + "attendees/", {"name": "Plus One", "email": "p1@x.example"})

    assert late.status_code == 201 and late.json()["awaiting_approval"] is True
    assert [m.to[0].rpartition("<")[2] for m in mail.outbox] == [staff_guest.email + ">"]


def test_a_partner_changing_the_text_of_an_approved_event_holds_its_updates(
    world, api_for, django_capture_on_commit_callbacks, settings
):
    settings.INVITE_COALESCE_SECONDS = 0
    partner = api_for(organisation=world["other"])
    event_id, attendance_id = _confirmed_partner_event_with_guest(world, partner)
    with django_capture_on_commit_callbacks(execute=True):
        approvals.invites_approve(
            event_id=event_id, attendance_ids=[attendance_id], by=world["officer"]
        )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        partner.patch(f"/api/v1/events/{event_id}/", {"title": "Win a prize: click here"})

    assert mail.outbox == []
    assert Attendance.objects.get(pk=attendance_id).awaiting_approval


def test_a_partner_event_created_without_visibility_is_visible_to_its_creator(world, api_for):
    partner = api_for(organisation=world["other"])

    created = _partner_event(partner, world)
    internal = _partner_event(partner, world, visibility="internal")
    read = partner.get(f"/api/v1/events/{created.json()['id']}/")

    assert created.status_code == 201
    assert created.json()["visibility"] == "restricted"
    assert read.status_code == 200
    assert internal.status_code == 400 and list(internal.json()["errors"]) == ["visibility"]
    assert Event.objects.filter(title="Tenant open day").count() == 1


def test_a_clash_answer_names_no_booking_a_partner_cannot_see(world, api_for):
    other = api_for(organisation=world["other"])
    restricted = world["events"]["restricted"]
    event_id = _partner_event(
        other,
        world,
        visibility="partners",
        start=restricted.start.isoformat(),
        end=restricted.end.isoformat(),
    ).json()["id"]

    answer = other.post(
        "/api/v1/bookings/hold/",
        {
            "event": event_id,
            "facility": world["hall"].pk,
            "start": restricted.start.isoformat(),
            "end": restricted.end.isoformat(),
        },
    )

    assert answer.status_code == 409
    [conflict] = [c for c in answer.json()["conflicts"] if c["kind"] == "booking"]
    assert conflict["booking_id"] is None and conflict["event_id"] is None
    assert conflict["what"] == "Booked"
    assert restricted.title not in str(answer.json())


def test_list_validators_do_not_move_when_a_hidden_event_changes(world, api_for):
    partner = api_for(organisation=world["other"])
    first = partner.get("/api/v1/events/")
    hidden = world["events"]["restricted"]

    services.event_update(event_id=hidden.pk, description="Moved to the east gate")
    again = partner.get("/api/v1/events/", headers={"If-None-Match": first["ETag"]})
    services.event_update(event_id=world["events"]["public"].pk, description="Now with tea")
    after_visible = partner.get("/api/v1/events/", headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert again["Last-Modified"] == first["Last-Modified"]
    assert after_visible.status_code == 200
