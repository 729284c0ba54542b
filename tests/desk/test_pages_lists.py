"""Lists in and out on the staff pages: an attendee list imported from a spreadsheet (upload,
preview, confirm), the template, and the event's lists downloaded as XLSX and CSV."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from scheduling.models import Event, ProgrammeRole
from tests.factories import (
    AttendanceFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeItemFactory,
    hk,
)
from tests.spreadsheets import csv_bytes, csv_rows, xlsx_bytes, xlsx_sheets
from visitors.imports import services
from visitors.models import Attendance, ImportBatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    hall = FacilityFactory(name="MARS Hall")
    event = EventFactory(title="MARS Centre inspection", site=hall.site)
    tenant = OrganisationFactory(name="Time Medical Systems", name_zh="時代醫療")
    item = ProgrammeItemFactory(
        event=event,
        title="Tour stop: Time Medical",
        facility=hall,
        host_organisation=tenant,
        start=hk(2030, 3, 4, 10, 10),
        end=hk(2030, 3, 4, 10, 40),
        cue_notes="No photography inside",
    )
    host = PersonFactory(name="Simon Yeung")
    ProgrammeRole.objects.create(item=item, person=host, part=ProgrammeRole.Part.HOST)
    minister = PersonFactory(honorific="Prof", name="Sun Dong", name_zh="孫東", precedence_rank=1)
    AttendanceFactory(event=event, person=PersonFactory(name="Zoe Guest"), dietary="Vegetarian")
    AttendanceFactory(
        event=event, person=minister, role="guest_of_honour", call_time=hk(2030, 3, 4, 9, 45)
    )
    AttendanceFactory(event=event, person=PersonFactory(name="Amy Escort"), role="escort", guests=2)
    AttendanceFactory(
        event=event,
        person=PersonFactory(name="Declined Person", dietary="Halal"),
        rsvp="declined",
    )
    AttendanceFactory(
        event=event,
        person=PersonFactory(name="Ben Guest", organisation=tenant),
        dietary="vegetarian",
        guests=1,
        accessibility="Wheelchair",
    )
    return event


def _export(client, event, table, file_format):
    return client.get(reverse("staff:event-export", args=[event.pk, table, file_format]))


@pytest.mark.parametrize("sort", ["surname", "strokes"])
def test_the_attendee_list_downloads_in_the_order_the_printed_list_was_sorted_in(
    client, officer, event, sort
):
    client.force_login(officer)
    printed = client.get(reverse("staff:print", args=[event.pk, "attendees"]), {"sort": sort})

    answer = client.get(
        reverse("staff:event-export", args=[event.pk, "attendees", "csv"]), {"sort": sort}
    )

    order = [attendance.person.name for attendance in printed.context["attendances"]]
    assert [row[2] for row in csv_rows(answer.content)[1:]] == order


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_the_attendee_list_downloads_in_the_order_of_the_printed_list(
    client, officer, event, file_format
):
    client.force_login(officer)
    printed = client.get(reverse("staff:print", args=[event.pk, "attendees"]))

    answer = _export(client, event, "attendees", file_format)

    if file_format == "xlsx":
        rows = xlsx_sheets(answer.content)["Attendees"]
    else:
        rows = csv_rows(answer.content)
    order = [attendance.person.name for attendance in printed.context["attendances"]]
    assert [row[2] for row in rows[1:]] == order
    assert order[0] == "Sun Dong"
    assert list(rows[0]) == [
        "No.",
        "Honorific",
        "Name",
        "Chinese name",
        "Post",
        "Organisation",
        "E-mail",
        "Role",
        "RSVP",
        "Guests",
        "Call time",
        "Dietary",
        "Accessibility",
    ]
    sun = rows[1]
    expected_call = dt.datetime(2030, 3, 4, 9, 45) if file_format == "xlsx" else "2030-03-04 09:45"
    assert (sun[3], sun[7], sun[10]) == ("孫東", "Guest of honour", expected_call)
    assert "attachment" in answer["Content-Disposition"]
    assert "mars-centre-inspection-2030-03-04-attendees" in answer["Content-Disposition"]


def test_csv_has_a_bom_and_formulas_neutralised_in_both_formats(client, officer):
    event = EventFactory()
    for name in ("=1+2", "+852 1234", "-SUM(A1)", "@cmd", "Plain"):
        AttendanceFactory(event=event, person=PersonFactory(name=name, post="=HYPERLINK(1)"))
    client.force_login(officer)

    as_csv = _export(client, event, "attendees", "csv")
    as_xlsx = _export(client, event, "attendees", "xlsx")

    assert as_csv.content.startswith(b"\xef\xbb\xbf")
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    names = sorted(row[2] for row in csv_rows(as_csv.content)[1:])
    assert names == ["'+852 1234", "'-SUM(A1)", "'=1+2", "'@cmd", "Plain"]
    assert {row[4] for row in csv_rows(as_csv.content)[1:]} == {"'=HYPERLINK(1)"}
    import io

    sheet = load_workbook(io.BytesIO(as_xlsx.content))["Attendees"]
    cells = [sheet.cell(row=n, column=3) for n in range(2, 7)]
    assert sorted(cell.value for cell in cells) == names
    assert {cell.data_type for cell in cells} == {"s"}  # text, never a formula


def test_the_run_of_show_downloads_with_people_and_cues(client, officer, event):
    client.force_login(officer)

    rows = xlsx_sheets(_export(client, event, "run-of-show", "xlsx").content)["Run-of-show"]

    assert rows[0][:5] == ("Start", "End", "Minutes", "Kind", "Title")
    assert rows[1] == (
        dt.datetime(2030, 3, 4, 10, 10),
        dt.datetime(2030, 3, 4, 10, 40),
        30,
        "Remarks",
        "Tour stop: Time Medical",
        None,
        "MARS Hall",
        "Time Medical Systems",
        "Ms Simon Yeung (Host at the stop)",
        "Public",
        "No photography inside",
    )


def test_the_dietary_summary_counts_guests_and_leaves_out_who_declined(client, officer, event):
    client.force_login(officer)

    sheets = xlsx_sheets(_export(client, event, "catering", "xlsx").content)
    as_csv = csv_rows(_export(client, event, "catering", "csv").content)

    assert sheets["Dietary summary"] == [
        ("Dietary requirement", "People", "Guests", "Total"),
        ("Vegetarian", 2, 1, 3),
        ("No dietary requirement", 2, 2, 4),
        ("Total", 4, 3, 7),
    ]
    noted = sheets["People with notes"]
    assert [row[1] for row in noted[1:]] == ["Ms Ben Guest", "Ms Zoe Guest"]
    assert noted[1][5:7] == ("vegetarian", "Wheelchair")
    assert as_csv[0] == ["Dietary summary"]
    assert ["People with notes"] in as_csv


def test_a_viewer_downloads_but_does_not_import(client, viewer, event):
    client.force_login(viewer)

    download = _export(client, event, "attendees", "csv")
    upload_page = client.get(reverse("staff:attendees-import", args=[event.pk]))
    page = client.get(reverse("staff:event", args=[event.pk]))

    assert download.status_code == 200
    assert upload_page.status_code == 403
    assert b"attendee-downloads" in page.content
    assert b"attendees-import-link" not in page.content


def test_no_download_without_a_login(client, event):
    answer = _export(client, event, "attendees", "xlsx")

    assert answer.status_code == 302 and "/staff/login/" in answer["Location"]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_the_template_downloads_and_reads_back_as_one_new_person(
    client, officer, event, file_format
):
    client.force_login(officer)

    answer = client.get(reverse("staff:attendees-import-template", args=[event.pk, file_format]))
    rows = services.attendee_import_read(event_id=event.pk, data=answer.content)

    if file_format == "xlsx":
        table = xlsx_sheets(answer.content)["Attendees"]
    else:
        table = csv_rows(answer.content)
    assert "Chinese name" in table[0] and "Call time" in table[0]
    assert len(table) == 2
    assert [(row.status, row.values["name_zh"]) for row in rows] == [("new", "陳大文")]
    assert rows[0].call_time == hk(2030, 3, 4, 9, 30)  # half an hour before the event


def test_import_from_upload_to_preview_to_confirm(client, officer, event):
    tenant = OrganisationFactory(name="Bureau of Innovation")
    namesake = PersonFactory(name="Alfred Sit", email="", organisation=tenant)
    data = csv_bytes(
        [
            ["Name", "Chinese name", "Organisation", "E-mail", "Role"],
            ["Alfred Sit", "", "Bureau of Innovation", "", "Host"],
            ["New One", "新人", "", "new@example.org", "Guest"],
            ["Bad", "", "", "bad-address", "Guest"],
        ]
    )
    client.force_login(officer)

    uploaded = client.post(
        reverse("staff:attendees-import", args=[event.pk]),
        {"file": SimpleUploadedFile("bureau.csv", data, "text/csv")},
    )
    preview = client.get(uploaded["Location"])
    confirmed = client.post(uploaded["Location"], {"match": ["2"]})

    assert uploaded.status_code == 302
    page = preview.content.decode()
    assert page.count('type="checkbox" name="match"') == 1
    assert "Same person as Ms Alfred Sit · Bureau of Innovation" in page
    assert "“bad-address” is not an e-mail address." in page
    assert confirmed.status_code == 302 and confirmed["Location"].endswith("#attendees-heading")
    said = [str(message) for message in get_messages(confirmed.wsgi_request)]
    assert said[0] == "2 people added to the list (1 new on file); 1 row skipped."
    assert event.attendances.get(person=namesake).role == Attendance.Role.HOST
    assert event.attendances.filter(person__email="new@example.org").exists()
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    "data, said",
    [
        (b"GIF89a\x01\x00", "This file is not a spreadsheet"),
        (csv_bytes([["Nom", "Courriel"], ["A", "a@example.org"]]), "Unknown columns: “Nom”"),
    ],
    ids=["gif", "columns"],
)
def test_an_unreadable_upload_is_refused_on_the_page(client, officer, event, data, said):
    client.force_login(officer)

    answer = client.post(
        reverse("staff:attendees-import", args=[event.pk]),
        {"file": SimpleUploadedFile("list.csv", data)},
    )

    assert answer.status_code == 400
    assert said in answer.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_preview_is_only_its_uploaders(client, officer, django_user_model, event):
    batch = services.attendee_import_preview(
        event_id=event.pk, data=csv_bytes([["Name"], ["A"]]), filename="x.csv", by=officer
    )
    other = django_user_model.objects.create_superuser("other", "o@example.org", "pw")
    client.force_login(other)

    seen = client.get(reverse("staff:attendees-import-preview", args=[event.pk, batch.pk]))
    discarded = client.post(reverse("staff:attendees-import-discard", args=[event.pk, batch.pk]))

    assert (seen.status_code, discarded.status_code) == (404, 404)
    assert ImportBatch.objects.filter(pk=batch.pk).exists()


def test_an_expired_preview_sends_back_to_the_upload(client, officer, event):
    batch = services.attendee_import_preview(
        event_id=event.pk, data=csv_bytes([["Name"], ["A"]]), filename="x.csv", by=officer
    )
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=hk(2020, 1, 1))
    client.force_login(officer)

    answer = client.post(reverse("staff:attendees-import-preview", args=[event.pk, batch.pk]))

    assert answer["Location"] == reverse("staff:attendees-import", args=[event.pk])
    said = [str(message) for message in get_messages(answer.wsgi_request)]
    assert said == ["This preview expired: upload the file again."]
    assert event.attendances.count() == 5


def test_discarding_a_preview_saves_nothing(client, officer, event):
    batch = services.attendee_import_preview(
        event_id=event.pk, data=csv_bytes([["Name"], ["A"]]), filename="x.csv", by=officer
    )
    client.force_login(officer)

    client.post(reverse("staff:attendees-import-discard", args=[event.pk, batch.pk]))

    assert not ImportBatch.objects.exists()
    assert event.attendances.count() == 5


def test_an_exported_list_imports_into_another_event_as_the_same_people(client, officer, event):
    client.force_login(officer)
    exported = _export(client, event, "attendees", "xlsx").content
    other = EventFactory(status=Event.Status.TENTATIVE)

    rows = services.attendee_import_read(event_id=other.pk, data=exported)
    services.attendee_import_save(event_id=other.pk, rows=rows, by=officer)

    assert {row.status for row in rows} == {"on_file"}
    pairs = lambda e: sorted(e.attendances.values_list("person_id", "role", "rsvp", "guests"))  # noqa: E731
    assert pairs(other) == pairs(event)


def test_the_import_link_is_on_the_event_page_for_officers(client, officer, event):
    client.force_login(officer)

    page = client.get(reverse("staff:event", args=[event.pk])).content.decode()

    assert reverse("staff:attendees-import", args=[event.pk]) in page
    assert reverse("staff:event-export", args=[event.pk, "run-of-show", "xlsx"]) in page
    assert reverse("staff:event-export", args=[event.pk, "catering", "csv"]) in page


def test_an_upload_page_for_a_closed_event_says_so(client, officer):
    event = EventFactory(status=Event.Status.CANCELLED)
    client.force_login(officer)

    page = client.get(reverse("staff:attendees-import", args=[event.pk]))

    assert "it can no longer change" in page.content.decode()
    assert b'id="import-form"' not in page.content


def test_an_upload_larger_than_read_is_refused_by_the_form(client, officer, event):
    client.force_login(officer)
    big = b"Name\n" + b"x" * (services.MAX_UPLOAD_BYTES + 1)

    answer = client.post(
        reverse("staff:attendees-import", args=[event.pk]),
        {"file": SimpleUploadedFile("big.csv", big)},
    )

    assert answer.status_code == 400
    assert "larger than 5 MB" in answer.content.decode()


def test_the_date_cells_of_an_uploaded_workbook_show_on_the_events_clock(client, officer, event):
    data = xlsx_bytes([["Name", "Call time"], ["Early", dt.datetime(2030, 3, 4, 8, 15)]])
    client.force_login(officer)

    uploaded = client.post(
        reverse("staff:attendees-import", args=[event.pk]),
        {"file": SimpleUploadedFile("guests.xlsx", data)},
    )
    preview = client.get(uploaded["Location"])

    assert "call 2030-03-04 08:15" in preview.content.decode()


def test_the_upload_page_shows_the_events_time_on_its_own_clock(client, officer):
    from tests.factories import SiteFactory

    site = SiteFactory(timezone="Europe/London")
    start = dt.datetime(2030, 6, 3, 9, 0, tzinfo=dt.UTC)
    event = EventFactory(site=site, timezone="Europe/London", start=start)
    client.force_login(officer)

    page = client.get(reverse("staff:attendees-import", args=[event.pk])).content.decode()

    assert "Monday 3 June 2030, 10:00 (BST, Europe/London)" in page
