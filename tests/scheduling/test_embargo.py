"""Embargoes: a restricted event released at its time by a task, once, through the change log
(issue 16, "The day of the visit")."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import Change
from scheduling import services, tasks
from scheduling.models import Event
from tests.factories import OrganisationFactory, event_created, hk
from tests.scheduling.test_admin import admin_url, form_data

pytestmark = pytest.mark.django_db


def _embargoed(release_in=dt.timedelta(minutes=-1), becomes="public", **fields) -> Event:
    fields.setdefault("host_organisation", OrganisationFactory())
    return event_created(
        title="Minister's visit",
        visibility="restricted",
        release_at=timezone.now() + release_in,
        release_visibility=becomes,
        **fields,
    )


def test_an_embargo_is_refused_on_an_event_that_is_not_restricted():
    with pytest.raises(ValidationError) as refused:
        event_created(visibility="partners", release_at=timezone.now(), release_visibility="public")

    assert refused.value.error_dict["release_at"][0].code == "embargo_not_restricted"
    assert "Only a restricted event can be under embargo" in str(refused.value)
    assert not Event.objects.exists()


def test_an_embargo_needs_its_time_and_what_the_event_becomes():
    event = event_created(visibility="restricted")

    with pytest.raises(ValidationError) as no_visibility:
        services.event_update(event_id=event.pk, release_at=timezone.now())
    with pytest.raises(ValidationError) as no_time:
        services.event_update(event_id=event.pk, release_visibility="public")

    assert no_visibility.value.error_dict["release_visibility"][0].code == "embargo_incomplete"
    assert no_time.value.error_dict["release_at"][0].code == "embargo_incomplete"
    event.refresh_from_db()
    assert (event.release_at, event.release_visibility) == (None, "")


def test_an_embargoed_event_cannot_be_made_visible_without_clearing_its_embargo():
    event = _embargoed(release_in=dt.timedelta(days=1))

    with pytest.raises(ValidationError) as refused:
        services.event_update(event_id=event.pk, visibility="public")

    assert refused.value.error_dict["release_at"][0].code == "embargo_not_restricted"
    event.refresh_from_db()
    assert event.visibility == "restricted"


def test_the_database_refuses_an_embargo_on_a_public_event():
    event = _embargoed(release_in=dt.timedelta(days=1))

    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(visibility="public")


def test_an_embargo_is_set_through_the_update_service_with_its_history():
    event = event_created(visibility="restricted")
    at = timezone.now() + dt.timedelta(hours=3)

    services.event_update(event_id=event.pk, release_at=at, release_visibility="partners")

    event.refresh_from_db()
    assert (event.release_at, event.release_visibility, event.under_embargo) == (
        at,
        "partners",
        True,
    )
    assert event.history.first().history_change_reason == (
        "Updated: release_at, release_visibility"
    )


def test_the_task_releases_what_is_due_once_and_logs_the_change_from_restricted():
    due = _embargoed(becomes="partners")
    later = _embargoed(release_in=dt.timedelta(hours=1))
    before = Change.objects.filter(entity="event", object_id=due.pk).count()

    first = tasks.events_release_due()
    second = tasks.events_release_due()

    assert (first, second) == (1, 0)
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.visibility, due.release_at, due.release_visibility) == ("partners", None, "")
    assert (later.visibility, later.under_embargo) == ("restricted", True)
    rows = Change.objects.filter(entity="event", object_id=due.pk).order_by("id")
    assert rows.count() == before + 1  # the second run wrote nothing
    last = rows.last()
    assert (last.verb, last.was_visibility, last.visibility) == (
        "updated",
        "restricted",
        "partners",
    )
    assert due.history.first().history_change_reason == "Released from embargo"


def test_a_release_time_moved_later_is_not_released_by_a_late_run():
    event = _embargoed()
    clock = timezone.now()
    services.event_update(event_id=event.pk, release_at=clock + dt.timedelta(hours=2))

    services.event_release(event_id=event.pk, due_by=clock)

    event.refresh_from_db()
    assert (event.visibility, event.under_embargo) == ("restricted", True)


def test_staff_release_an_event_before_its_time(officer):
    event = _embargoed(release_in=dt.timedelta(days=2))

    services.event_release(event_id=event.pk, by=officer)
    services.event_release(event_id=event.pk, by=officer)  # nothing left to release

    event.refresh_from_db()
    assert (event.visibility, event.under_embargo) == ("public", False)
    assert event.history.filter(history_change_reason="Released from embargo").count() == 1
    assert event.history.first().history_user == officer


def test_a_cancelled_embargoed_event_is_never_published():
    event = _embargoed()
    services.event_cancel(event_id=event.pk, reason="Called off")

    assert tasks.events_release_due() == 0

    event.refresh_from_db()
    assert event.visibility == "restricted"


def test_the_release_task_is_scheduled_every_minute():
    from django_q.models import Schedule

    from core.schedules import schedules_ensure

    schedules_ensure(tasks.PERIODIC)

    found = Schedule.objects.get(func="scheduling.tasks.events_release_due")
    assert (found.schedule_type, found.minutes, found.repeats) == ("I", 1, -1)


def test_staff_set_an_embargo_and_release_it_now_in_the_back_office(client, officer):
    event = event_created(visibility="restricted")
    client.force_login(officer)
    url = admin_url("scheduling.event", "change", event.pk)
    data = form_data(client.get(url))
    data.update(release_at_0="2030-03-01", release_at_1="09:00", release_visibility="public")

    saved = client.post(url, data)
    event.refresh_from_db()
    embargoed = (event.release_at, event.release_visibility)
    released = client.post(
        admin_url("scheduling.event", "changelist"),
        {"action": "release_events", "_selected_action": [event.pk]},
        follow=True,
    )

    assert saved.status_code == 302
    assert embargoed == (hk(2030, 3, 1, 9), "public")
    assert "1 event released from its embargo." in released.content.decode()
    event.refresh_from_db()
    assert (event.visibility, event.under_embargo) == ("public", False)
    assert event.history.first().history_user == officer
