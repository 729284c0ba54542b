"""The media and an event under embargo: staff confirm, the confirmation is recorded, partners
are refused, and nobody else is asked anything (issue 16)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from scheduling import services
from tests.factories import OrganisationFactory, PersonFactory, event_created
from visitors import services as visitor_services
from visitors.models import Attendance

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit():
    """A restricted visit under embargo for a day, hosted by the park."""
    return event_created(
        title="The Secretary's visit",
        visibility="restricted",
        host_organisation=OrganisationFactory(),
        release_at=timezone.now() + dt.timedelta(days=1),
        release_visibility="public",
    )


@pytest.fixture
def reporter():
    return PersonFactory(name="Ming Pao reporter", organisation=OrganisationFactory(kind="media"))


def _code(refused: pytest.ExceptionInfo, field: str) -> str:
    return refused.value.error_dict[field][0].code


def test_adding_someone_of_a_media_organisation_asks_staff_to_confirm(visit, reporter, officer):
    with pytest.raises(ValidationError) as refused:
        visitor_services.attendance_add(event_id=visit.pk, person_id=reporter.pk, by=officer)

    assert _code(refused, "confirmed_embargo") == "embargo_media"
    assert "Ming Pao reporter" in str(refused.value)
    assert not Attendance.objects.exists()


def test_a_confirmed_media_attendee_is_added_and_the_confirmation_recorded(
    visit, reporter, officer
):
    attendance = visitor_services.attendance_add(
        event_id=visit.pk, person_id=reporter.pk, by=officer, confirmed_embargo=True
    )

    record = attendance.history.get()
    assert record.history_user == officer
    assert record.history_change_reason == (
        "Added to attendee list; Media before the embargo ends, confirmed"
    )
    assert record.history_date <= timezone.now()


def test_the_media_role_asks_too_in_a_list_added_at_once(visit, officer):
    guest, press = PersonFactory(), PersonFactory()

    with pytest.raises(ValidationError) as refused:
        visitor_services.attendances_add(
            event_id=visit.pk, person_ids=[guest.pk, press.pk], role="media", by=officer
        )
    visitor_services.attendances_add(event_id=visit.pk, person_ids=[guest.pk], by=officer)
    added, _ = visitor_services.attendances_add(
        event_id=visit.pk, person_ids=[press.pk], role="media", by=officer, confirmed_embargo=True
    )

    assert _code(refused, "confirmed_embargo") == "embargo_media"
    reasons = {
        a.person_id: a.history.get().history_change_reason
        for a in Attendance.objects.filter(event=visit)
    }
    assert reasons == {
        guest.pk: "Added to attendee list",
        press.pk: "Added to attendee list; Media before the embargo ends, confirmed",
    }
    assert [a.person_id for a in added] == [press.pk]


def test_making_an_attendee_the_media_asks_staff_to_confirm(visit, officer):
    attendance = visitor_services.attendance_add(
        event_id=visit.pk, person_id=PersonFactory().pk, by=officer
    )

    with pytest.raises(ValidationError) as refused:
        visitor_services.attendance_update(attendance_id=attendance.pk, role="media", by=officer)
    visitor_services.attendance_update(
        attendance_id=attendance.pk, role="media", by=officer, confirmed_embargo=True
    )

    assert _code(refused, "confirmed_embargo") == "embargo_media"
    attendance.refresh_from_db()
    assert attendance.role == "media"
    assert attendance.history.first().history_change_reason == (
        "Updated: role; Media before the embargo ends, confirmed"
    )


def test_nobody_else_is_asked_and_the_media_are_not_after_the_release(visit, reporter, officer):
    guest = visitor_services.attendance_add(
        event_id=visit.pk, person_id=PersonFactory().pk, by=officer
    )
    services.event_release(event_id=visit.pk, by=officer)

    after = visitor_services.attendance_add(event_id=visit.pk, person_id=reporter.pk, by=officer)

    assert guest.history.get().history_change_reason == "Added to attendee list"
    assert after.history.get().history_change_reason == "Added to attendee list"


def test_the_staff_page_asks_for_the_confirmation_beside_the_form(client, officer, visit, reporter):
    client.force_login(officer)
    url = reverse("staff:attendee-add", args=[visit.pk])
    form = {"person": reporter.email, "role": "guest", "guests": "0"}

    asked = client.post(url, form)
    confirmed = client.post(url, {**form, "confirmed_embargo": "on"})

    page = asked.content.decode()
    assert asked.status_code == 400
    assert 'name="confirmed_embargo"' in page
    assert "may be told of it before then" in page
    assert confirmed.status_code == 302
    assert Attendance.objects.get(event=visit).person == reporter
    embargo = client.get(reverse("staff:event", args=[visit.pk])).content.decode()
    assert 'id="event-embargo"' in embargo
