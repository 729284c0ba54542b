"""Attendee lists from spreadsheets: every row previewed with what becomes of it and why, then
saved in bulk once confirmed (visitors.imports.services)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.models import Change
from scheduling.models import Event
from tests.factories import (
    AttendanceFactory,
    EventFactory,
    OrganisationFactory,
    PersonFactory,
    SiteFactory,
    hk,
)
from tests.spreadsheets import csv_bytes, xlsx_bytes
from visitors.imports import services
from visitors.imports.rows import CONFIRM, NEW, ON_FILE, SKIPPED
from visitors.models import Attendance, ImportBatch, Person

pytestmark = pytest.mark.django_db

HEADINGS = [
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
]


def _row(name="", name_zh="", organisation="", email="", role="", rsvp="", guests="", call=""):
    return ["", name, name_zh, "", organisation, email, role, rsvp, guests, call, ""]


def _by_row(batch: ImportBatch) -> dict[int, dict]:
    return {row["row"]: row for row in batch.rows}


@pytest.fixture
def event():
    return EventFactory(status=Event.Status.TENTATIVE)


@pytest.fixture
def tenant():
    return OrganisationFactory(name="Time Medical Systems", name_zh="時代醫療", slug="time-medical")


@pytest.mark.slow
def test_import_of_a_5000_row_workbook_with_bad_rows_previews_then_saves_in_bulk(
    event, tenant, officer, django_assert_max_num_queries
):
    on_file = [
        PersonFactory(email=f"known{n}@example.org", organisation=tenant) for n in range(200)
    ]
    namesakes = [
        PersonFactory(name=f"Fellow {n}", email="", organisation=tenant) for n in range(50)
    ]
    for person in on_file[:10]:
        AttendanceFactory(event=event, person=person)
    rows = [HEADINGS]
    for n in range(4760):
        rows.append(
            [
                "Ms",
                f"Guest {n}",
                f"嘉賓{n}",
                "Director",
                "Time Medical Systems" if n % 2 else "",
                f"guest{n}@example.org",
                "Speaker" if n == 0 else "guest",
                "Accepted" if n == 0 else "",
                2 if n == 0 else 0,
                dt.datetime(2030, 3, 4, 9, 30) if n == 0 else None,
                "Vegetarian" if n == 0 else "",
            ]
        )
    for n, person in enumerate(on_file):  # 10 of them already listed
        address = person.email.upper() if n % 2 else person.email
        rows.append(_row(name=f"Known {n}", email=address, organisation="time medical systems"))
    for person in namesakes:
        rows.append(_row(name=person.name.upper(), organisation="時代醫療"))
    bad = {
        "not-an-email": _row(name="Bad Address", email="not-an-email"),
        "The same person as row 2.": _row(name="Guest 0 again", email="GUEST0@example.org"),
        "Unknown organisation “Nowhere Ltd”": _row(name="Lost", organisation="Nowhere Ltd"),
        "Unknown role “Chef”": _row(name="Cook", role="Chef"),
        "Unknown RSVP “Maybe”": _row(name="Unsure", rsvp="Maybe"),
        "No name": _row(email="nameless@example.org"),
        "Guests must be a whole number": _row(name="Crowd", guests="lots"),
        "Call time “soon”": _row(name="Late", call="soon"),
    }
    first_bad = len(rows) + 1
    rows += list(bad.values())
    data = xlsx_bytes(rows)

    batch = services.attendee_import_preview(
        event_id=event.pk, data=data, filename="guests.xlsx", by=officer
    )
    preview = _by_row(batch)
    statuses = services.counts([services.ImportRow.from_json(row) for row in batch.rows])
    namesake_rows = [n for n, row in preview.items() if row["status"] == CONFIRM]
    with django_assert_max_num_queries(1000):  # a few per 500 rows, not a few per row
        result = services.attendee_import_confirm(
            batch_id=batch.pk, by=officer, confirmed=namesake_rows[:25]
        )

    assert len(batch.rows) == 5018
    assert statuses == {NEW: 4760, ON_FILE: 190, CONFIRM: 50, SKIPPED: 18}
    listed_reasons = [preview[4762 + n]["reason"] for n in range(10)]
    assert listed_reasons == ["Already on the attendee list."] * 10
    for number, (expected, _cells) in enumerate(bad.items(), start=first_bad):
        assert preview[number]["status"] == SKIPPED
        assert expected in preview[number]["reason"], (number, preview[number]["reason"])
    assert (result.added, result.people_created, len(result.skipped)) == (5000, 4785, 18)
    assert event.attendances.count() == 5010
    first = Attendance.objects.get(event=event, person__email="guest0@example.org")
    assert (first.role, first.rsvp, first.guests, first.dietary) == (
        "speaker",
        "accepted",
        2,
        "Vegetarian",
    )
    assert first.call_time == hk(2030, 3, 4, 9, 30)
    assert first.person.name_zh == "嘉賓0" and first.person.post == "Director"
    assert set(event.attendances.values_list("person_id", flat=True)) >= {
        p.pk for p in on_file + namesakes[:25]
    }
    # The 25 matches left unticked became new people, named as the file wrote them.
    written = Person.objects.filter(organisation=tenant).values_list("name", flat=True)
    assert sum(name.startswith("FELLOW") for name in written) == 25
    assert not event.attendances.filter(person__name__in=["Cook", "Unsure", "Crowd"]).exists()
    assert first.history.get().history_change_reason == "Imported from: guests.xlsx"
    assert first.history.get().history_user == officer
    logged = Change.objects.filter(entity=Change.Entity.ATTENDANCE, event_id=event.pk).count()
    assert logged >= 5000
    assert Change.objects.filter(entity=Change.Entity.PERSON, verb="created").count() >= 4785
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    "data, said",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a spreadsheet"),
        (b"PK\x03\x04not really a zip", "not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "Excel 97–2003"),
        ("Name,E-mail\nA,a@example.org\n".encode("utf-16"), "not a spreadsheet"),
        (b"", "empty"),
    ],
    ids=["png", "broken-zip", "xls", "utf-16", "empty"],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_with_why(event, officer, data, said):
    with pytest.raises(ValidationError) as refused:
        services.attendee_import_preview(event_id=event.pk, data=data, filename="x", by=officer)

    assert said in " ".join(refused.value.messages)
    assert not ImportBatch.objects.exists()


def test_a_zip_that_is_no_workbook_is_refused(event, officer):
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")

    with pytest.raises(ValidationError) as refused:
        services.attendee_import_read(event_id=event.pk, data=out.getvalue())

    assert "not a spreadsheet" in " ".join(refused.value.messages)


def test_missing_and_unknown_columns_are_named(event):
    data = csv_bytes([["Post", "Emial", "Organisation", "Organization"], ["CEO", "x", "", ""]])

    with pytest.raises(ValidationError) as refused:
        services.attendee_import_read(event_id=event.pk, data=data)

    said = " ".join(refused.value.messages)
    assert "Missing column: “Name” or “Chinese name”" in said
    assert "Unknown columns: “Emial”" in said
    assert "Columns given twice: “Organization”" in said
    assert "“E-mail”" in said  # the columns read are listed


def test_more_rows_than_read_is_refused(event):
    rows = [["Name"]] + [[f"Guest {n}"] for n in range(services.MAX_ROWS + 1)]

    with pytest.raises(ValidationError) as refused:
        services.attendee_import_read(event_id=event.pk, data=csv_bytes(rows))

    assert "more than 10,000 rows" in " ".join(refused.value.messages)


def test_a_file_larger_than_read_is_refused(event):
    data = csv_bytes([["Name"], ["x" * (services.MAX_UPLOAD_BYTES + 1)]])

    with pytest.raises(ValidationError) as refused:
        services.attendee_import_read(event_id=event.pk, data=data)

    assert "larger than 5 MB" in " ".join(refused.value.messages)


def test_csv_with_chinese_names_and_full_width_characters(event, tenant, officer):
    chan = PersonFactory(name="Chan Tai Man", email="chan@example.org", organisation=tenant)
    data = csv_bytes(
        [
            ["中文姓名", "Ｎａｍｅ", "Ｅ－ｍａｉｌ", "Organisation", "Guests"],
            ["陳大文", "", "ＣＨＡＮ＠ＥＸＡＭＰＬＥ．ＯＲＧ", "", "２"],
            ["孫東", "Ｓｕｎ　Ｄｏｎｇ", "sun．dong＠example.org", "時代醫療", "１"],
            ["歐陽司徒", "", "", "ｔｉｍｅ－ｍｅｄｉｃａｌ", ""],
        ]
    )

    batch = services.attendee_import_preview(
        event_id=event.pk, data=data, filename="名單.csv", by=officer
    )
    rows = _by_row(batch)
    services.attendee_import_confirm(batch_id=batch.pk, by=officer)

    assert rows[2]["status"] == ON_FILE and rows[2]["person_id"] == chan.pk
    assert rows[3]["status"] == NEW and rows[3]["values"]["email"] == "sun.dong@example.org"
    assert rows[3]["values"]["name"] == "Sun Dong"
    assert rows[4]["status"] == NEW and rows[4]["values"]["organisation_id"] == tenant.pk
    sun = Person.objects.get(name_zh="孫東")
    assert (sun.name, sun.organisation, sun.email) == ("Sun Dong", tenant, "sun.dong@example.org")
    assert Person.objects.get(name_zh="歐陽司徒").name == ""
    assert event.attendances.get(person=chan).guests == 2
    assert event.attendances.get(person=sun).guests == 1


def test_csv_saved_by_a_chinese_excel_in_big5_reads(event, officer):
    data = csv_bytes([["Name", "Chinese name"], ["Sun Dong", "孫東"]], encoding="big5hkscs")

    rows = services.attendee_import_read(event_id=event.pk, data=data)

    assert rows[0].values["name_zh"] == "孫東"


def test_semicolon_separated_csv_reads(event):
    data = b"Name;E-mail\nSun Dong;sun@example.org\n"

    rows = services.attendee_import_read(event_id=event.pk, data=data)

    assert rows[0].values["email"] == "sun@example.org"


def test_excel_date_and_time_cells_are_read_on_the_events_clock(officer):
    # London: an Excel cell has no zone, so 09:30 is 09:30 on the event's clock (BST in June).
    site = SiteFactory(timezone="Europe/London")
    start = dt.datetime(2030, 6, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    event = EventFactory(site=site, timezone="Europe/London", start=start)
    data = xlsx_bytes(
        [
            ["Name", "Call time"],
            ["Date cell", dt.datetime(2030, 6, 3, 9, 30)],
            ["Time cell", dt.time(9, 15)],
            ["Text", "2030-06-03 08:45"],
            ["Day first", "03/06/2030 08:50"],
            ["Number", 47637.375],  # 2030-06-03 09:00 as Excel counts days
            ["With offset", "2030-06-03T09:00+08:00"],
        ]
    )

    rows = services.attendee_import_read(event_id=event.pk, data=data)
    services.attendee_import_save(event_id=event.pk, rows=rows, by=officer)

    utc = {row.shown["name"]: row.call_time.astimezone(dt.UTC) for row in rows}
    assert utc == {
        "Date cell": dt.datetime(2030, 6, 3, 8, 30, tzinfo=dt.UTC),
        "Time cell": dt.datetime(2030, 6, 3, 8, 15, tzinfo=dt.UTC),
        "Text": dt.datetime(2030, 6, 3, 7, 45, tzinfo=dt.UTC),
        "Day first": dt.datetime(2030, 6, 3, 7, 50, tzinfo=dt.UTC),
        "Number": dt.datetime(2030, 6, 3, 8, 0, tzinfo=dt.UTC),
        "With offset": dt.datetime(2030, 6, 3, 1, 0, tzinfo=dt.UTC),
    }
    saved = event.attendances.get(person__name="Date cell").call_time
    assert saved.astimezone(event.zone).strftime("%H:%M %Z") == "09:30 BST"
    assert rows[0].shown["call_time"] == "2030-06-03 09:30"


def test_a_call_time_when_the_clocks_go_back_or_after_the_event_is_skipped():
    site = SiteFactory(timezone="Europe/London")
    start = dt.datetime(2030, 10, 27, 0, tzinfo=dt.UTC)
    event = EventFactory(site=site, timezone="Europe/London", start=start)
    data = xlsx_bytes(
        [
            ["Name", "Call time"],
            ["Twice", dt.datetime(2030, 10, 27, 1, 30)],
            ["Too late", dt.datetime(2030, 10, 27, 9, 0)],
            ["A day only", "2030-10-27"],
        ]
    )

    rows = services.attendee_import_read(event_id=event.pk, data=data)

    assert [row.status for row in rows] == [SKIPPED] * 3
    assert "falls when the clocks change in Europe/London" in rows[0].reason
    assert rows[1].reason == "The call time must be before the event ends."
    assert "is not a time" in rows[2].reason


def test_roles_and_rsvps_are_read_by_english_label_or_value_in_any_case(event):
    data = csv_bytes(
        [
            ["Name", "Role", "RSVP"],
            ["A", "GUEST OF HONOUR", "needs action"],
            ["B", "officiating_guest", "DECLINED"],
            ["C", "  Panellist ", "Tentative"],
            ["D", "", ""],
        ]
    )

    rows = services.attendee_import_read(event_id=event.pk, data=data)

    assert [(row.values["role"], row.values["rsvp"]) for row in rows] == [
        ("guest_of_honour", "needs_action"),
        ("officiating_guest", "declined"),
        ("panellist", "tentative"),
        ("guest", "needs_action"),
    ]


def test_a_match_by_name_is_taken_only_when_staff_tick_it(event, tenant, officer):
    alfred = PersonFactory(name="Alfred Sit", email="", organisation=tenant)
    sun = PersonFactory(name="Sun Dong", name_zh="孫東", email="", organisation=tenant)
    elsewhere = PersonFactory(name="Alfred Sit", email="", organisation=OrganisationFactory())
    data = csv_bytes(
        [
            ["Name", "Chinese name", "Organisation", "E-mail"],
            ["alfred sit", "", "Time Medical Systems", ""],
            ["", "孫東", "Time Medical Systems", "new.sun@example.org"],
        ]
    )

    batch = services.attendee_import_preview(
        event_id=event.pk, data=data, filename="x.csv", by=officer
    )
    rows = _by_row(batch)
    services.attendee_import_confirm(batch_id=batch.pk, by=officer, confirmed=[2])

    assert (rows[2]["status"], rows[2]["person_id"]) == (CONFIRM, alfred.pk)
    assert (rows[3]["status"], rows[3]["person_id"]) == (CONFIRM, sun.pk)
    assert rows[3]["note"] == f"On file with another address, {sun.email}." or not sun.email
    listed = set(event.attendances.values_list("person_id", flat=True))
    assert alfred.pk in listed and sun.pk not in listed and elsewhere.pk not in listed
    assert Person.objects.filter(name_zh="孫東").count() == 2  # the unticked row: a new person


def test_several_namesakes_at_one_organisation_are_not_guessed(event, tenant):
    PersonFactory(name="Alfred Sit", email="", organisation=tenant)
    PersonFactory(name="Alfred Sit", email="a.sit@example.org", organisation=tenant)
    data = csv_bytes([["Name", "Organisation"], ["Alfred Sit", "time-medical"]])

    rows = services.attendee_import_read(event_id=event.pk, data=data)

    assert rows[0].status == SKIPPED
    assert "Several people on file have this name" in rows[0].reason


def test_saving_checks_again_what_changed_since_the_preview(event, officer):
    data = csv_bytes(
        [["Name", "E-mail"], ["Late Comer", "late@example.org"], ["Listed", "l@example.org"]]
    )
    batch = services.attendee_import_preview(
        event_id=event.pk, data=data, filename="x.csv", by=officer
    )
    late = PersonFactory(name="Late Comer", email="LATE@example.org")
    listed = PersonFactory(email="l@example.org")
    AttendanceFactory(event=event, person=listed)

    result = services.attendee_import_confirm(batch_id=batch.pk, by=officer)

    assert (result.added, result.people_created) == (1, 0)
    assert event.attendances.filter(person=late).exists()
    assert [(row.row, row.reason) for row in result.changed] == [
        (2, ""),
        (3, "Already on the attendee list."),
    ]
    assert Person.objects.filter(email__iexact="late@example.org").count() == 1


def test_a_preview_is_the_uploaders_and_is_saved_once(event, officer, viewer):
    data = csv_bytes([["Name"], ["Someone"]])
    batch = services.attendee_import_preview(
        event_id=event.pk, data=data, filename="x.csv", by=officer
    )

    with pytest.raises(ValidationError):
        services.attendee_import_confirm(batch_id=batch.pk, by=viewer)
    services.attendee_import_confirm(batch_id=batch.pk, by=officer)
    with pytest.raises(ValidationError) as again:
        services.attendee_import_confirm(batch_id=batch.pk, by=officer)

    assert again.value.code == "gone"
    assert event.attendances.count() == 1


def test_an_expired_preview_is_refused_and_swept(event, officer):
    data = csv_bytes([["Name"], ["Someone"]])
    old = services.attendee_import_preview(
        event_id=event.pk, data=data, filename="x.csv", by=officer
    )
    ImportBatch.objects.filter(pk=old.pk).update(created_at=hk(2020, 1, 1))

    with pytest.raises(ValidationError) as expired:
        services.attendee_import_confirm(batch_id=old.pk, by=officer)

    assert expired.value.code == "expired"
    assert not ImportBatch.objects.filter(pk=old.pk).exists()
    assert event.attendances.count() == 0


def test_a_closed_event_takes_no_import(officer):
    event = EventFactory(status=Event.Status.CANCELLED)

    with pytest.raises(ValidationError) as refused:
        services.attendee_import_read(event_id=event.pk, data=csv_bytes([["Name"], ["A"]]))

    assert "its list is closed" in " ".join(refused.value.messages)


def test_importing_to_a_confirmed_event_whose_invites_went_out_invites_the_newcomers(
    officer, django_capture_on_commit_callbacks
):
    from visitors.models import Delivery

    event = EventFactory(status=Event.Status.CONFIRMED)
    first = AttendanceFactory(event=event)
    Delivery.objects.create(
        event=event,
        person=first.person,
        attendance=first,
        method=Delivery.Method.REQUEST,
        sequence=event.sequence,
        state=Delivery.State.SENT,
        next_attempt_at=hk(2030, 1, 1),
    )
    data = csv_bytes([["Name", "E-mail"], ["A", "a@example.org"], ["B", ""]])
    rows = services.attendee_import_read(event_id=event.pk, data=data)

    with django_capture_on_commit_callbacks():
        services.attendee_import_save(event_id=event.pk, rows=rows, by=officer)

    queued = Delivery.objects.filter(event=event, state=Delivery.State.QUEUED)
    assert list(queued.values_list("person__email", flat=True)) == ["a@example.org"]
