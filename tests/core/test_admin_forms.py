"""Inline rows in the back office name each input after its field and its row."""

import pytest

from tests.factories import AttendanceFactory, EventFactory, ProgrammeItemFactory
from tests.scheduling.test_admin import admin_url

pytestmark = pytest.mark.django_db


def test_event_inline_inputs_are_named_after_their_field_and_row(client, officer):
    event = EventFactory()
    ProgrammeItemFactory.create_batch(2, event=event)
    AttendanceFactory(event=event)
    client.force_login(officer)

    page = client.get(admin_url("scheduling.event", "change", event.pk)).content.decode()

    for name in (
        "Start (date), programme item 1",
        "Start (time), programme item 2",
        "Kind, programme item 2",
        "Facility, programme item 1",
        "Delete, programme item 2",
        "Role, attendance 1",
        "Call time (time), attendance 1",
        "Kind, new programme item",
    ):
        assert page.count(f'aria-label="{name}"') == 1, name
    assert '<label for="id_start_0">Date:</label>' in page
