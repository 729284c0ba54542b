import datetime as dt
import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from scheduling.models import Event
from tests.factories import AttendanceFactory, BookingFactory, EventFactory, ProgrammeItemFactory
from visitors import services
from visitors.ical import invite_calendar
from visitors.models import Attendance
from visitors.rsvp import rsvp_url

pytestmark = pytest.mark.django_db


def _attendance(**fields) -> Attendance:
    event = EventFactory(
        title="Opening of the MARS Centre",
        title_zh="火星中心開幕典禮",
        status=Event.Status.CONFIRMED,
        description="Public description.",
        internal_notes="Side gate for the minister",
    )
    BookingFactory(event=event, facility__name="Auditorium")
    ProgrammeItemFactory(event=event, title="Welcome remarks", cue_notes="Lights down at 09:58")
    return AttendanceFactory(event=event, **fields)


def _path(attendance: Attendance, answer: str | None = None) -> str:
    return rsvp_url(attendance, answer).removeprefix("http://127.0.0.1:8000")


def _answer(client: Client, attendance: Attendance, answer: str = "accepted", **fields):
    return client.post(_path(attendance), {"answer": answer, "guests": 0, "dietary": "", **fields})


def test_rsvp_url_is_absolute_with_the_public_base(settings):
    settings.PUBLIC_BASE_URL = "https://desk.example.org"
    attendance = _attendance()

    url = rsvp_url(attendance, "declined")

    assert re.fullmatch(r"https://desk\.example\.org/rsvp/[\w:-]+/\?answer=declined", url)


def test_rsvp_get_shows_the_event_and_changes_nothing(client):
    attendance = _attendance()
    history_before, updated_before = attendance.history.count(), attendance.updated_at

    response = client.get(_path(attendance, "accepted"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Opening of the MARS Centre (火星中心開幕典禮)" in page
    assert "Monday 4 March 2030, 10:00–12:00 (HKT, Asia/Hong_Kong)" in page
    assert "Auditorium" in page and "Welcome remarks" in page
    assert "Not answered yet" in page
    assert "Side gate" not in page and "Lights down" not in page
    # The answer from the e-mail is preselected, not recorded.
    assert re.search(r'<input type="radio" name="answer" value="accepted"[^>]*checked', page)
    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.NEEDS_ACTION and attendance.rsvp_at is None
    assert attendance.history.count() == history_before
    assert attendance.updated_at == updated_before


def test_rsvp_page_is_accessible_and_mobile_friendly(client):
    attendance = _attendance()

    page = client.get(_path(attendance)).content.decode()

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<html lang="en">' in page
    assert "<legend>Your answer</legend>" in page
    for field in ("id_guests", "id_dietary", "id_accessibility"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page
    assert page.count('type="radio"') == 3
    assert 'name="csrfmiddlewaretoken"' in page


def test_rsvp_post_records_the_answer_and_details(client):
    attendance = _attendance()

    response = _answer(
        client, attendance, "accepted", guests=2, dietary="Vegetarian", accessibility="Wheelchair"
    )

    assert response.status_code == 302 and response["Location"].endswith("?saved=1")
    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.ACCEPTED and attendance.rsvp_at is not None
    assert (attendance.guests, attendance.dietary, attendance.accessibility) == (
        2,
        "Vegetarian",
        "Wheelchair",
    )
    assert attendance.history.first().history_change_reason == "RSVP accepted"
    page = client.get(response["Location"]).content.decode()
    assert "Thank you. Your answer is recorded: Accepted." in page


def test_rsvp_latest_answer_wins_and_the_next_invite_carries_it(client):
    attendance = _attendance()

    _answer(client, attendance, "accepted")
    _answer(client, attendance, "declined")

    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.DECLINED
    ics = invite_calendar(
        event=attendance.event,
        person=attendance.person,
        attendance=attendance,
        method="REQUEST",
        sequence=attendance.event.sequence,
    ).to_ical()
    assert b"PARTSTAT=DECLINED" in ics


def test_rsvp_answer_shows_in_the_back_office(client, officer):
    attendance = _attendance(person__name="Dr Alice Lam")
    _answer(client, attendance, "tentative")
    staff = Client()
    staff.force_login(officer)

    listing = staff.get(
        reverse("admin:visitors_attendance_changelist"), {"event__id__exact": attendance.event_id}
    )
    change = staff.get(reverse("admin:visitors_attendance_change", args=[attendance.pk]))

    (row,) = listing.context["cl"].result_list
    assert row.pk == attendance.pk and row.rsvp == Attendance.RSVP.TENTATIVE
    assert "Tentative" in listing.content.decode()
    assert 'value="tentative" selected' in change.content.decode()
    assert attendance.history.first().history_change_reason == "RSVP tentative"


def test_rsvp_post_without_an_answer_shows_the_form_again_and_records_nothing(client):
    attendance = _attendance()

    response = client.post(_path(attendance), {"guests": 1})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None and attendance.guests == 0


def test_rsvp_post_needs_the_csrf_token():
    attendance = _attendance()
    browser = Client(enforce_csrf_checks=True)

    refused = browser.post(_path(attendance), {"answer": "accepted", "guests": 0})
    page = browser.get(_path(attendance)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    accepted = browser.post(
        _path(attendance), {"answer": "accepted", "guests": 0, "csrfmiddlewaretoken": token}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 302
    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.ACCEPTED


def _refused(response, status: int, words: str) -> None:
    page = response.content.decode()
    assert response.status_code == status
    assert "This reply link cannot be used" in page
    assert words in page
    assert "Nothing has been recorded" in page


def test_rsvp_tampered_link_is_refused_with_a_clear_page(client):
    attendance = _attendance()
    path = _path(attendance)
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]

    get = client.get(tampered)
    post = client.post(tampered, {"answer": "accepted", "guests": 0})

    _refused(get, 400, "not valid")
    _refused(post, 400, "not valid")
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None


def test_rsvp_expired_link_is_refused(client, settings, monkeypatch):
    settings.RSVP_LINK_MAX_AGE_DAYS = 120
    attendance = _attendance()
    sent = time.time() - dt.timedelta(days=121).total_seconds()
    with monkeypatch.context() as patch:
        patch.setattr("django.core.signing.time.time", lambda: sent)
        old_link = _path(attendance)
    fresh_link = _path(attendance)

    response = client.post(old_link, {"answer": "accepted", "guests": 0})

    _refused(response, 410, "expired")
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None
    assert client.get(fresh_link).status_code == 200


def test_rsvp_revoked_links_are_refused_and_new_ones_work(client):
    attendance = _attendance()
    old_link = _path(attendance)

    attendance = services.rsvp_links_revoke(attendance_id=attendance.pk)
    response = client.post(old_link, {"answer": "accepted", "guests": 0})

    _refused(response, 410, "no longer valid")
    assert attendance.rsvp_token_version == 2
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None
    assert _answer(client, attendance).status_code == 302


def test_rsvp_link_of_someone_removed_is_refused(client):
    attendance = _attendance()
    link = _path(attendance)
    services.attendance_remove(attendance_id=attendance.pk)

    _refused(client.get(link), 410, "no longer valid")


def test_rsvp_link_answers_only_for_its_own_attendee(client):
    mine = _attendance()
    theirs = AttendanceFactory(event=mine.event)
    # Their id with my timestamp and signature.
    _payload, signature = _path(mine).split("/")[2].split(":", 1)
    their_payload = _path(theirs).split("/")[2].split(":", 1)[0]
    forged = f"/rsvp/{their_payload}:{signature}/"

    client.post(
        _path(mine),
        {"answer": "declined", "guests": 0, "attendance": theirs.pk, "person": theirs.person_id},
    )
    forged_response = client.post(forged, {"answer": "accepted", "guests": 0})

    assert forged_response.status_code == 400
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.rsvp == Attendance.RSVP.DECLINED
    assert theirs.rsvp == Attendance.RSVP.NEEDS_ACTION and theirs.rsvp_at is None


def test_rsvp_page_escapes_markup_in_titles_and_names(client):
    attendance = _attendance(person__name="<script>alert('name')</script>")
    attendance.event.title = "<script>alert('title')</script>"
    attendance.event.save()

    page = client.get(_path(attendance)).content.decode()

    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in page


def test_rsvp_cancelled_event_says_so_and_takes_no_answer(client):
    attendance = _attendance()
    link = _path(attendance)
    attendance.event.status = Event.Status.CANCELLED
    attendance.event.save()

    page = client.get(link).content.decode()
    response = client.post(link, {"answer": "accepted", "guests": 0})

    assert "This event has been cancelled." in page
    assert page.count("<form") == 1 and "language-switch" in page  # the language switch alone
    assert response.status_code == 409
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None


def test_rsvp_record_refuses_answers_for_a_cancelled_event():
    attendance = _attendance()
    attendance.event.status = Event.Status.CANCELLED
    attendance.event.save()

    with pytest.raises(services.ValidationError) as error:
        services.rsvp_record(attendance_id=attendance.pk, answer="accepted")

    assert "rsvp" in error.value.message_dict
    attendance.refresh_from_db()
    assert attendance.rsvp_at is None


def test_rsvp_links_revoke_raises_the_version_and_records_why():
    attendance = _attendance()

    services.rsvp_links_revoke(attendance_id=attendance.pk)

    attendance.refresh_from_db()
    assert attendance.rsvp_token_version == 2
    assert attendance.history.first().history_change_reason == "RSVP links revoked"
