"""Visit planner services: proposed times with travel, the dry-run check, all-or-nothing save."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.models import Change
from desk.visits import (
    VisitPerson,
    VisitStop,
    stop_places,
    visit_check,
    visit_create,
    visit_propose,
)
from desk.warnings import DEFAULT_TRAVEL_MINUTES, PERSON_DOUBLE_BOOKED, TRAVEL_TIME
from scheduling.models import Booking, Event, Facility, ProgrammeItem, ProgrammeRole, TravelTime
from scheduling.services import BookingClash
from tests.factories import (
    BookingFactory,
    ClosureFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)
from visitors.models import Attendance

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two sites 20 minutes apart; two facilities at the first, tenant premises at the second."""
    tai_po = SiteFactory(name="InnoPark Tai Po", internal_travel_minutes=5)
    science_park = SiteFactory(name="Science Park")
    TravelTime.objects.create(from_site=tai_po, to_site=science_park, minutes=20)
    return {
        "site": tai_po,
        "hall": FacilityFactory(
            site=tai_po, name="MARS Hall", setup_minutes=15, teardown_minutes=15
        ),
        "lab": FacilityFactory(
            site=tai_po, name="Cleanroom gallery", setup_minutes=0, teardown_minutes=0
        ),
        "tenant": FacilityFactory(
            site=science_park,
            name="Time Medical premises",
            kind=Facility.Kind.TENANT_PREMISES,
            setup_minutes=10,
            teardown_minutes=10,
        ),
        "tenant_org": OrganisationFactory(name="Time Medical Systems"),
        "minister": PersonFactory(honorific="Prof", name="Sun Dong", name_zh="孫東"),
        "escort": PersonFactory(name="Winnie Lai", name_zh="黎慧"),
    }


def _stops(world) -> list[VisitStop]:
    return [
        VisitStop(facility_id=world["hall"].pk, minutes=30),
        VisitStop(facility_id=world["lab"].pk, minutes=20),
        VisitStop(
            facility_id=world["tenant"].pk,
            minutes=25,
            host_organisation_id=world["tenant_org"].pk,
        ),
    ]


def _visit(world, **overrides) -> dict:
    return {
        "title": "Secretary visits the MARS Centre",
        "site_id": world["site"].pk,
        "start": hk(2030, 3, 4, 10, 0),
        "stops": _stops(world),
        "people": [
            VisitPerson(person_id=world["minister"].pk, role=Attendance.Role.GUEST_OF_HONOUR),
            VisitPerson(person_id=world["escort"].pk, role=Attendance.Role.ESCORT),
        ],
        **overrides,
    }


def test_visit_propose_adds_travel_time_between_stops(world):
    proposal = visit_propose(
        site_id=world["site"].pk, start=hk(2030, 3, 4, 10), stops=_stops(world)
    )

    times = [(s.start, s.end, s.travel_minutes) for s in proposal.stops]
    assert times == [
        (hk(2030, 3, 4, 10, 0), hk(2030, 3, 4, 10, 30), 0),
        (hk(2030, 3, 4, 10, 35), hk(2030, 3, 4, 10, 55), 5),  # the site's internal time
        (hk(2030, 3, 4, 11, 15), hk(2030, 3, 4, 11, 40), 20),  # the TravelTime row
    ]
    assert (proposal.start, proposal.end) == (hk(2030, 3, 4, 10), hk(2030, 3, 4, 11, 40))
    assert proposal.stops[2].title == "Tour stop: Time Medical Systems"


def test_visit_propose_reads_travel_time_backwards_then_falls_back_to_the_default(world):
    TravelTime.objects.all().delete()
    TravelTime.objects.create(
        from_site=world["tenant"].site, to_site=world["site"], minutes=35
    )  # only the other direction is known
    far = FacilityFactory(name="Yuen Long premises", kind=Facility.Kind.TENANT_PREMISES)
    TravelTime.objects.create(from_site=far.site, to_site=world["site"], minutes=30)
    stops = [*_stops(world), VisitStop(facility_id=far.pk, minutes=10)]

    proposal = visit_propose(site_id=world["site"].pk, start=hk(2030, 3, 4, 10), stops=stops)

    assert [s.travel_minutes for s in proposal.stops] == [0, 5, 35, DEFAULT_TRAVEL_MINUTES]


def test_visit_create_makes_the_event_programme_attendees_and_held_bookings(world, officer):
    event = visit_create(**_visit(world), by=officer)

    assert (event.kind, event.status) == (Event.Kind.SITE_INSPECTION, Event.Status.TENTATIVE)
    assert (event.start, event.end) == (hk(2030, 3, 4, 10), hk(2030, 3, 4, 11, 40))
    items = list(event.programme.order_by("start", "position"))
    assert [(i.kind, i.title, i.start.astimezone(event.zone).strftime("%H:%M")) for i in items] == [
        ("tour_stop", "Tour stop: MARS Hall", "10:00"),
        ("transfer", "Transfer to Cleanroom gallery", "10:30"),
        ("tour_stop", "Tour stop: Cleanroom gallery", "10:35"),
        ("transfer", "Transfer to Time Medical Systems", "10:55"),
        ("tour_stop", "Tour stop: Time Medical Systems", "11:15"),
    ]
    assert items[-1].host_organisation == world["tenant_org"]
    assert items[-1].roles.count() == 2  # no host person named: the tenant receives them
    assert set(ProgrammeRole.objects.filter(item=items[0]).values_list("person_id", "part")) == {
        (world["minister"].pk, "participant"),
        (world["escort"].pk, "participant"),
    }
    roles = dict(event.attendances.values_list("person_id", "role"))
    assert roles == {
        world["minister"].pk: Attendance.Role.GUEST_OF_HONOUR,
        world["escort"].pk: Attendance.Role.ESCORT,
    }
    bookings = list(event.bookings.order_by("start"))
    assert [(b.facility_id, b.status, b.programme_item.title) for b in bookings] == [
        (world["hall"].pk, Booking.Status.HELD, "Tour stop: MARS Hall"),
        (world["lab"].pk, Booking.Status.HELD, "Tour stop: Cleanroom gallery"),
        (world["tenant"].pk, Booking.Status.HELD, "Tour stop: Time Medical Systems"),
    ]
    assert all(b.hold_expires_at is not None for b in bookings)
    assert event.history.first().history_user == officer


def test_visit_create_is_all_or_nothing_when_a_stop_clashes(world):
    other = EventFactory(title="Board meeting", site=world["tenant"].site, start=hk(2030, 3, 4, 11))
    BookingFactory(event=other, facility=world["tenant"])
    before = (Event.objects.count(), ProgrammeItem.objects.count(), Booking.objects.count())

    with pytest.raises(BookingClash) as raised:
        visit_create(**_visit(world))

    assert "Board meeting" in raised.value.messages[0]
    assert (Event.objects.count(), ProgrammeItem.objects.count(), Booking.objects.count()) == before
    assert not Attendance.objects.exists()


def test_visit_check_reports_every_clash_with_suggestions_and_keeps_nothing(world):
    other = EventFactory(title="Board meeting", site=world["tenant"].site, start=hk(2030, 3, 4, 11))
    BookingFactory(event=other, facility=world["tenant"])
    ClosureFactory(facility=world["hall"], note="Repainting")
    FacilityFactory(site=world["site"], name="Spare hall")
    before = (Event.objects.count(), Booking.objects.count(), Change.objects.count())
    history = Event.history.count()

    check = visit_check(**_visit(world))

    clashes = {s.stop.facility.name: s.clash for s in check.stops if s.clash}
    assert set(clashes) == {"MARS Hall", "Time Medical premises"}
    assert clashes["MARS Hall"].conflicts[0]["kind"] == "closure"
    assert clashes["Time Medical premises"].conflicts[0]["what"] == "Board meeting"
    assert clashes["Time Medical premises"].suggestions["slots"]
    assert "Spare hall" in [f["name"] for f in clashes["MARS Hall"].suggestions["facilities"]]
    assert not check.can_save
    assert (Event.objects.count(), Booking.objects.count(), Change.objects.count()) == before
    assert Event.history.count() == history


def test_visit_check_warns_about_people_taking_part_elsewhere_at_the_same_time(world):
    elsewhere = EventFactory(title="Legislative Council", start=hk(2030, 3, 4, 10, 30))
    item = ProgrammeItemFactory(event=elsewhere, title="Question time")
    ProgrammeRole.objects.create(item=item, person=world["minister"])

    check = visit_check(**_visit(world))

    assert check.can_save
    codes = [w.code for w in check.warnings]
    assert PERSON_DOUBLE_BOOKED in codes and TRAVEL_TIME not in codes
    assert any("Question time" in w.message for w in check.warnings)


def test_visit_create_does_not_book_a_facility_that_takes_no_bookings(world):
    world["lab"].is_bookable = False
    world["lab"].save()

    event = visit_create(**_visit(world))

    assert list(event.bookings.values_list("facility_id", flat=True).order_by("start")) == [
        world["hall"].pk,
        world["tenant"].pk,
    ]
    assert event.programme.filter(facility=world["lab"]).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"people": []}, "people"),
        ({"people": "minister twice"}, "people"),
        ({"stops": []}, "stops"),
        ({"stops": [VisitStop(facility_id=0, minutes=2)]}, "stops"),
        ({"start": dt.datetime(2030, 3, 4, 10)}, "start"),
    ],
)
def test_visit_create_refuses_bad_input_naming_the_field(world, overrides, field):
    if overrides.get("people") == "minister twice":  # the fixture's people exist only now
        overrides = {
            "people": [
                VisitPerson(person_id=world["minister"].pk, role=Attendance.Role.GUEST_OF_HONOUR),
                VisitPerson(person_id=world["minister"].pk, role=Attendance.Role.GUEST),
            ]
        }

    with pytest.raises(ValidationError) as raised:
        visit_create(**_visit(world, **overrides))

    assert field in raised.value.error_dict
    assert not Event.objects.exists()


def test_stops_are_titled_by_their_kind_and_place_unless_a_title_is_typed(world):
    """The defect: every stop was titled "Tour stop: <facility>", whatever it was."""
    chairman = PersonFactory(name="Sunny Chai")
    stops = [
        VisitStop(facility_id=world["hall"].pk, minutes=10, kind="arrival"),
        VisitStop(
            facility_id=world["hall"].pk, minutes=10, kind="remarks", host_person_id=chairman.pk
        ),
        VisitStop(facility_id=world["hall"].pk, minutes=10, kind="remarks"),
        VisitStop(
            facility_id=world["lab"].pk, minutes=20, title="  The cleanroom, seen through glass "
        ),
        VisitStop(facility_id=None, minutes=15, kind="transfer"),
        VisitStop(
            facility_id=world["tenant"].pk,
            minutes=25,
            host_organisation_id=world["tenant_org"].pk,
        ),
        VisitStop(facility_id=world["tenant"].pk, minutes=5, kind="photo_call"),
        VisitStop(facility_id=world["tenant"].pk, minutes=5, kind="departure"),
    ]

    proposal = visit_propose(site_id=world["site"].pk, start=hk(2030, 3, 4, 10), stops=stops)

    assert [(s.kind, s.title) for s in proposal.stops] == [
        ("arrival", "Arrival at MARS Hall"),
        ("remarks", "Remarks by Ms Sunny Chai"),
        ("remarks", "Remarks at MARS Hall"),
        ("tour_stop", "The cleanroom, seen through glass"),
        ("transfer", "Transfer to Time Medical Systems"),
        ("tour_stop", "Tour stop: Time Medical Systems"),
        ("photo_call", "Photo call at Time Medical premises"),
        ("departure", "Departure from Time Medical premises"),
    ]
    # The transfer typed in is the move: no travel time is added around it.
    assert [s.travel_minutes for s in proposal.stops] == [0, 0, 0, 5, 0, 0, 0, 0]
    assert proposal.stops[5].start == hk(2030, 3, 4, 11, 10)


def test_visit_create_gives_each_person_the_role_chosen(world):
    """The defect: both visitors became guest of honour and the park's chairman an escort."""
    deputy = PersonFactory(name="Lee Wai")
    chairman = PersonFactory(name="Sunny Chai")
    people = [
        VisitPerson(person_id=world["minister"].pk, role=Attendance.Role.GUEST_OF_HONOUR),
        VisitPerson(person_id=deputy.pk, role=Attendance.Role.OFFICIATING_GUEST),
        VisitPerson(person_id=chairman.pk, role=Attendance.Role.HOST),
        VisitPerson(person_id=world["escort"].pk, role=Attendance.Role.ESCORT),
    ]

    event = visit_create(**_visit(world, people=people))

    assert dict(event.attendances.values_list("person_id", "role")) == {
        world["minister"].pk: "guest_of_honour",
        deputy.pk: "officiating_guest",
        chairman.pk: "host",
        world["escort"].pk: "escort",
    }


def test_visit_create_refuses_two_guests_of_honour(world):
    people = [
        VisitPerson(person_id=world["minister"].pk, role=Attendance.Role.GUEST_OF_HONOUR),
        VisitPerson(person_id=world["escort"].pk, role=Attendance.Role.GUEST_OF_HONOUR),
    ]

    with pytest.raises(ValidationError) as raised:
        visit_create(**_visit(world, people=people))

    assert "Choose one guest of honour" in raised.value.error_dict["people"][0].message
    assert not Event.objects.exists()


def test_a_stops_host_person_receives_the_party_there(world):
    """The defect: tenant hosts were not put on their stops, so "Received by" was empty."""
    ceo = PersonFactory(name="Winnie Cheung", organisation=world["tenant_org"])
    stops = [
        *_stops(world)[:2],
        VisitStop(
            facility_id=world["tenant"].pk,
            minutes=25,
            host_organisation_id=world["tenant_org"].pk,
            host_person_id=ceo.pk,
        ),
    ]

    event = visit_create(**_visit(world, stops=stops))

    stop = event.programme.get(facility=world["tenant"])
    assert stop.host_organisation == world["tenant_org"]
    assert dict(stop.roles.values_list("person_id", "part")) == {
        ceo.pk: "host",
        world["minister"].pk: "participant",
        world["escort"].pk: "participant",
    }
    assert not event.programme.exclude(pk=stop.pk).filter(roles__person=ceo).exists()
    assert event.attendances.get(person=ceo).role == Attendance.Role.HOST  # invited as host


def test_stop_places_are_the_sites_facilities_and_tenants_within_reach(world):
    """The defect: the facility list showed every facility of every site."""
    science_park = world["tenant"].site
    auditorium = FacilityFactory(site=science_park, name="Auditorium")  # not a tenant's
    unreachable = FacilityFactory(name="Far premises", kind=Facility.Kind.TENANT_PREMISES)

    places = stop_places(site_ids=[world["site"].pk, science_park.pk])

    assert [f.name for f in places[world["site"].pk]] == [
        "Cleanroom gallery",
        "MARS Hall",
        "Time Medical premises",
    ]
    assert [f.name for f in places[science_park.pk]] == ["Auditorium", "Time Medical premises"]
    for facility in (auditorium, unreachable):
        with pytest.raises(ValidationError) as raised:
            visit_propose(
                site_id=world["site"].pk,
                start=hk(2030, 3, 4, 10),
                stops=[VisitStop(facility_id=facility.pk, minutes=20)],
            )
        assert (
            f"{facility.name}: not at InnoPark Tai Po"
            in raised.value.error_dict["stops"][0].message
        )


def test_visit_check_offers_a_busy_lounge_no_plaza(world):
    """The defect: a 20-seat VIP lounge was offered a 500-person plaza as a substitute."""
    lounge = FacilityFactory(
        site=world["site"], name="VIP Lounge", kind="meeting_room", capacity=20
    )
    FacilityFactory(site=world["site"], name="Plaza", kind="outdoor", capacity=500)
    FacilityFactory(site=world["site"], name="Boardroom", kind="meeting_room", capacity=24)
    other = EventFactory(title="Board meeting", site=world["site"], start=hk(2030, 3, 4, 10))
    BookingFactory(event=other, facility=lounge)

    check = visit_check(**_visit(world, stops=[VisitStop(facility_id=lounge.pk, minutes=30)]))

    [stop] = check.stops
    assert [f["name"] for f in stop.clash.suggestions["facilities"]] == ["Boardroom"]


def test_change_rows_of_a_deferred_block_are_written_at_its_end_or_not_at_all():
    from scheduling import services
    from scheduling.services import changes as change_log

    site = SiteFactory()
    before = Change.objects.count()

    with change_log.deferred():
        event = services.event_create(
            title="Inspection", site=site, start=hk(2030, 5, 5, 15), end=hk(2030, 5, 5, 17)
        )
        during = Change.objects.count()
    after = Change.objects.count()
    with pytest.raises(RuntimeError), change_log.deferred():
        services.event_update(event_id=event.pk, title="Renamed")
        raise RuntimeError("rolled back with its transaction")

    assert during == before
    assert after == before + 1
    assert Change.objects.count() == after
