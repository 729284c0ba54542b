"""An event's lists as spreadsheets over the API: staff keys only, each list with its scope."""

import pytest

from api.models import Scope
from tests.factories import PersonFactory
from tests.spreadsheets import csv_rows, xlsx_sheets
from visitors import services as visitor_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(world):
    event = world["events"]["public"]
    for name, rank in (("Zoe Guest", None), ("Sun Dong", 1), ("=HYPERLINK(0)", 2)):
        person = PersonFactory(name=name, precedence_rank=rank, dietary="Vegetarian")
        visitor_services.attendance_add(event_id=event.pk, person_id=person.pk)
    return event


def test_a_staff_key_downloads_the_attendee_list_in_order_of_precedence(staff_api, listed):
    url = f"/api/v1/events/{listed.pk}/export/attendees/"

    as_csv = staff_api.get(url)
    as_xlsx = staff_api.get(url, format="xlsx")

    assert as_csv.status_code == 200 and as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert as_csv.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in as_csv["Content-Disposition"]
    names = [row[2] for row in csv_rows(as_csv.content)[1:]]
    assert names == ["Sun Dong", "'=HYPERLINK(0)", "Zoe Guest"]
    sheet = xlsx_sheets(as_xlsx.content)["Attendees"]
    assert [row[2] for row in sheet[1:]] == names
    assert sheet[1][11] == "Vegetarian"


def test_the_format_can_be_asked_for_by_accept(staff_api, listed):
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    answer = staff_api.get(f"/api/v1/events/{listed.pk}/export/catering/", headers={"Accept": xlsx})
    refused = staff_api.get(
        f"/api/v1/events/{listed.pk}/export/catering/", headers={"Accept": "application/json"}
    )
    unknown = staff_api.get(f"/api/v1/events/{listed.pk}/export/catering/", format="pdf")

    assert answer["Content-Type"] == xlsx
    summary = xlsx_sheets(answer.content)["Dietary summary"]
    assert summary[1] == ("Vegetarian", 3, 0, 3)
    assert refused.status_code == 406 and refused.json()["code"] == "not_acceptable"
    assert unknown.status_code == 404 and "request_id" in unknown.json()


def test_each_list_needs_its_scope(api_for, officer, listed):
    events_only = api_for(user=officer, scopes=[Scope.EVENTS_READ])
    base = f"/api/v1/events/{listed.pk}/export"

    attendees = events_only.get(f"{base}/attendees/")
    catering = events_only.get(f"{base}/catering/")
    run_of_show = events_only.get(f"{base}/run-of-show/")

    assert attendees.status_code == 403
    assert attendees.json()["detail"] == "This key lacks the scope attendees:read."
    assert catering.status_code == 403
    assert run_of_show.status_code == 200


def test_a_viewers_key_reads_the_lists(api_for, viewer, listed):
    answer = api_for(user=viewer).get(f"/api/v1/events/{listed.pk}/export/attendees/")

    assert answer.status_code == 200


def test_partner_keys_get_no_spreadsheets(api_for, world, listed):
    host = api_for(organisation=world["host"])
    other = api_for(organisation=world["other"])
    restricted = world["events"]["restricted"]

    seen = host.get(f"/api/v1/events/{listed.pk}/export/attendees/")
    unseen = other.get(f"/api/v1/events/{restricted.pk}/export/run-of-show/")

    assert seen.status_code == 403 and seen.json()["detail"] == "Staff keys only."
    assert unseen.status_code == 404
