"""The delegation's lists as spreadsheets (visitors.delegations.exports): the manifest's members
and cars, the gate's vehicle list and the pass list, written as XLSX and read back."""

import datetime as dt

import pytest
from django.utils import translation

from core import spreadsheets
from tests.delegation_world import visit
from tests.factories import EventFactory
from tests.spreadsheets import csv_rows, xlsx_sheets
from visitors.delegations import exports
from visitors.exports import EXPORTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return visit()


def _workbook(sheets) -> dict[str, list[tuple]]:
    return xlsx_sheets(spreadsheets.write(sheets, "xlsx"))


def test_the_delegation_lists_are_among_the_events_exports():
    assert EXPORTS["manifest"] is exports.manifest_sheets
    assert EXPORTS["vehicles"] is exports.vehicle_sheets
    assert EXPORTS["passes"] is exports.pass_sheets


def test_the_manifest_workbook_holds_each_partys_members_and_cars(world):
    workbook = _workbook(exports.manifest_sheets(world.event))

    members, cars = workbook["Members"], workbook["Cars"]
    assert members[0][:6] == (
        "Delegation",
        "Delegation (Chinese)",
        "No.",
        "Honorific",
        "Name",
        "Chinese name",
    )
    assert [row[4] for row in members[1:]] == [
        "Sun Dong",
        "Lillian Cheong",
        "Amy Aide",
        "Alan Interpreter",
        "Zed Guard",
        "Peter Partner",
    ]
    assert members[1] == (
        "Innovation Bureau",
        "創新科技及工業局代表團",
        1,
        "Prof",
        "Sun Dong",
        "孫東",
        "Secretary for Innovation, Technology and Industry",
        "Innovation Bureau",
        "Yes",
        "1",
    )
    assert [row[3] for row in cars[1:]] == ["AM 1", "XY 2024", "PL 8", "LATE 9"]
    first = dict(zip(cars[0], cars[1], strict=True))
    assert first["Driver"] == "Chan Tai Man" and first["Driver's phone"] == "9123 4567"
    assert first["Passengers"] == "Prof Sun Dong (孫東); Ms Amy Aide"
    assert first["Car call"] == dt.datetime(2030, 3, 4, 11, 35)
    assert first["Drop-off"] == "Main Lobby (大堂)" and first["Pick-up"] == "East gate, lay-by 2"
    assert first["Arrival"] == "Arrival of Innovation Bureau (創新科技及工業局代表團抵達)"
    assert first["Arrives"] == dt.datetime(2030, 3, 4, 10, 20)  # as the day moved it
    assert first["Leaves"] == dt.datetime(2030, 3, 4, 11, 45)


def test_the_vehicle_workbook_is_the_gate_list_in_expected_order(world):
    [(title, rows)] = _workbook(exports.vehicle_sheets(world.event)).items()

    assert title == "Gate vehicle list"
    assert [row[1] for row in rows[1:]] == ["PL 8", "AM 1", "XY 2024", "LATE 9"]
    assert rows[2] == (
        dt.datetime(2030, 3, 4, 10, 20),
        "AM 1",
        "Toyota Alphard",
        "Black",
        "Innovation Bureau (創新科技及工業局代表團)",
        1,
        "Chan Tai Man",
        "9123 4567",
        2,
        dt.datetime(2030, 3, 4, 11, 35),
        "Main Lobby (大堂)",
        "East gate, lay-by 2",
        "V-10",
    )
    assert rows[1][-1] == "requested"
    assert rows[4][0] is None and rows[4][-1] is None  # no arrival item, no permit


def test_the_pass_workbook_lists_every_pass_by_kind_then_number(world):
    [(title, rows)] = _workbook(exports.pass_sheets(world.event)).items()

    assert title == "Passes"
    assert rows[0] == ("Kind", "Number", "Status", "For", "Delegation", "Notes")
    assert [row[:3] for row in rows[1:]] == [
        ("Site pass", "S-2", "Issued"),
        ("Site pass", "S-10", "Requested"),
        ("Vehicle permit", "V-9", "Issued"),
        ("Vehicle permit", "V-10", "Issued"),
        ("Vehicle permit", "V-11", "Cancelled"),
        ("Vehicle permit", None, "Requested"),
        ("Cleanroom access", None, "Requested"),
    ]
    assert rows[5][3:] == ("Car 1, AM 1", "Innovation Bureau (創新科技及工業局代表團)", "Lost")
    assert rows[1][3] == "Prof Sun Dong (孫東)"


def test_times_are_on_the_events_clock_without_a_zone():
    world = visit(timezone="Europe/London")

    rows = _workbook(exports.vehicle_sheets(world.event))["Gate vehicle list"]

    assert rows[2][0] == dt.datetime(2030, 3, 4, 2, 20)  # 10:20 in Hong Kong
    assert rows[2][9] == dt.datetime(2030, 3, 4, 3, 35)


def test_headings_and_kinds_follow_the_active_language(world):
    with translation.override("zh-hant"):
        sheets = exports.manifest_sheets(world.event) + exports.pass_sheets(world.event)

    workbook = _workbook(sheets)

    assert list(workbook) == ["成員", "車輛", "通行證"]
    assert workbook["車輛"][0][:4] == ("代表團", "代表團（中文）", "車輛", "車牌")
    assert workbook["通行證"][1][:3] == ("園區通行證", "S-2", "已發出")
    assert workbook["成員"][1][8] == "是"


def test_the_lists_write_as_csv_too(world):
    rows = csv_rows(spreadsheets.write(exports.vehicle_sheets(world.event), "csv"))

    assert rows[2][:2] == ["2030-03-04 10:20", "AM 1"]


def test_an_event_without_a_delegation_exports_empty_lists():
    event = EventFactory()

    for read in (exports.manifest_sheets, exports.vehicle_sheets, exports.pass_sheets):
        assert all(sheet.rows == [] for sheet in read(event))
