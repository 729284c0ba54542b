"""A VIP visit with two delegations, their cars and passes, made through the services, for the
tests of the delegation's printables and spreadsheets."""

from types import SimpleNamespace

from scheduling.models import ProgrammeItem
from scheduling.services import programme_item_create
from tests.factories import (
    AttendanceFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    SiteFactory,
    hk,
)
from visitors.delegations import services
from visitors.models import Pass


def visit(*, timezone: str = "Asia/Hong_Kong"):
    """The Secretary's delegation arrives in two cars (planned 10:00, expected 10:20 on the
    day); the partner's arrives at 10:05 in one car, and a late car of theirs has no arrival
    item. Times are in Hong Kong unless the site is elsewhere."""
    site = SiteFactory(name="Tai Po InnoPark", name_zh="大埔創新園", timezone=timezone)
    lobby = FacilityFactory(site=site, name="Main Lobby", name_zh="大堂")
    event = EventFactory(
        site=site,
        timezone=timezone,
        title="Secretary visits the MARS Centre",
        title_zh="局長參觀先進製造業中心",
        start=hk(2030, 3, 4, 10),
        end=hk(2030, 3, 4, 12),
    )
    bureau = OrganisationFactory(name="Innovation Bureau", name_zh="創新科技及工業局")
    secretary = PersonFactory(
        honorific="Prof",
        name="Sun Dong",
        name_zh="孫東",
        precedence_rank=1,
        post="Secretary for Innovation, Technology and Industry",
        organisation=bureau,
    )
    deputy = PersonFactory(name="Lillian Cheong", name_zh="張曼莉", precedence_rank=2)
    aide = PersonFactory(name="Amy Aide", post="Political Assistant", organisation=bureau)
    # Not on the event's list, however senior: listed after everyone who is, by name.
    interpreter = PersonFactory(name="Alan Interpreter", precedence_rank=1)
    guard = PersonFactory(name="Zed Guard")
    AttendanceFactory(event=event, person=aide, role="escort")
    AttendanceFactory(event=event, person=deputy, role="guest")
    AttendanceFactory(event=event, person=secretary, role="guest_of_honour")
    bureau_party = services.delegation_create(
        event_id=event.pk,
        name="Innovation Bureau",
        name_zh="創新科技及工業局代表團",
        lead=secretary,
        members=[deputy, aide, interpreter, guard],
    )
    first = services.vehicle_create(
        delegation_id=bureau_party.pk,
        plate="am 1",  # written as the plate reads: "AM 1"
        make="Toyota Alphard",
        colour="Black",
        driver="Chan Tai Man",
        driver_phone="9123 4567",
        contact="Amy Aide, 9876 5432",
        passengers=[aide, secretary],
        car_call_at=hk(2030, 3, 4, 11, 35),
        drop_off_facility=lobby,
        pick_up_point="East gate, lay-by 2",
    )
    second = services.vehicle_create(
        delegation_id=bureau_party.pk,
        plate="XY 2024",
        make="Honda Odyssey",
        colour="Silver",
        driver="Lee Siu Ming",
        driver_phone="6123 0000",
        passengers=[guard, interpreter, deputy],
        drop_off_point="Side entrance",
    )
    arrival, departure = services.delegation_movements_plan(
        delegation_id=bureau_party.pk,
        arrive_at=hk(2030, 3, 4, 10),
        depart_at=hk(2030, 3, 4, 11, 45),
    )
    # The day: the Secretary's party is running twenty minutes late.
    ProgrammeItem.objects.filter(pk=arrival.pk).update(
        expected_start=hk(2030, 3, 4, 10, 20), expected_end=hk(2030, 3, 4, 10, 30)
    )
    for kind, number, status, holder, notes in (
        (Pass.Kind.VEHICLE, "V-10", Pass.Status.ISSUED, {"vehicle": first}, ""),
        (Pass.Kind.VEHICLE, "V-9", Pass.Status.ISSUED, {"vehicle": second}, ""),
        (Pass.Kind.VEHICLE, "V-11", Pass.Status.CANCELLED, {"vehicle": first}, "Lost"),
        (Pass.Kind.SITE, "S-10", Pass.Status.REQUESTED, {"person": aide}, "Collect at lobby"),
        (Pass.Kind.SITE, "S-2", Pass.Status.ISSUED, {"person": secretary}, ""),
        (Pass.Kind.CLEANROOM, "", Pass.Status.REQUESTED, {"person": deputy}, ""),
    ):
        services.pass_create(
            delegation_id=bureau_party.pk,
            kind=kind,
            number=number,
            status=status,
            notes=notes,
            **holder,
        )

    partner = PersonFactory(name="Peter Partner", post="Chief Executive")
    partner_party = services.delegation_create(event_id=event.pk, name="Partner Labs", lead=partner)
    partner_arrival = programme_item_create(
        event_id=event.pk,
        title="Partner Labs arrive",
        kind=ProgrammeItem.Kind.ARRIVAL,
        start=hk(2030, 3, 4, 10, 5),
        end=hk(2030, 3, 4, 10, 10),
    )
    partner_car = services.vehicle_create(
        delegation_id=partner_party.pk,
        plate="PL 8",
        make="Tesla Model Y",
        colour="White",
        driver="Wong Ka Ho",
        passengers=[partner],
        arrival_item=partner_arrival,
    )
    late = services.vehicle_create(
        delegation_id=partner_party.pk, plate="LATE 9", passengers=[], driver="Ho Chi Keung"
    )
    services.pass_create(
        delegation_id=partner_party.pk,
        kind=Pass.Kind.VEHICLE,
        status=Pass.Status.REQUESTED,
        vehicle=partner_car,
    )
    return SimpleNamespace(
        event=event,
        lobby=lobby,
        bureau=bureau_party,
        partner=partner_party,
        first=first,
        second=second,
        partner_car=partner_car,
        late=late,
        arrival=arrival,
        departure=departure,
    )


def more_cars(world, count: int) -> None:
    """Count more cars for the Secretary's party, each with two new members and a permit."""
    for number in range(count):
        people = [PersonFactory() for _ in range(2)]
        for person in people:
            AttendanceFactory(event=world.event, person=person)
        car = services.vehicle_create(
            delegation_id=world.bureau.pk,
            plate=f"EXTRA {number}",
            passengers=people,
            drop_off_facility=world.lobby,
            arrival_item=world.arrival,
            departure_item=world.departure,
        )
        services.pass_create(
            delegation_id=world.bureau.pk,
            kind=Pass.Kind.VEHICLE,
            number=f"X-{number}",
            status=Pass.Status.ISSUED,
            vehicle=car,
        )
        services.pass_create(delegation_id=world.bureau.pk, kind=Pass.Kind.SITE, person=people[0])
