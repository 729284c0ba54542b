"""manage.py import_attendees: the preview printed, saved only with --confirm."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import EventFactory, OrganisationFactory, PersonFactory, event_created
from tests.spreadsheets import csv_bytes, xlsx_bytes
from visitors.models import ImportBatch, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(tmp_path):
    tenant = OrganisationFactory(name="Time Medical Systems")
    PersonFactory(name="Alfred Sit", email="", organisation=tenant)
    path = tmp_path / "guests.xlsx"
    path.write_bytes(
        xlsx_bytes(
            [
                ["Name", "Chinese name", "Organisation", "E-mail"],
                ["Sun Dong", "孫東", "", "sun@example.org"],
                ["Alfred Sit", "", "Time Medical Systems", ""],
                ["Nobody", "", "Nowhere", ""],
            ]
        )
    )
    return path


def _run(*args) -> str:
    out = io.StringIO()
    call_command("import_attendees", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_prints_the_preview_and_saves_nothing(listed):
    event = EventFactory()

    said = _run(event.pk, listed)

    assert "row 2: new person: Sun Dong 孫東" in said
    assert "row 3: match to confirm: Alfred Sit → Ms Alfred Sit · Time Medical Systems" in said
    assert "row 4: skipped: Nobody (Unknown organisation “Nowhere”" in said
    assert "1 new person, 0 on file, 1 match to confirm, 1 skipped." in said
    assert "Nothing saved" in said
    assert event.attendances.count() == 0 and not ImportBatch.objects.exists()


def test_the_command_saves_with_confirm_and_takes_matches_named(listed, officer):
    event = EventFactory()

    said = _run(event.pk, listed, "--confirm", "--accept-match", 3, "--user", "officer")

    assert "Imported: 2 added to the list (1 new on file); 1 skipped." in said
    alfred = Person.objects.get(name="Alfred Sit")
    assert event.attendances.filter(person=alfred).exists()
    assert event.attendances.get(person__name="Sun Dong").history.get().history_user == officer


def test_without_accepting_a_match_it_is_a_new_person(listed):
    event = EventFactory()

    _run(event.pk, listed, "--confirm")

    assert Person.objects.filter(name="Alfred Sit").count() == 2


def test_the_command_refuses_what_it_cannot_read(tmp_path):
    event = EventFactory()
    bad = tmp_path / "list.csv"
    bad.write_bytes(csv_bytes([["Nom"], ["A"]]))

    with pytest.raises(CommandError, match="Unknown columns: “Nom”"):
        _run(event.pk, bad)
    with pytest.raises(CommandError, match="No event #999999"):
        _run(999999, bad)
    with pytest.raises(CommandError, match="cannot read"):
        _run(event.pk, tmp_path / "missing.xlsx")


def test_the_media_on_an_event_under_embargo_need_confirm_embargo(tmp_path, officer):
    OrganisationFactory(name="Ming Pao", kind="media")
    event = event_created(
        visibility="restricted",
        host_organisation=OrganisationFactory(),
        release_at=timezone.now() + dt.timedelta(days=1),
        release_visibility="public",
    )
    path = tmp_path / "press.csv"
    path.write_bytes(
        csv_bytes(
            [["Name", "Organisation", "E-mail"], ["Reporter", "Ming Pao", "r@mingpao.example"]]
        )
    )

    said = _run(event.pk, path)
    assert "row 2: new person: Reporter [media, under embargo: needs --confirm-embargo]" in said
    with pytest.raises(CommandError):
        _run(event.pk, path, "--confirm", "--user", "officer")
    assert event.attendances.count() == 0

    said = _run(event.pk, path, "--confirm", "--confirm-embargo", "--user", "officer")

    assert "Imported: 1 added to the list (1 new on file)" in said
    history = event.attendances.get().history.get()
    assert history.history_user == officer and "confirmed" in history.history_change_reason
