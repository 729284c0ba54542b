import pytest

from scheduling.models import Event
from scheduling.visibility import PUBLIC, STAFF, can_see_event, partner, sees_internal_programme
from tests.factories import EventFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_visibility_matrix():
    host, other = OrganisationFactory(), OrganisationFactory()
    events = {
        v: EventFactory(visibility=v, host_organisation=host, title=v)
        for v in Event.Visibility.values
    }
    expected = {
        STAFF: {"public", "partners", "internal", "restricted"},
        partner(host.pk): {"public", "partners", "restricted"},
        partner(other.pk): {"public", "partners"},
        PUBLIC: {"public"},
    }

    for audience, titles in expected.items():
        listed = set(Event.objects.visible_to(audience).values_list("title", flat=True))
        one_by_one = {title for title, event in events.items() if can_see_event(audience, event)}
        assert listed == titles == one_by_one, audience


def test_internal_programme_is_for_staff_and_the_host():
    host, other = OrganisationFactory(), OrganisationFactory()
    event = EventFactory(visibility="public", host_organisation=host)

    assert sees_internal_programme(STAFF, event)
    assert sees_internal_programme(partner(host.pk), event)
    assert not sees_internal_programme(partner(other.pk), event)
    assert not sees_internal_programme(PUBLIC, event)
