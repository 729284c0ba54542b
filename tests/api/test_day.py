"""On the day (scheduling.services.live): marks move the expected times the next host sees
through the API and its sync, and send no calendar update to attendees."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.models import Change
from scheduling import services
from scheduling.models import Event
from scheduling.services import live
from tests.factories import AttendanceFactory, PersonFactory, event_created, hk
from visitors import invitations
from visitors.models import Delivery

from .conftest import secretary_visit

pytestmark = pytest.mark.django_db


def _stops(visit) -> list:
    return [visit.stops[tenant.pk] for tenant in visit.tenants]


def test_a_late_first_stop_moves_the_last_hosts_expected_start_in_the_api(api_for, officer):
    visit = secretary_visit()
    first, _second, last = _stops(visit)
    host = api_for(organisation=visit.tenants[2])
    path = f"/api/v1/events/{visit.event.pk}/programme/{last.pk}/"
    planned = host.get(path).json()
    assert planned["expected_start"] == planned["start"]

    head = Change.objects.order_by("-id").values_list("id", flat=True).first()
    live.programme_item_start(
        item_id=first.pk, by=officer, at=first.start + dt.timedelta(minutes=15)
    )

    moved = host.get(path).json()
    assert moved["start"] == planned["start"]  # the plan stands
    expected = dt.datetime.fromisoformat(moved["expected_start"])
    assert expected - dt.datetime.fromisoformat(planned["start"]) == dt.timedelta(minutes=15)
    logged = Change.objects.filter(id__gt=head, entity=Change.Entity.PROGRAMME_ITEM)
    assert last.pk in set(logged.values_list("object_id", flat=True))  # sync and webhooks hear
    assert host.get(f"/api/v1/events/{visit.event.pk}/programme/{first.pk}/").json()["started_at"]


def test_the_days_marks_send_no_calendar_update_but_a_change_before_the_day_does():
    event = event_created(status=Event.Status.CONFIRMED, start=hk(2030, 3, 4, 10))
    end = event.start + dt.timedelta(minutes=20)
    item = services.programme_item_create(
        event_id=event.pk, title="Remarks", start=event.start, end=end
    )
    AttendanceFactory(event=event, person=PersonFactory())
    invitations.invites_send(event_id=event.pk)
    Delivery.objects.update(state=Delivery.State.SENT)  # the invites went out
    sent = Delivery.objects.count()

    live.programme_item_start(item_id=item.pk, at=event.start + dt.timedelta(minutes=10))
    live.programme_item_extend(item_id=item.pk, minutes=10)
    live.programme_item_finish(item_id=item.pk, at=event.start + dt.timedelta(minutes=45))

    assert Delivery.objects.count() == sent
    services.programme_item_update(item_id=item.pk, title="Welcome remarks")
    assert Delivery.objects.count() == sent + 1  # an update, as before


def test_marks_are_idempotent_refuse_what_cannot_be_and_can_be_put_back(officer):
    visit = secretary_visit()
    first, second, _last = _stops(visit)
    at = first.start + dt.timedelta(minutes=3)

    live.programme_item_start(item_id=first.pk, at=at, by=officer)
    again = live.programme_item_start(item_id=first.pk, at=at + dt.timedelta(minutes=9))
    assert again.started_at == at
    with pytest.raises(ValidationError, match="has started"):
        live.programme_item_skip(item_id=first.pk)
    with pytest.raises(ValidationError, match="0 to 240"):
        live.programme_item_extend(item_id=first.pk, minutes=-5)
    with pytest.raises(ValidationError, match="before it started"):
        live.programme_item_finish(item_id=first.pk, at=at - dt.timedelta(minutes=1))

    skipped = live.programme_item_skip(item_id=second.pk)
    assert skipped.skipped and skipped.expected_start is None
    back = live.programme_item_reinstate(item_id=second.pk)
    assert not back.skipped and back.expected_start is not None
    assert first.history.first().history_change_reason == "Started"


def test_finishing_an_item_not_marked_started_takes_it_as_started_on_time():
    visit = secretary_visit()
    first = _stops(visit)[0]

    done = live.programme_item_finish(item_id=first.pk, at=first.end + dt.timedelta(minutes=5))

    assert done.started_at == first.start
    assert done.finished_at == first.end + dt.timedelta(minutes=5)
