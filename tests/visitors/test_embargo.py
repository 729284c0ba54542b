"""The media and an event under embargo: staff confirm, the confirmation is recorded, partners
are refused, and nobody else is asked anything (issue 16)."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from desk.forms_event import EMBARGO_CONFIRM
from scheduling import services
from tests.factories import OrganisationFactory, PersonFactory, event_created
from tests.spreadsheets import csv_bytes
from visitors import services as visitor_services
from visitors.imports import services as import_services
from visitors.imports.rows import ImportRow
from visitors.models import Attendance, ImportBatch, Person

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


PRESS_LIST = [
    ["Name", "Organisation", "E-mail", "Role"],
    ["Ming Pao reporter", "Ming Pao", "reporter@mingpao.example", "Guest"],  # on file: the media
    ["Freelance Writer", "", "writer@example.org", "Media"],  # new, in the role of the media
    ["Desk Editor", "Ming Pao", "editor@mingpao.example", "Guest"],  # new, of a media organisation
    ["A Guest", "", "guest@example.org", "Guest"],
]


@pytest.fixture
def ming_pao(reporter):
    reporter.organisation.name = "Ming Pao"
    reporter.organisation.save()
    reporter.email = "reporter@mingpao.example"
    reporter.save()
    return reporter.organisation


def _import_preview(client, event) -> str:
    upload = SimpleUploadedFile("press.csv", csv_bytes(PRESS_LIST), "text/csv")
    uploaded = client.post(reverse("staff:attendees-import", args=[event.pk]), {"file": upload})
    assert uploaded.status_code == 302
    return uploaded["Location"]


def _said(answer) -> list[str]:
    return [str(message) for message in get_messages(answer.wsgi_request)]


def test_an_import_preview_marks_the_media_and_asks_staff_to_confirm(
    client, officer, visit, ming_pao
):
    client.force_login(officer)

    page = client.get(_import_preview(client, visit)).content.decode()

    batch = ImportBatch.objects.get()
    rows = [ImportRow.from_json(row) for row in batch.rows]
    assert import_services.media_rows(event=visit, rows=rows) == {2, 3, 4}
    assert page.count("media-under-embargo") == 3
    assert 'id="import-embargo"' in page
    assert "Rows 2, 3, 4 put the media on the list" in page
    assert 'name="confirmed_embargo"' in page
    assert str(EMBARGO_CONFIRM) in page


def test_an_import_of_the_media_confirmed_is_saved_with_the_confirmation_recorded(
    client, officer, visit, ming_pao
):
    client.force_login(officer)
    preview = _import_preview(client, visit)

    confirmed = client.post(preview, {"confirmed_embargo": "on"})

    assert confirmed.status_code == 302 and confirmed["Location"].endswith("#attendees-heading")
    assert _said(confirmed)[0] == "4 people added to the list (3 new on file)."
    confirmed_reason = "Imported from: press.csv; Media before the embargo ends, confirmed"
    reasons = {
        a.person.email: a.history.get().history_change_reason
        for a in Attendance.objects.filter(event=visit)
    }
    assert reasons == {
        "reporter@mingpao.example": confirmed_reason,
        "writer@example.org": confirmed_reason,
        "editor@mingpao.example": confirmed_reason,
        "guest@example.org": "Imported from: press.csv",
    }
    assert {a.history.get().history_user for a in Attendance.objects.all()} == {officer}
    assert not ImportBatch.objects.exists()


def test_an_import_of_the_media_unconfirmed_is_refused_and_the_preview_kept(
    client, officer, visit, ming_pao
):
    client.force_login(officer)
    preview = _import_preview(client, visit)

    refused = client.post(preview)
    again = client.get(preview)
    confirmed = client.post(preview, {"confirmed_embargo": "on"})

    assert refused.status_code == 302 and refused["Location"] == preview
    assert _said(refused) == [
        "“The Secretary's visit” is under embargo until its release: confirm that the media "
        "(Desk Editor, Freelance Writer, Ms Ming Pao reporter) may be told of it before then."
    ]
    assert again.status_code == 200 and 'name="confirmed_embargo"' in again.content.decode()
    assert confirmed.status_code == 302
    assert visit.attendances.count() == 4
    assert Person.objects.filter(email="writer@example.org").count() == 1  # once, when confirmed


def test_an_import_to_an_event_not_under_embargo_asks_nothing(client, officer, ming_pao):
    event = event_created(title="Open day", host_organisation=OrganisationFactory())
    client.force_login(officer)
    preview = _import_preview(client, event)

    rows = [ImportRow.from_json(row) for row in ImportBatch.objects.get().rows]
    page = client.get(preview).content.decode()
    imported = client.post(preview)

    assert import_services.media_rows(event=event, rows=rows) == set()
    assert "media-under-embargo" not in page and 'name="confirmed_embargo"' not in page
    assert imported.status_code == 302
    reasons = {a.history.get().history_change_reason for a in event.attendances.all()}
    assert (event.attendances.count(), reasons) == (4, {"Imported from: press.csv"})
