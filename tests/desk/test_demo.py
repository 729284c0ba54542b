"""manage.py load_demo: the world of the seed press releases, loaded once per module."""

import datetime as dt
import io
import zoneinfo

from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from desk.demo import demo_load
from desk.demo.build import COUNTED
from desk.demo.seed_events import SEED_EVENTS
from desk.demo.showcase import SHOWCASE
from desk.demo.specs import AttendeeSpec, Buffers, EventSpec, ItemSpec, booking_plans
from desk.demo.upcoming import next_public_holiday, plan_events
from desk.demo.upcoming_templates import TEMPLATES
from desk.warnings import (
    CAR_CALL_AFTER_DEPARTURE,
    PASSENGER_TWO_VEHICLES,
    VEHICLE_WITHOUT_DRIVER,
    event_warnings,
)
from scheduling.models import Booking, Closure, Event, Facility, ProgrammeItem, Site, TravelTime
from tests.factories import hk
from visitors.models import Attendance, Delegation, Organisation, Pass, Person, Vehicle

HK = zoneinfo.ZoneInfo("Asia/Hong_Kong")


def _event(reference: str) -> Event:
    return Event.objects.get(reference=reference)


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(HK)


def test_load_demo_reports_rows_added_per_model(world):
    lines = {line.split("  ")[0]: line.split() for line in world.splitlines()}

    assert lines["Sites"][1:3] == ["5", "added"]
    assert lines["Events"][1] == str(4 + len(SHOWCASE) + len(TEMPLATES))
    assert [lines[label][1] for label in ("Delegations", "Vehicles", "Passes")] == ["2", "3", "4"]
    assert world.strip().endswith("rows added.")


def test_load_demo_builds_the_five_sites_with_chinese_names_and_road_times(world):
    sites = {site.slug: site for site in Site.objects.all()}

    assert {site.name_zh for site in sites.values()} == {
        "大埔創新園", "將軍澳創新園", "元朗創新園", "香港科學園", "港深創新及科技園",
    }  # fmt: skip
    assert "Pak Shek Kok" in sites["hong-kong-science-park"].address
    assert "Lok Ma Chau Loop" in sites["hsitp-lok-ma-chau-loop"].address
    assert {site.timezone for site in sites.values()} == {"Asia/Hong_Kong"}
    assert TravelTime.objects.count() == 5 * 4
    for travel in TravelTime.objects.all():
        back = TravelTime.objects.get(from_site=travel.to_site, to_site=travel.from_site)
        assert back.minutes == travel.minutes and 10 <= travel.minutes <= 90


def test_load_demo_builds_the_centres_as_facilities_at_their_sites(world):
    mars = Facility.objects.filter(name__startswith="MARS Centre – ")
    not_bookable = Facility.objects.filter(is_bookable=False)

    assert {f.site.name for f in mars} == {"Tai Po InnoPark"}
    assert {f.kind for f in mars} >= {"hall", "meeting_room", "outdoor", "tenant_premises"}
    assert mars.filter(kind="tenant_premises").count() == 3
    assert [f.name for f in not_bookable] == ["MARS Centre – Production Line 3 (Cleanroom)"]
    for prefix, site in [
        ("Advanced Manufacturing Centre – ", "Tseung Kwan O InnoPark"),
        ("Data Technology Hub – ", "Tseung Kwan O InnoPark"),
        ("Microelectronics Centre – ", "Yuen Long InnoPark"),
    ]:
        assert {f.site.name for f in Facility.objects.filter(name__startswith=prefix)} == {site}
    hall = Facility.objects.get(name="MARS Centre – Multi-function Hall")
    assert (hall.capacity, hall.setup_minutes, hall.teardown_minutes) == (300, 120, 60)
    assert (hall.bookable_from, hall.bookable_until) == (dt.time(7), dt.time(23))


def test_load_demo_people_carry_posts_honours_and_precedence(world):
    people = {p.name: p for p in Person.objects.select_related("organisation")}

    assert people["Sunny Chai"].display_name == "Dr Sunny Chai, BBS, JP (查毅超)"
    assert people["Alfred Sit"].display_name == "Mr Alfred Sit, JP (薛永恒)"
    assert people["Alfred Sit"].post == "Secretary for Innovation and Technology"
    assert people["Sun Dong"].organisation.name == "Innovation, Technology and Industry Bureau"
    assert people["Steve Chuang"].organisation.name == "Federation of Hong Kong Industries"
    assert people["Edmond Yau"].organisation.name == "Koln 3D Technology (Medical) Limited"
    ranks = [
        people[name].precedence_rank
        for name in ("Sun Dong", "Annie Choi", "Rebecca Pun", "Sunny Chai", "Albert Wong")
    ]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert all(p.email.endswith((".example.org", ".example.gov.hk")) for p in people.values())
    assert people["Zhou Haoran"].interpreter_needed
    assert "Europe/London" in people["Eleanor Hughes"].notes
    assert Organisation.objects.get(slug="hithium").kind == "tenant"


def test_load_demo_innopark_ceremony_runs_in_order_with_its_speakers(world):
    event = _event("DEMO-2021-INNOPARK")

    items = list(event.programme.all())

    assert _local(event.start) == dt.datetime(2021, 11, 26, 14, 30, tzinfo=HK)
    assert [item.title for item in items] == [
        "VIP reception",
        "Welcome remarks",
        "Announcement of the MARS Centre",
        "INNOPARK activation ceremony and group photo",
        "Fireside chat: industrial veterans on re-industrialisation",
        "Fireside chat: the next generation of innofacturers",
        "Media session on Innofacturing",
    ]
    assert [(r.person.name, r.part) for r in items[1].roles.all()] == [("Sunny Chai", "speaker")]
    assert [(r.person.name, r.part) for r in items[2].roles.all()] == [("Albert Wong", "speaker")]
    assert [item.kind for item in items].count("fireside_chat") == 2
    assert items[0].visibility == "internal"
    assert {r.part for r in items[3].roles.all()} == {"officiating"}


def test_load_demo_innopark_attendees_are_listed_in_precedence_order(world):
    event = _event("DEMO-2021-INNOPARK")

    names = [a.person.name for a in event.attendances.in_precedence_order()]

    assert names == [
        "Alfred Sit", "Annie Choi", "Rebecca Pun", "Sunny Chai", "Albert Wong", "H.L. Yiu",
        "Edmond Yau", "Ryan Lee", "Simon Yeung",
        "Jason Ng", "Kenneth Lau", "Carmen Ho", "Joyce Tam",
    ]  # fmt: skip
    staff = event.attendances.get(person__name="Carmen Ho")
    assert staff.role == "staff" and _local(staff.call_time).time() == dt.time(12, 30)


def test_load_demo_inspection_visits_three_enterprises_in_turn(world):
    event = _event("DEMO-2022-MARS-INSPECTION")

    items = list(event.programme.select_related("host_organisation", "facility"))

    assert _local(event.start).date() == dt.date(2022, 5, 5)
    assert [item.kind for item in items] == [
        "remarks", "transfer", "tour_stop", "transfer", "tour_stop", "transfer", "tour_stop",
        "remarks",
    ]  # fmt: skip
    stops = [item for item in items if item.kind == ProgrammeItem.Kind.TOUR_STOP]
    assert [stop.host_organisation.slug for stop in stops] == ["time-medical", "koln-3d", "shan-ho"]
    assert all(stop.facility.kind == "tenant_premises" for stop in stops)
    assert all(a.end <= b.start for a, b in zip(items, items[1:], strict=False))
    assert [r.person.name for r in stops[0].roles.filter(part="host")] == ["Simon Yeung"]
    names = [a.person.name for a in event.attendances.in_precedence_order()][:3]
    assert names == ["Alfred Sit", "Rebecca Pun", "Sunny Chai"]


def test_load_demo_mars_inspection_has_the_secretarys_party_in_two_cars(world):
    event = Event.objects.get(
        reference__startswith="DEMO-WK-", kind="ministerial_visit", site__slug="tai-po-innopark"
    )
    items = list(event.programme.all())

    party = event.delegations.get()
    cars = list(party.vehicles.select_related("drop_off_facility", "pick_up_facility"))

    assert party.lead.name == "Sun Dong"
    assert (items[0].kind, items[-1].kind) == ("arrival", "departure")
    assert [(car.plate, car.make, car.colour) for car in cars] == [
        ("AM 1", "Toyota Alphard", "black"),
        ("AM 2388", "Toyota Noah", "silver"),
    ]
    assert [sorted(p.name for p in car.passengers.all()) for car in cars] == [
        ["Sun Dong", "Winnie Lai"],
        ["Rebecca Pun"],
    ]
    for car in cars:
        assert car.driver and len(car.driver_phone.replace(" ", "")) == 8
        assert (car.arrival_item, car.departure_item) == (items[0], items[-1])
        assert car.car_call_at == event.end - dt.timedelta(minutes=15)
        assert car.drop_off == car.pick_up == "MARS Centre – VIP Room"
    members = set(party.members.values_list("pk", flat=True))
    assert members <= set(event.attendances.values_list("person_id", flat=True))
    assert sorted((p.kind, p.holder, p.status) for p in party.passes.all()) == [
        ("cleanroom", str(party.lead), "issued"),
        ("vehicle", str(cars[0]), "issued"),
        ("vehicle", str(cars[1]), "issued"),
    ]


def test_load_demo_innopark_secretary_comes_in_one_car_to_the_mars_centre_drop_off(world):
    event = _event("DEMO-2021-INNOPARK")

    car = Vehicle.objects.get(delegation__event=event)

    assert [p.name for p in car.passengers.all()] == ["Alfred Sit"]
    assert car.drop_off == car.pick_up == "MARS Centre drop-off"
    assert "MARS Centre drop-off" in event.programme.first().cue_notes
    assert event.start < car.car_call_at < event.end
    assert [(p.kind, p.status) for p in car.passes.all()] == [("vehicle", "returned")]


def test_load_demo_delegations_raise_no_car_warnings(world):
    car_codes = {PASSENGER_TWO_VEHICLES, VEHICLE_WITHOUT_DRIVER, CAR_CALL_AFTER_DEPARTURE}
    events = Event.objects.filter(delegations__isnull=False).distinct()

    found = [
        w.message for e in events for w in event_warnings(event_id=e.pk) if w.code in car_codes
    ]

    assert events.count() == 2
    assert found == []


def test_load_demo_second_run_adds_no_delegation_car_nor_pass(world):
    before = [model.objects.count() for model in (Delegation, Vehicle, Pass)]

    counts = demo_load(today=timezone.localdate() + dt.timedelta(days=2))

    assert [model.objects.count() for model in (Delegation, Vehicle, Pass)] == before
    assert [counts[label][0] for label in ("delegations", "vehicles", "passes")] == [0, 0, 0]


def test_demo_delegations_seat_only_people_on_the_attendee_list():
    specs = [*SEED_EVENTS, *(template for *_slot, template in SHOWCASE)]

    for spec in specs:
        invited = {a.person if isinstance(a, AttendeeSpec) else a[0] for a in spec.attendees}
        for party in spec.delegations:
            seated = {key for car in party.vehicles for key in car.passengers}
            holders = {entry.person for entry in party.passes if entry.person}
            assert {party.lead, *party.members, *seated, *holders} <= invited, party.name
    assert sum(len(spec.delegations) for spec in specs) == 2


def test_load_demo_forum_has_two_keynotes_then_a_panel(world):
    event = _event("DEMO-2023-CRAFTING-TOMORROW")

    public = event.programme.filter(visibility="public")

    assert event.title == "Crafting Tomorrow: A Fresh Look at Advanced Manufacturing in Hong Kong"
    assert [(i.kind, [r.person.name for r in i.roles.all()]) for i in public[:2]] == [
        ("keynote", ["Sun Dong"]),
        ("keynote", ["Steve Chuang"]),
    ]
    panel = public.get(kind="panel")
    assert [r.part for r in panel.roles.all()] == [
        "moderator",
        "panellist",
        "panellist",
        "panellist",
    ]


def test_load_demo_hsitp_opening_keeps_its_chinese_title(world):
    event = _event("DEMO-2025-HSITP-OPENING")

    assert event.title_zh == "港深創新及科技園開幕典禮"
    assert event.site.name_zh == "港深創新及科技園"
    assert _local(event.start).date() == dt.date(2025, 12, 22)
    assert event.programme.filter(kind="tour_stop", host_organisation__slug="hithium").exists()


def test_load_demo_past_events_are_completed_with_confirmed_bookings_and_arrivals(world):
    past = Event.objects.filter(reference__regex=r"^DEMO-20\d\d-")

    assert past.count() == 4
    for event in past:
        assert (event.status, event.visibility) == ("completed", "public")
        assert event.bookings.exists()
        assert set(event.bookings.values_list("status", flat=True)) == {"confirmed"}
        assert not event.attendances.filter(checked_in_at__isnull=True).exists()
        assert event.history.filter(history_change_reason="Status set to completed").exists()


def test_load_demo_generates_varied_upcoming_events_in_office_hours_of_the_next_eight_weeks(
    world,
):
    today = timezone.localdate()

    upcoming = Event.objects.filter(reference__startswith="DEMO-UP-")

    assert upcoming.count() == len(TEMPLATES)
    for event in upcoming:
        start, end = _local(event.start), _local(event.end)
        assert today < start.date() <= today + dt.timedelta(weeks=8)
        assert start.weekday() < 5
        assert (
            dt.time(9) <= start.time() and end.time() <= dt.time(18) and end.date() == start.date()
        )
        assert event.programme.exists() and event.attendances.exists()
        assert not event.attendances.filter(rsvp_at__gt=timezone.now()).exists()
    assert set(upcoming.values_list("status", flat=True)) == {"draft", "tentative", "confirmed"}
    assert upcoming.values("kind").distinct().count() >= 6
    assert upcoming.values("site").distinct().count() == 5


def test_load_demo_upcoming_restricted_visit_is_hosted_by_a_tenant(world):
    restricted = Event.objects.get(reference__startswith="DEMO-UP-", visibility="restricted")

    assert restricted.kind == "ministerial_visit"
    assert restricted.host_organisation.kind == "tenant"
    assert restricted.attendances.get(role="guest_of_honour").person.name == "Sun Dong"


def test_load_demo_booking_status_follows_the_event_status(world):
    now = timezone.now()

    upcoming = Event.objects.filter(reference__startswith="DEMO-UP-").prefetch_related("bookings")

    for event in upcoming:
        bookings = list(event.bookings.all())
        if event.status == "draft":
            assert bookings == []
        elif event.status == "tentative":
            assert bookings and {b.status for b in bookings} == {"held"}
            assert all(now < b.hold_expires_at <= event.start for b in bookings)
        else:
            primaries = [b for b in bookings if not b.backup_of_id]
            assert primaries and {b.status for b in primaries} == {"confirmed"}
    backup = Booking.objects.get(backup_of__isnull=False)
    assert backup.status == "held" and backup.facility.name == "MARS Centre – Multi-function Hall"
    assert backup.backup_of.facility.name == "MARS Centre – Outdoor Forecourt"
    assert backup.backup_deadline < backup.start


def test_load_demo_bookings_never_overlap_and_keep_to_hours_and_closures(world):
    active = Booking.objects.active().select_related("facility__site").order_by("occupied_start")

    by_facility: dict[int, list[Booking]] = {}
    for booking in active:
        by_facility.setdefault(booking.facility_id, []).append(booking)

    assert active.count() == Booking.objects.count() > 20
    for bookings in by_facility.values():
        for earlier, later in zip(bookings, bookings[1:], strict=False):
            assert earlier.occupied_end <= later.occupied_start
    for booking in active:
        facility = booking.facility
        assert facility.is_bookable
        if facility.bookable_from:
            start, end = _local(booking.occupied_start), _local(booking.occupied_end)
            assert facility.bookable_from <= start.time() and end.time() <= facility.bookable_until
        assert (
            not Closure.objects.filter(
                start__lt=booking.occupied_end, end__gt=booking.occupied_start
            )
            .filter(site=facility.site)
            .exists()
        )
        assert not facility.closures.filter(
            start__lt=booking.occupied_end, end__gt=booking.occupied_start
        ).exists()


def test_load_demo_closes_a_hall_for_maintenance_and_every_site_on_a_holiday(world):
    today = timezone.localdate()
    holiday = next_public_holiday(today, until=today + dt.timedelta(weeks=8))

    maintenance = Closure.objects.get(reason="maintenance")
    holidays = Closure.objects.filter(reason="public_holiday")

    assert maintenance.facility.name == "Charles K. Kao Auditorium"
    assert today < _local(maintenance.start).date() <= today + dt.timedelta(weeks=8)
    if holiday:
        assert holidays.count() == Site.objects.count()
        assert {_local(c.start).date() for c in holidays} == {holiday[0]}
    else:
        assert not holidays.exists()


def test_load_demo_second_run_even_days_later_adds_and_changes_nothing(world):
    later = timezone.localdate() + dt.timedelta(days=9)
    counts = {model._meta.label: model.objects.count() for model in apps.get_models()}
    rows = {model._meta.label: list(model.objects.order_by("pk").values()) for model in COUNTED}
    out = io.StringIO()

    demo_load(today=later)
    call_command("load_demo", stdout=out)

    assert {model._meta.label: model.objects.count() for model in apps.get_models()} == counts
    assert {m._meta.label: list(m.objects.order_by("pk").values()) for m in COUNTED} == rows
    assert {"scheduling.HistoricalBooking", "visitors.HistoricalAttendance"} <= counts.keys()
    assert out.getvalue().strip().endswith("Demo data already loaded.")


def test_load_demo_chinese_names_survive_the_database_round_trip(world):
    person = Person.objects.get(name_zh="查毅超")
    site = Site.objects.get(name_zh="大埔創新園")

    assert person.name == "Sunny Chai"
    assert site.name == "Tai Po InnoPark"
    assert Organisation.objects.get(name_zh="創新科技及工業局").slug == "itib"
    assert Attendance.objects.filter(person__name_zh="孫東").count() >= 2


def test_plan_events_is_deterministic_for_a_day():
    def anything(spec: EventSpec) -> bool:
        return True

    first = plan_events(dt.date(2030, 3, 4), fits=anything)
    second = plan_events(dt.date(2030, 3, 4), fits=anything)

    assert first == second
    assert [spec.reference for spec in first] == [f"DEMO-UP-{n:02d}" for n in range(1, 11)]


def test_booking_plans_merge_items_whose_buffers_touch_and_split_the_rest():
    spec = EventSpec(
        reference="X",
        title="X",
        kind="other",
        site="s",
        start=hk(2030, 3, 4, 9),
        end=hk(2030, 3, 4, 17),
        status="confirmed",
        visibility="public",
        items=(
            ItemSpec(hk(2030, 3, 4, 9), hk(2030, 3, 4, 10), "A", "remarks", "Hall"),
            ItemSpec(hk(2030, 3, 4, 10, 30), hk(2030, 3, 4, 11), "B", "remarks", "Hall"),
            ItemSpec(hk(2030, 3, 4, 11), hk(2030, 3, 4, 11, 10), "Walk", "transfer"),
            ItemSpec(hk(2030, 3, 4, 15), hk(2030, 3, 4, 16), "C", "remarks", "Hall"),
            ItemSpec(hk(2030, 3, 4, 15), hk(2030, 3, 4, 16), "D", "tour_stop", "Cleanroom"),
        ),
        backups=(("Hall", "Tent"),),
    )
    buffers = {
        "Hall": Buffers(30, 15),
        "Tent": Buffers(0, 0),
        "Cleanroom": Buffers(0, 0, bookable=False),
    }

    plans = booking_plans(spec, buffers)

    assert [(p.facility, p.start.hour, p.end.hour, p.items, p.backup_of) for p in plans] == [
        ("Hall", 9, 11, (0, 1), None),
        ("Tent", 9, 11, (0, 1), "Hall"),
        ("Hall", 15, 16, (3,), None),
        ("Tent", 15, 16, (3,), "Hall"),
    ]


def test_next_public_holiday_finds_fixed_lunar_and_easter_holidays():
    assert next_public_holiday(dt.date(2026, 11, 22), until=dt.date(2027, 1, 17)) == (
        dt.date(2026, 12, 25),
        "Christmas Day",
    )
    assert next_public_holiday(dt.date(2027, 1, 2), until=dt.date(2027, 2, 27))[0] == dt.date(
        2027, 2, 6
    )
    assert next_public_holiday(dt.date(2027, 3, 1), until=dt.date(2027, 4, 26))[1] == "Good Friday"
    assert next_public_holiday(dt.date(2026, 7, 2), until=dt.date(2026, 8, 27)) is None
