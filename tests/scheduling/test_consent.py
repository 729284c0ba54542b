import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from scheduling import services
from scheduling.models import Event, StopConsent
from tests.consent_world import hosted_stop
from tests.factories import ProgrammeItemFactory

Answer = StopConsent.Answer


def test_requesting_asks_the_host_person_with_a_first_version(officer):
    item = hosted_stop()

    consent = services.stop_consent_request(item_id=item.pk, by=officer)

    assert consent.person == item.roles.get().person
    assert (consent.answer, consent.version, consent.answered_at) == (Answer.REQUESTED, 1, None)
    assert consent.history.get().history_user == officer


def test_requesting_a_stop_no_tenant_hosts_is_refused(officer):
    item = ProgrammeItemFactory()

    with pytest.raises(ValidationError) as refusal:
        services.stop_consent_request(item_id=item.pk, by=officer)

    assert "no one to ask" in str(refusal.value)
    assert not StopConsent.objects.exists()


def test_requesting_a_host_without_an_address_is_refused(officer):
    item = hosted_stop(email="")

    with pytest.raises(ValidationError, match="no host person with an e-mail"):
        services.stop_consent_request(item_id=item.pk, by=officer)


def test_requesting_all_asks_each_host_once(officer):
    first = hosted_stop()
    second = hosted_stop(event=first.event, start=first.end + dt.timedelta(minutes=5))

    asked = services.stop_consents_request(event_id=first.event_id, by=officer)
    again = services.stop_consents_request(event_id=first.event_id, by=officer)

    assert {c.item_id for c in asked} == {first.pk, second.pk}
    assert again == []
    assert set(StopConsent.objects.values_list("version", flat=True)) == {1}


@pytest.mark.parametrize(
    ("answer", "proposed"),
    [
        (Answer.CONFIRMED, None),
        (Answer.DECLINED, None),
        (Answer.ANOTHER_TIME, dt.timedelta(hours=1)),
    ],
)
def test_an_answer_is_recorded_with_its_time(officer, answer, proposed):
    item = hosted_stop()
    consent = services.stop_consent_request(item_id=item.pk, by=officer)
    proposed_start = item.start + proposed if proposed else None

    services.stop_consent_answer(
        consent_id=consent.pk,
        version=1,
        answer=answer,
        note="  Gowns for six.  ",
        proposed_start=proposed_start,
    )
    consent.refresh_from_db()

    assert consent.answer == answer
    assert consent.answered_at is not None
    assert consent.note == "Gowns for six."
    assert consent.proposed_start == proposed_start


def test_the_same_answer_twice_records_once(officer):
    consent = services.stop_consent_request(item_id=hosted_stop().pk, by=officer)

    for _twice in range(2):
        services.stop_consent_answer(consent_id=consent.pk, version=1, answer=Answer.CONFIRMED)

    assert consent.history.count() == 2  # asked, answered


def test_another_time_needs_a_time(officer):
    consent = services.stop_consent_request(item_id=hosted_stop().pk, by=officer)

    with pytest.raises(ValidationError, match="Say which time"):
        services.stop_consent_answer(consent_id=consent.pk, version=1, answer=Answer.ANOTHER_TIME)


def test_moving_a_stop_asks_its_host_again_and_the_old_link_is_stale(officer):
    item = hosted_stop()
    consent = services.stop_consent_request(item_id=item.pk, by=officer)
    services.stop_consent_answer(consent_id=consent.pk, version=1, answer=Answer.CONFIRMED)

    services.programme_item_update(
        item_id=item.pk, start=item.start + dt.timedelta(minutes=10), by=officer
    )
    consent.refresh_from_db()

    assert (consent.answer, consent.version, consent.answered_at) == (Answer.REQUESTED, 2, None)
    with pytest.raises(ValidationError, match="the stop has moved"):
        services.stop_consent_answer(consent_id=consent.pk, version=1, answer=Answer.CONFIRMED)


def test_editing_a_stop_without_moving_it_keeps_the_consent(officer):
    item = hosted_stop()
    consent = services.stop_consent_request(item_id=item.pk, by=officer)
    services.stop_consent_answer(consent_id=consent.pk, version=1, answer=Answer.CONFIRMED)

    services.programme_item_update(item_id=item.pk, cue_notes="Gowns at the door", by=officer)
    consent.refresh_from_db()

    assert (consent.answer, consent.version) == (Answer.CONFIRMED, 1)


def test_rescheduling_the_event_asks_the_hosts_again(officer):
    item = hosted_stop()
    consent = services.stop_consent_request(item_id=item.pk, by=officer)
    services.stop_consent_answer(consent_id=consent.pk, version=1, answer=Answer.DECLINED)
    event = item.event

    services.event_reschedule(
        event_id=event.pk,
        start=event.start + dt.timedelta(days=1),
        end=event.end + dt.timedelta(days=1),
        by=officer,
    )
    consent.refresh_from_db()

    assert (consent.answer, consent.version) == (Answer.REQUESTED, 2)


def test_a_cancelled_visit_takes_no_answer(officer):
    item = hosted_stop()
    consent = services.stop_consent_request(item_id=item.pk, by=officer)
    Event.objects.filter(pk=item.event_id).update(status=Event.Status.CANCELLED)

    with pytest.raises(ValidationError, match="cancelled"):
        services.stop_consent_answer(consent_id=consent.pk, version=1, answer=Answer.CONFIRMED)


def test_a_facility_lists_its_rules_for_visitors(db):
    item = hosted_stop(visitor_rules="No jewellery.", visitor_rules_zh="不可佩戴首飾。")

    english = item.facility.rules_shown("en")
    chinese = item.facility.rules_shown("zh-hant")

    assert english == [
        "Protective equipment is required.",
        "Cleanroom: gowning and the entry procedure are required.",
        "No photography.",
        "No jewellery.",
    ]
    assert chinese[-1] == "不可佩戴首飾。"
