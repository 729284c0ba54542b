"""Who may use the staff pages: login, read and change permissions, CSRF, escaped markup."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Booking, Event, ProgrammeRole
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    PersonFactory,
    ProgrammeItemFactory,
    hk,
)
from visitors.models import Attendance, Delivery

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def event():
    hall = FacilityFactory(name="MARS Hall", site__slug="tai-po")
    event = EventFactory(title="Opening", site=hall.site, status=Event.Status.TENTATIVE)
    BookingFactory(
        event=event, facility=hall, status=Booking.Status.HELD, hold_expires_at=hk(2030, 3, 1)
    )
    attendance = AttendanceFactory(event=event, person__name="Alfred Sit")
    Delivery.objects.create(
        event=event,
        person=attendance.person,
        attendance=attendance,
        method="REQUEST",
        sequence=0,
        state=Delivery.State.FAILED,
        next_attempt_at=timezone.now(),
    )
    return event


def _pages(event) -> list[str]:
    attendance = event.attendances.get()
    return [
        reverse("staff:calendar") + "?site=tai-po&date=2030-03-04",
        reverse("staff:calendar") + "?site=tai-po&date=2030-03-04&view=day",
        reverse("staff:calendar") + "?site=tai-po&date=2030-03-04&view=agenda",
        reverse("staff:event", args=[event.pk]),
        reverse("staff:invitations", args=[event.pk]) + f"?attendee={attendance.pk}",
        *(
            reverse("staff:print", args=[event.pk, kind])
            for kind in ("run-of-show", "itinerary", "attendees", "name-cards")
        ),
        reverse("staff:checkin") + "?date=2030-03-04",
        reverse("staff:live", args=[event.pk]),
        reverse("staff:board", args=[event.pk]),
        reverse("staff:board", args=[event.pk]) + "?part=board",
    ]


def _writes(event) -> list[tuple[str, dict]]:
    attendance = event.attendances.get()
    delivery = Delivery.objects.get()
    return [
        (reverse("staff:event-status", args=[event.pk]), {"to": "confirmed"}),
        (reverse("staff:event-status", args=[event.pk]), {"to": "postponed"}),
        (
            reverse("staff:event-reschedule", args=[event.pk]),
            {"start": "2030-03-05T10:00", "end": "2030-03-05T12:00"},
        ),
        (reverse("staff:bookings-confirm", args=[event.pk]), {}),
        (reverse("staff:invitations-send", args=[event.pk]), {}),
        (reverse("staff:delivery-resend", args=[delivery.pk]), {}),
        (reverse("staff:checkin-arrive", args=[attendance.pk]), {}),
        (reverse("staff:checkin-undo", args=[attendance.pk]), {}),
        (reverse("staff:attendance-order", args=[event.pk, attendance.pk]), {"order_override": 1}),
        # Last: these two show their forms on GET.
        (reverse("staff:event-cancel", args=[event.pk]), {"reason": "Typhoon"}),
        (reverse("staff:planner"), {"action": "save"}),
    ]


def _state(event) -> tuple:
    event.refresh_from_db()
    attendance = event.attendances.get()
    return (
        event.status,
        event.start,
        event.sequence,
        tuple(event.bookings.values_list("status", flat=True)),
        tuple(Delivery.objects.values_list("state", flat=True)),
        attendance.checked_in_at,
        attendance.order_override,
        Event.objects.count(),
    )


def test_anonymous_users_are_sent_to_the_staff_login(client, event):
    for url in [*_pages(event), reverse("staff:planner")]:
        response = client.get(url)

        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("staff:login") + "?next=/staff/"), url


def test_anonymous_posts_change_nothing(client, event):
    before = _state(event)

    for url, data in _writes(event):
        response = client.post(url, data)

        assert response.status_code == 302 and "/staff/login/" in response["Location"], url
    assert _state(event) == before


def test_a_viewer_reads_every_page(client, viewer, event):
    client.force_login(viewer)

    for url in _pages(event):
        response = client.get(url)

        assert response.status_code == 200, url
        assert "Opening" in response.content.decode() or "Alfred Sit" in response.content.decode()


def test_a_viewer_sees_no_change_controls(client, viewer, event):
    client.force_login(viewer)

    event_page = client.get(reverse("staff:event", args=[event.pk])).content.decode()
    console = client.get(reverse("staff:invitations", args=[event.pk])).content.decode()

    assert 'name="to"' not in event_page and 'id="reschedule-form"' not in event_page
    assert reverse("staff:event-cancel", args=[event.pk]) not in event_page
    assert "bookings/confirm" not in event_page and 'name="order_override"' not in event_page
    assert "invitations/send" not in console and "/resend/" not in console
    assert reverse("staff:planner") not in event_page


def test_a_viewer_cannot_change_anything(client, viewer, event):
    client.force_login(viewer)
    before = _state(event)

    for url, data in _writes(event):
        response = client.post(url, data)

        assert response.status_code == 403, url
    assert client.get(reverse("staff:planner")).status_code == 403
    assert client.get(reverse("staff:event-cancel", args=[event.pk])).status_code == 403
    assert _state(event) == before


def test_writes_need_the_csrf_token(officer, event):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    before = _state(event)

    for url, data in _writes(event):
        response = client.post(url, data)

        assert response.status_code == 403, url
    assert _state(event) == before


def test_reads_refuse_nothing_but_writes_refuse_get(client, officer, event):
    client.force_login(officer)

    for url, _data in _writes(event)[:-2]:  # cancelling and the planner show forms on GET
        assert client.get(url).status_code == 405, url


def test_login_page_logs_staff_in_and_returns_them_where_they_were_going(client, officer):
    next_url = reverse("staff:checkin")

    page = client.get(reverse("staff:login") + f"?next={next_url}").content.decode()
    response = client.post(
        reverse("staff:login"), {"username": "officer", "password": "pw", "next": next_url}
    )
    refused = Client().post(reverse("staff:login"), {"username": "officer", "password": "no"})

    assert '<label for="id_username">' in page and '<label for="id_password">' in page
    assert response.status_code == 302 and response["Location"] == next_url
    assert refused.status_code == 200
    assert "Please enter a correct username and password" in refused.content.decode()


def test_home_goes_to_the_calendar_and_other_routes_still_work(client, officer):
    client.force_login(officer)

    home = client.get("/")

    assert home.status_code == 302 and home["Location"] == reverse("staff:calendar")
    assert client.get("/healthz").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get("/rsvp/not-a-token/").status_code == 400
    assert client.get("/api/v1/events/").status_code == 401


def test_logout_is_a_post_and_ends_the_session(client, officer):
    client.force_login(officer)

    response = client.post(reverse("staff:logout"))

    assert response.status_code == 302 and response["Location"] == reverse("staff:login")
    assert client.get(reverse("staff:calendar")).status_code == 302


def test_markup_in_titles_and_names_is_shown_as_text_on_every_page(client, officer, event):
    Event.objects.filter(pk=event.pk).update(
        title=f"Opening {SCRIPT}", title_zh=SCRIPT, internal_notes=SCRIPT, description=SCRIPT
    )
    person = event.attendances.get().person
    person.name, person.name_zh, person.post = f"Alfred {SCRIPT}", SCRIPT, SCRIPT
    person.save()
    item = ProgrammeItemFactory(
        event=event, title=SCRIPT, cue_notes=SCRIPT, facility=event.bookings.get().facility
    )
    ProgrammeRole.objects.create(item=item, person=person)
    client.force_login(officer)

    # The planner lists no one until they are typed in: the next test covers it.
    for url in _pages(event):
        page = client.get(url).content.decode()

        assert "<script>" not in page, url
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page, url


def test_markup_in_a_planned_visit_title_is_shown_as_text(client, officer):
    hall = FacilityFactory(name="MARS Hall")
    person = PersonFactory(name=SCRIPT)
    client.force_login(officer)

    response = client.post(
        reverse("staff:planner"),
        {
            "title": SCRIPT,
            "site": hall.site.pk,
            "visibility": "internal",
            "date": "2030-03-04",
            "start_time": "10:00",
            "party-TOTAL_FORMS": "1",
            "party-INITIAL_FORMS": "0",
            "party-0-person": f"{SCRIPT} [#{person.pk}]",
            "party-0-role": "guest_of_honour",
            "stops-TOTAL_FORMS": "1",
            "stops-INITIAL_FORMS": "0",
            "stops-0-kind": "tour_stop",
            "stops-0-facility": hall.pk,
            "stops-0-minutes": "30",
            "action": "check",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<script>" not in page
    assert 'value="&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"' in page
    assert f'value="&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; [#{person.pk}]"' in page
    assert Attendance.objects.count() == 0
