"""Why a row changed, as the history keeps it: the services' reasons are kept language-neutral
(an English message id, and a detail such as a file name after it) and the back office shows
them in the reader's language; what a person wrote as the reason stays as they wrote it."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from core.audit import reason_shown, reason_with
from scheduling import services as scheduling_services
from tests.factories import EventFactory, PersonFactory, hk
from visitors import services

pytestmark = pytest.mark.django_db


def test_a_services_reason_is_kept_in_english_whoever_gave_it(officer):
    event = EventFactory(start=hk(2031, 3, 4, 10))

    with translation.override("zh-hant"):
        scheduling_services.event_reschedule(
            event_id=event.pk, start=hk(2031, 3, 4, 11), end=hk(2031, 3, 4, 13), by=officer
        )
        added = services.attendance_add(event_id=event.pk, person_id=PersonFactory().pk)
        services.attendance_update(attendance_id=added.pk, notes="Vegetarian", order_override=2)

    assert event.history.latest().history_change_reason == "Rescheduled"
    assert [record.history_change_reason for record in added.history.order_by("history_id")] == [
        "Added to attendee list",
        "Updated: notes; Placed in the order of precedence: 2",
    ]


def test_a_services_reason_reads_in_the_readers_language():
    with translation.override("zh-hant"):
        shown = reason_shown("Added to attendee list")

    assert shown != "Added to attendee list" and "出席" in shown


def test_a_reason_with_a_detail_translates_the_words_and_keeps_the_detail():
    stored = reason_with("Imported from", "guests.xlsx")

    with translation.override("zh-hant"):
        shown = reason_shown(stored)

    assert stored == "Imported from: guests.xlsx"
    assert "Imported" not in shown and shown.endswith("guests.xlsx") and "匯入" in shown
    assert reason_shown(stored) == stored  # English reads it as kept


def test_what_a_person_wrote_stays_as_written():
    with translation.override("zh-hant"):
        shown = [
            reason_shown(text)
            for text in ("Minister delayed", "Client asked: move it to 3pm", "Go", "")
        ]

    assert shown == ["Minister delayed", "Client asked: move it to 3pm", "Go", ""]


def test_every_part_of_a_reason_in_parts_is_translated():
    stored = "; ".join(
        [reason_with("Updated", "notes"), reason_with("Placed in the order of precedence", 2)]
    )

    with translation.override("zh-hant"):
        shown = reason_shown(stored)

    assert stored == "Updated: notes; Placed in the order of precedence: 2"
    assert "Updated" not in shown and "order of precedence" not in shown
    assert "notes" in shown and shown.endswith("2")


def _chinese_back_office(officer) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-HK")
    client.force_login(officer)
    return client


def test_the_attendee_history_in_chinese_shows_the_reason_in_chinese(officer):
    event = EventFactory(start=hk(2031, 3, 4, 10))
    services.attendance_add(event_id=event.pk, person_id=PersonFactory().pk, by=officer)

    page = (
        _chinese_back_office(officer)
        .get(reverse("admin:visitors_historicalattendance_changelist"))
        .content.decode()
    )

    assert "Added to attendee list" not in page
    with translation.override("zh-hant"):
        assert reason_shown("Added to attendee list") in page


def test_the_event_list_and_its_history_page_show_the_last_reason_in_chinese(officer):
    event = EventFactory(start=hk(2031, 3, 4, 10))
    scheduling_services.event_reschedule(
        event_id=event.pk, start=hk(2031, 3, 4, 11), end=hk(2031, 3, 4, 13), by=officer
    )
    client = _chinese_back_office(officer)

    listed = client.get(reverse("admin:scheduling_event_changelist")).content.decode()
    history = client.get(reverse("admin:scheduling_event_history", args=[event.pk]))

    with translation.override("zh-hant"):
        rescheduled = reason_shown("Rescheduled")
    assert rescheduled != "Rescheduled"
    assert rescheduled in listed and "Rescheduled" not in listed
    assert rescheduled in history.content.decode()
    assert "Rescheduled" not in history.content.decode()
