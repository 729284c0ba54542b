"""The delegation's printables (manifest, gate vehicle list, pass list) and spreadsheets from the
staff pages: their content in English and in Chinese, as the day has moved the arrivals, as PDFs
and workbooks, who may have them, and where the event page offers them."""

import io
import re

import pypdf
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.delegation_world import more_cars, visit
from tests.factories import EventFactory
from tests.spreadsheets import csv_rows, xlsx_sheets

pytestmark = pytest.mark.django_db

KINDS = ("manifest", "gate", "passes")
TABLES = ("manifest", "vehicles", "passes")
A4 = (595.28, 841.89)  # portrait, in PDF points


@pytest.fixture
def world():
    return visit()


def _print(client, event, kind) -> str:
    response = client.get(reverse("staff:print", args=[event.pk, kind]))
    assert response.status_code == 200
    return response.content.decode()


def _text(markup: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", markup).split())


def _rows(page: str, table_id: str) -> list[str]:
    """The rows of the table, each as its text reads."""
    table = re.search(rf'<table id="{table_id}">.*?</table>', page, re.S)[0]
    return [_text(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]]


def _chinese(client) -> None:
    client.post(reverse("staff:language"), {"language": "zh-hant"})


def _pdf(client, event, kind) -> pypdf.PdfReader:
    response = client.get(reverse("staff:print-pdf", args=[event.pk, kind]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(response.content))


def _pdf_text(reader: pypdf.PdfReader) -> str:
    """The text of every page without its spaces and line breaks (narrow columns wrap)."""
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def _export(client, event, table, file_format="xlsx"):
    return client.get(reverse("staff:event-export", args=[event.pk, table, file_format]))


# --- The manifest --------------------------------------------------------------------------------


def test_the_manifest_lists_each_party_its_members_in_precedence_order_and_its_cars(
    client, viewer, world
):
    client.force_login(viewer)

    page = _print(client, world.event, "manifest")

    bureau, partner = (f'id="delegation-{party.pk}"' for party in (world.bureau, world.partner))
    bureau = page[page.index(bureau) : page.index(partner)]
    assert "Innovation Bureau" in bureau and "創新科技及工業局代表團" in bureau
    assert "Lead: Prof Sun Dong" in _text(bureau)
    members = re.findall(r"<td>\d+</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", bureau, re.S)
    # The guest of honour, then by rank and role; those not on the event's list after, by name.
    assert [_text(name) for name, _post in members] == [
        "Prof Sun Dong (孫東) lead",
        "Ms Lillian Cheong (張曼莉)",
        "Ms Amy Aide",
        "Ms Alan Interpreter",
        "Ms Zed Guard",
    ]
    assert _text(members[0][1]) == (
        "Secretary for Innovation, Technology and Industry Innovation Bureau 創新科技及工業局"
    )
    first = _text(re.search(rf'<tr id="car-{world.first.pk}">.*?</tr>', bureau, re.S)[0])
    assert first.startswith("Car 1 AM 1 Black, Toyota Alphard Chan Tai Man 9123 4567")
    assert "Contact: Amy Aide, 9876 5432" in first
    assert "Prof Sun Dong (孫東) Ms Amy Aide" in first  # the passengers in precedence order
    assert "Drop-off: Main Lobby 大堂 Pick-up: East gate, lay-by 2" in first
    assert "Car call: 11:35" in first
    assert (
        "Arrival: 10:20 planned 10:00 Arrival of Innovation Bureau 創新科技及工業局代表團抵達"
        in (first)
    )
    assert "Departure: 11:45 Departure of Innovation Bureau" in first
    assert "Partner Labs" in page[page.index(f'id="delegation-{world.partner.pk}"') :]


def test_the_manifest_reads_in_chinese(client, viewer, world):
    client.force_login(viewer)
    _chinese(client)

    page = _print(client, world.event, "manifest")

    text = _text(page)
    assert "代表團名冊: Secretary visits the MARS Centre 局長參觀先進製造業中心" in text
    assert "團長： Prof Sun Dong (孫東)" in text
    assert "成員" in text and "2號車" in text and "司機及聯絡人" in text
    assert "召車： 11:35" in text and "原定 10:00" in text
    assert "落車點： Main Lobby 大堂" in text


# --- The gate's vehicle list ---------------------------------------------------------------------


def test_the_gate_list_has_every_car_in_the_order_expected_as_the_day_moved_it(
    client, viewer, world
):
    client.force_login(viewer)

    page = _print(client, world.event, "gate")

    rows = _rows(page, "gate-list")
    plates = [
        re.search(r'<td class="plate">(.*?)</td>', row)[1]
        for row in re.findall(r"<tr id=.*?</tr>", page, re.S)
    ]
    # Partner Labs at 10:05; the Secretary's cars planned at 10:00 but now expected at 10:20;
    # the car with no arrival item last, with no time.
    assert plates == ["PL 8", "AM 1", "XY 2024", "LATE 9"]
    assert rows[0].startswith("10:05 PL 8 Tesla Model Y White Partner Labs Car 1 Wong Ka Ho 1")
    assert rows[1] == (
        "10:20 planned 10:00 AM 1 Toyota Alphard Black Innovation Bureau 創新科技及工業局代表團 "
        "Car 1 Chan Tai Man 9123 4567 2 11:35 Main Lobby 大堂 East gate, lay-by 2 V-10"
    )
    assert rows[2].endswith("Lee Siu Ming 6123 0000 3 Side entrance — V-9")
    assert rows[3].startswith("LATE 9 Partner Labs Car 2 Ho Chi Keung 0")
    assert "V-11" not in page  # a cancelled permit is not shown to the gate
    assert rows[0].endswith(" 1 — — requested")
    assert '<td class="plate">AM 1</td>' in page


def test_the_gate_list_reads_in_chinese(client, viewer, world):
    client.force_login(viewer)
    _chinese(client)

    page = _print(client, world.event, "gate")

    text = _text(page)
    assert "閘口車輛名單: Secretary visits the MARS Centre" in text
    for heading in ("預計抵達時間", "車牌", "車款及顏色", "代表團", "司機", "乘客", "召車時間"):
        assert f'<th scope="col">{heading}</th>' in page, heading
    assert "10:20 原定 10:00 AM 1" in text and "已申請" in text


def test_printed_times_are_on_the_events_clock(client, viewer):
    world = visit(timezone="Europe/London")
    client.force_login(viewer)

    gate = _print(client, world.event, "gate")
    manifest = _print(client, world.event, "manifest")

    # 10:20 in Hong Kong is 02:20 in London (GMT in March).
    assert _rows(gate, "gate-list")[1].startswith("02:20 planned 02:00 AM 1")
    assert "Car call: 03:35" in _text(manifest)
    assert "(GMT, Europe/London)" in gate


# --- The pass list -------------------------------------------------------------------------------


def test_the_pass_list_has_every_pass_by_kind_then_number(client, viewer, world):
    client.force_login(viewer)

    page = _print(client, world.event, "passes")

    headings = re.findall(r'<h2 id="pass-kind-\d+">(.*?) <span', page)
    numbers = re.findall(r'<td class="number">(.*?)</td>', page)
    assert headings == ["Site pass", "Vehicle permit", "Cleanroom access"]
    assert numbers == ["S-2", "S-10", "V-9", "V-10", "V-11", "—", "—"]
    text = _text(page)
    assert (
        "S-10 Requested Ms Amy Aide Innovation Bureau 創新科技及工業局代表團 Collect at lobby"
        in text
    )
    assert "V-11 Cancelled Car 1, AM 1 Innovation Bureau" in text
    assert "— Requested Car 1, PL 8 Partner Labs" in text
    assert "S-2 Issued Prof Sun Dong (孫東)" in text


def test_the_pass_list_reads_in_chinese(client, viewer, world):
    client.force_login(viewer)
    _chinese(client)

    text = _text(_print(client, world.event, "passes"))

    assert "通行證名單: Secretary visits the MARS Centre" in text
    assert "園區通行證 (2)" in text and "車輛通行證 (4)" in text
    assert "V-11 已取消 1號車，AM 1" in text
    assert "S-2 已發出 Prof Sun Dong (孫東)" in text


# --- PDFs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_delegation_printable_is_a_pdf_with_plates_and_chinese_names(
    client, viewer, world, kind
):
    client.force_login(viewer)

    text = _pdf_text(_pdf(client, world.event, kind))

    assert "SecretaryvisitstheMARSCentre" in text and "局長參觀先進製造業中心" in text
    assert "創新科技及工業局代表團" in text and "ProtocolOffice" in text
    if kind in ("manifest", "gate"):
        assert "AM1" in text and "ChanTaiMan" in text and "10:20" in text
    if kind == "passes":
        assert "V-10" in text and "S-2" in text
    if kind == "manifest":
        assert "孫東" in text and "AlanInterpreter" in text


def test_the_gate_list_pdf_is_landscape_and_the_others_portrait(client, viewer, world):
    client.force_login(viewer)

    sizes = {
        kind: [float(side) for side in _pdf(client, world.event, kind).pages[0].mediabox[2:]]
        for kind in KINDS
    }

    assert sizes["gate"] == pytest.approx(A4[::-1], abs=0.5)
    assert sizes["manifest"] == pytest.approx(A4, abs=0.5)
    assert sizes["passes"] == pytest.approx(A4, abs=0.5)


def test_the_pdfs_read_in_chinese(client, viewer, world):
    client.force_login(viewer)
    _chinese(client)

    manifest = _pdf_text(_pdf(client, world.event, "manifest"))
    gate = _pdf_text(_pdf(client, world.event, "gate"))

    assert "代表團名冊" in manifest and "成員" in manifest
    assert "閘口車輛名單" in gate and "車牌" in gate and "AM1" in gate


# --- Spreadsheets from the staff pages ----------------------------------------------------------


def test_the_gate_list_downloads_as_a_workbook_in_the_printed_order(client, viewer, world):
    client.force_login(viewer)

    answer = _export(client, world.event, "vehicles")

    assert answer.status_code == 200
    assert answer["Content-Disposition"].endswith('-2030-03-04-vehicles.xlsx"')
    rows = xlsx_sheets(answer.content)["Gate vehicle list"]
    assert [row[1] for row in rows[1:]] == ["PL 8", "AM 1", "XY 2024", "LATE 9"]


@pytest.mark.parametrize("table", TABLES)
def test_each_delegation_list_downloads_as_csv_too(client, viewer, world, table):
    client.force_login(viewer)

    answer = _export(client, world.event, table, "csv")

    assert answer.status_code == 200
    assert "AM 1" in answer.content.decode("utf-8-sig") or table == "passes"
    assert len(csv_rows(answer.content)) > 2


def test_a_workbook_downloaded_in_chinese_has_chinese_headings(client, viewer, world):
    client.force_login(viewer)
    _chinese(client)

    sheets = xlsx_sheets(_export(client, world.event, "passes").content)

    [(title, rows)] = sheets.items()
    assert title == "通行證"
    assert list(rows[0]) == ["類別", "編號", "狀態", "持有人", "代表團", "備註"]
    assert rows[1][:3] == ("園區通行證", "S-2", "已發出")


# --- Who may print them, and where the event page offers them ------------------------------------


@pytest.fixture
def event_reader(django_user_model):
    """Staff who may see events but not the delegation (its cars, phones, permits)."""
    user = django_user_model.objects.create_user("reader", "reader@example.org", "pw")
    user.user_permissions.add(
        Permission.objects.get(codename="view_event", content_type__app_label="scheduling"),
        Permission.objects.get(codename="view_attendance", content_type__app_label="visitors"),
    )
    return user


def test_without_the_delegation_permission_nothing_of_it_is_shown(client, event_reader, world):
    client.force_login(event_reader)
    event = world.event

    pages = [
        *(reverse("staff:print", args=[event.pk, kind]) for kind in KINDS),
        *(reverse("staff:print-pdf", args=[event.pk, kind]) for kind in KINDS),
        *(reverse("staff:event-export", args=[event.pk, table, "xlsx"]) for table in TABLES),
    ]
    answers = {url: client.get(url) for url in pages}
    event_page = client.get(reverse("staff:event", args=[event.pk])).content.decode()
    attendees = _print(client, event, "attendees")

    for url, answer in answers.items():
        assert answer.status_code == 403, url
        assert b"AM 1" not in answer.content and b"%PDF" not in answer.content, url
    assert "/print/manifest/" not in event_page and "/export/vehicles/" not in event_page
    assert "/print/gate/" not in attendees
    assert _export(client, event, "attendees").status_code == 200  # the rest as before


def test_anonymous_users_are_sent_to_log_in(client, world):
    answer = client.get(reverse("staff:print", args=[world.event.pk, "gate"]))

    assert answer.status_code == 302 and "/staff/login/" in answer["Location"]


def test_the_event_page_offers_the_delegation_printables_and_workbooks(client, viewer, world):
    client.force_login(viewer)
    event = world.event

    page = client.get(reverse("staff:event", args=[event.pk])).content.decode()
    attendees = _print(client, event, "attendees")

    for kind in KINDS:
        assert f'href="{reverse("staff:print", args=[event.pk, kind])}"' in page
        assert f'href="{reverse("staff:print-pdf", args=[event.pk, kind])}"' in page
        assert f'href="{reverse("staff:print", args=[event.pk, kind])}"' in attendees
    for table in TABLES:
        assert f'href="{reverse("staff:event-export", args=[event.pk, table, "xlsx"])}"' in page
    assert "Print delegation manifest" in page and "Gate list PDF" in page
    assert "Pass list (Excel)" in page


def test_an_event_without_a_delegation_offers_none_of_its_printables(client, viewer, world):
    other = EventFactory(site=world.event.site)
    client.force_login(viewer)

    page = client.get(reverse("staff:event", args=[other.pk])).content.decode()
    attendees = _print(client, other, "attendees")
    manifest = _print(client, other, "manifest")

    assert "/print/manifest/" not in page and "/print/gate/" not in page
    assert "/print/passes/" not in page and "/export/manifest/" not in page
    assert "Print delegation manifest" not in page
    assert "/print/gate/" not in attendees
    assert "This event has no delegation yet." in manifest  # asked for all the same


# --- Queries ------------------------------------------------------------------------------------

# Five for the view (session, user, two for permissions, the event), then the list's own: the
# manifest's six (the order of precedence, the parties, their members, cars, passengers and
# permits), the gate's three (cars, passengers, permits), the pass list's one.
PRINT_QUERIES = {"manifest": 11, "gate": 8, "passes": 6}
EXPORT_QUERIES = {"manifest": 11, "vehicles": 8, "passes": 6}


@pytest.mark.parametrize("cars", [0, 8])
def test_the_delegation_lists_take_as_many_queries_whatever_the_number_of_cars(
    client, viewer, world, cars, django_assert_max_num_queries
):
    more_cars(world, cars)
    client.force_login(viewer)
    event = world.event

    for kind, queries in PRINT_QUERIES.items():
        with django_assert_max_num_queries(queries):
            page = _print(client, event, kind)
        assert page.count("EXTRA ") >= cars, kind
    for table, queries in EXPORT_QUERIES.items():
        with django_assert_max_num_queries(queries):
            answer = _export(client, event, table)
        assert answer.status_code == 200
