"""The event's own admin templates: the extra link and the history cross-links, translatable."""

import pytest
from django.urls import reverse

from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_event_change_form_offers_to_book_a_facility_for_the_event(client, officer):
    event = EventFactory()
    client.force_login(officer)

    page = client.get(reverse("admin:scheduling_event_change", args=[event.pk])).content.decode()

    booking_add = reverse("admin:scheduling_booking_add")
    assert f'<a href="{booking_add}?event={event.pk}">Book a facility</a>' in page


def test_event_history_links_to_the_changes_of_its_programme_bookings_and_attendees(
    client, officer
):
    event = EventFactory()
    client.force_login(officer)

    page = client.get(reverse("admin:scheduling_event_history", args=[event.pk])).content.decode()

    assert "Changes to this event's" in page
    for changelist, words in (
        ("admin:scheduling_historicalprogrammeitem_changelist", "programme"),
        ("admin:scheduling_historicalbooking_changelist", "bookings"),
        ("admin:visitors_historicalattendance_changelist", "attendees"),
    ):
        assert f'<a href="{reverse(changelist)}?event__id__exact={event.pk}">{words}</a>' in page
