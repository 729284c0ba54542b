import datetime as dt

from django.conf import settings
from django.core import mail, signing
from django.test import Client

from scheduling import services
from scheduling.models import ConsentMessage, StopConsent
from tests.consent_world import hosted_stop, party
from visitors.consents import SALT, consent_url

Answer = StopConsent.Answer


def _path(url: str) -> str:
    return url.removeprefix(settings.PUBLIC_BASE_URL)


def test_a_request_mails_the_host_after_commit_in_their_language(
    officer, django_capture_on_commit_callbacks
):
    item = hosted_stop(language="zh-hant")
    host = item.roles.get().person

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.stop_consent_request(item_id=item.pk, by=officer)
        assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()

    [message] = mail.outbox
    assert message.to == [f'"{host.display_name}" <{host.email}>']
    assert "生產線" in message.subject and "請確認" in message.subject
    assert "無塵室" in message.body and "/consent/" in message.body
    assert ConsentMessage.objects.get().state == ConsentMessage.State.SENT


def test_requesting_all_mails_one_message_per_stop(officer, django_capture_on_commit_callbacks):
    first = hosted_stop()
    second = hosted_stop(event=first.event, start=first.end + dt.timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        services.stop_consents_request(event_id=first.event_id, by=officer)

    hosts = [item.roles.get().person.email for item in (first, second)]
    assert sorted(m.to[0].split("<")[1].rstrip(">") for m in mail.outbox) == sorted(hosts)


def test_a_superseded_request_is_not_sent(officer, django_capture_on_commit_callbacks):
    item = hosted_stop()

    with django_capture_on_commit_callbacks(execute=True):
        services.stop_consent_request(item_id=item.pk, by=officer)
        services.programme_item_update(
            item_id=item.pk, start=item.start + dt.timedelta(minutes=5), by=officer
        )

    states = dict(ConsentMessage.objects.values_list("version", "state"))
    assert states == {1: ConsentMessage.State.SUPERSEDED, 2: ConsentMessage.State.SENT}
    assert len(mail.outbox) == 1 and _path(consent_url(item.consent)) in mail.outbox[0].body


def test_the_page_shows_the_stop_time_party_and_rules(officer):
    item = hosted_stop(visitor_rules="Hair nets at the door.")
    party(item.event, 3)
    consent = services.stop_consent_request(item_id=item.pk, by=officer)

    page = Client().get(_path(consent_url(consent))).content.decode()

    assert item.title in page
    assert "Monday 4 March 2030, 10:30–10:50" in page
    assert "<dt>Party size</dt><dd>3</dd>" in page
    assert "Cleanroom: gowning" in page and "No photography." in page
    assert "Hair nets at the door." in page


def test_confirming_from_the_page_records_the_answer(officer):
    consent = services.stop_consent_request(item_id=hosted_stop().pk, by=officer)
    client = Client(enforce_csrf_checks=True)
    url = _path(consent_url(consent))
    client.get(url)

    answer = client.post(
        url, {"answer": "confirmed", "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )
    consent.refresh_from_db()

    assert answer.status_code == 302
    assert consent.answer == Answer.CONFIRMED and consent.answered_at is not None
    assert "Your answer is recorded: Confirmed" in client.get(answer["Location"]).content.decode()


def test_asking_for_another_time_reads_it_on_the_events_clock(officer):
    item = hosted_stop()
    consent = services.stop_consent_request(item_id=item.pk, by=officer)

    Client().post(
        _path(consent_url(consent)),
        {"answer": "another_time", "proposed_start": "2030-03-04T11:15", "note": "After lunch"},
    )
    consent.refresh_from_db()

    assert consent.answer == Answer.ANOTHER_TIME
    assert consent.proposed_start == item.start.replace(hour=11, minute=15)
    assert consent.note == "After lunch"


def test_another_time_without_a_time_is_asked_for(officer):
    consent = services.stop_consent_request(item_id=hosted_stop().pk, by=officer)

    answer = Client().post(_path(consent_url(consent)), {"answer": "another_time"})
    consent.refresh_from_db()

    assert answer.status_code == 200 and "Say which time would suit you." in answer.content.decode()
    assert consent.answer == Answer.REQUESTED


def test_a_tampered_link_is_refused_with_a_page(officer):
    consent = services.stop_consent_request(item_id=hosted_stop().pk, by=officer)
    tampered = _path(consent_url(consent)).replace("/consent/", "/consent/x")

    answer = Client().post(tampered, {"answer": "confirmed"})
    consent.refresh_from_db()

    assert answer.status_code == 400
    assert "This link is not valid" in answer.content.decode()
    assert consent.answer == Answer.REQUESTED


def test_a_stale_link_says_the_stop_moved_and_shows_the_new_time(officer):
    item = hosted_stop()
    consent = services.stop_consent_request(item_id=item.pk, by=officer)
    old = _path(consent_url(consent))
    later = dt.timedelta(minutes=45)
    services.programme_item_update(
        item_id=item.pk, start=item.start + later, end=item.end + later, by=officer
    )

    answer = Client().post(old, {"answer": "confirmed"})
    page = answer.content.decode()
    consent.refresh_from_db()

    assert answer.status_code == 410
    assert "The stop has changed since this link was sent" in page
    assert "11:15–11:35" in page
    assert consent.answer == Answer.REQUESTED


def test_a_link_for_no_consent_is_gone(db):
    token = signing.dumps([987654, 1], salt=SALT)

    answer = Client().get(f"/consent/{token}/")

    assert answer.status_code == 410 and "no longer valid" in answer.content.decode()
