"""Back office for people and attendance: precedence order, search, saves through services."""

import pytest
from django.urls import reverse

from scheduling.models import Event
from tests.factories import (
    AttendanceFactory,
    EventFactory,
    OrganisationFactory,
    PersonFactory,
    hk,
)
from tests.scheduling.test_admin import form_data, messages_of, split
from visitors.models import Attendance, Organisation, Person


def attendance_add_data(event: Event, person: Person, **changes) -> dict:
    return {
        "event": event.pk,
        "person": person.pk,
        "role": Attendance.Role.GUEST,
        "rsvp": Attendance.RSVP.NEEDS_ACTION,
        "guests": "0",
        "call_time_0": "",
        "call_time_1": "",
        "notes": "",
        "order_override": "",
        **changes,
    }


def test_person_list_is_in_order_of_precedence(client, officer):
    unranked = PersonFactory(name="Aaron Unranked")
    second = PersonFactory(name="Alfred Sit", precedence_rank=2)
    first = PersonFactory(name="Sun Dong", name_zh="孫東", precedence_rank=1)
    client.force_login(officer)

    response = client.get(reverse("admin:visitors_person_changelist"))

    assert list(response.context["cl"].result_list) == [first, second, unranked]


def test_person_search_finds_chinese_name_email_and_post(client, officer):
    sun = PersonFactory(
        name="Sun Dong", name_zh="孫東", email="sun@itib.gov.hk", post="Secretary for I&T"
    )
    PersonFactory(name="Someone else")
    client.force_login(officer)
    url = reverse("admin:visitors_person_changelist")

    found = [
        list(client.get(url, {"q": query}).context["cl"].result_list)
        for query in ("孫東", "sun@itib", "Secretary for")
    ]

    assert found == [[sun], [sun], [sun]]


def test_person_list_filters_by_organisation_kind(client, officer):
    official = PersonFactory(
        organisation=OrganisationFactory(kind=Organisation.Kind.GOVERNMENT), name="Official"
    )
    PersonFactory(organisation=OrganisationFactory(kind=Organisation.Kind.MEDIA), name="Reporter")
    client.force_login(officer)

    response = client.get(
        reverse("admin:visitors_person_changelist"), {"organisation__kind": "government"}
    )

    assert list(response.context["cl"].result_list) == [official]


def test_person_pages_escape_markup_and_keep_chinese(client, officer):
    person = PersonFactory(name="<script>alert('p')</script>", name_zh="潘婷婷")
    client.force_login(officer)

    listing = client.get(reverse("admin:visitors_person_changelist")).content.decode()
    change = client.get(reverse("admin:visitors_person_change", args=[person.pk]))

    assert "<script>alert" not in listing
    assert "&lt;script&gt;alert(&#x27;p&#x27;)&lt;/script&gt; (潘婷婷)" in listing
    assert change.status_code == 200
    assert "潘婷婷" in change.content.decode()


def test_person_with_a_taken_email_is_a_form_error(client, officer):
    PersonFactory(email="annie.choi@example.org")
    client.force_login(officer)
    data = {
        "honorific": "Ms",
        "name": "Annie Choi",
        "name_zh": "蔡淑嫻",
        "post_nominals": "",
        "precedence_rank": "",
        "post": "",
        "organisation": "",
        "email": "Annie.Choi@example.org",
        "phone": "",
        "languages": "",
        "dietary": "",
        "accessibility": "",
        "notes": "",
        "proposed_by": "",
    }

    response = client.post(reverse("admin:visitors_person_add"), data)

    assert response.status_code == 200
    assert "Another person already has this e-mail address." in response.content.decode()
    assert Person.objects.count() == 1


def test_attendance_add_goes_through_the_service(client, officer):
    event = EventFactory()
    person = PersonFactory()
    client.force_login(officer)

    response = client.post(
        reverse("admin:visitors_attendance_add"),
        attendance_add_data(event, person, role=Attendance.Role.SPEAKER, guests="2"),
    )

    assert response.status_code == 302
    attendance = Attendance.objects.get()
    assert (attendance.event, attendance.person, attendance.role, attendance.guests) == (
        event,
        person,
        "speaker",
        2,
    )
    record = attendance.history.get()
    assert (record.history_user, record.history_change_reason) == (
        officer,
        "Added to attendee list",
    )


def test_attendance_add_to_a_cancelled_event_is_a_form_error(client, officer):
    event = EventFactory(status=Event.Status.CANCELLED)
    client.force_login(officer)

    response = client.post(
        reverse("admin:visitors_attendance_add"), attendance_add_data(event, PersonFactory())
    )

    assert response.status_code == 200
    assert "The event is cancelled; its list is closed." in response.content.decode()
    assert not Attendance.objects.exists()


def test_attendance_added_twice_is_a_form_error(client, officer):
    existing = AttendanceFactory()
    client.force_login(officer)

    response = client.post(
        reverse("admin:visitors_attendance_add"),
        attendance_add_data(existing.event, existing.person),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Attendance.objects.count() == 1


def test_attendance_rsvp_change_is_recorded_by_the_service(client, officer):
    attendance = AttendanceFactory()
    client.force_login(officer)
    url = reverse("admin:visitors_attendance_change", args=[attendance.pk])
    data = form_data(client.get(url))
    data.update(rsvp=Attendance.RSVP.ACCEPTED, **split("call_time", hk(2030, 3, 4, 9, 30)))

    response = client.post(url, data)

    assert response.status_code == 302
    attendance.refresh_from_db()
    assert attendance.rsvp == Attendance.RSVP.ACCEPTED
    assert attendance.rsvp_at is not None
    assert attendance.call_time == hk(2030, 3, 4, 9, 30)
    reasons = [record.history_change_reason for record in attendance.history.all()]
    assert reasons[:2] == ["RSVP accepted", "Updated: call_time"]
    assert {record.history_user for record in attendance.history.all()[:2]} == {officer}


def test_attendance_delete_goes_through_the_service(client, officer):
    attendance = AttendanceFactory()
    client.force_login(officer)

    response = client.post(
        reverse("admin:visitors_attendance_delete", args=[attendance.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Attendance.objects.exists()
    removed = Attendance.history.filter(id=attendance.pk).first()
    assert (removed.history_type, removed.history_user, removed.history_change_reason) == (
        "-",
        officer,
        "Removed from attendee list",
    )


def test_attendance_delete_refused_by_the_service_is_a_message(client, officer):
    attendance = AttendanceFactory(event=EventFactory(status=Event.Status.COMPLETED))
    client.force_login(officer)

    response = client.post(
        reverse("admin:visitors_attendance_delete", args=[attendance.pk]),
        {"post": "yes"},
        follow=True,
    )

    assert response.status_code == 200
    assert messages_of(response) == ["The event is completed; its list is closed."]
    assert Attendance.objects.filter(pk=attendance.pk).exists()


def test_attendance_check_in_action_marks_arrival_once(client, officer):
    attendance = AttendanceFactory()
    client.force_login(officer)
    url = reverse("admin:visitors_attendance_changelist")

    response = client.post(
        url, {"action": "check_in", "_selected_action": [attendance.pk]}, follow=True
    )

    attendance.refresh_from_db()
    assert attendance.checked_in_at is not None
    assert messages_of(response) == ["1 checked in."]
    assert attendance.history.first().history_user == officer


def test_attendance_change_log_shows_who_changed_the_list(client, officer):
    attendance = AttendanceFactory(person=PersonFactory(name="Sunny Chai", name_zh="查毅超"))
    client.force_login(officer)
    url = reverse("admin:visitors_attendance_change", args=[attendance.pk])
    data = form_data(client.get(url))
    data.update(role=Attendance.Role.OFFICIATING_GUEST)
    client.post(url, data)

    log = client.get(reverse("admin:visitors_historicalattendance_changelist"), {"q": "查毅超"})

    page = log.content.decode()
    assert "Role: Guest → Officiating guest" in page
    assert "officer" in page


@pytest.mark.parametrize("kind", ["changelist", "add"])
def test_viewer_may_look_at_people_but_not_add_them(client, viewer, kind):
    client.force_login(viewer)

    response = client.get(reverse(f"admin:visitors_person_{kind}"))

    assert response.status_code == (200 if kind == "changelist" else 403)


def test_staff_merge_a_partner_nomination_in_the_back_office(client, officer):
    partner = OrganisationFactory()
    on_file = PersonFactory(name="Sun Dong", email="sun@gov.example")
    event = EventFactory()
    nominee = PersonFactory(name="S. Dong", email="SUN@gov.example", proposed_by=partner)
    attendance = AttendanceFactory(event=event, person=nominee, proposed_by=partner)
    unmatched = PersonFactory(email="nobody@x.example", proposed_by=partner)
    client.force_login(officer)

    response = client.post(
        reverse("admin:visitors_person_changelist"),
        {"action": "merge_nominations", "_selected_action": [nominee.pk, unmatched.pk]},
        follow=True,
    )

    attendance.refresh_from_db()
    assert attendance.person == on_file
    assert not Person.objects.filter(pk=nominee.pk).exists()
    assert Person.objects.filter(pk=unmatched.pk).exists()
    assert any("is now" in m for m in messages_of(response))
    assert any("no single person on file" in m for m in messages_of(response))


def test_staff_approve_invites_a_partner_added_in_the_back_office(
    client, officer, django_capture_on_commit_callbacks
):
    from django.core import mail

    from visitors.models import Delivery

    event = EventFactory(status=Event.Status.CONFIRMED)
    attendance = AttendanceFactory(event=event, awaiting_approval=True)
    Delivery.objects.create(
        event=event,
        person=attendance.person,
        attendance=attendance,
        method=Delivery.Method.REQUEST,
        sequence=event.sequence,
        state=Delivery.State.HELD,
        next_attempt_at=event.start,
    )
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:visitors_attendance_changelist"),
            {"action": "approve_invites", "_selected_action": [attendance.pk]},
            follow=True,
        )

    attendance.refresh_from_db()
    assert not attendance.awaiting_approval and attendance.invite_approved_by == officer
    assert messages_of(response) == ["1 approved; 1 messages queued."]
    assert [m.to[0] for m in mail.outbox] == [
        f'"{attendance.person.display_name}" <{attendance.person.email}>'
    ]


def test_attendance_place_in_the_order_is_saved_by_the_service(client, officer):
    attendance = AttendanceFactory()
    client.force_login(officer)
    url = reverse("admin:visitors_attendance_change", args=[attendance.pk])
    data = form_data(client.get(url))
    data.update(order_override="2")

    response = client.post(url, data)
    log = client.get(reverse("admin:visitors_historicalattendance_changelist"))

    assert response.status_code == 302
    attendance.refresh_from_db()
    assert attendance.order_override == 2
    record = attendance.history.first()
    assert (record.history_user, record.history_change_reason) == (
        officer,
        "Placed in the order of precedence: 2",
    )
    page = log.content.decode()
    assert "Place in order: " in page and " → 2" in page
    assert "Placed in the order of precedence: 2" in page


def test_attendee_inline_reorders_the_event_through_the_service(client, officer):
    event = EventFactory()
    senior = AttendanceFactory(event=event, person=PersonFactory(name="Sun", precedence_rank=1))
    escort = AttendanceFactory(
        event=event, role=Attendance.Role.ESCORT, person=PersonFactory(name="Wong")
    )
    client.force_login(officer)
    url = reverse("admin:scheduling_event_change", args=[event.pk])
    data = form_data(client.get(url))
    assert data["attendances-1-id"] == escort.pk
    data["attendances-1-order_override"] = "1"

    response = client.post(url, data)
    page = client.get(url)

    assert response.status_code == 302
    inline = next(
        formset
        for formset in page.context["inline_admin_formsets"]
        if formset.formset.model is Attendance
    )
    assert [form.instance for form in inline.formset.forms] == [escort, senior]
    assert escort.history.first().history_change_reason == "Placed in the order of precedence: 1"
    assert senior.history.count() == 1  # the row left alone was not saved again


def test_attendance_added_with_a_place_keeps_it(client, officer):
    event = EventFactory()
    senior = AttendanceFactory(event=event, person=PersonFactory(precedence_rank=1))
    client.force_login(officer)

    response = client.post(
        reverse("admin:visitors_attendance_add"),
        attendance_add_data(event, PersonFactory(), order_override="1"),
    )

    assert response.status_code == 302
    added = Attendance.objects.exclude(pk=senior.pk).get()
    assert added.order_override == 1
    assert list(event.attendances.in_precedence_order()) == [added, senior]


def test_attendance_place_before_1_is_a_form_error(client, officer):
    attendance = AttendanceFactory()
    client.force_login(officer)
    url = reverse("admin:visitors_attendance_change", args=[attendance.pk])
    data = form_data(client.get(url))
    data.update(order_override="0")

    response = client.post(url, data)

    assert response.status_code == 200
    assert "order_override" in response.context["adminform"].form.errors
    attendance.refresh_from_db()
    assert attendance.order_override is None
