"""The printables as PDFs: laid out by WeasyPrint from the page's own template and stylesheet,
read back with pypdf."""

import importlib.abc
import io
import sys

import pypdf
import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

from desk import printing
from scheduling.models import Event, ProgrammeItem, ProgrammeRole
from tests.factories import (
    AttendanceFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeItemFactory,
    hk,
)

pytestmark = pytest.mark.django_db

KINDS = ("run-of-show", "itinerary", "attendees", "name-cards")
A4 = (595.28, 841.89)  # 210 × 297 mm in PDF points
MM = 72 / 25.4
# Long names in a narrow column: with a long post beside them, each CJK character would be a
# place to break the line.
LONG_NAMES_ZH = (
    "歐陽諸葛明月",
    "司馬慕容雲飛",
    "愛新覺羅恆安",
    "長孫上官德輝",
    "亞歷山德羅·皮耶羅",
)


@pytest.fixture(autouse=True)
def _letterhead(settings):
    settings.PRINT_LETTERHEAD_NAME = "Science Park Protocol Office"
    settings.PRINT_LETTERHEAD_NAME_ZH = "科學園禮賓處"
    settings.PRINT_LETTERHEAD_ADDRESS = "2 Science Park West Avenue, Sha Tin"


@pytest.fixture
def event():
    hall = FacilityFactory(name="MARS Hall", name_zh="火星廳")
    event = EventFactory(title="MARS Centre inspection", title_zh="視察火星中心", site=hall.site)
    tenant = OrganisationFactory(name="Time Medical Systems", name_zh="時代醫療")
    stop = ProgrammeItemFactory(
        event=event,
        title="Tour stop: Time Medical",
        kind=ProgrammeItem.Kind.TOUR_STOP,
        facility=hall,
        host_organisation=tenant,
        start=hk(2030, 3, 4, 10, 10),
        end=hk(2030, 3, 4, 10, 40),
    )
    host = PersonFactory(name="Simon Yeung", name_zh="楊偉雄", post="Chief Executive")
    ProgrammeRole.objects.create(item=stop, person=host, part=ProgrammeRole.Part.HOST)
    minister = PersonFactory(
        honorific="Prof", name="Sun Dong", name_zh="孫東", precedence_rank=1, post="Secretary"
    )
    AttendanceFactory(
        event=event, person=minister, role="guest_of_honour", call_time=hk(2030, 3, 4, 9, 45)
    )
    AttendanceFactory(event=event, person=PersonFactory(name="", name_zh="陳大文", honorific=""))
    return event


def _get_pdf(client, event, kind, query=""):
    return client.get(reverse("staff:print-pdf", args=[event.pk, kind]) + query)


def _read(response) -> pypdf.PdfReader:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(response.content))


def _text(reader: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def _heights(page: pypdf.PageObject) -> dict[str, float]:
    """Each piece of text on the page and how high it stands (points from the bottom)."""
    heights = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            heights[text.strip()] = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]

    page.extract_text(visitor_text=visit)
    return heights


def _sizes(page: pypdf.PageObject) -> dict[str, float]:
    """Each piece of text on the page and its font size."""
    sizes = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            sizes[text.strip()] = size

    page.extract_text(visitor_text=visit)
    return sizes


def _lines(reader: pypdf.PdfReader) -> list[str]:
    return [line for page in reader.pages for line in page.extract_text().splitlines()]


@pytest.mark.parametrize("kind", KINDS)
def test_each_printable_is_an_a4_pdf_with_the_event_the_names_and_the_letterhead(
    client, viewer, event, kind
):
    client.force_login(viewer)

    reader = _read(_get_pdf(client, event, kind))

    text = _text(reader)
    for page in reader.pages:
        assert [float(side) for side in page.mediabox[2:]] == pytest.approx(A4, abs=0.5)
    assert "Science Park Protocol Office" in text and "科學園禮賓處" in text
    assert "2 Science Park West Avenue, Sha Tin" in text
    if kind == "name-cards":
        assert "Prof Sun Dong" in text and "孫東" in text and "陳大文" in text
    else:
        assert "MARS Centre inspection" in text and "視察火星中心" in text
    if kind in ("run-of-show", "attendees"):
        assert "Prof Sun Dong" in text and "(孫東)" in text
    if kind in ("run-of-show", "itinerary"):
        assert "Ms Simon Yeung" in text and "(楊偉雄)" in text and "MARS Hall" in text


def test_the_pdf_is_an_attachment_named_for_the_event_and_the_printable(client, viewer, event):
    untitled = EventFactory(title="視察", site=event.site)
    client.force_login(viewer)

    named = _get_pdf(client, event, "itinerary")
    numbered = _get_pdf(client, untitled, "name-cards")

    assert named["Content-Disposition"] == (
        'attachment; filename="mars-centre-inspection-itinerary.pdf"'
    )
    assert numbered["Content-Disposition"] == (
        f'attachment; filename="event-{untitled.pk}-name-cards.pdf"'
    )


def test_the_letterhead_heads_every_page_of_a_long_list(client, viewer, event):
    for number in range(60):
        AttendanceFactory(event=event, person=PersonFactory(name=f"Guest {number:02}"))
    client.force_login(viewer)

    reader = _read(_get_pdf(client, event, "attendees"))

    assert len(reader.pages) > 1 and "Guest 59" in _text(reader)
    for page in reader.pages:
        heights = _heights(page)
        letterhead = heights["Science Park Protocol Office"]
        # In the top margin (15 mm), above everything else on the page.
        assert A4[1] - 15 * MM < letterhead < A4[1]
        others = set(heights) - {"Science Park Protocol Office", "科學園禮賓處"}
        assert others and all(letterhead > heights[text] for text in others)


def test_the_letterhead_is_at_the_top_of_every_printable_page(client, viewer, event):
    client.force_login(viewer)

    for kind in KINDS:
        page = client.get(reverse("staff:print", args=[event.pk, kind])).content.decode()

        main = page[page.index("<main>") :]
        assert main.startswith('<main>\n<div class="letterhead" id="letterhead">'), kind
        assert "Science Park Protocol Office" in main and "科學園禮賓處" in main


def test_chinese_names_are_never_broken_across_lines(client, viewer, event):
    organisation = OrganisationFactory(
        name="Hong Kong Science and Technology Parks Corporation Limited",
        name_zh="香港科技園公司",
    )
    for number, name_zh in enumerate(LONG_NAMES_ZH):
        AttendanceFactory(
            event=event,
            person=PersonFactory(
                honorific="The Honourable" if number % 2 else "",
                name="Somebody With A Rather Long English Name" if number % 2 else "",
                post_nominals="GBS, JP" if number % 2 else "",
                name_zh=name_zh,
                post="Permanent Secretary for Innovation, Technology and Industry (Acting)",
                organisation=organisation,
            ),
            # Long notes in the last column leave the name column little room.
            dietary="No shellfish, no pork, nothing containing nuts of any kind. " * 3,
            accessibility="Step-free route from the car to the seat; a seat on the aisle. " * 3,
        )
    client.force_login(viewer)

    attendees = _lines(_read(_get_pdf(client, event, "attendees")))
    cards = _lines(_read(_get_pdf(client, event, "name-cards")))

    for lines in (attendees, cards):
        for name_zh in (*LONG_NAMES_ZH, "孫東", "陳大文"):
            assert any(name_zh in line for line in lines), (name_zh, lines)


def test_name_cards_print_the_english_name_first_unless_asked_for_chinese_first(
    client, viewer, event
):
    client.force_login(viewer)

    english_first = _read(_get_pdf(client, event, "name-cards"))
    chinese_first = _read(_get_pdf(client, event, "name-cards", "?order=zh"))

    english_text, chinese_text = _text(english_first), _text(chinese_first)
    assert english_text.index("Prof Sun Dong") < english_text.index("孫東")
    assert chinese_text.index("孫東") < chinese_text.index("Prof Sun Dong")
    english_sizes, chinese_sizes = _sizes(english_first.pages[0]), _sizes(chinese_first.pages[0])
    assert english_sizes["Prof Sun Dong"] > english_sizes["孫東"]
    assert chinese_sizes["孫東"] > chinese_sizes["Prof Sun Dong"]


def test_the_name_cards_page_offers_chinese_first_and_its_pdf_keeps_the_choice(
    client, viewer, event
):
    client.force_login(viewer)

    page = client.get(reverse("staff:print", args=[event.pk, "name-cards"]) + "?order=zh")

    html = page.content.decode()
    pdf_url = reverse("staff:print-pdf", args=[event.pk, "name-cards"])
    assert '<a href="?order=zh" aria-current="true">Chinese first</a>' in html
    assert f'<a id="download-pdf" href="{pdf_url}?order=zh">Download PDF</a>' in html
    assert html.index('<div class="name-zh primary" lang="zh-Hant">孫東</div>') < html.index(
        '<div class="name secondary">Prof Sun Dong</div>'
    )


def test_every_printable_page_links_its_pdf_and_so_does_the_event_page(client, viewer, event):
    client.force_login(viewer)

    event_page = client.get(reverse("staff:event", args=[event.pk])).content.decode()

    for kind in KINDS:
        pdf_url = reverse("staff:print-pdf", args=[event.pk, kind])
        page = client.get(reverse("staff:print", args=[event.pk, kind])).content.decode()
        assert f'<a id="download-pdf" href="{pdf_url}">Download PDF</a>' in page
        assert f'href="{pdf_url}"' in event_page


def test_pdfs_need_a_login_and_the_view_permission(client, django_user_model, event):
    url = reverse("staff:print-pdf", args=[event.pk, "attendees"])
    nobody = django_user_model.objects.create_user("nobody", "nobody@example.org", "pw")

    anonymous = client.get(url)
    client.force_login(nobody)
    forbidden = client.get(url)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("staff:login") + "?next=/staff/")
    assert forbidden.status_code == 403
    assert b"%PDF" not in forbidden.content


def test_unknown_printables_and_events_are_not_found(client, viewer, event):
    client.force_login(viewer)

    assert _get_pdf(client, event, "menu").status_code == 404
    assert client.get(reverse("staff:print-pdf", args=[0, "attendees"])).status_code == 404


def test_a_restricted_event_prints_for_staff_marked_not_for_publication(client, viewer, event):
    Event.objects.filter(pk=event.pk).update(visibility=Event.Visibility.RESTRICTED)
    client.force_login(viewer)

    text = _text(_read(_get_pdf(client, event, "itinerary")))

    assert "Not for publication" in text and "MARS Centre inspection" in text


class _NoPango(importlib.abc.MetaPathFinder):
    """Importing WeasyPrint fails as it does when cffi cannot open Pango."""

    def find_spec(self, name, path, target=None):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': no such file")
        return None


@pytest.mark.parametrize("missing", ["libraries", "package"])
def test_without_weasyprint_the_pdf_link_explains_what_to_install(
    client, viewer, event, monkeypatch, missing
):
    if missing == "libraries":
        monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
        monkeypatch.setattr(sys, "meta_path", [_NoPango(), *sys.meta_path])
    else:
        monkeypatch.setitem(sys.modules, "weasyprint", None)
    client.force_login(viewer)

    response = _get_pdf(client, event, "run-of-show")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "The PDF cannot be made on this server" in page
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in page
    assert "fonts-noto-cjk" in page
    assert reverse("staff:print", args=[event.pk, "run-of-show"]) in page
    if missing == "libraries":
        assert "cannot load library" in page


def test_pdfs_read_only_this_sites_static_files_from_disk():
    stylesheet = finders.find("staff/print.css")

    assert printing.static_file("http://testserver/static/staff/print.css") == stylesheet
    assert printing.static_file("https://elsewhere.example/static/staff/print.css") == stylesheet
    assert printing.static_file("http://testserver/staff/events/1/") is None
    assert printing.static_file("http://testserver/static/../config/settings.py") is None
    assert printing.static_file("http://testserver/static/staff/missing.css") is None
    assert settings.STATIC_URL.endswith("static/")


def test_ci_installs_the_system_packages_the_pdf_link_names():
    ci = (settings.BASE_DIR / ".ci" / "run").read_text()

    assert f"for package in {' '.join(printing.SYSTEM_PACKAGES)}; do" in ci


def test_the_letterhead_logo_is_a_static_file_read_from_disk(
    client, viewer, event, settings, tmp_path
):
    (tmp_path / "letterhead").mkdir()
    Image.new("RGB", (120, 40), "navy").save(tmp_path / "letterhead" / "logo.png")
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, tmp_path]
    settings.PRINT_LETTERHEAD_LOGO = "letterhead/logo.png"
    client.force_login(viewer)

    page = client.get(reverse("staff:print", args=[event.pk, "itinerary"])).content.decode()
    reader = _read(_get_pdf(client, event, "itinerary"))

    assert '<img class="logo" src="/static/letterhead/logo.png" alt="">' in page
    assert [image.image.size for image in reader.pages[0].images] == [(120, 40)]
