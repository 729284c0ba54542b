"""Traditional Chinese, complete: every marked message is in the catalogue and translated (none
fuzzy, placeholders kept), and the pages, the RSVP page and the e-mails read in Chinese."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from scheduling.models import Booking, Event
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    EventFactory,
    FacilityFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)
from visitors.emails import delivery_message
from visitors.models import Delivery
from visitors.rsvp import rsvp_url

BASE = Path(settings.BASE_DIR)
CATALOGUE = BASE / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
SOURCES = ("config", "core", "scheduling", "visitors", "desk", "api", "templates")


def _catalogue() -> polib.POFile:
    return polib.pofile(str(CATALOGUE))


def test_every_message_is_translated_and_none_is_fuzzy():
    catalogue = _catalogue()

    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]

    assert len(catalogue) > 600
    assert untranslated == [] and fuzzy == []


def test_translations_keep_every_placeholder():
    wrong = []
    for entry in _catalogue().translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        if entry.msgid_plural:
            wanted = sorted(set(wanted) | set(PLACEHOLDER.findall(entry.msgid)))
        for text in translations:
            found = sorted(PLACEHOLDER.findall(text))
            if (set(found) if entry.msgid_plural else found) != (
                set(wanted) if entry.msgid_plural else wanted
            ):
                wrong.append((entry.msgid, text))
    assert wrong == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (.ci/run)")
def test_the_catalogue_holds_every_marked_message(tmp_path):
    # makemessages on a copy of the sources: what it gathers must all be in the catalogue.
    for name in (*SOURCES, "manage.py", "locale"):
        source = BASE / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hant", "--no-obsolete", "-v", "0"],
        cwd=tmp_path,
        env={"DEBUG": "true", "PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path / "var")},
        check=True,
        capture_output=True,
    )
    gathered = polib.pofile(str(tmp_path / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"))

    known = {(entry.msgctxt, entry.msgid) for entry in _catalogue()}
    missing = sorted(e.msgid for e in gathered if (e.msgctxt, e.msgid) not in known)

    assert missing == [], "run `make messages` and translate these"


# --- Read in Chinese -----------------------------------------------------------------------------


@pytest.fixture
def world(db):
    site = SiteFactory(slug="tai-po", name="Tai Po InnoPark", name_zh="大埔創新園")
    hall = FacilityFactory(site=site, name="MARS Hall")
    event = EventFactory(
        site=site,
        title="Opening",
        title_zh="開幕典禮",
        status=Event.Status.CONFIRMED,
        start=hk(2030, 3, 4, 10),
        end=hk(2030, 3, 4, 12),
    )
    BookingFactory(event=event, facility=hall, status=Booking.Status.CONFIRMED)
    ProgrammeItemFactory(event=event, facility=hall, start=event.start, end=event.end)
    attendance = AttendanceFactory(event=event, person__language="zh-hant")
    return {"event": event, "attendance": attendance}


def _main(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def test_every_staff_page_reads_in_chinese(client, officer, world):
    event = world["event"]
    client.force_login(officer)
    client.post(reverse("staff:language"), {"language": "zh-hant"})
    pages = [
        reverse("staff:calendar") + "?site=tai-po&date=2030-03-04",
        reverse("staff:calendar") + "?site=tai-po&date=2030-03-04&view=agenda",
        reverse("staff:event", args=[event.pk]),
        reverse("staff:invitations", args=[event.pk]),
        reverse("staff:event-cancel", args=[event.pk]),
        reverse("staff:programme-edit", args=[event.pk, event.programme.get().pk]),
        reverse("staff:planner"),
        reverse("staff:checkin") + f"?event={event.pk}",
        reverse("staff:live", args=[event.pk]),
        reverse("staff:board", args=[event.pk]),
        reverse("staff:attendees-import", args=[event.pk]),
        *(
            reverse("staff:print", args=[event.pk, kind])
            for kind in ("run-of-show", "itinerary", "attendees", "name-cards")
        ),
    ]
    for url in pages:
        answer = client.get(url)
        page = answer.content.decode()

        assert answer.status_code == 200, url
        assert answer["Content-Language"] == "zh-hant", url
        assert "日曆" in page or "/print/" in url, url  # the navigation
        assert CHINESE.search(_main(page).replace("開幕典禮", "").replace("大埔創新園", "")), url


def test_an_import_preview_reads_in_chinese_with_each_rows_reason(client, officer, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.spreadsheets import csv_bytes

    event = world["event"]
    client.force_login(officer)
    client.post(reverse("staff:language"), {"language": "zh-hant"})
    upload = csv_bytes(
        [["Name", "E-mail"], ["陳大文", "chan@example.org"], ["李四", "not-an-address"]]
    )

    answer = client.post(
        reverse("staff:attendees-import", args=[event.pk]),
        {"file": SimpleUploadedFile("list.csv", upload, content_type="text/csv")},
        follow=True,
    )
    main = _main(answer.content.decode())

    assert answer.status_code == 200 and "/import/" in answer.redirect_chain[-1][0]
    assert "陳大文" in main and "李四" in main
    assert CHINESE.search(main.replace("陳大文", "").replace("李四", "").replace("開幕典禮", ""))
    assert "「not-an-address」並非電郵地址。" in main  # the bad row says why, in Chinese


def test_the_login_page_reads_in_chinese():
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-HK").get(reverse("staff:login")).content.decode()

    assert "登入" in page


def test_the_rsvp_page_reads_in_chinese(world):
    page = Client().get(rsvp_url(world["attendance"])).content.decode()

    assert "2030年3月4日（星期一）" in page
    assert CHINESE.search(_main(page).replace("開幕典禮", ""))


def test_the_host_consent_page_and_email_read_in_chinese(
    officer, mailoutbox, django_capture_on_commit_callbacks
):
    from scheduling.services import stop_consent_request
    from tests.consent_world import hosted_stop
    from visitors.consents import consent_url

    with django_capture_on_commit_callbacks(execute=True):
        consent = stop_consent_request(item_id=hosted_stop(language="zh-hant").pk, by=officer)
    [message] = mailoutbox

    page = Client().get(consent_url(consent).removeprefix(settings.PUBLIC_BASE_URL))
    main = _main(page.content.decode())

    assert "2030年3月4日（星期一）" in main and "訪問團人數" in main and "無塵室" in main
    assert "要求另定時間" in main
    assert message.subject.startswith("請確認：") and "訪客須知" in message.body


@pytest.mark.parametrize(
    "method", [Delivery.Method.REQUEST, Delivery.Method.CANCEL, Delivery.Method.REMINDER]
)
def test_each_email_reads_in_chinese(world, method):
    attendance = world["attendance"]
    delivery = Delivery.objects.create(
        event=attendance.event,
        person=attendance.person,
        attendance=attendance,
        method=method,
        sequence=attendance.event.sequence,
        next_attempt_at=hk(2030, 3, 1),
    )

    message = delivery_message(delivery)
    html = message.alternatives[0][0]

    with translation.override("en"):  # whatever the sender's own language
        assert CHINESE.search(message.subject.replace("開幕典禮", ""))
    assert CHINESE.search(message.body.replace("開幕典禮", "").replace("大埔創新園", ""))
    assert '<html lang="zh-hant">' in html


def test_the_send_progress_line_is_punctuated_as_chinese(world):
    from types import SimpleNamespace

    from desk.views.invitations import progress_text

    progress = SimpleNamespace(total=8, sent=6, failed=1, waiting=1, finish=None, held=0)

    with translation.override("zh-hant"):
        text = progress_text(progress, world["event"])
    with translation.override("en"):
        english = progress_text(progress, world["event"])

    assert english == "6 of 8 sent, 1 failed; 1 on their way."
    assert text.endswith("。") and "，" in text and "；" in text
    assert not re.search(r"[,;.]", text)


def test_moments_in_messages_are_written_in_the_chinese_form():
    import datetime as dt

    from scheduling.timezones import moment_label

    moment = dt.datetime(2030, 3, 4, 2, 0, tzinfo=dt.UTC)

    with translation.override("zh-hant"):
        chinese = moment_label(moment, "Asia/Hong_Kong")
    with translation.override("en"):
        english = moment_label(moment, "Asia/Hong_Kong")

    assert chinese == "2030年3月4日（星期一）10:00 HKT"
    assert english == "Mon 4 Mar 2030 10:00 HKT"
