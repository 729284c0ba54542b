"""The invitation console: the exact message each attendee would get, what changed, send, resend."""

import re
from html import unescape

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from scheduling import services as scheduling_services
from scheduling.models import Booking, Event
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    PersonFactory,
    hk,
)
from visitors.models import Attendance, Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    hall = FacilityFactory(name="MARS Hall", name_zh="火星廳")
    event = EventFactory(
        title="MARS Centre opening",
        site=hall.site,
        status=Event.Status.CONFIRMED,
        start=hk(2030, 3, 4, 10),
        end=hk(2030, 3, 4, 12),
    )
    BookingFactory(event=event, facility=hall, status=Booking.Status.CONFIRMED)
    AttendanceFactory(event=event, person__name="Alfred Sit", person__name_zh="薛永恒")
    AttendanceFactory(event=event, person__name="Rebecca Pun")
    return event


def _console(client, event, attendance=None) -> str:
    url = reverse("staff:invitations", args=[event.pk])
    response = client.get(url, {"attendee": attendance.pk} if attendance else {})
    assert response.status_code == 200
    return response.content.decode()


def _send(client, event, **data):
    return client.post(reverse("staff:invitations-send", args=[event.pk]), data, follow=True)


def _field(page: str, element_id: str) -> str:
    return unescape(re.search(rf'id="{element_id}">(.*?)</(?:dd|pre)>', page, re.S)[1])


def test_preview_is_the_message_that_would_be_sent(
    client, officer, event, django_capture_on_commit_callbacks
):
    alfred = event.attendances.get(person__name="Alfred Sit")
    client.force_login(officer)

    page = _console(client, event, alfred)

    assert _field(page, "preview-subject") == "Invitation: MARS Centre opening"
    assert _field(page, "preview-to") == f'"Ms Alfred Sit (薛永恒)" <{alfred.person.email}>'
    calendar = _field(page, "preview-calendar")
    assert "Monday 4 March 2030, 10:00 – 12:00 (Asia/Hong_Kong)" in calendar
    assert "MARS Hall (火星廳)" in calendar
    assert "No invite has been sent to them yet" in page
    assert 'sandbox srcdoc="&lt;' in page  # the HTML body, escaped into the attribute
    text = _field(page, "preview-text")
    with django_capture_on_commit_callbacks(execute=True):
        _send(client, event)
    [sent] = [m for m in mail.outbox if alfred.person.email in m.to[0]]
    assert sent.subject == "Invitation: MARS Centre opening"
    # The same text, but for the signed links (signed again, with a new timestamp).
    links = re.compile(r"/rsvp/[^/]+/")
    assert links.sub("/rsvp/…/", sent.body) == links.sub("/rsvp/…/", text)
    ics = next(c for c, mimetype in sent.alternatives if mimetype.startswith("text/calendar"))
    vevent = next(iter(Calendar.from_ical(ics).walk("VEVENT")))
    assert vevent["DTSTART"].dt == hk(2030, 3, 4, 10)
    assert "MARS Hall (火星廳)" in str(vevent["LOCATION"])


def test_send_queues_and_the_console_shows_the_state(
    client, officer, event, django_capture_on_commit_callbacks
):
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = _send(client, event)

    assert "2 invites queued." in response.content.decode()
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENT}
    assert len(mail.outbox) == 2
    assert _console(client, event).count('<span class="badge sent">Sent</span>') == 2
    again = _send(client, event)
    assert "Nothing new to send" in again.content.decode()


def test_send_is_refused_for_an_event_that_is_not_confirmed(client, officer, event):
    Event.objects.filter(pk=event.pk).update(status=Event.Status.TENTATIVE)
    client.force_login(officer)

    response = _send(client, event)

    assert "Invites go out for confirmed events only" in response.content.decode()
    assert not Delivery.objects.exists()


def test_send_to_one_attendee_only(client, officer, event):
    rebecca = event.attendances.get(person__name="Rebecca Pun")
    client.force_login(officer)

    _send(client, event, attendance=rebecca.pk)

    assert list(Delivery.objects.values_list("person_id", flat=True)) == [rebecca.person_id]


def test_preview_of_an_update_says_what_changed_since_the_last_invite(
    client, officer, event, django_capture_on_commit_callbacks
):
    alfred = event.attendances.get(person__name="Alfred Sit")
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        _send(client, event)
    scheduling_services.event_reschedule(
        event_id=event.pk, start=hk(2030, 3, 5, 14), end=hk(2030, 3, 5, 16)
    )
    event.refresh_from_db()

    page = _console(client, event, alfred)

    assert _field(page, "preview-subject") == "Updated invitation: MARS Centre opening"
    assert "Last sent: version 1" in page
    changes = re.search(r'<table class="data" id="preview-changes">.*?</table>', page, re.S)[0]
    assert (
        '<th scope="row">Start</th><td><del>Mon 4 Mar 2030, 10:00 (HKT, Asia/Hong_Kong)' in changes
    )
    assert "<ins>Tue 5 Mar 2030, 14:00 (HKT, Asia/Hong_Kong)</ins>" in changes
    assert "Title" not in changes
    assert "Tuesday 5 March 2030, 14:00 – 16:00" in _field(page, "preview-calendar")


def test_preview_says_the_venue_changed_since_the_message_was_sent(
    client, officer, event, django_capture_on_commit_callbacks
):
    alfred = event.attendances.get(person__name="Alfred Sit")
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        _send(client, event)
    sent = Delivery.objects.get(event=event, person=alfred.person)
    lab = FacilityFactory(site=event.site, name="Innovation Lab")
    booking = event.bookings.get()
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.booking_move(
            booking_id=booking.pk, start=booking.start, end=booking.end, facility_id=lab.pk
        )

    page = _console(client, event, alfred)

    changes = re.search(r'<table class="data" id="preview-changes">.*?</table>', page, re.S)[0]
    assert sent.venue.startswith("MARS Hall (火星廳)")
    assert '<th scope="row">Venue</th>' in changes
    assert "<del>MARS Hall (火星廳)" in changes and "<ins>Innovation Lab" in changes


def test_resend_queues_a_failed_message_again(
    client, officer, event, django_capture_on_commit_callbacks
):
    rebecca = event.attendances.get(person__name="Rebecca Pun")
    failed = Delivery.objects.create(
        event=event,
        person=rebecca.person,
        attendance=rebecca,
        method=Delivery.Method.REQUEST,
        sequence=event.sequence,
        state=Delivery.State.FAILED,
        attempts=6,
        next_attempt_at=timezone.now(),
        last_error="550 mailbox unavailable",
    )
    client.force_login(officer)
    page = _console(client, event)
    assert "550 mailbox unavailable" in page
    assert f'action="{reverse("staff:delivery-resend", args=[failed.pk])}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staff:delivery-resend", args=[failed.pk]), follow=True)

    failed.refresh_from_db()
    assert failed.state == Delivery.State.SENT
    assert "is queued again" in response.content.decode()
    assert [m.to[0] for m in mail.outbox] == [f'"Ms Rebecca Pun" <{rebecca.person.email}>']


def test_preview_says_when_nothing_would_be_sent(client, officer, event):
    nobody = AttendanceFactory(event=event, person__name="No Mail", person__email="")
    client.force_login(officer)

    page = _console(client, event, nobody)

    assert "Nothing would be sent:" in page and "has no e-mail address" in page


def test_the_console_holds_a_partners_invites_until_a_staff_member_approves(
    client, officer, event, django_capture_on_commit_callbacks
):
    from tests.factories import OrganisationFactory
    from visitors import services as visitor_services

    partner = OrganisationFactory(name="Koln 3D Technology")
    proposed = visitor_services.attendance_propose(
        event_id=event.pk, partner_id=partner.pk, name="Anyone", email="anyone@elsewhere.example"
    )
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        sent = _send(client, event)
    page = _console(client, event)

    staff_listed = event.attendances.exclude(pk=proposed.pk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f'"{a.person.display_name}" <{a.person.email}>' for a in staff_listed
    )
    assert "1 invite waits for your approval below." in sent.content.decode()
    assert "Awaiting your approval" in page and "added by Koln 3D Technology" in page

    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(
            reverse("staff:invitations-approve", args=[event.pk]),
            {"attendance": [proposed.pk]},
            follow=True,
        )

    assert "Approved. 1 message queued." in approved.content.decode()
    assert mail.outbox[-1].to == ['"Anyone" <anyone@elsewhere.example>']
    assert "Awaiting your approval" not in _console(client, event)
    proposed.refresh_from_db()
    assert proposed.invite_approved_by == officer


def test_the_console_shows_progress_and_an_estimated_finish(
    client, officer, event, settings, django_capture_on_commit_callbacks
):
    from visitors.progress import send_progress

    settings.INVITE_RATE_PER_MINUTE = 30
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=False):
        _send(client, event)  # queued; no worker has sent them yet
    first = Delivery.objects.filter(event=event).order_by("pk").first()
    Delivery.objects.filter(pk=first.pk).update(state=Delivery.State.SENT, sent_at=timezone.now())

    page = _console(client, event)
    polled = client.get(reverse("staff:invitations-progress", args=[event.pk])).json()
    progress = send_progress(event_id=event.pk)

    assert (progress.sent, progress.waiting, progress.total) == (1, 1, 2)
    assert progress.finish is not None  # one more at 30 a minute: about two seconds
    assert "1 of 2 sent; the rest by about" in page
    assert polled["text"].startswith("1 of 2 sent; the rest by about")
    assert (polled["sent"], polled["waiting"]) == (1, 1)
    assert 'src="/static/staff/progress.js"' in page


def _progress(client, event) -> dict:
    return client.get(reverse("staff:invitations-progress", args=[event.pk])).json()


def test_the_console_speaks_in_words_not_calendar_jargon(client, officer, event):
    rebecca = event.attendances.get(person__name="Rebecca Pun")
    Delivery.objects.create(
        event=event,
        person=rebecca.person,
        attendance=rebecca,
        method=Delivery.Method.REQUEST,
        sequence=event.sequence,
        state=Delivery.State.FAILED,
        next_attempt_at=timezone.now(),
        last_error="550 mailbox unavailable",
    )
    client.force_login(officer)

    sent = _send(client, event).content.decode()
    page = _console(client, event, rebecca)

    for shown in (sent, page):
        assert "SEQUENCE" not in shown
        assert "#0" not in re.sub(r'srcdoc="[^"]*"', "", shown)  # colours in the e-mail's HTML
        assert "(s)" not in shown
    assert "1 invite queued." in sent
    assert "invite, version 1" in page  # the outbox row in the list, in words
    assert "Resend the failed invite to Ms Rebecca Pun" in page
    assert "Invitation, version 1" in page  # the preview's calendar entry


def test_the_progress_endpoint_counts_messages_as_they_change_state(
    client, officer, event, django_capture_on_commit_callbacks
):
    from tests.factories import OrganisationFactory
    from visitors import services as visitor_services

    visitor_services.attendance_propose(
        event_id=event.pk,
        partner_id=OrganisationFactory().pk,
        name="Anyone",
        email="anyone@elsewhere.example",
    )
    client.force_login(officer)
    before = _progress(client, event)
    with django_capture_on_commit_callbacks(execute=False):
        _send(client, event)  # queued; no worker has sent them yet
    queued = _progress(client, event)
    alfred, rebecca = Delivery.objects.exclude(state=Delivery.State.HELD).order_by("pk")

    Delivery.objects.filter(pk=alfred.pk).update(state=Delivery.State.SENT, sent_at=timezone.now())
    one_sent = _progress(client, event)
    Delivery.objects.filter(pk=rebecca.pk).update(state=Delivery.State.FAILED)
    done = _progress(client, event)

    def counts(progress):
        return [progress[k] for k in ("waiting", "sent", "failed", "held", "total")]

    assert counts(before) == [0, 0, 0, 0, 0] and before["text"] == "Nothing sent yet."
    assert counts(queued) == [2, 0, 0, 1, 2]
    assert counts(one_sent) == [1, 1, 0, 1, 2]
    assert counts(done) == [0, 1, 1, 1, 2]
    assert done["text"] == "1 of 2 sent, 1 failed; 1 awaiting approval."
    assert done["finish"] is None


def test_the_console_shows_the_counts_in_words(client, officer, event):
    alfred = event.attendances.get(person__name="Alfred Sit")
    for state in (Delivery.State.SENT, Delivery.State.QUEUED):
        Delivery.objects.create(
            event=event,
            person=alfred.person if state == Delivery.State.SENT else PersonFactory(),
            method=Delivery.Method.REQUEST,
            sequence=event.sequence,
            state=state,
            next_attempt_at=timezone.now(),
        )
    client.force_login(officer)

    page = _console(client, event)

    counts = re.search(r'<dl class="[^"]*" id="send-counts">.*?</dl>', page, re.S)[0]
    shown = dict(re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(\d+)</dd>", counts))
    assert shown == {
        "Waiting to be sent": "1",
        "Sent": "1",
        "Failed": "0",
        "Held for approval": "0",
    }
    assert 'data-waiting="1"' in page  # the page's script polls while any wait


def test_a_plain_send_leaves_out_who_declined_and_staff_may_include_them(
    client, officer, event, django_capture_on_commit_callbacks
):
    rebecca = event.attendances.get(person__name="Rebecca Pun")
    Attendance.objects.filter(pk=rebecca.pk).update(rsvp=Attendance.RSVP.DECLINED)
    client.force_login(officer)
    page = _console(client, event)
    form = re.search(r'<form [^>]*id="send-form">.*?</form>', page, re.S)[0]

    with django_capture_on_commit_callbacks(execute=True):
        plain = _send(client, event)
    with django_capture_on_commit_callbacks(execute=True):
        chosen = _send(client, event, include_declined=[rebecca.pk])

    assert f'name="include_declined" value="{rebecca.pk}"' in form
    assert "checked" not in form  # nobody who declined is included unless staff tick them
    assert "Rebecca Pun" in form and "declined" in form
    assert "1 invite queued." in plain.content.decode()
    alfred = event.attendances.get(person__name="Alfred Sit")
    assert [m.to[0] for m in mail.outbox] == [
        f'"Ms Alfred Sit (薛永恒)" <{alfred.person.email}>',
        f'"Ms Rebecca Pun" <{rebecca.person.email}>',
    ]
    assert "1 invite queued." in chosen.content.decode()


def test_nothing_to_send_names_who_declined_as_left_out(client, officer, event):
    Attendance.objects.filter(event=event).update(rsvp=Attendance.RSVP.DECLINED)
    client.force_login(officer)

    page = _send(client, event).content.decode()

    assert not Delivery.objects.exists()
    assert "Nothing new to send: those who declined are left out unless you tick them." in page
