"""The event page: summary, status actions, reschedule with clash feedback, run-of-show,
attendees in precedence order, bookings with warnings."""

import datetime as dt
import html
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Booking, Closure, Event, ProgrammeRole, TravelTime
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    ClosureFactory,
    EventFactory,
    FacilityFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)
from visitors.models import Attendance, Delivery

pytestmark = pytest.mark.django_db

# The page's own queries, and desk.warnings' (tests/desk/test_warnings.py counts those); two
# of them for the workbench's forms (the site's facilities, tenants and organisations), one for
# the delegations in short (their leads, members and cars counted; the links to their
# printables show when there is one).
PAGE_QUERIES = 26


@pytest.fixture
def event():
    site = SiteFactory(name="InnoPark Tai Po", name_zh="大埔創新園")
    hall = FacilityFactory(site=site, name="MARS Hall", name_zh="火星廳", capacity=2)
    event = EventFactory(
        title="MARS Centre opening",
        title_zh="火星中心開幕",
        site=site,
        status=Event.Status.TENTATIVE,
        internal_notes="Side gate for the minister",
    )
    item = ProgrammeItemFactory(
        event=event,
        title="Welcome remarks",
        facility=hall,
        start=hk(2030, 3, 4, 10, 5),
        end=hk(2030, 3, 4, 10, 20),
        cue_notes="Lights down at 10:04",
    )
    minister = PersonFactory(honorific="Prof", name="Sun Dong", name_zh="孫東", precedence_rank=1)
    ProgrammeRole.objects.create(item=item, person=minister, part=ProgrammeRole.Part.SPEAKER)
    AttendanceFactory(event=event, person=PersonFactory(name="Zoe Guest"), role="guest")
    AttendanceFactory(event=event, person=minister, role="guest_of_honour", rsvp="accepted")
    AttendanceFactory(event=event, person=PersonFactory(name="Adam Staff"), role="staff")
    BookingFactory(
        event=event,
        facility=hall,
        status=Booking.Status.HELD,
        hold_expires_at=hk(2030, 3, 1),
        capacity_override_reason="Standing room",
    )
    return event


def _url(event, name="staff:event"):
    return reverse(name, args=[event.pk])


def _page(client, event) -> str:
    response = client.get(_url(event))
    assert response.status_code == 200
    return response.content.decode()


def _event_warnings(page: str) -> list[str]:
    """The warnings listed for the event as a whole, as the reader sees them."""
    listed = re.search(r'<ul class="warnings" id="event-warnings">(.*?)</ul>', page, re.S)
    return (
        [html.unescape(text) for text in re.findall(r"<li>(.*?)</li>", listed[1])] if listed else []
    )


def _booking_warnings(page: str, booking) -> list[str]:
    row = re.search(rf'<tr id="booking-{booking.pk}">.*?</tr>', page, re.S)[0]
    listed = re.search(r'<ul class="warnings">(.*?)</ul>', row, re.S)
    return (
        [html.unescape(text) for text in re.findall(r"<li>(.*?)</li>", listed[1])] if listed else []
    )


def test_event_page_shows_summary_run_of_show_attendees_and_bookings(client, officer, event):
    client.force_login(officer)

    page = _page(client, event)

    assert "MARS Centre opening" in page and '<span lang="zh-Hant">火星中心開幕</span>' in page
    assert "Monday 4 March 2030, 10:00–12:00 (HKT, Asia/Hong_Kong)" in page
    assert "Side gate for the minister" in page  # staff see internal notes
    run_of_show = re.search(r'<table class="data" id="run-of-show">.*?</table>', page, re.S)[0]
    assert "10:05–10:20" in run_of_show and re.search(r"<td[^>]*>15</td>", run_of_show)
    assert "MARS Hall" in run_of_show and "Lights down at 10:04" in run_of_show
    assert "Prof Sun Dong (孫東)" in run_of_show and "(Speaker)" in run_of_show
    attendees = re.search(r'<table class="data" id="attendees">.*?</table>', page, re.S)[0]
    names = re.findall(r"<td[^>]*>((?:Prof|Ms) [^<]+)", attendees)
    assert names == ["Prof Sun Dong (孫東)", "Ms Zoe Guest", "Ms Adam Staff"]
    assert "Guest of honour" in attendees and "Accepted" in attendees
    assert "Not invited yet" in attendees
    bookings = re.search(r'<table class="data" id="bookings">.*?</table>', page, re.S)[0]
    assert "Held" in bookings and "until Fri 1 Mar, 00:00" in bookings
    assert "3 people are expected but MARS Hall holds 2 (override: Standing room)." in bookings


def test_event_page_offers_only_the_actions_its_status_allows(client, officer, event):
    client.force_login(officer)

    page = _page(client, event)

    offered = re.findall(r'<button type="submit" name="to" value="(\w+)"', page)
    assert offered == ["draft", "confirmed", "postponed"]
    assert 'id="action-cancelled"' in page  # a link to its confirmation
    assert 'id="reschedule-form"' in page


def test_event_page_of_a_final_event_offers_no_change(client, officer, event):
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    client.force_login(officer)

    page = _page(client, event)

    assert 'name="to"' not in page and 'id="reschedule-form"' not in page
    assert "This event is Cancelled: it can no longer change." in page


def test_event_page_shows_each_attendees_latest_invite_state(client, officer, event):
    guest = event.attendances.get(person__name="Zoe Guest")
    for sequence, state in ((0, Delivery.State.SENT), (1, Delivery.State.FAILED)):
        Delivery.objects.create(
            event=event,
            person=guest.person,
            attendance=guest,
            method="REQUEST",
            sequence=sequence,
            state=state,
            next_attempt_at=timezone.now(),
            last_error="550 mailbox unavailable",
        )
    client.force_login(officer)

    page = _page(client, event)

    row = re.search(rf'<tr id="attendance-{guest.pk}">.*?</tr>', page, re.S)[0]
    assert "Failed" in row and "invite, version 2" in row and "550 mailbox unavailable" in row


def _attendee_names(page: str) -> list[str]:
    attendees = re.search(r'<table class="data" id="attendees">.*?</table>', page, re.S)[0]
    return re.findall(r"<td[^>]*>(?:Prof|Ms) ([^<(]+?)(?: \(|<)", attendees)


def test_staff_give_an_attendee_a_place_from_the_event_page(client, officer, event):
    staff = event.attendances.get(person__name="Adam Staff")
    client.force_login(officer)

    response = client.post(
        reverse("staff:attendance-order", args=[event.pk, staff.pk]),
        {"order_override": "1"},
        follow=True,
    )

    page = response.content.decode()
    assert _attendee_names(page) == ["Adam Staff", "Sun Dong", "Zoe Guest"]
    assert "Ms Adam Staff is now number 1 in the order of precedence." in page
    assert f'id="place-{staff.pk}" min="1" inputmode="numeric" value="1"' in page
    record = staff.history.first()
    assert (record.history_user, record.history_change_reason) == (
        officer,
        "Placed in the order of precedence: 1",
    )


def test_a_blank_place_puts_the_attendee_back_in_the_usual_order(client, officer, event):
    staff = event.attendances.get(person__name="Adam Staff")
    staff.order_override = 1
    staff.save()
    client.force_login(officer)

    response = client.post(
        reverse("staff:attendance-order", args=[event.pk, staff.pk]),
        {"order_override": ""},
        follow=True,
    )

    page = response.content.decode()
    assert _attendee_names(page) == ["Sun Dong", "Zoe Guest", "Adam Staff"]
    assert "Ms Adam Staff now follows the usual order of precedence." in page
    staff.refresh_from_db()
    assert staff.order_override is None


@pytest.mark.parametrize("place", ["0", "-1", "first", "40000"])
def test_a_place_the_order_cannot_hold_is_refused_with_a_message(client, officer, event, place):
    staff = event.attendances.get(person__name="Adam Staff")
    client.force_login(officer)

    response = client.post(
        reverse("staff:attendance-order", args=[event.pk, staff.pk]),
        {"order_override": place},
        follow=True,
    )

    page = html.unescape(response.content.decode())
    assert "Ms Adam Staff: " in page
    staff.refresh_from_db()
    assert staff.order_override is None
    assert staff.history.count() == 1


def test_the_place_on_a_closed_list_or_another_events_list_is_not_changed(client, officer, event):
    staff = event.attendances.get(person__name="Adam Staff")
    other = EventFactory()
    client.force_login(officer)
    elsewhere = client.post(
        reverse("staff:attendance-order", args=[other.pk, staff.pk]), {"order_override": "1"}
    )
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)

    closed = client.post(
        reverse("staff:attendance-order", args=[event.pk, staff.pk]),
        {"order_override": "1"},
        follow=True,
    )

    assert elsewhere.status_code == 404
    assert "The event is cancelled; its list is closed." in closed.content.decode()
    assert 'name="order_override"' not in closed.content.decode()
    staff.refresh_from_db()
    assert staff.order_override is None


def test_confirm_moves_the_event_and_records_who(client, officer, event):
    client.force_login(officer)

    response = client.post(_url(event, "staff:event-status"), {"to": "confirmed", "reason": "Go"})

    assert response.status_code == 302 and response["Location"] == _url(event)
    event.refresh_from_db()
    assert event.status == Event.Status.CONFIRMED
    record = event.history.first()
    assert (record.history_user, record.history_change_reason) == (officer, "Go")
    assert "The event is now Confirmed." in client.get(_url(event)).content.decode()


def _invited(event, state=Delivery.State.SENT, **lookup) -> Attendance:
    attendance = event.attendances.get(**lookup)
    Delivery.objects.create(
        event=event,
        person=attendance.person,
        attendance=attendance,
        method=Delivery.Method.REQUEST,
        sequence=event.sequence,
        state=state,
        next_attempt_at=timezone.now(),
    )
    return attendance


def test_cancel_event_leads_to_a_confirmation_not_straight_to_cancelled(client, officer, event):
    client.force_login(officer)

    form = _status_form(_page(client, event))
    posted = client.post(_url(event, "staff:event-status"), {"to": "cancelled", "reason": "Rain"})

    link = re.search(r'<a [^>]*id="action-cancelled"[^>]*>', form)[0]
    assert f'href="{_url(event, "staff:event-cancel")}"' in link
    assert 'value="cancelled"' not in form
    assert posted.status_code == 400
    assert "Cancelling asks for confirmation first" in posted.content.decode()
    event.refresh_from_db()
    assert (event.status, event.bookings.get().status) == (Event.Status.TENTATIVE, "held")


def test_cancel_confirmation_says_who_is_told_and_what_is_released_and_changes_nothing(
    client, officer, event
):
    _invited(event, role="guest_of_honour")
    _invited(event, Delivery.State.QUEUED, person__name="Zoe Guest")  # not sent yet
    client.force_login(officer)

    response = client.get(_url(event, "staff:event-cancel"))

    page = response.content.decode()
    assert response.status_code == 200
    told = re.search(r'<ul id="cancel-recipients">(.*?)</ul>', page, re.S)[1]
    assert re.findall(r"<li>([^<]+)</li>", told) == ["Prof Sun Dong (孫東)"]
    assert "1 attendee has the invitation and will be sent a cancellation" in page
    assert "The other 2 on the list were never sent the invitation" in page
    released = re.search(r'<ul id="cancel-bookings">(.*?)</ul>', page, re.S)[1]
    assert "MARS Hall" in released and "Mon 4 Mar, 10:00–12:00" in released
    assert re.search(r'<textarea name="reason"[^>]*maxlength="500"', page)
    event.refresh_from_db()
    assert (event.status, event.sequence) == (Event.Status.TENTATIVE, 0)
    assert not Delivery.objects.filter(method=Delivery.Method.CANCEL).exists()


def test_cancel_confirmed_releases_the_bookings_and_tells_attendees_why(
    client, officer, event, django_capture_on_commit_callbacks
):
    minister = _invited(event, role="guest_of_honour")
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(event, "staff:event-cancel"), {"reason": "The minister is called abroad."}
        )

    assert response.status_code == 302 and response["Location"] == _url(event)
    event.refresh_from_db()
    assert (event.status, event.cancel_reason) == (
        Event.Status.CANCELLED,
        "The minister is called abroad.",
    )
    assert event.history.latest().history_user == officer
    assert set(event.bookings.values_list("status", flat=True)) == {Booking.Status.RELEASED}
    [message] = mail.outbox
    assert message.to == [f'"{minister.person.display_name}" <{minister.person.email}>']
    assert "Reason for the cancellation: The minister is called abroad." in message.body
    assert "The event is cancelled." in client.get(_url(event)).content.decode()


def test_a_refused_transition_is_explained_and_changes_nothing(client, officer, event):
    client.force_login(officer)

    response = client.post(_url(event, "staff:event-status"), {"to": "completed"}, follow=True)

    assert "A tentative event cannot become completed." in response.content.decode()
    event.refresh_from_db()
    assert event.status == Event.Status.TENTATIVE


def _status_form(page: str) -> str:
    return re.search(r'<form [^>]*id="status-form">.*?</form>', page, re.S)[0]


def test_status_form_defaults_to_a_button_that_changes_nothing(client, officer, event):
    client.force_login(officer)

    form = _status_form(_page(client, event))

    # Enter in a text box presses the form's first submit button (HTML's implicit submission).
    first = re.search(r"<button [^>]*>", form)[0]
    assert 'value=""' in first and " hidden" in first


@pytest.mark.parametrize(
    "posted", [{"reason": "Minister delayed"}, {"to": "", "reason": "Minister delayed"}]
)
def test_status_post_without_an_action_changes_nothing_and_keeps_the_reason(
    client, officer, event, posted
):
    client.force_login(officer)

    response = client.post(_url(event, "staff:event-status"), posted)

    assert response.status_code == 400
    form = _status_form(response.content.decode())
    assert "Choose one of the status buttons: pressing Enter changes nothing." in form
    assert re.search(r'<input type="text" name="reason"[^>]* value="Minister delayed"', form)
    event.refresh_from_db()
    assert (event.status, event.sequence, event.history.count()) == (Event.Status.TENTATIVE, 0, 1)


def test_event_page_offers_completed_only_once_the_event_has_ended(client, officer, event):
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CONFIRMED)
    over = EventFactory(status=Event.Status.CONFIRMED, start=hk(2025, 3, 4, 10))
    client.force_login(officer)

    coming = _status_form(_page(client, event))
    ended = _status_form(_page(client, over))

    button = re.search(r'<button [^>]*value="completed"[^>]*>', coming)[0]
    assert " disabled" in button and 'aria-describedby="action-completed-note"' in button
    assert "Can be marked completed once it has ended (Mon 4 Mar 2030 12:00 HKT)." in coming
    assert " disabled" not in re.search(r'<button [^>]*value="completed"[^>]*>', ended)[0]


def test_reschedule_moves_programme_and_bookings_in_the_events_zone(client, officer, event):
    client.force_login(officer)

    response = client.post(
        _url(event, "staff:event-reschedule"),
        {"start": "2030-03-05T14:00", "end": "2030-03-05T16:00", "reason": "Minister delayed"},
    )

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.start, event.end) == (hk(2030, 3, 5, 14), hk(2030, 3, 5, 16))
    assert event.programme.get().start == hk(2030, 3, 5, 14, 5)
    assert event.bookings.get().start == hk(2030, 3, 5, 14)
    assert event.history.first().history_change_reason == "Minister delayed"


def test_reschedule_clash_shows_what_it_clashes_with_and_free_times(client, officer, event):
    hall = event.bookings.get().facility
    other = EventFactory(title="Board meeting", site=event.site, start=hk(2030, 3, 5, 14))
    BookingFactory(event=other, facility=hall)  # occupies 13:30–16:15 on the 5th
    client.force_login(officer)
    data = {"start": "2030-03-05T14:00", "end": "2030-03-05T16:00"}

    response = client.post(_url(event, "staff:event-reschedule"), data)

    page = response.content.decode()
    assert response.status_code == 409
    assert "MARS Hall is not free" in page and "Board meeting" in page
    assert f'href="{reverse("staff:event", args=[other.pk])}">Board meeting</a>' in page
    suggested = re.findall(r'name="start" value="([^"]+)"', page)
    assert "2030-03-05T16:45" in suggested  # straight after the other booking's teardown
    assert "2030-03-06T14:00" in suggested  # the same time the next day
    assert re.search(r'<input type="datetime-local" name="start" value="2030-03-05T14:00"', page)
    event.refresh_from_db()
    assert event.start == hk(2030, 3, 4, 10)
    taken = client.post(
        _url(event, "staff:event-reschedule"),
        {"start": "2030-03-05T16:45", "end": "2030-03-05T18:45"},
    )
    assert taken.status_code == 302
    event.refresh_from_db()
    assert event.start == hk(2030, 3, 5, 16, 45)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"start": "2030-03-05T14:00", "end": "2030-03-05T13:00"}, "end", "The end must be after"),
        ({"start": "", "end": "2030-03-05T13:00"}, "start", "This field is required."),
        ({"start": "tomorrow", "end": "2030-03-05T13:00"}, "start", "Enter a valid date/time."),
        ({"start": "2030-03-05T10:00", "end": "2030-03-05T10:10"}, "end", "would fall outside"),
    ],
)
def test_reschedule_errors_appear_next_to_the_field(client, officer, event, data, field, message):
    client.force_login(officer)

    response = client.post(_url(event, "staff:event-reschedule"), data)

    page = response.content.decode()
    assert response.status_code == 400
    errors = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert errors and message in errors[1]
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', page)
    event.refresh_from_db()
    assert event.start == hk(2030, 3, 4, 10)


def test_confirm_held_bookings_from_the_event_page(client, officer, event):
    client.force_login(officer)

    response = client.post(_url(event, "staff:bookings-confirm"))

    assert response.status_code == 302
    assert set(event.bookings.values_list("status", flat=True)) == {Booking.Status.CONFIRMED}


def test_event_page_costs_a_fixed_number_of_queries(client, officer, event):
    client.force_login(officer)
    with CaptureQueriesContext(connection) as few:
        _page(client, event)
    hall = event.bookings.get().facility
    for n in range(6):
        person = PersonFactory()
        item = ProgrammeItemFactory(
            event=event, facility=hall, start=event.start + dt.timedelta(minutes=20 + 10 * n)
        )
        ProgrammeRole.objects.create(item=item, person=person)
        AttendanceFactory(event=event, person=person, rsvp=Attendance.RSVP.ACCEPTED)
        Delivery.objects.create(
            event=event, person=person, method="REQUEST", sequence=0, next_attempt_at=timezone.now()
        )

    with CaptureQueriesContext(connection) as many:
        page = _page(client, event)

    assert page.count('<tr id="attendance-') == 9
    # 23: the workbench's forms read the site's facilities, tenants and organisations once each,
    # and desk.warnings reads the events' sites and the bookings' facilities once each.
    assert len(many) == len(few) <= 23


def test_event_page_warns_when_the_gap_between_stops_is_shorter_than_the_travel(
    client, officer, event
):
    science_park = SiteFactory(name="Science Park")
    TravelTime.objects.create(from_site=event.site, to_site=science_park, minutes=20)
    lab = FacilityFactory(site=science_park, name="Time Medical premises")
    ProgrammeItemFactory(
        event=event,
        title="Lab tour",
        facility=lab,
        start=hk(2030, 3, 4, 10, 25),
        end=hk(2030, 3, 4, 10, 45),
    )
    client.force_login(officer)

    page = _page(client, event)

    assert _event_warnings(page) == [
        "Only 5 min between “Welcome remarks” at MARS Hall (ends 10:20) and “Lab tour” at "
        "Time Medical premises (starts 10:25); moving between them takes 20 min."
    ]


def test_event_page_warns_about_someone_expected_at_two_overlapping_confirmed_events(
    client, officer, event
):
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CONFIRMED)
    other = EventFactory(
        title="Board meeting", status=Event.Status.CONFIRMED, start=hk(2030, 3, 4, 11)
    )
    minister = event.attendances.get(role="guest_of_honour").person
    AttendanceFactory(event=other, person=minister)
    client.force_login(officer)

    page = _page(client, event)

    assert _event_warnings(page) == [
        "Prof Sun Dong (孫東) is expected at both this event and “Board meeting” "
        "(Mon 4 Mar 2030 11:00–13:00 HKT), which overlap."
    ]


def test_event_page_warns_that_a_confirmed_event_relies_on_a_held_booking(client, officer, event):
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CONFIRMED)
    booking = event.bookings.get()
    client.force_login(officer)

    page = _page(client, event)

    assert _booking_warnings(page, booking) == [
        "3 people are expected but MARS Hall holds 2 (override: Standing room).",
        "MARS Hall (Mon 4 Mar 2030 10:00–12:00 HKT) is only held, not confirmed; "
        "the hold expires Fri 1 Mar 2030 00:00 HKT.",
    ]
    assert _event_warnings(page) == []


def test_event_page_warns_of_a_closure_laid_over_its_booking_later(client, officer, event):
    booking = event.bookings.get()
    ClosureFactory(
        facility=booking.facility,
        start=hk(2030, 3, 4, 11),
        end=hk(2030, 3, 4, 14),
        reason=Closure.Reason.OTHER,
        note="Typhoon signal 8",
    )
    client.force_login(officer)

    page = _page(client, event)

    assert _booking_warnings(page, booking)[0] == (
        "MARS Hall is closed Mon 4 Mar 2030 11:00–14:00 HKT (Typhoon signal 8) over this "
        "event's booking 10:00–12:00."
    )


def test_event_page_warns_on_both_events_of_a_person_without_time_to_travel(client, officer, event):
    science_park = SiteFactory(name="Science Park")
    TravelTime.objects.create(from_site=event.site, to_site=science_park, minutes=25)
    forum = EventFactory(title="Biotech forum", site=science_park, start=hk(2030, 3, 4, 12, 5))
    minister = event.attendances.get(role="guest_of_honour").person
    AttendanceFactory(event=forum, person=minister)
    client.force_login(officer)

    pages = [_page(client, event), _page(client, forum)]

    expected = (
        "Prof Sun Dong (孫東) leaves “MARS Centre opening” at InnoPark Tai Po at 12:00 and is due "
        "at “Biotech forum” at Science Park at 12:05; travel takes 25 min."
    )
    assert [_event_warnings(page) for page in pages] == [[expected], [expected]]


@pytest.mark.parametrize("people", [1, 12])
def test_event_page_queries_do_not_grow_with_attendees_busy_elsewhere(
    client, officer, event, people, django_assert_max_num_queries
):
    science_park = SiteFactory(name="Science Park")
    TravelTime.objects.create(from_site=science_park, to_site=event.site, minutes=40)
    ClosureFactory(facility=event.bookings.get().facility, start=hk(2030, 3, 4, 11))
    for _ in range(people):
        person = PersonFactory()
        AttendanceFactory(event=event, person=person, call_time=hk(2030, 3, 4, 9, 30))
        before = EventFactory(site=science_park, start=hk(2030, 3, 4, 7))  # till 09:00
        BookingFactory(event=before, facility=FacilityFactory(site=science_park))
        AttendanceFactory(event=before, person=person)
        AttendanceFactory(event=EventFactory(start=hk(2030, 3, 4, 11)), person=person)
    client.force_login(officer)

    with django_assert_max_num_queries(PAGE_QUERIES):
        page = _page(client, event)

    assert page.count("leaves “Ceremony") == people
    assert page.count("which overlap.") == people
    assert "MARS Hall is closed" in page
