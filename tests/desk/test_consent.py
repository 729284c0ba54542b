import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from desk.warnings import STOP_CONSENT, event_warnings
from scheduling import services
from scheduling.models import StopConsent
from tests.consent_world import hosted_stop
from tests.factories import EventFactory

Answer = StopConsent.Answer


def _visit_in(days: float):
    start = (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0)
    return EventFactory(start=start, end=start + dt.timedelta(hours=2))


def _consent_warnings(event) -> list[str]:
    return [w.message for w in event_warnings(event_id=event.pk) if w.code == STOP_CONSENT]


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (None, "Nobody has asked the host"),
        (Answer.REQUESTED, "has not confirmed"),
        (Answer.DECLINED, "declined"),
        (Answer.ANOTHER_TIME, "asks for another time"),
    ],
)
def test_an_unconfirmed_stop_near_the_day_is_a_warning(officer, answer, said):
    item = hosted_stop(event=_visit_in(2))
    if answer is not None:
        consent = services.stop_consent_request(item_id=item.pk, by=officer)
    if answer in (Answer.DECLINED, Answer.ANOTHER_TIME):
        services.stop_consent_answer(
            consent_id=consent.pk, version=1, answer=answer, proposed_start=item.end
        )

    [warning] = _consent_warnings(item.event)

    assert said in warning and item.title in warning


def test_a_confirmed_stop_is_no_warning(officer):
    item = hosted_stop(event=_visit_in(2))
    consent = services.stop_consent_request(item_id=item.pk, by=officer)

    services.stop_consent_answer(consent_id=consent.pk, version=1, answer=Answer.CONFIRMED)

    assert _consent_warnings(item.event) == []


def test_a_stop_further_off_than_the_warning_days_is_no_warning(settings, officer):
    settings.CONSENT_WARNING_DAYS = 3
    item = hosted_stop(event=_visit_in(5))

    assert _consent_warnings(item.event) == []


def test_the_event_page_shows_each_stops_consent(client, officer):
    item = hosted_stop()
    other = hosted_stop(event=item.event, start=item.end + dt.timedelta(minutes=5))
    consent = services.stop_consent_request(item_id=item.pk, by=officer)
    services.stop_consent_answer(
        consent_id=consent.pk, version=1, answer=Answer.DECLINED, note="Line shut for service"
    )
    client.force_login(officer)

    page = client.get(reverse("staff:event", args=[item.event_id])).content.decode()

    declined = page[page.index(f'id="consent-{item.pk}"') :]
    unasked = page[page.index(f'id="consent-{other.pk}"') :]
    assert "Host's consent: Declined" in declined[:800]
    assert "Line shut for service" in declined[:800]
    assert "Host's consent: not asked" in unasked[:800]


def test_staff_ask_one_host_and_then_every_host_from_the_event_page(client, officer):
    item = hosted_stop()
    other = hosted_stop(event=item.event, start=item.end + dt.timedelta(minutes=5))
    client.force_login(officer)

    one = client.post(reverse("staff:consent-request", args=[item.event_id, item.pk]))
    every = client.post(reverse("staff:consents-request", args=[item.event_id]), follow=True)

    assert one.status_code == 302
    assert dict(StopConsent.objects.values_list("item_id", "version")) == {item.pk: 1, other.pk: 1}
    assert "1 host is asked to confirm." in every.content.decode()


def test_a_viewer_cannot_ask_hosts(client, viewer):
    item = hosted_stop()
    client.force_login(viewer)

    answer = client.post(reverse("staff:consents-request", args=[item.event_id]))

    assert answer.status_code == 403
    assert not StopConsent.objects.exists()


def test_the_hosts_have_consented_to_the_mars_centre_day(
    client, officer, mailoutbox, django_capture_on_commit_callbacks
):
    """The seed's day: the Secretary and the Commissioner visit three tenants in turn at Tai Po
    InnoPark, cleanroom rules at each; each host answers from the link in its e-mail."""
    from django.conf import settings

    from desk.visits import VisitPerson, VisitStop, visit_create
    from tests.factories import FacilityFactory, OrganisationFactory, PersonFactory, SiteFactory
    from visitors.models import Attendance

    tai_po = SiteFactory(name="Tai Po InnoPark", name_zh="大埔創新園")
    stops = []
    for name in ("Koln 3D", "Sinovac Biotech", "Vitasoy Innovation"):
        tenant = OrganisationFactory(name=name)
        line = FacilityFactory(
            site=tai_po, name=f"{name} line", cleanroom=True, ppe_required=True, setup_minutes=0
        )
        host = PersonFactory(organisation=tenant, name=f"Head of {name}")
        stops.append(
            VisitStop(
                facility_id=line.pk,
                minutes=20,
                host_organisation_id=tenant.pk,
                host_person_id=host.pk,
            )
        )
    day = (timezone.localtime() + dt.timedelta(days=2)).replace(hour=10, minute=0, second=0)
    event = visit_create(
        title="Secretary visits the MARS Centre",
        site_id=tai_po.pk,
        start=day,
        stops=stops,
        people=[
            VisitPerson(
                person_id=PersonFactory(name="Sun Dong").pk, role=Attendance.Role.GUEST_OF_HONOUR
            ),
            VisitPerson(person_id=PersonFactory(name="Rebecca Pun").pk, role=Attendance.Role.GUEST),
        ],
        by=officer,
    )
    assert len(_consent_warnings(event)) == 3  # nobody asked yet, two days before

    with django_capture_on_commit_callbacks(execute=True):
        services.stop_consents_request(event_id=event.pk, by=officer)
    for message in mailoutbox:
        assert "Cleanroom: gowning" in message.body
        link = next(word for word in message.body.split() if "/consent/" in word)
        client.post(link.removeprefix(settings.PUBLIC_BASE_URL), {"answer": "confirmed"})
    client.force_login(officer)
    page = client.get(reverse("staff:event", args=[event.pk])).content.decode()

    assert len(mailoutbox) == 3
    assert set(StopConsent.objects.values_list("answer", flat=True)) == {Answer.CONFIRMED}
    assert _consent_warnings(event) == []
    assert page.count("Host's consent: Confirmed") == 3
