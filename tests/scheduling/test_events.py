import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from scheduling import services
from scheduling.models import Booking, Event, ProgrammeItem
from tests.factories import (
    BookingFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)

pytestmark = pytest.mark.django_db


def test_event_create_defaults_zone_from_site_and_records_creator(officer):
    site = SiteFactory(timezone="Europe/London")

    event = services.event_create(
        title="Delegation visit",
        site=site,
        start=hk(2030, 1, 8, 10),
        end=hk(2030, 1, 8, 12),
        kind=Event.Kind.SITE_INSPECTION,
        by=officer,
    )

    assert event.timezone == "Europe/London"
    assert event.uid.endswith("@protocol-desk") and len(event.uid) > 36
    assert event.sequence == 0
    record = event.history.get()
    assert record.history_type == "+" and record.history_user == officer


def test_event_create_gives_every_event_its_own_uid():
    site = SiteFactory()

    first = services.event_create(
        title="A", site=site, start=hk(2030, 1, 8, 10), end=hk(2030, 1, 8, 11)
    )
    second = services.event_create(
        title="A", site=site, start=hk(2030, 1, 8, 10), end=hk(2030, 1, 8, 11)
    )

    assert first.uid != second.uid


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (hk(2030, 1, 8, 12), hk(2030, 1, 8, 10), "end"),
        (hk(2030, 1, 8, 12), hk(2030, 1, 8, 12), "end"),
        (dt.datetime(2030, 1, 8, 10), hk(2030, 1, 8, 12), "start"),
    ],
)
def test_event_create_refuses_bad_times_naming_the_field(start, end, field):
    site = SiteFactory()

    with pytest.raises(ValidationError) as error:
        services.event_create(title="Bad", site=site, start=start, end=end)

    assert field in error.value.message_dict
    assert Event.objects.count() == 0


def test_event_create_refuses_unknown_time_zone():
    site = SiteFactory()

    with pytest.raises(ValidationError) as error:
        services.event_create(
            title="Bad zone",
            site=site,
            start=hk(2030, 1, 8, 10),
            end=hk(2030, 1, 8, 11),
            timezone="HKT",
        )

    assert "timezone" in error.value.message_dict
    assert Event.objects.count() == 0


def test_event_create_refuses_a_cancelled_start():
    with pytest.raises(ValidationError) as error:
        services.event_create(
            title="x",
            site=SiteFactory(),
            start=hk(2030, 1, 8, 10),
            end=hk(2030, 1, 8, 11),
            status=Event.Status.CANCELLED,
        )

    assert "status" in error.value.message_dict


def test_event_update_raises_sequence_only_for_invite_fields(officer):
    event = EventFactory()

    services.event_update(event_id=event.pk, internal_notes="Bring the flags", by=officer)
    after_notes = Event.objects.get(pk=event.pk).sequence
    services.event_update(event_id=event.pk, title="INNOPARK Activation Ceremony", by=officer)
    after_title = Event.objects.get(pk=event.pk).sequence

    assert after_notes == 0
    assert after_title == 1


def test_event_update_without_changes_writes_nothing():
    event = EventFactory()
    before = event.history.count()

    services.event_update(event_id=event.pk, title=event.title)

    assert event.history.count() == before


def test_event_update_takes_no_times_or_status():
    event = EventFactory()

    # Times change through event_reschedule, status through event_transition.
    with pytest.raises(TypeError):
        services.event_update(event_id=event.pk, start=hk(2030, 1, 1, 9))
    with pytest.raises(TypeError):
        services.event_update(event_id=event.pk, status=Event.Status.CONFIRMED)


def test_event_update_sets_host_organisation():
    event = EventFactory()
    host = OrganisationFactory()

    services.event_update(event_id=event.pk, host_organisation=host)

    assert Event.objects.get(pk=event.pk).host_organisation == host


def test_event_reschedule_moves_programme_and_bookings_and_records_who(officer):
    event = EventFactory(start=hk(2030, 5, 5, 15), end=hk(2030, 5, 5, 17))
    item = ProgrammeItemFactory(event=event, start=hk(2030, 5, 5, 15, 30), end=hk(2030, 5, 5, 16))
    booking = BookingFactory(event=event, start=event.start, end=event.end)

    services.event_reschedule(
        event_id=event.pk,
        start=hk(2030, 5, 6, 10),
        end=hk(2030, 5, 6, 12),
        by=officer,
        reason="Minister's diary changed",
    )

    event.refresh_from_db()
    item.refresh_from_db()
    booking.refresh_from_db()
    assert (event.start, event.end) == (hk(2030, 5, 6, 10), hk(2030, 5, 6, 12))
    assert (item.start, item.end) == (hk(2030, 5, 6, 10, 30), hk(2030, 5, 6, 11))
    assert (booking.start, booking.end) == (hk(2030, 5, 6, 10), hk(2030, 5, 6, 12))
    assert booking.occupied_start == hk(2030, 5, 6, 9, 30)
    assert event.sequence == 1
    moved = event.history.latest()
    assert moved.history_user == officer
    assert moved.history_change_reason == "Minister's diary changed"
    assert moved.prev_record.start == hk(2030, 5, 5, 15)


def test_event_reschedule_that_cuts_off_programme_changes_nothing():
    event = EventFactory(start=hk(2030, 5, 5, 15), end=hk(2030, 5, 5, 17))
    ProgrammeItemFactory(event=event, start=hk(2030, 5, 5, 16), end=hk(2030, 5, 5, 17))

    with pytest.raises(ValidationError) as error:
        services.event_reschedule(
            event_id=event.pk, start=hk(2030, 5, 5, 15), end=hk(2030, 5, 5, 16)
        )

    assert "end" in error.value.message_dict
    event.refresh_from_db()
    assert event.end == hk(2030, 5, 5, 17)
    assert event.programme.get().start == hk(2030, 5, 5, 16)


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (Event.Status.DRAFT, Event.Status.CONFIRMED, True),
        (Event.Status.TENTATIVE, Event.Status.POSTPONED, True),
        (Event.Status.POSTPONED, Event.Status.CONFIRMED, True),
        (Event.Status.CONFIRMED, Event.Status.COMPLETED, True),
        (Event.Status.DRAFT, Event.Status.COMPLETED, False),
        (Event.Status.DRAFT, Event.Status.POSTPONED, False),
        (Event.Status.CANCELLED, Event.Status.CONFIRMED, False),
        (Event.Status.COMPLETED, Event.Status.CANCELLED, False),
    ],
)
def test_event_transition_follows_the_lifecycle(start, to, allowed):
    # Over, so that completing it is the lifecycle's question alone.
    event = EventFactory(status=start, start=hk(2025, 3, 4, 10))

    if allowed:
        services.event_transition(event_id=event.pk, to=to)
    else:
        with pytest.raises(ValidationError) as error:
            services.event_transition(event_id=event.pk, to=to)
        assert "status" in error.value.message_dict

    event.refresh_from_db()
    assert event.status == (to if allowed else start)


def test_event_transition_refuses_completed_before_the_event_ends():
    event = EventFactory(
        status=Event.Status.CONFIRMED, start=hk(2030, 12, 7, 10), end=hk(2030, 12, 7, 12)
    )

    with pytest.raises(ValidationError) as error:
        services.event_transition(event_id=event.pk, to=Event.Status.COMPLETED)

    assert error.value.message_dict["status"] == [
        "The event can be marked completed only after it ends (Sat 7 Dec 2030 12:00 HKT)."
    ]
    event.refresh_from_db()
    assert (event.status, event.sequence) == (Event.Status.CONFIRMED, 0)


def test_event_under_way_is_not_completed_yet_and_one_that_has_ended_is():
    now = timezone.now().replace(microsecond=0)
    under_way = EventFactory(
        status=Event.Status.CONFIRMED,
        start=now - dt.timedelta(hours=1),
        end=now + dt.timedelta(minutes=5),
    )
    over = EventFactory(
        status=Event.Status.CONFIRMED,
        start=now - dt.timedelta(hours=2),
        end=now - dt.timedelta(minutes=1),
    )

    with pytest.raises(ValidationError) as error:
        services.event_transition(event_id=under_way.pk, to=Event.Status.COMPLETED)
    services.event_transition(event_id=over.pk, to=Event.Status.COMPLETED)

    assert "only after it ends" in error.value.message_dict["status"][0]
    under_way.refresh_from_db()
    over.refresh_from_db()
    assert (under_way.status, over.status) == (Event.Status.CONFIRMED, Event.Status.COMPLETED)


def test_event_cancel_releases_bookings_and_raises_sequence(officer):
    event = EventFactory(status=Event.Status.CONFIRMED)
    booking = BookingFactory(event=event)

    services.event_cancel(event_id=event.pk, by=officer, reason="Typhoon signal 8")

    event.refresh_from_db()
    booking.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert event.sequence == 1
    assert booking.status == Booking.Status.RELEASED and booking.released_at is not None
    assert booking.history.latest().history_change_reason == "Typhoon signal 8"


def test_event_cancel_keeps_the_whole_reason_for_attendees_and_refuses_an_essay(officer):
    event, other = EventFactory(status=Event.Status.CONFIRMED), EventFactory()
    reason = "Typhoon signal No. 8 is in force; the ceremony will be held on a later date. " * 3

    services.event_cancel(event_id=event.pk, by=officer, reason=f"  {reason}\n")
    with pytest.raises(ValidationError) as error:
        services.event_cancel(event_id=other.pk, reason="x" * 501)

    event.refresh_from_db()
    other.refresh_from_db()
    assert event.cancel_reason == reason.strip()  # all of it, not the history's 100 characters
    assert event.history.latest().history_change_reason == reason.strip()[:100]
    assert error.value.message_dict["reason"] == [
        "The reason goes to every attendee: keep it to 500 characters (it has 501)."
    ]
    assert (other.status, other.cancel_reason) == (Event.Status.DRAFT, "")


def test_cancelled_event_cannot_be_edited_or_moved():
    event = EventFactory(status=Event.Status.CANCELLED)

    with pytest.raises(ValidationError):
        services.event_update(event_id=event.pk, title="Back on")
    with pytest.raises(ValidationError):
        services.event_reschedule(
            event_id=event.pk, start=hk(2030, 1, 1, 9), end=hk(2030, 1, 1, 10)
        )


def test_event_confirm_twice_is_harmless():
    event = EventFactory(status=Event.Status.TENTATIVE)

    services.event_confirm(event_id=event.pk)
    services.event_confirm(event_id=event.pk)

    event.refresh_from_db()
    assert event.status == Event.Status.CONFIRMED and event.sequence == 1


def test_programme_item_must_fall_inside_event():
    event = EventFactory(start=hk(2030, 5, 5, 15), end=hk(2030, 5, 5, 17))

    with pytest.raises(ValidationError) as error:
        services.programme_item_create(
            event_id=event.pk,
            title="Late photo call",
            start=hk(2030, 5, 5, 16, 45),
            end=hk(2030, 5, 5, 17, 15),
        )

    assert "start" in error.value.message_dict
    assert event.programme.count() == 0


def test_programme_item_create_keeps_roles_in_order():
    from tests.factories import PersonFactory

    event = EventFactory()
    chair, ceo = PersonFactory(name="Sunny Chai"), PersonFactory(name="Albert Wong")

    item = services.programme_item_create(
        event_id=event.pk,
        title="Fireside chat",
        start=event.start,
        end=event.start + dt.timedelta(minutes=30),
        kind="fireside_chat",
        facility=FacilityFactory(site=event.site),
        roles=[(ceo, "moderator"), (chair, "speaker")],
    )

    assert [(r.person.name, r.part) for r in item.roles.all()] == [
        ("Albert Wong", "moderator"),
        ("Sunny Chai", "speaker"),
    ]


def test_programme_item_refuses_a_person_twice():
    from tests.factories import PersonFactory

    event = EventFactory()
    person = PersonFactory()

    with pytest.raises(ValidationError):
        services.programme_item_create(
            event_id=event.pk,
            title="Panel",
            start=event.start,
            end=event.start + dt.timedelta(minutes=30),
            roles=[(person, "panellist"), (person, "moderator")],
        )

    assert event.programme.count() == 0


def test_programme_items_are_ordered_by_start_then_position():
    event = EventFactory(start=hk(2030, 5, 5, 15), end=hk(2030, 5, 5, 17))
    later = ProgrammeItemFactory(event=event, start=hk(2030, 5, 5, 16), end=hk(2030, 5, 5, 16, 30))
    second = ProgrammeItemFactory(
        event=event, start=hk(2030, 5, 5, 15), end=hk(2030, 5, 5, 15, 5), position=2
    )
    first = ProgrammeItemFactory(
        event=event, start=hk(2030, 5, 5, 15), end=hk(2030, 5, 5, 15, 5), position=1
    )

    assert list(event.programme.all()) == [first, second, later]


@pytest.mark.parametrize("status", [Event.Status.CANCELLED, Event.Status.COMPLETED])
def test_programme_of_a_final_event_is_closed(status):
    event = EventFactory(status=status)
    item = ProgrammeItemFactory(event=event)

    with pytest.raises(ValidationError):
        services.programme_item_create(
            event_id=event.pk,
            title="Extra",
            start=event.start,
            end=event.start + dt.timedelta(minutes=5),
        )
    with pytest.raises(ValidationError):
        services.programme_item_update(item_id=item.pk, title="Renamed")
    with pytest.raises(ValidationError):
        services.programme_item_delete(item_id=item.pk)

    item.refresh_from_db()
    assert item.title != "Renamed" and event.programme.count() == 1


@pytest.mark.parametrize(
    "kind",
    [
        ProgrammeItem.Kind.ARRIVAL,
        ProgrammeItem.Kind.REMARKS,
        ProgrammeItem.Kind.TOUR_STOP,
        ProgrammeItem.Kind.PHOTO_CALL,
        ProgrammeItem.Kind.DEPARTURE,
    ],
)
def test_deleting_a_stop_takes_the_transfer_that_led_to_it(kind):
    event = EventFactory(start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 12))
    at = hk(2030, 3, 4, 10, 30)
    transfer = ProgrammeItemFactory(
        event=event, kind=ProgrammeItem.Kind.TRANSFER, start=at - dt.timedelta(minutes=10), end=at
    )
    stop = ProgrammeItemFactory(event=event, kind=kind, start=at, end=at + dt.timedelta(minutes=20))
    other = ProgrammeItemFactory(
        event=event,
        kind=ProgrammeItem.Kind.TRANSFER,
        start=hk(2030, 3, 4, 11),
        end=hk(2030, 3, 4, 11, 5),
    )

    services.programme_item_delete(item_id=stop.pk)

    assert list(event.programme.values_list("pk", flat=True)) == [other.pk]
    assert not ProgrammeItem.objects.filter(pk__in=[transfer.pk, stop.pk]).exists()


def test_deleting_a_transfer_leaves_the_stop_it_led_to():
    event = EventFactory(start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 12))
    at = hk(2030, 3, 4, 10, 30)
    transfer = ProgrammeItemFactory(
        event=event, kind=ProgrammeItem.Kind.TRANSFER, start=at - dt.timedelta(minutes=10), end=at
    )
    stop = ProgrammeItemFactory(
        event=event, kind=ProgrammeItem.Kind.TOUR_STOP, start=at, end=at + dt.timedelta(minutes=20)
    )

    services.programme_item_delete(item_id=transfer.pk)

    assert list(event.programme.values_list("pk", flat=True)) == [stop.pk]
