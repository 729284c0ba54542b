import pytest

from core.changes import id_list
from core.models import Change
from scheduling.models import Booking, Event
from scheduling.visibility import (
    PUBLIC,
    STAFF,
    ChangeState,
    can_see_event,
    change_filter,
    could_see_any,
    event_filter,
    event_test,
    partner,
    programme_item_filter,
    sees_internal_programme,
    sees_programme_item,
)
from tests.factories import BookingFactory, EventFactory, OrganisationFactory, ProgrammeItemFactory

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


def _visit():
    """A restricted visit hosted by `host` with stops at `first` (public) and `second`
    (internal); `outsider` hosts nothing."""
    host, first, second, outsider = (OrganisationFactory() for _ in range(4))
    event = EventFactory(visibility="restricted", host_organisation=host)
    ProgrammeItemFactory(event=event, host_organisation=first)
    ProgrammeItemFactory(event=event, host_organisation=second, visibility="internal")
    ProgrammeItemFactory(event=event, visibility="internal")  # the office's own cue
    return event, host, first, second, outsider


def test_a_restricted_visit_is_seen_by_staff_its_host_and_every_stop_host_only():
    event, host, first, second, outsider = _visit()
    EventFactory(visibility="restricted", host_organisation=outsider)  # someone else's
    BookingFactory(event=event)
    expected = {
        STAFF: True,
        partner(host.pk): True,
        partner(first.pk): True,
        partner(second.pk): True,
        partner(outsider.pk): False,
        PUBLIC: False,
    }

    for audience, sees in expected.items():
        listed = Event.objects.visible_to(audience).filter(pk=event.pk).exists()
        booked = Booking.objects.filter(event_filter(audience, "event__"), event=event).exists()
        by_query = can_see_event(audience, event)
        given = can_see_event(audience, event, stop_hosts=(first.pk, second.pk))
        tested = event_test(audience)(event)

        assert listed == booked == by_query == given == tested == sees, audience


def test_event_test_reads_stop_hosts_once_for_many_events(django_assert_num_queries):
    visits = [_visit() for _ in range(3)]
    test = event_test(partner(visits[0][2].pk))  # the first visit's first stop host

    with django_assert_num_queries(1):
        seen = [test(event) for event, *_ in visits for _ in range(2)]

    assert seen == [True, True, False, False, False, False]


def test_a_stop_host_sees_the_public_programme_and_its_own_items_the_host_sees_all():
    event, host, first, second, outsider = _visit()
    items = list(event.programme.all())

    def titles(audience) -> set[str]:
        by_rule = {
            i.title
            for i in items
            if sees_programme_item(
                audience, event, i.visibility, item_host_id=i.host_organisation_id
            )
        }
        by_query = set(
            event.programme.filter(programme_item_filter(audience)).values_list("title", flat=True)
        )
        assert by_rule == by_query, audience
        return by_rule

    public, internal_stop, cue = (i.title for i in items)
    assert titles(STAFF) == titles(partner(host.pk)) == {public, internal_stop, cue}
    assert titles(partner(second.pk)) == {public, internal_stop}
    assert titles(partner(first.pk)) == {public}
    assert not sees_internal_programme(partner(second.pk), event)


def test_could_see_any_and_change_filter_agree_on_logged_states():
    host, stop, outsider = 1, 2, 3
    states = [
        ChangeState("restricted", host, (stop,)),
        ChangeState("restricted", host, (stop,), internal=True),
        ChangeState("restricted", host, (stop,), internal=True, item_host_id=stop),
        ChangeState("restricted", host, ()),
        ChangeState("partners", host, (), internal=True, item_host_id=stop),
        ChangeState("internal", host, (stop,)),
    ]
    rows = [
        Change.objects.create(
            entity="programme_item",
            object_id=n,
            visibility=s.visibility,
            host_organisation_id=s.host_organisation_id,
            stop_hosts=id_list(s.stop_hosts),
            internal=s.internal,
            item_host_id=s.item_host_id,
        )
        for n, s in enumerate(states)
    ]

    expected = {host: [1, 1, 1, 1, 1, 0], stop: [1, 0, 1, 0, 1, 0], outsider: [0] * 6}
    for org, seen in expected.items():
        audience = partner(org)
        by_rule = [int(could_see_any(audience, [s])) for s in states]
        matched = set(Change.objects.filter(change_filter(audience)).values_list("pk", flat=True))
        assert by_rule == seen, org
        assert matched == {row.pk for row, seen in zip(rows, by_rule, strict=True) if seen}
