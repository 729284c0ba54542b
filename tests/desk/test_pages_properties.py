"""Whatever a query string or a posted form holds, no staff page answers with a server error.

Hypothesis starts from what each page's own links and forms send (real ids, slugs, dates) and
leaves out or replaces up to three parameters with generated ones: text in any script with NUL
and other control characters, huge and negative numbers, dates at and past datetime's ends,
empty values, lists, unknown names. Mostly-valid requests reach the deep paths (the planner's
check, save and suggestions, a reschedule) as well as the form errors. Every page of
``desk.urls`` is covered: a new page fails the coverage test until it is listed here.
Each request runs in a savepoint that is rolled back, so every example sees the same rows.
"""

import datetime as dt
import json

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desk import urls as staff_urls
from scheduling.models import Booking, Event
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)
from visitors.delegations.services import delegation_create, pass_create, vehicle_create
from visitors.imports.services import attendee_import_preview
from visitors.models import Delivery

pytestmark = pytest.mark.django_db

EXAMPLES = 40  # per page: about 15 s for all of them

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)  # what UTF-8 can carry
numbers = st.one_of(
    st.integers(-(2**70), 2**70), st.sampled_from([0, -1, 2**31, 2**63, 99999999999])
).map(str)
days = st.one_of(
    st.dates().map(dt.date.isoformat),
    st.sampled_from(["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01", "2030-02-30"]),
)
moments = st.one_of(
    st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")),
    st.sampled_from(["0001-01-01T00:00", "9999-12-31T23:59", "2030-03-10T02:30"]),
)
odd = st.one_of(
    text,
    numbers,
    days,
    moments,
    st.sampled_from(["", " ", "\x00", "1\x00", "²", "١٢", "1.5", "1e3", "null", "🎉", "9" * 5000]),
)
minutes = st.one_of(st.integers(-3000, 3000).map(str), numbers)
actions = st.one_of(  # the planner's buttons, and its suggestions with any numbers in them
    st.sampled_from(["check", "save", "add_stop", "add_person", "site", "shift:", "facility:0"]),
    minutes.map("shift:{}".format),
    st.tuples(numbers, numbers).map(lambda pair: "facility:{}:{}".format(*pair)),
)


@st.composite
def requests(draw, good: dict[str, object], special: dict | None = None) -> dict:
    """What a page sends (a value, a list of them, or a strategy for it), with up to three
    parameters left out or replaced (by an odd value or several), and perhaps one it does not
    know. A third of the requests change nothing, to reach what a valid request reaches."""
    params = {}
    for name, sent in good.items():
        if isinstance(sent, st.SearchStrategy):
            sent = draw(sent)
        params[name] = [str(one) for one in sent] if isinstance(sent, list) else str(sent)
    how_many = draw(st.sampled_from([0, 0, 1, 1, 2, 3]))
    for name in draw(st.permutations(sorted(good)))[:how_many]:
        own = (special or {}).get(name, odd)
        params[name] = draw(st.one_of(st.none(), own, odd, st.lists(odd, max_size=3)))
    params |= draw(st.dictionaries(text.filter(bool), odd, max_size=1))
    return {name: sent for name, sent in params.items() if sent is not None}


def _ids(real: int) -> st.SearchStrategy[list[int]]:
    """A URL's pk: mostly the real row's, else none's (a number past 64 bits too)."""
    return st.sampled_from([real] * 4 + [0, 2**63, 10**30]).map(lambda pk: [pk])


@pytest.fixture
def world(officer):
    site = SiteFactory(slug="tai-po")
    hall = FacilityFactory(site=site, name="MARS Hall")
    event = EventFactory(site=site, status=Event.Status.CONFIRMED)
    booking = BookingFactory(
        event=event, facility=hall, status=Booking.Status.HELD, hold_expires_at=hk(2030, 3, 1)
    )
    attendance = AttendanceFactory(event=event)
    namesake = PersonFactory(email="")
    delivery = Delivery.objects.create(
        event=event,
        person=attendance.person,
        attendance=attendance,
        method=Delivery.Method.REQUEST,
        sequence=0,
        state=Delivery.State.FAILED,
        next_attempt_at=hk(2030, 3, 1),
    )
    listed = (
        "Name,Organisation,E-mail\nSomeone New,,new@example.org\n"
        f"{namesake.name},{namesake.organisation.name},\nBad,,not-an-address\n"
    )
    batch = attendee_import_preview(
        event_id=event.pk, data=listed.encode(), filename="guests.csv", by=officer
    )
    party = delegation_create(event_id=event.pk, name="ITIB", lead=attendance.person)
    car = vehicle_create(delegation_id=party.pk, plate="AM 1", passengers=[attendance.person])
    return {
        "party": party,
        "car": car,
        "pass": pass_create(delegation_id=party.pk, person=attendance.person),
        "officer": officer,
        "batch": batch,
        "site": site,
        "hall": hall,
        "event": event,
        "booking": booking,
        "attendance": attendance,
        "delivery": delivery,
        "visitor": PersonFactory(),
        "host": PersonFactory(),
        "tenant": OrganisationFactory(),
        "item": ProgrammeItemFactory(event=event, facility=hall),
    }


def _pages(w) -> dict[str, tuple[str, st.SearchStrategy, st.SearchStrategy]]:
    """Each page: its method, its URL's arguments, and its parameters."""
    event = w["event"].pk
    of_event = _ids(event)
    none = st.just([])
    planner = {
        "title": "Site inspection",
        "title_zh": "參觀",
        "site": w["site"].pk,
        "visibility": Event.Visibility.RESTRICTED,
        "date": "2030-03-04",
        "start_time": "10:00",
        "party-TOTAL_FORMS": 2,
        "party-INITIAL_FORMS": 0,
        "party-0-person": f"Visitor [#{w['visitor'].pk}]",
        "party-0-role": "guest_of_honour",
        "party-1-person": f"Someone [#{w['attendance'].person_id}]",
        "party-1-role": "host",
        "stops-TOTAL_FORMS": 2,
        "stops-INITIAL_FORMS": 0,
        "stops-0-kind": "tour_stop",
        "stops-0-title": "",
        "stops-0-facility": w["hall"].pk,
        "stops-0-host": w["tenant"].pk,
        "stops-0-host_person": f"Host [#{w['host'].pk}]",
        "stops-0-minutes": 30,
        "stops-1-kind": "transfer",
        "stops-1-facility": "",
        "stops-1-minutes": "",
        "action": actions,
    }
    attendance = w["attendance"].pk
    of_attendance = st.tuples(_ids(event), _ids(attendance)).map(lambda ids: ids[0] + ids[1])
    of_item = st.tuples(_ids(event), _ids(w["item"].pk)).map(lambda ids: ids[0] + ids[1])
    of_booking = st.tuples(_ids(event), _ids(w["booking"].pk)).map(lambda ids: ids[0] + ids[1])
    of_batch = st.tuples(_ids(event), _ids(w["batch"].pk)).map(lambda ids: ids[0] + ids[1])
    item = {
        "title": "Welcome",
        "kind": "remarks",
        "start": "2030-03-04T10:00",
        "end": "2030-03-04T10:20",
        "facility": w["hall"].pk,
        "visibility": "public",
        "person_0": w["visitor"].display_name,
        "part_0": "speaker",
    }
    booking = {
        "facility": w["hall"].pk,
        "start": "2030-03-04T10:30",
        "end": "2030-03-04T11:00",
        "capacity_override_reason": "",
    }
    party, car, entry = w["party"].pk, w["car"].pk, w["pass"].pk
    of_party = st.tuples(_ids(event), _ids(party)).map(lambda ids: ids[0] + ids[1])
    of_car = st.tuples(_ids(event), _ids(car)).map(lambda ids: ids[0] + ids[1])
    of_pass = st.tuples(_ids(event), _ids(entry)).map(lambda ids: ids[0] + ids[1])
    member = w["attendance"].person_id
    delegation = {
        "name": "ITIB",
        "lead": f"Host [#{w['host'].pk}]",
        "members": f"{w['visitor'].email}\n",
        "from_list": [member],
    }
    vehicle = {
        "plate": "AM 2",
        "driver": "Mr Lee",
        "passengers": [member],
        "car_call_at": "2030-03-04T09:40",
        "drop_off_facility": w["hall"].pk,
        "pick_up_point": "East gate",
        "departure_item": w["item"].pk,
    }
    holders = st.sampled_from([f"person-{member}", f"car-{car}", "person-x", "car-", "-", "x"])

    def form(prefix: str, fields: dict, odd_ones: dict) -> st.SearchStrategy:
        """A form of the delegations page, its names prefixed as the page writes them."""
        return requests(
            {f"{prefix}-{name}": value for name, value in fields.items()},
            {f"{prefix}-{name}": value for name, value in odd_ones.items()},
        )

    choices = {"from_list": st.lists(numbers, max_size=3), "lead": text}
    car_choices = {
        "car_call_at": moments,
        "passengers": st.lists(numbers, max_size=3),
        "drop_off_facility": numbers,
        "departure_item": numbers,
    }
    pass_fields = {"kind": "site", "number": "S1", "status": "issued", "holder": f"person-{member}"}
    moves = {"arrive_at": "2030-03-04T10:00", "depart_at": "2030-03-04T11:50", "minutes": 10}
    return {
        "delegations": ("get", of_event, requests({})),
        "delegation-add": ("post", of_event, form("new", delegation, choices)),
        "delegation-edit": ("post", of_party, form(f"d{party}", delegation, choices)),
        "delegation-delete": ("post", of_party, requests({})),
        "delegation-movements": (
            "post",
            of_party,
            form(
                f"d{party}-moves",
                moves,
                {"arrive_at": moments, "depart_at": moments, "minutes": numbers},
            ),
        ),
        "vehicle-add": ("post", of_party, form(f"d{party}-car", vehicle, car_choices)),
        "vehicle-edit": ("post", of_car, form(f"car{car}", vehicle, car_choices)),
        "vehicle-delete": ("post", of_car, requests({})),
        "pass-add": ("post", of_party, form(f"d{party}-pass", pass_fields, {"holder": holders})),
        "pass-edit": ("post", of_pass, form(f"pass{entry}", pass_fields, {"holder": holders})),
        "pass-delete": ("post", of_pass, requests({})),
        "login": ("post", none, requests({"username": "officer", "password": "pw", "next": "/"})),
        "logout": ("post", none, requests({"next": "/staff/calendar/"})),
        "language": (
            "post",
            none,
            requests(
                {"language": "zh-hant", "next": "/staff/calendar/"},
                {"language": st.sampled_from(["en", "zh-hant", "zh-HK", "xx"])},
            ),
        ),
        "calendar": (
            "get",
            none,
            requests(
                {"site": "tai-po", "view": "week", "kind": "ceremony", "date": "2030-03-04"},
                {"view": st.sampled_from(["day", "agenda"]), "date": days},
            ),
        ),
        "calendar-data": (
            "get",
            none,
            requests(
                {"site": "tai-po", "start": "2030-03-04", "end": "2030-03-11", "kind": "forum"},
                {"start": days, "end": days},
            ),
        ),
        "calendar-candidates": (
            "get",
            none,
            requests({"facility": w["hall"].pk, "date": "2030-03-04"}, {"date": days}),
        ),
        "calendar-hold": (
            "json",
            none,
            requests(
                {
                    "event": event,
                    "facility": w["hall"].pk,
                    "start": "2030-03-04T10:00",
                    "end": "2030-03-04T11:00",
                },
                {"start": moments, "end": moments, "facility": numbers},
            ),
        ),
        "calendar-move": (
            "json",
            _ids(w["booking"].pk),
            requests(
                {"facility": w["hall"].pk, "start": "2030-03-04T10:30", "end": "2030-03-04T11:30"},
                {"start": moments, "end": moments, "facility": numbers},
            ),
        ),
        "event": ("get", of_event, requests({})),
        "event-status": ("post", of_event, requests({"to": "postponed", "reason": "Typhoon"})),
        "event-cancel": ("post", of_event, requests({"reason": "Typhoon"})),
        "event-reschedule": (
            "post",
            of_event,
            requests(
                {"start": "2030-03-05T10:00", "end": "2030-03-05T12:00", "reason": "Typhoon"},
                {"start": moments, "end": moments},
            ),
        ),
        "bookings-confirm": ("post", of_event, requests({"booking": w["booking"].pk})),
        "invitations": ("get", of_event, requests({"attendee": w["attendance"].pk})),
        "invitations-progress": ("get", of_event, requests({"attendee": w["attendance"].pk})),
        "invitations-send": ("post", of_event, requests({"attendance": w["attendance"].pk})),
        "invitations-approve": ("post", of_event, requests({"attendance": w["attendance"].pk})),
        "delivery-resend": (
            "post",
            _ids(w["delivery"].pk),
            requests({}),
        ),
        "print": (
            "get",
            st.tuples(
                st.just(event),
                st.sampled_from(["run-of-show", "itinerary", "attendees", "name-cards", "x"]),
            ).map(list),
            requests({}),
        ),
        # Half the examples make a PDF (a second or so each): the rest ask for no printable.
        "print-pdf": (
            "get",
            st.tuples(
                st.just(event), st.sampled_from(["attendees", "name-cards", "x", "menu"])
            ).map(list),
            requests({"order": "zh"}, {"order": text}),
        ),
        "planner": (
            "post",
            none,
            requests(
                planner,
                {"date": days, "stops-TOTAL_FORMS": numbers, "party-TOTAL_FORMS": numbers},
            ),
        ),
        "checkin": (
            "get",
            none,
            requests({"site": "tai-po", "date": "2030-03-04", "q": "Person"}, {"date": days}),
        ),
        "attendance-order": (
            "post",
            st.tuples(_ids(event), _ids(w["attendance"].pk)).map(lambda ids: ids[0] + ids[1]),
            requests({"order_override": 1}, {"order_override": numbers}),
        ),
        "people-search": ("get", none, requests({"q": "Person"})),
        "programme-add": ("post", of_event, requests(item, {"start": moments, "end": moments})),
        "programme-edit": (
            "post",
            of_item,
            requests(item, {"start": moments, "person_0": text, "part_0": text}),
        ),
        "programme-move": (
            "post",
            of_item,
            requests({"direction": st.sampled_from(["earlier", "later"])}),
        ),
        "programme-delete": ("post", of_item, requests({})),
        "consent-request": ("post", of_item, requests({})),
        "consents-request": ("post", of_event, requests({})),
        "attendee-add": (
            "post",
            of_event,
            requests(
                {
                    "person": w["visitor"].display_name,
                    "role": "guest",
                    "call_time": "2030-03-04T09:00",
                    "guests": 1,
                    "notes": "Side gate",
                },
                {"call_time": moments, "guests": numbers},
            ),
        ),
        "attendees-add": (
            "post",
            of_event,
            requests(
                {
                    "people": f"{w['visitor'].email}\n",
                    "organisation": w["tenant"].pk,
                    "role": "guest",
                },
                {"organisation": numbers},
            ),
        ),
        "attendee-edit": (
            "post",
            of_attendance,
            requests(
                {f"a{attendance}-role": "speaker", f"a{attendance}-call_time": "2030-03-04T09:00"},
                {f"a{attendance}-call_time": moments},
            ),
        ),
        "attendee-remove": ("post", of_attendance, requests({})),
        "booking-add": (
            "post",
            of_event,
            requests(booking, {"start": moments, "end": moments, "facility": numbers}),
        ),
        "booking-move": (
            "post",
            of_booking,
            requests(
                {f"b{w['booking'].pk}-{name}": value for name, value in booking.items()},
                {f"b{w['booking'].pk}-start": moments, f"b{w['booking'].pk}-facility": numbers},
            ),
        ),
        "booking-release": ("post", of_booking, requests({})),
        "attendees-import": ("post", of_event, requests({"file": "Name\nA\n"})),
        "attendees-import-preview": (
            "post",
            of_batch,
            requests({"match": [3]}, {"match": st.lists(numbers, max_size=3)}),
        ),
        "attendees-import-discard": ("post", of_batch, requests({})),
        "attendees-import-template": (
            "get",
            st.tuples(of_event, st.sampled_from([["xlsx"], ["csv"], ["pdf"]])).map(
                lambda parts: parts[0] + parts[1]
            ),
            requests({}),
        ),
        "event-export": (
            "get",
            st.tuples(
                of_event,
                st.sampled_from(["attendees", "run-of-show", "catering", "menu"]),
                st.sampled_from(["xlsx", "csv", "pdf"]),
            ).map(lambda parts: [*parts[0], parts[1], parts[2]]),
            requests({}),
        ),
        "checkin-arrive": (
            "post",
            _ids(w["attendance"].pk),
            requests({"next": "/staff/check-in/?date=2030-03-04"}),
        ),
        "checkin-undo": (
            "post",
            _ids(w["attendance"].pk),
            requests({"next": "/staff/check-in/?date=2030-03-04"}),
        ),
        "live": ("get", of_event, requests({})),
        "board": ("get", of_event, requests({"part": "board"}, {"part": st.text(max_size=8)})),
        "live-mark": (
            "post",
            _ids(w["item"].pk),
            requests(
                {"action": "extend", "minutes": "5"},
                {
                    "action": st.sampled_from(["start", "finish", "skip", "reinstate", "x", ""]),
                    "minutes": numbers,
                },
            ),
        ),
        "checkin-code": (
            "post",
            none,
            requests(
                {"code": w["attendance"].checkin_code, "date": "2030-03-04", "site": "tai-po"},
                {"date": days},
            ),
        ),
        "checkin-walk-in": (
            "post",
            none,
            requests(
                {
                    "event": str(w["attendance"].event_id),
                    "date": "2030-03-04",
                    "name": "Amy Walker",
                    "role": "guest",
                    "guests": "0",
                    "reason": "Stands in",
                },
                {"date": days, "guests": numbers},
            ),
        ),
    }


PAGES = [pattern.name for pattern in staff_urls.urlpatterns]
# Pages that also answer GET, whatever their form posts.
ALSO_READ = {
    "login",
    "planner",
    "event-cancel",
    "programme-edit",
    "attendees-import",
    "attendees-import-preview",
}


def test_every_staff_page_is_covered(world):
    assert set(_pages(world)) == set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_staff_page_answers_odd_input_without_a_server_error(world, name):
    method, url_args, params = _pages(world)[name]

    # Built inside the test so that the world's ids are known; each parametrised page gets its
    # own run of examples.
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(args=url_args, params=params, read=st.booleans())
    def answers(args, params, read):
        with transaction.atomic():
            client = Client()
            if name != "login":  # the login page sends a logged-in user on
                client.force_login(world["officer"])
            verb = "get" if read and name in ALSO_READ else method
            url = reverse(f"staff:{name}", args=args)
            if verb == "json":  # the calendar's actions take a JSON object
                response = client.post(url, json.dumps(params), content_type="application/json")
            else:
                response = getattr(client, verb)(url, params)
            transaction.set_rollback(True)

        assert response.status_code < 500

    answers()
