"""Each attendee is written to in their preferred language; a bilingual event's messages carry
both, theirs first. Their RSVP page opens in it too, until they choose otherwise."""

import email
from email import policy

import pytest
from django.conf import settings
from django.test import Client

from visitors.emails import delivery_message
from visitors.models import Attendance, Delivery
from visitors.rsvp import rsvp_url

from .test_invite_email import _delivery, _invited

pytestmark = pytest.mark.django_db


def _parts(message) -> dict[str, str]:
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    return {
        part.get_content_type(): part.get_content()
        for part in parsed.walk()
        if part.get_content_type() in ("text/plain", "text/html")
    } | {"subject": str(parsed["Subject"])}


def _speaking(language: str, **event_fields) -> Attendance:
    attendance = _invited(**event_fields)
    attendance.person.language = language
    attendance.person.save()
    return attendance


def test_a_chinese_reader_gets_the_invite_with_dates_in_the_chinese_form():
    attendance = _speaking("zh-hant")

    parts = _parts(delivery_message(_delivery(attendance)))

    assert "2030年7月1日（星期一）" in parts["text/plain"]
    assert '<html lang="zh-hant">' in parts["text/html"]
    assert '<div lang="zh-hant"' in parts["text/html"]
    assert "Monday" not in parts["text/plain"] + parts["text/html"]


def test_an_english_reader_gets_english_dates():
    attendance = _speaking("en")

    parts = _parts(delivery_message(_delivery(attendance)))

    assert "Monday 1 July 2030, 10:00–12:00" in parts["text/plain"]
    assert "年" not in parts["text/plain"].replace("火星中心開幕典禮", "")


def test_a_bilingual_event_writes_both_languages_the_readers_first():
    attendance = _speaking("zh-hant", bilingual=True)

    parts = _parts(delivery_message(_delivery(attendance)))

    text, html = parts["text/plain"], parts["text/html"]
    assert text.index("2030年7月1日（星期一）") < text.index("Monday 1 July 2030")
    assert html.index('<div lang="zh-hant"') < html.index('<div lang="en"')
    assert " / " in parts["subject"]
    assert "台鑒" in html and "Dear " in html  # a greeting in each section
    assert html.count("<div lang=") == 2


def test_a_cancellation_follows_the_readers_language():
    attendance = _speaking("zh-hant")

    parts = _parts(delivery_message(_delivery(attendance, Delivery.Method.CANCEL)))

    assert "2030年7月1日（星期一）" in parts["text/plain"]


def test_the_rsvp_page_opens_in_the_attendees_language_until_they_switch():
    attendance = _speaking("zh-hant")
    link = rsvp_url(attendance)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    first = client.get(link)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    chosen = client.get(link)

    assert first["Content-Language"] == "zh-hant"
    assert "2030年7月1日（星期一）" in first.content.decode()
    assert chosen["Content-Language"] == "en"
    assert "Monday 1 July 2030" in chosen.content.decode()
