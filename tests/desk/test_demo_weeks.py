"""manage.py load_demo fills the current week and the next: the staff calendar's first screen."""

import datetime as dt
import zoneinfo

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from desk.demo.showcase import SHOWCASE, plan_showcase
from desk.demo.specs import EventSpec
from desk.warnings import warnings_for_events
from scheduling.models import Booking, Event, Site

HK = zoneinfo.ZoneInfo("Asia/Hong_Kong")


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(HK)


def _week(offset: int) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 to the next Monday in Hong Kong, offset weeks from the current week."""
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=offset)
    start = dt.datetime.combine(monday, dt.time(), tzinfo=HK)
    return start, start + dt.timedelta(weeks=1)


def _on_calendar(site: Site, offset: int):
    """The events the site's calendar shows for a week: held there or with a booking there."""
    start, end = _week(offset)
    booked_there = Booking.objects.active().filter(facility__site=site).values("event_id")
    return Event.objects.filter(Q(site=site) | Q(pk__in=booked_there), start__lt=end, end__gt=start)


@pytest.mark.parametrize("offset", [0, 1])
def test_load_demo_fills_this_week_and_next_on_the_main_site_and_elsewhere(world, offset):
    main = Site.objects.get(slug="hong-kong-science-park")
    start, end = _week(offset)

    shown = _on_calendar(main, offset)
    everywhere = Event.objects.filter(start__lt=end, end__gt=start)

    assert shown.count() >= 4
    assert (
        everywhere.filter(reference__startswith="DEMO-WK-").values("site").distinct().count() >= 3
    )
    for event in everywhere.filter(reference__startswith="DEMO-WK-"):
        assert event.attendances.exists() and event.programme.exists()
        assert _local(event.start).weekday() < 5


def test_load_demo_next_week_mixes_confirmed_and_tentative_with_confirmed_and_held_bookings(
    world,
):
    start, end = _week(1)

    events = Event.objects.filter(reference__startswith="DEMO-WK-", start__gte=start, end__lte=end)

    assert set(events.values_list("status", flat=True)) == {"confirmed", "tentative"}
    held = Booking.objects.filter(event__in=events, status="held")
    assert held.exists() and all(b.event.status == "tentative" for b in held)
    assert Booking.objects.filter(event__in=events, status="confirmed").exists()


def test_load_demo_this_week_is_done_before_now_and_planned_after_it(world):
    now = timezone.now()
    start, end = _week(0)

    events = Event.objects.filter(reference__startswith="DEMO-WK-", start__gte=start, end__lte=end)

    assert events.count() >= 5
    for event in events:
        if event.end <= now:
            assert event.status == "completed"
            assert set(event.bookings.values_list("status", flat=True)) == {"confirmed"}
        elif event.start <= now:
            assert event.status == "confirmed"
        else:
            assert event.status in ("confirmed", "tentative")
            assert all(b.hold_expires_at > now for b in event.bookings.filter(status="held"))


def test_load_demo_showcase_events_take_the_shapes_of_the_seed_events(world):
    showcase = Event.objects.filter(reference__startswith="DEMO-WK-")

    inspection = showcase.get(kind="ministerial_visit", site__slug="tai-po-innopark")
    stops = inspection.programme.filter(kind="tour_stop")
    activation = showcase.get(title__icontains="activation")
    forum = showcase.get(kind="forum", site__slug="hong-kong-science-park")

    assert [s.facility.kind for s in stops] == ["tenant_premises"] * 3
    assert inspection.visibility == "restricted"
    assert {"remarks", "ceremony", "fireside_chat"} <= set(
        activation.programme.values_list("kind", flat=True)
    )
    assert activation.programme.filter(title__startswith="Announcement").exists()
    assert list(
        forum.programme.filter(kind__in=["keynote", "panel"]).values_list("kind", flat=True)
    ) == [
        "keynote",
        "keynote",
        "panel",
    ]
    assert showcase.filter(title__startswith="Opening").exists()
    first = inspection.attendances.in_precedence_order().first()
    assert (first.person.name, first.role) == ("Sun Dong", "guest_of_honour")


def test_load_demo_first_weeks_have_no_double_booked_people_nor_rushed_moves(world):
    start, end = _week(0)[0], _week(1)[1]
    ids = set(Event.objects.filter(start__gte=start, end__lte=end).values_list("pk", flat=True))
    showcase = set(
        Event.objects.filter(reference__startswith="DEMO-WK-").values_list("pk", flat=True)
    )

    warnings = warnings_for_events(event_ids=ids)

    moves = ("person_double_booked", "person_travel_time", "travel_time")
    found = [
        w.message
        for ws in warnings.values()
        for w in ws
        if w.code in moves and {w.event_id, w.related_event_id} & showcase
    ]
    assert len(showcase) == len(SHOWCASE) and showcase <= ids
    assert found == []


def test_staff_calendar_this_week_shows_the_demo_events(world, client, viewer):
    client.force_login(viewer)
    main = Site.objects.get(slug="hong-kong-science-park")
    titles = list(_on_calendar(main, 0).values_list("title", flat=True))

    page = client.get(reverse("staff:calendar")).content.decode()
    start, end = _week(0)
    span = {"site": main.slug, "start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}"}
    week = client.get(reverse("staff:calendar-data"), span).json()

    assert len(titles) >= 4
    shown = {event["title"] for event in week["events"] if "booking" in event["classNames"]}
    for title in titles:
        assert title in shown
    assert any("confirmed" in event["classNames"] for event in week["events"])
    assert "calendar-config" in page


def test_plan_showcase_completes_what_has_ended_and_keeps_the_rest_to_come():
    def anything(spec: EventSpec) -> bool:
        return True

    monday = dt.date(2030, 3, 4)
    early = plan_showcase(monday, now=dt.datetime(2030, 3, 4, 0, 0, tzinfo=HK), fits=anything)
    sunday = plan_showcase(
        monday + dt.timedelta(days=6),
        now=dt.datetime(2030, 3, 10, 20, 0, tzinfo=HK),
        fits=anything,
    )

    this_week = [s for s in early if s.start.date() < monday + dt.timedelta(days=7)]
    assert {s.status for s in this_week} == {"confirmed", "tentative"}
    assert early == plan_showcase(
        monday, now=dt.datetime(2030, 3, 4, 0, 0, tzinfo=HK), fits=anything
    )
    assert {s.status for s in sunday if s.start.date() < monday + dt.timedelta(days=7)} == {
        "completed"
    }
    assert {s.status for s in sunday if s.start.date() >= monday + dt.timedelta(days=7)} == {
        "confirmed",
        "tentative",
    }
    assert all(s.start.date() >= monday for s in early)
