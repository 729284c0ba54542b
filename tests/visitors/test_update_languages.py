"""What an update says changed is written in its reader's language, whatever language the
officer who made the change was working in: the lines are kept in every language of the site
and each message (each section of a bilingual one) reads its own."""

import datetime as dt
import json
from importlib import import_module

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from scheduling import services as scheduling_services
from scheduling.wording import joined, lines_for
from tests.factories import hk
from tests.visitors.test_invitations import address, confirmed_event, invite_all
from visitors import services
from visitors.emails import delivery_message
from visitors.models import Attendance, Delivery

pytestmark = pytest.mark.django_db

MORNING = {"start": hk(2031, 3, 4, 10), "end": hk(2031, 3, 4, 12)}  # a Tuesday


@pytest.fixture(autouse=True)
def no_coalescing(settings):
    settings.INVITE_COALESCE_SECONDS = 0


def _invited(capture, *languages: str, **fields) -> tuple:
    event, attendances = confirmed_event(len(languages), **MORNING, **fields)
    for attendance, language in zip(attendances, languages, strict=True):
        attendance.person.language = language
        attendance.person.save()
    invite_all(event, capture)
    mail.outbox.clear()
    return event, attendances


def _mail_to(attendance: Attendance):
    [message] = [m for m in mail.outbox if address(attendance) in m.to[0]]
    return message


def _html_of(message) -> str:
    return next(content for content, kind in message.alternatives if kind == "text/html")


def test_an_officer_working_in_chinese_moves_the_time_and_each_reader_gets_their_language(
    django_capture_on_commit_callbacks,
):
    event, (english, chinese) = _invited(django_capture_on_commit_callbacks, "en", "zh-hant")

    with translation.override("zh-hant"), django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_reschedule(
            event_id=event.pk, start=hk(2031, 3, 4, 10, 30), end=hk(2031, 3, 4, 12, 30)
        )

    to_english, to_chinese = _mail_to(english), _mail_to(chinese)
    assert "  - Time: 10:00–12:00 → 10:30–12:30" in to_english.body
    assert "時間" not in to_english.body and "時間" not in _html_of(to_english)
    assert "  - 時間：10:00–12:00 → 10:30–12:30" in to_chinese.body
    assert "<li>時間：10:00–12:00 → 10:30–12:30</li>" in _html_of(to_chinese)
    assert "Time: " not in to_chinese.body


def test_a_move_to_another_day_writes_the_days_as_each_language_does(
    django_capture_on_commit_callbacks,
):
    event, (english, chinese) = _invited(django_capture_on_commit_callbacks, "en", "zh-hant")

    with translation.override("zh-hant"), django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_reschedule(
            event_id=event.pk, start=hk(2031, 3, 5, 10), end=hk(2031, 3, 5, 12)
        )

    assert "Time: Tue 4 Mar 10:00–12:00 → Wed 5 Mar 10:00–12:00" in _mail_to(english).body
    assert "時間：3月4日（星期二）10:00–12:00 → 3月5日（星期三）10:00–12:00" in (
        _mail_to(chinese).body
    )


def test_a_bilingual_events_update_lists_the_change_in_both_languages(
    django_capture_on_commit_callbacks,
):
    event, (reader,) = _invited(django_capture_on_commit_callbacks, "zh-hant", bilingual=True)

    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.event_reschedule(
            event_id=event.pk, start=hk(2031, 3, 4, 10, 30), end=hk(2031, 3, 4, 12, 30)
        )

    message = _mail_to(reader)
    text, html = message.body, _html_of(message)
    assert text.index("時間：10:00–12:00 → 10:30–12:30") < text.index(
        "Time: 10:00–12:00 → 10:30–12:30"
    )
    assert html.index("<li>時間：10:00–12:00") < html.index('<div lang="en"')
    assert html.index('<div lang="en"') < html.index("<li>Time: 10:00–12:00")


def test_changes_made_in_two_languages_join_one_update_in_each(
    django_capture_on_commit_callbacks,
):
    event, (english, chinese) = _invited(django_capture_on_commit_callbacks, "en", "zh-hant")
    item = event.programme.create(
        title="Welcome remarks",
        start=event.start,
        end=event.start + dt.timedelta(minutes=15),
        visibility="public",
    )

    with translation.override("zh-hant"):
        scheduling_services.event_update(event_id=event.pk, description="Now with a lion dance.")
    scheduling_services.programme_item_update(item_id=item.pk, title="Opening remarks")
    [waiting] = Delivery.objects.filter(state=Delivery.State.QUEUED, person=chinese.person)

    assert waiting.changes["en"] == [
        "The description was updated.",
        "Programme: Welcome remarks → Opening remarks",
    ]
    assert waiting.changes["zh-hant"] == [
        "說明已更新。",
        "程序：Welcome remarks → Opening remarks",
    ]


def test_ones_own_new_role_reads_in_their_language(django_capture_on_commit_callbacks):
    event, (english,) = _invited(django_capture_on_commit_callbacks, "en")

    with translation.override("zh-hant"), django_capture_on_commit_callbacks(execute=True):
        services.attendance_update(attendance_id=english.pk, role=Attendance.Role.SPEAKER)

    assert "Your role: Guest → Speaker" in _mail_to(english).body


def test_an_update_kept_before_lines_were_kept_in_each_language_reads_as_written(
    django_capture_on_commit_callbacks,
):
    event, (chinese,) = _invited(django_capture_on_commit_callbacks, "zh-hant")
    event.sequence += 1
    event.save(update_fields=["sequence"])
    old = Delivery.objects.create(
        event=event,
        person=chinese.person,
        attendance=chinese,
        method=Delivery.Method.REQUEST,
        sequence=event.sequence,
        next_attempt_at=event.start,
        changes={"en": ["Time: 10:00–12:00 → 10:30–12:30"]},
    )

    assert "  - Time: 10:00–12:00 → 10:30–12:30" in delivery_message(old).body


def test_the_back_office_shows_an_updates_lines_in_the_readers_language(
    django_capture_on_commit_callbacks, officer
):
    officer.is_superuser = True
    officer.save()
    event, (english,) = _invited(django_capture_on_commit_callbacks, "en")
    with translation.override("zh-hant"):
        scheduling_services.event_update(event_id=event.pk, description="Now with a lion dance.")
    [waiting] = Delivery.objects.filter(state=Delivery.State.QUEUED)
    english_desk, chinese_desk = Client(), Client(HTTP_ACCEPT_LANGUAGE="zh-HK")
    english_desk.force_login(officer)
    chinese_desk.force_login(officer)
    url = reverse("admin:visitors_delivery_change", args=[waiting.pk])

    in_english = english_desk.get(url).content.decode()
    in_chinese = chinese_desk.get(url).content.decode()

    assert "The description was updated." in in_english and "說明已更新。" not in in_english
    assert "說明已更新。" in in_chinese and "The description was updated." not in in_chinese


def test_a_change_joining_lines_kept_in_one_language_keeps_them_for_every_reader():
    kept = {"en": ["Time: 10:00–12:00 → 10:30–12:30"]}  # as kept before 0012
    new = {"en": ["The description was updated."], "zh-hant": ["說明已更新。"]}

    together = joined(kept, new, new)

    assert together == {
        "en": ["Time: 10:00–12:00 → 10:30–12:30", "The description was updated."],
        "zh-hant": ["Time: 10:00–12:00 → 10:30–12:30", "說明已更新。"],
    }
    assert lines_for(together, "fr") == together["en"] and lines_for({}) == []


def test_the_migration_keeps_lines_written_so_far_as_the_english_entry():
    migration = import_module("visitors.migrations.0011_delivery_changes_as_json_text")
    text = "Time: 10:00–12:00 → 10:30–12:30\n時間：10:00"

    as_json = migration.as_json(text)

    assert json.loads(as_json) == {"en": ["Time: 10:00–12:00 → 10:30–12:30", "時間：10:00"]}
    assert migration.as_json("") == "{}"
    assert migration.as_lines(as_json) == text
    assert migration.as_lines(json.dumps({"zh-hant": ["說明已更新。"]})) == "說明已更新。"
