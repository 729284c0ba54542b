"""The back office: pages render and escape, saves go through services, refusals are form errors."""

import datetime as dt

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ChangeLogAdmin, as_refusal
from scheduling import services
from scheduling.models import (
    Booking,
    Closure,
    Event,
    ProgrammeItem,
    ProgrammeRole,
    TravelTime,
)
from tests.factories import (
    AttendanceFactory,
    BookingFactory,
    ClosureFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)
from visitors.delegations.services import delegation_create, pass_create, vehicle_create
from visitors.models import Attendance, Delivery, InboundReply

ADMIN_MODELS = [
    "scheduling.site",
    "scheduling.facility",
    "scheduling.closure",
    "scheduling.event",
    "scheduling.programmeitem",
    "scheduling.booking",
    "scheduling.historicalevent",
    "scheduling.historicalprogrammeitem",
    "scheduling.historicalprogrammerole",
    "scheduling.historicalbooking",
    "visitors.organisation",
    "visitors.person",
    "visitors.attendance",
    "visitors.historicalattendance",
    "visitors.delivery",
    "visitors.inboundreply",
    "visitors.delegation",
]
SCRIPT = "<script>alert('x')</script>"


def admin_url(model_label: str, view: str, *args) -> str:
    app, model = model_label.split(".")
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def split(name: str, value: dt.datetime) -> dict[str, str]:
    """A datetime as the admin's split date/time widget posts it (office time zone)."""
    local = timezone.localtime(value)
    return {f"{name}_0": local.date().isoformat(), f"{name}_1": local.strftime("%H:%M:%S")}


def form_data(response) -> dict:
    """What a browser posts back for the admin form in this response, nothing changed."""
    data: dict = {}

    def add(form: forms.Form) -> None:
        for bound in form:
            value = bound.value()
            if isinstance(bound.field, forms.SplitDateTimeField):
                if isinstance(value, dt.datetime):
                    data.update(split(bound.html_name, value))
                else:
                    data.update({f"{bound.html_name}_0": "", f"{bound.html_name}_1": ""})
            elif isinstance(bound.field, forms.BooleanField):
                if value:
                    data[bound.html_name] = "on"
            elif value is None:
                data[bound.html_name] = ""
            else:
                data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def world(db):
    """One of everything, named in Chinese and English, with a script tag in every title."""
    site = SiteFactory(name=f"香港科學園 {SCRIPT}", name_zh="香港科學園")
    TravelTime.objects.create(from_site=site, to_site=SiteFactory(), minutes=40)
    facility = FacilityFactory(site=site, name=f"多功能廳 {SCRIPT}", name_zh="多功能廳")
    ClosureFactory(facility=facility, start=hk(2030, 5, 1), end=hk(2030, 5, 2), note=SCRIPT)
    organisation = OrganisationFactory(name=f"創新科技署 {SCRIPT}", name_zh="創新科技署")
    person = PersonFactory(name=SCRIPT, name_zh="孫東", organisation=organisation)
    event = EventFactory(title=f"{SCRIPT} 開幕典禮", title_zh="開幕典禮", site=site)
    item = ProgrammeItemFactory(event=event, title=f"致辭 {SCRIPT}", facility=facility)
    ProgrammeRole.objects.create(item=item, person=person)
    BookingFactory(event=event, facility=facility)
    AttendanceFactory(event=event, person=person, role=Attendance.Role.GUEST_OF_HONOUR)
    Delivery.objects.create(
        event=event,
        person=person,
        method=Delivery.Method.REQUEST,
        sequence=0,
        state=Delivery.State.FAILED,
        next_attempt_at=hk(2030, 1, 1),
        last_error=SCRIPT,
    )
    InboundReply.objects.create(
        source=InboundReply.Source.MAILBOX,
        raw=f"From: x@example.org\r\nSubject: {SCRIPT}\r\n\r\n{SCRIPT}".encode(),
        sender="x@example.org",
        state=InboundReply.State.NEEDS_REVIEW,
        code="sender",
        reason=SCRIPT,
    )
    party = delegation_create(event_id=event.pk, name=f"代表團 {SCRIPT}", lead=person)
    car = vehicle_create(
        delegation_id=party.pk,
        plate="AM 1",
        driver=SCRIPT,
        passengers=[person],
        car_call_at=item.start,
    )
    pass_create(delegation_id=party.pk, person=person, number=SCRIPT, status="issued")
    pass_create(delegation_id=party.pk, kind="vehicle", vehicle=car, notes=SCRIPT)
    # A second version of everything with history, so change lists have a change to show.
    services.event_reschedule(event_id=event.pk, start=hk(2030, 3, 4, 11), end=hk(2030, 3, 4, 13))
    return event


def test_admin_model_list_covers_every_registered_model():
    registered = {
        model._meta.label_lower
        for model in admin.site._registry
        if model._meta.app_label in {"scheduling", "visitors"}
    }

    assert registered == set(ADMIN_MODELS)


@pytest.mark.parametrize("model_label", ADMIN_MODELS)
def test_admin_pages_render_and_escape_for(model_label, client, officer, world):
    client.force_login(officer)
    model_admin = next(
        ma for model, ma in admin.site._registry.items() if model._meta.label_lower == model_label
    )
    obj = model_admin.model._default_manager.first()
    urls = [admin_url(model_label, "changelist"), admin_url(model_label, "change", obj.pk)]
    request = RequestFactory().get("/")
    request.user = officer
    # Change logs and the outbox (visitors.delivery) are read-only: no add page.
    if not isinstance(model_admin, ChangeLogAdmin) and model_admin.has_add_permission(request):
        urls.append(admin_url(model_label, "add"))
    if isinstance(model_admin, SimpleHistoryAdmin):
        urls.append(admin_url(model_label, "history", obj.pk))

    responses = [client.get(url) for url in urls]

    for url, response in zip(urls, responses, strict=True):
        assert response.status_code == 200, url
        assert "<script>alert" not in response.content.decode(), url


def test_event_changelist_shows_chinese_titles_and_escapes_markup(client, officer, world):
    client.force_login(officer)

    page = client.get(admin_url("scheduling.event", "changelist")).content.decode()

    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; 開幕典禮" in page
    assert "Mon 04 Mar 2030 11:00 HKT" in page  # start in the event's zone


def test_event_search_finds_chinese_title_and_host(client, officer):
    host = OrganisationFactory(name="Innovation and Technology Commission", name_zh="創新科技署")
    EventFactory(title="Ministerial inspection", title_zh="局長視察", host_organisation=host)
    EventFactory(title="Tenant forum")
    client.force_login(officer)
    url = admin_url("scheduling.event", "changelist")

    by_title = client.get(url, {"q": "局長"}).context["cl"].result_list
    by_host = client.get(url, {"q": "創新科技署"}).context["cl"].result_list

    assert [event.title for event in by_title] == ["Ministerial inspection"]
    assert [event.title for event in by_host] == ["Ministerial inspection"]


def test_event_changelist_filters_by_site_kind_status_visibility_and_date(client, officer):
    park, lab = SiteFactory(name="InnoPark Tai Po"), SiteFactory(name="Science Park")
    visit = EventFactory(
        title="Minister's inspection",
        site=park,
        kind=Event.Kind.MINISTERIAL_VISIT,
        status=Event.Status.CONFIRMED,
        visibility=Event.Visibility.RESTRICTED,
        start=hk(2030, 5, 5, 10),
        end=hk(2030, 5, 5, 12),
    )
    EventFactory(title="Forum", site=lab, kind=Event.Kind.FORUM, start=hk(2030, 6, 1, 9),
                 end=hk(2030, 6, 1, 17))  # fmt: skip
    EventFactory(title="Panel", site=park, kind=Event.Kind.PANEL, start=hk(2031, 5, 5, 9),
                 end=hk(2031, 5, 5, 10))  # fmt: skip
    client.force_login(officer)
    url = admin_url("scheduling.event", "changelist")

    def titles(**query) -> list[str]:
        return sorted(event.title for event in client.get(url, query).context["cl"].result_list)

    assert titles(site__id__exact=park.pk) == ["Minister's inspection", "Panel"]
    assert titles(kind__exact=Event.Kind.MINISTERIAL_VISIT) == [visit.title]
    assert titles(status__exact=Event.Status.CONFIRMED) == [visit.title]
    assert titles(visibility__exact=Event.Visibility.RESTRICTED) == [visit.title]
    # The date hierarchy drills down in the site's zone: 5 May 2030 in Hong Kong.
    assert titles(start__year="2030") == ["Forum", "Minister's inspection"]
    assert titles(start__year="2030", start__month="5", start__day="5") == [visit.title]


def test_event_add_goes_through_the_service(client, officer):
    site = SiteFactory(timezone="Asia/Shanghai")
    client.force_login(officer)
    data = {
        "title": "Opening of the HK-Shenzhen I&T Park",
        "title_zh": "港深創新及科技園開幕",
        "reference": "",
        "kind": Event.Kind.CEREMONY,
        "status": Event.Status.TENTATIVE,
        "visibility": Event.Visibility.PARTNERS,
        "site": site.pk,
        "timezone": "",
        **split("start", hk(2030, 6, 1, 10)),
        **split("end", hk(2030, 6, 1, 12)),
        "host_organisation": "",
        "organiser": officer.pk,
        "description": "",
        "internal_notes": "",
        "programme-TOTAL_FORMS": "0",
        "programme-INITIAL_FORMS": "0",
        "bookings-TOTAL_FORMS": "0",
        "bookings-INITIAL_FORMS": "0",
        "attendances-TOTAL_FORMS": "0",
        "attendances-INITIAL_FORMS": "0",
    }

    response = client.post(admin_url("scheduling.event", "add"), data)

    assert response.status_code == 302
    event = Event.objects.get()
    assert event.uid.endswith("@protocol-desk")
    assert event.timezone == "Asia/Shanghai"  # blank zone: the site's
    assert (event.start, event.status, event.organiser) == (
        hk(2030, 6, 1, 10),
        Event.Status.TENTATIVE,
        officer,
    )
    record = event.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, "Created")


def test_event_reschedule_in_admin_records_who_moved_it(client, officer):
    event = EventFactory(title="Secretary's visit to the MARS Centre")
    item = ProgrammeItemFactory(event=event, start=hk(2030, 3, 4, 10, 30), end=hk(2030, 3, 4, 11))
    client.force_login(officer)
    url = admin_url("scheduling.event", "change", event.pk)
    data = form_data(client.get(url))
    data.update(split("start", hk(2030, 3, 5, 14)), **split("end", hk(2030, 3, 5, 16)))
    data["times_change"] = "move"

    response = client.post(url, data)

    assert response.status_code == 302
    event.refresh_from_db()
    item.refresh_from_db()
    assert (event.start, event.end) == (hk(2030, 3, 5, 14), hk(2030, 3, 5, 16))
    assert item.start == hk(2030, 3, 5, 14, 30)  # the programme moved with it
    moved = event.history.first()
    assert moved.history_user == officer
    assert moved.history_change_reason == "Rescheduled"
    assert (moved.prev_record.start, moved.start) == (hk(2030, 3, 4, 10), hk(2030, 3, 5, 14))
    assert item.history.first().history_user == officer


def test_who_moved_the_visit_is_answered_in_the_change_lists(client, officer):
    event = EventFactory(title="Minister's visit")
    services.event_reschedule(
        event_id=event.pk, start=hk(2030, 3, 6, 9), end=hk(2030, 3, 6, 11), by=officer
    )
    client.force_login(officer)

    events_page = client.get(admin_url("scheduling.event", "changelist")).content.decode()
    log = client.get(admin_url("scheduling.historicalevent", "changelist"), {"q": "minister"})
    history_page = client.get(admin_url("scheduling.event", "history", event.pk)).content.decode()

    assert "by officer: Rescheduled" in events_page
    rows = log.context["cl"].result_list
    assert [(row.history_user, row.history_change_reason) for row in rows][0] == (
        officer,
        "Rescheduled",
    )
    log_page = log.content.decode()
    assert "Start: 2030-03-04 10:00 → 2030-03-06 09:00" in log_page
    assert "officer" in history_page and "Rescheduled" in history_page


def test_event_change_with_invalid_transition_is_a_form_error(client, officer):
    event = EventFactory(status=Event.Status.CONFIRMED, title="Forum")
    client.force_login(officer)
    url = admin_url("scheduling.event", "change", event.pk)
    data = form_data(client.get(url))
    data.update(status=Event.Status.DRAFT, title="Renamed forum")

    response = client.post(url, data)

    assert response.status_code == 200
    assert "A confirmed event cannot become draft." in response.content.decode()
    event.refresh_from_db()
    assert (event.status, event.title, event.history.count()) == (
        Event.Status.CONFIRMED,
        "Forum",
        1,
    )


def test_event_marked_completed_before_it_ends_is_a_form_error(client, officer):
    event = EventFactory(status=Event.Status.CONFIRMED, title="Forum")  # Mon 4 Mar 2030
    client.force_login(officer)
    url = admin_url("scheduling.event", "change", event.pk)
    data = form_data(client.get(url))
    data.update(status=Event.Status.COMPLETED)

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == [
        "The event can be marked completed only after it ends (Mon 4 Mar 2030 12:00 HKT)."
    ]
    event.refresh_from_db()
    assert event.status == Event.Status.CONFIRMED


def test_event_status_choices_are_the_allowed_transitions(client, officer):
    event = EventFactory(status=Event.Status.CONFIRMED)
    client.force_login(officer)

    form = client.get(admin_url("scheduling.event", "change", event.pk)).context["adminform"].form

    assert [value for value, _label in form.fields["status"].choices] == [
        "tentative",
        "confirmed",
        "postponed",
        "cancelled",
        "completed",
    ]


def test_event_end_before_start_is_a_form_error(client, officer):
    event = EventFactory()
    client.force_login(officer)
    url = admin_url("scheduling.event", "change", event.pk)
    data = form_data(client.get(url))
    data.update(split("end", hk(2030, 3, 4, 9)))

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["end"] == ["The end must be after the start."]
    event.refresh_from_db()
    assert event.end == hk(2030, 3, 4, 12)


def test_event_reschedule_that_strands_the_programme_is_refused_and_nothing_saved(client, officer):
    event = EventFactory(title="Inspection")  # 10:00-12:00
    ProgrammeItemFactory(event=event, title="Cleanroom tour", start=hk(2030, 3, 4, 11, 30))
    client.force_login(officer)
    url = admin_url("scheduling.event", "change", event.pk)
    data = form_data(client.get(url))
    # The title change is saved first by event_update, then the reschedule is refused.
    data.update(title="Inspection (shortened)", **split("end", hk(2030, 3, 4, 11)))

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["end"] == [
        "Programme item “Cleanroom tour” would fall outside the new time."
    ]
    event.refresh_from_db()
    assert (event.title, event.end, event.sequence) == ("Inspection", hk(2030, 3, 4, 12), 0)
    assert event.history.count() == 1


def test_event_reschedule_into_a_booked_facility_is_a_form_error(client, officer):
    hall = FacilityFactory()
    BookingFactory(facility=hall, event=EventFactory(site=hall.site, start=hk(2030, 3, 5, 10)))
    event = EventFactory(site=hall.site, title="Signing")
    BookingFactory(facility=hall, event=event)
    client.force_login(officer)
    url = admin_url("scheduling.event", "change", event.pk)
    data = form_data(client.get(url))
    data.update(split("start", hk(2030, 3, 5, 10)), **split("end", hk(2030, 3, 5, 12)))
    data["times_change"] = "move"

    response = client.post(url, data)

    assert response.status_code == 200
    assert "is not free" in str(response.context["adminform"].form.errors)
    event.refresh_from_db()
    assert event.start == hk(2030, 3, 4, 10)
    assert event.bookings.get().start == hk(2030, 3, 4, 10)


def test_database_refusal_becomes_a_message_not_a_500():
    clash = IntegrityError(
        'conflicting key value violates exclusion constraint "booking_no_overlap"'
    )

    refusal = as_refusal(clash)

    assert refusal.messages == ["The facility is already booked at that time. Nothing was saved."]


def test_event_actions_confirm_and_cancel_report_each_event(client, officer):
    draft = EventFactory(title="Draft ceremony")
    cancelled = EventFactory(title="Called off", status=Event.Status.CANCELLED)
    booked = EventFactory(title="Booked forum", status=Event.Status.CONFIRMED)
    booking = BookingFactory(event=booked)
    client.force_login(officer)
    url = admin_url("scheduling.event", "changelist")

    confirmed = client.post(
        url, {"action": "confirm_events", "_selected_action": [draft.pk, cancelled.pk]}, follow=True
    )
    asked = client.post(url, {"action": "cancel_events", "_selected_action": [booked.pk]})
    booked.refresh_from_db()
    assert asked.status_code == 200 and "Yes, cancel" in asked.content.decode()
    assert booked.status == Event.Status.CONFIRMED  # nothing happens before the answer
    called_off = client.post(
        url,
        {
            "action": "cancel_events",
            "_selected_action": [booked.pk],
            "confirmed": "yes",
            "reason": "Typhoon signal no. 8",
        },
        follow=True,
    )

    draft.refresh_from_db()
    cancelled.refresh_from_db()
    booked.refresh_from_db()
    booking.refresh_from_db()
    assert draft.status == Event.Status.CONFIRMED
    assert cancelled.status == Event.Status.CANCELLED
    assert sorted(messages_of(confirmed)) == [
        "1 event confirmed.",
        "“Called off” was not confirmed: A cancelled event cannot become confirmed.",
    ]
    assert booked.status == Event.Status.CANCELLED
    assert booking.status == Booking.Status.RELEASED
    assert messages_of(called_off) == ["1 event cancelled."]
    assert booked.cancel_reason == "Typhoon signal no. 8"
    assert draft.history.first().history_user == officer


def test_attendee_inline_lists_people_in_order_of_precedence(client, officer):
    event = EventFactory()
    staff = AttendanceFactory(event=event, person=PersonFactory(name="Staff member"))
    third = AttendanceFactory(event=event, person=PersonFactory(name="Wong", precedence_rank=3))
    first = AttendanceFactory(event=event, person=PersonFactory(name="Sun", precedence_rank=1))
    host = AttendanceFactory(
        event=event, role=Attendance.Role.HOST, person=PersonFactory(name="Sit", precedence_rank=2)
    )
    client.force_login(officer)

    response = client.get(admin_url("scheduling.event", "change", event.pk))

    inline = next(
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.formset.model is Attendance
    )
    assert [form.instance for form in inline.formset.forms] == [first, host, third, staff]


def test_attendee_inline_adds_and_removes_through_the_services(client, officer):
    event = EventFactory()
    leaving = AttendanceFactory(event=event)
    newcomer = PersonFactory(name="Rebecca Pun", name_zh="潘婷婷")
    client.force_login(officer)
    url = admin_url("scheduling.event", "change", event.pk)
    data = form_data(client.get(url))
    data.update(
        {
            "attendances-0-DELETE": "on",
            "attendances-TOTAL_FORMS": "2",
            "attendances-1-person": newcomer.pk,
            "attendances-1-role": Attendance.Role.SPEAKER,
            "attendances-1-rsvp": Attendance.RSVP.ACCEPTED,
            "attendances-1-guests": "1",
            "attendances-1-call_time_0": "",
            "attendances-1-call_time_1": "",
            "attendances-1-event": event.pk,
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302
    added = Attendance.objects.get(event=event)
    assert (added.person, added.role, added.rsvp, added.guests) == (
        newcomer,
        "speaker",
        "accepted",
        1,
    )
    assert added.rsvp_at is not None  # recorded by rsvp_record
    history = {
        (record.history_type, record.history_user, record.history_change_reason)
        for record in Attendance.history.filter(event_id=event.pk)
    }
    assert history >= {
        ("+", officer, "Added to attendee list"),
        ("-", officer, "Removed from attendee list"),
    }
    assert not Attendance.objects.filter(pk=leaving.pk).exists()


def test_programme_inline_row_outside_the_event_is_refused(client, officer):
    event = EventFactory(title="Forum")  # 10:00-12:00
    client.force_login(officer)
    url = admin_url("scheduling.event", "change", event.pk)
    data = form_data(client.get(url))
    data.update(
        {
            "title": "Forum (renamed)",
            "programme-TOTAL_FORMS": "1",
            "programme-0-event": event.pk,
            "programme-0-title": "Keynote",
            "programme-0-kind": ProgrammeItem.Kind.KEYNOTE,
            "programme-0-visibility": ProgrammeItem.Visibility.PUBLIC,
            "programme-0-position": "0",
            **split("programme-0-start", hk(2030, 3, 4, 11, 30)),
            **split("programme-0-end", hk(2030, 3, 4, 12, 30)),
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "A programme item must fall inside its event" in response.content.decode()
    event.refresh_from_db()
    assert event.title == "Forum"
    assert not event.programme.exists()


def test_programme_item_admin_sets_roles_through_the_service(client, officer):
    item = ProgrammeItemFactory()
    moderator, panellist = PersonFactory(name="Moderator"), PersonFactory(name="Panellist")
    client.force_login(officer)
    url = admin_url("scheduling.programmeitem", "change", item.pk)
    data = form_data(client.get(url))
    data.update(
        {
            "roles-TOTAL_FORMS": "2",
            "roles-0-person": panellist.pk,
            "roles-0-part": ProgrammeRole.Part.PANELLIST,
            "roles-0-position": "1",
            "roles-0-item": item.pk,
            "roles-1-person": moderator.pk,
            "roles-1-part": ProgrammeRole.Part.MODERATOR,
            "roles-1-position": "0",
            "roles-1-item": item.pk,
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302
    assert [(role.person, role.part) for role in item.roles.all()] == [
        (moderator, "moderator"),
        (panellist, "panellist"),
    ]
    assert {record.history_user for record in ProgrammeRole.history.all()} == {officer}


def test_viewer_sees_events_but_cannot_change_them(client, viewer):
    event = EventFactory(title="Ceremony")
    client.force_login(viewer)
    url = admin_url("scheduling.event", "change", event.pk)
    page = client.get(url)
    data = form_data(page) if page.context["adminform"].form.fields else {}

    refused = client.post(url, {**data, "title": "Changed by a viewer"})

    assert page.status_code == 200
    assert page.context["title"] == "View event"
    assert refused.status_code == 403
    event.refresh_from_db()
    assert event.title == "Ceremony"
    assert client.post(admin_url("scheduling.event", "add"), {}).status_code == 403
    assert client.get(admin_url("scheduling.event", "history", event.pk)).status_code == 200
    assert client.get(admin_url("scheduling.historicalevent", "changelist")).status_code == 200


def test_anonymous_user_is_sent_to_the_login_page(client):
    response = client.get(admin_url("scheduling.event", "changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_final_event_is_read_only_even_for_officers(client, officer):
    event = EventFactory(status=Event.Status.CANCELLED, title="Called off")
    client.force_login(officer)
    url = admin_url("scheduling.event", "change", event.pk)

    page = client.get(url)
    refused = client.post(url, {"title": "Revived"})

    assert page.context["title"] == "View event"
    assert refused.status_code == 403
    event.refresh_from_db()
    assert event.title == "Called off"


def test_only_draft_events_can_be_deleted(client, officer):
    draft = EventFactory(status=Event.Status.DRAFT)
    confirmed = EventFactory(status=Event.Status.CONFIRMED)
    client.force_login(officer)

    kept = client.post(admin_url("scheduling.event", "delete", confirmed.pk), {"post": "yes"})
    gone = client.post(admin_url("scheduling.event", "delete", draft.pk), {"post": "yes"})

    assert kept.status_code == 403
    assert gone.status_code == 302
    assert list(Event.objects.all()) == [confirmed]
    deleted = Event.history.filter(id=draft.pk).first()
    assert (deleted.history_type, deleted.history_user) == ("-", officer)


def test_history_revert_is_refused(client, officer):
    event = EventFactory(title="Original")
    services.event_update(event_id=event.pk, title="Renamed")
    first = event.history.last()
    client.force_login(officer)

    response = client.post(
        reverse("admin:scheduling_event_simple_history", args=[event.pk, first.history_id]),
        {"title": "Original"},
    )

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.title == "Renamed"
    viewing = client.get(
        reverse("admin:scheduling_event_simple_history", args=[event.pk, first.history_id])
    )
    assert viewing.status_code == 200  # old versions can still be looked at


def test_booking_list_shows_the_occupied_interval(client, officer):
    hall = FacilityFactory(setup_minutes=30, teardown_minutes=15)
    BookingFactory(facility=hall, event=EventFactory(site=hall.site))
    client.force_login(officer)

    page = client.get(admin_url("scheduling.booking", "changelist")).content.decode()

    assert "Mon 4 Mar 2030 09:30–12:15" in page


def test_booking_add_goes_through_the_booking_service(client, officer):
    hall = FacilityFactory()
    event = EventFactory(site=hall.site)
    client.force_login(officer)
    data = {
        "event": event.pk,
        "programme_item": "",
        "facility": hall.pk,
        **split("start", hk(2030, 3, 4, 10)),
        **split("end", hk(2030, 3, 4, 12)),
        "setup_minutes": "",
        "teardown_minutes": "",
        "status": Booking.Status.HELD,
        "hold_expires_at_0": "",
        "hold_expires_at_1": "",
        "backup_of": "",
        "backup_deadline_0": "",
        "backup_deadline_1": "",
        "capacity_override_reason": "",
    }

    response = client.post(admin_url("scheduling.booking", "add"), data)

    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.setup_minutes, booking.status) == (hall.setup_minutes, Booking.Status.HELD)
    assert booking.hold_expires_at is not None
    assert booking.history.first().history_user == officer


def test_booking_clash_in_admin_is_a_form_error(client, officer):
    hall = FacilityFactory()
    BookingFactory(facility=hall, event=EventFactory(site=hall.site))
    event = EventFactory(site=hall.site, title="Second event", end=hk(2030, 3, 4, 14))
    client.force_login(officer)
    data = {
        "event": event.pk,
        "programme_item": "",
        "facility": hall.pk,
        **split("start", hk(2030, 3, 4, 11)),
        **split("end", hk(2030, 3, 4, 13)),
        "setup_minutes": "",
        "teardown_minutes": "",
        "status": Booking.Status.CONFIRMED,
        "hold_expires_at_0": "",
        "hold_expires_at_1": "",
        "backup_of": "",
        "backup_deadline_0": "",
        "backup_deadline_1": "",
        "capacity_override_reason": "",
    }

    response = client.post(admin_url("scheduling.booking", "add"), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert "is not free" in errors[0] and "Ceremony" in errors[0]  # names what is in the way
    assert not event.bookings.exists()


def test_booking_move_in_admin_goes_through_the_service(client, officer):
    booking = BookingFactory(status=Booking.Status.CONFIRMED)
    client.force_login(officer)
    url = admin_url("scheduling.booking", "change", booking.pk)
    data = form_data(client.get(url))
    data.update(split("start", hk(2030, 3, 4, 11)), setup_minutes="60")

    response = client.post(url, data)

    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.start, booking.occupied_start) == (hk(2030, 3, 4, 11), hk(2030, 3, 4, 10))
    record = booking.history.first()
    assert record.history_user == officer
    assert record.history_change_reason.startswith("Moved")


def test_booking_actions_confirm_and_release_report_each_booking(client, officer):
    held = BookingFactory(status=Booking.Status.HELD, hold_expires_at=hk(2030, 3, 1))
    released = BookingFactory(status=Booking.Status.RELEASED)
    confirmed = BookingFactory(status=Booking.Status.CONFIRMED)
    client.force_login(officer)
    url = admin_url("scheduling.booking", "changelist")

    confirming = client.post(
        url, {"action": "confirm_bookings", "_selected_action": [held.pk, released.pk]}, follow=True
    )
    releasing = client.post(
        url, {"action": "release_bookings", "_selected_action": [confirmed.pk]}, follow=True
    )

    held.refresh_from_db()
    confirmed.refresh_from_db()
    assert held.status == Booking.Status.CONFIRMED
    assert confirmed.status == Booking.Status.RELEASED
    assert sorted(messages_of(confirming)) == [
        "1 booking confirmed.",
        f"{released} was not confirmed: This booking was released; book the facility again.",
    ]
    assert messages_of(releasing) == ["1 booking released."]


def test_booking_release_in_admin_goes_through_the_service(client, officer):
    booking = BookingFactory(status=Booking.Status.CONFIRMED)
    client.force_login(officer)
    url = admin_url("scheduling.booking", "change", booking.pk)
    data = form_data(client.get(url))
    data["status"] = Booking.Status.RELEASED

    response = client.post(url, data)

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.RELEASED
    assert booking.released_at is not None
    assert booking.history.first().history_user == officer


def test_active_booking_cannot_be_deleted(client, officer):
    booking = BookingFactory(status=Booking.Status.CONFIRMED)
    client.force_login(officer)

    response = client.post(admin_url("scheduling.booking", "delete", booking.pk), {"post": "yes"})

    assert response.status_code == 403
    assert Booking.objects.filter(pk=booking.pk).exists()


def test_event_admin_permissions_follow_the_groups(officer, viewer):
    request = RequestFactory().get("/")
    event_admin = admin.site._registry[Event]

    def can(user, check: str) -> bool:
        request.user = user
        return getattr(event_admin, f"has_{check}_permission")(request)

    assert [can(officer, check) for check in ("view", "add", "change")] == [True, True, True]
    assert [can(viewer, check) for check in ("view", "add", "change")] == [True, False, False]
    assert can(AnonymousUser(), "view") is False


def test_event_history_page_links_to_changes_of_its_parts(client, officer):
    event = EventFactory()
    booking = BookingFactory(event=event)
    BookingFactory()  # another event's booking stays out of the list
    services.event_reschedule(
        event_id=event.pk, start=hk(2030, 3, 4, 14), end=hk(2030, 3, 4, 16), by=officer
    )
    client.force_login(officer)
    bookings_log = admin_url("scheduling.historicalbooking", "changelist")

    history_page = client.get(admin_url("scheduling.event", "history", event.pk)).content.decode()
    log = client.get(bookings_log, {"event__id__exact": event.pk})

    assert f"{bookings_log}?event__id__exact={event.pk}" in history_page
    rows = log.context["cl"].result_list
    assert {row.id for row in rows} == {booking.pk}
    assert "Start: 2030-03-04 10:00 → 2030-03-04 14:00" in log.content.decode()


def test_event_page_offers_to_book_a_facility(client, officer):
    event = EventFactory()
    client.force_login(officer)

    page = client.get(admin_url("scheduling.event", "change", event.pk)).content.decode()
    form = client.get(admin_url("scheduling.booking", "add"), {"event": event.pk})

    assert f"{admin_url('scheduling.booking', 'add')}?event={event.pk}" in page
    assert form.context["adminform"].form.initial["event"] == str(event.pk)


# --- A changed start: the whole event, or only its window ------------------------------------


def _change_start(client, event, start):
    url = admin_url("scheduling.event", "change", event.pk)
    data = form_data(client.get(url))
    data.update(split("start", start))
    return url, data


def test_a_changed_start_in_admin_asks_what_moves_and_moves_nothing_until_told(client, officer):
    event = EventFactory(title="Inspection")  # 10:00-12:00
    item = ProgrammeItemFactory(event=event, start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 10, 30))
    client.force_login(officer)
    url, data = _change_start(client, event, hk(2030, 3, 4, 9, 55))

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["times_change"] == [
        "The start changed: choose whether the whole event moves with it or only its window "
        "changes."
    ]
    event.refresh_from_db()
    item.refresh_from_db()
    assert (event.start, item.start) == (hk(2030, 3, 4, 10), hk(2030, 3, 4, 10))


def test_an_earlier_start_for_the_window_only_leaves_programme_and_bookings(client, officer):
    event = EventFactory(title="Inspection")  # 10:00-12:00
    item = ProgrammeItemFactory(event=event, start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 10, 30))
    booking = BookingFactory(event=event)
    client.force_login(officer)
    url, data = _change_start(client, event, hk(2030, 3, 4, 9, 55))
    data["times_change"] = "window"

    response = client.post(url, data)

    assert response.status_code == 302
    event.refresh_from_db()
    item.refresh_from_db()
    booking.refresh_from_db()
    assert (event.start, event.end) == (hk(2030, 3, 4, 9, 55), hk(2030, 3, 4, 12))
    assert (item.start, booking.start) == (hk(2030, 3, 4, 10), hk(2030, 3, 4, 10))
    assert event.sequence == 1


def test_a_window_that_strands_a_booking_is_refused(client, officer):
    event = EventFactory(title="Inspection")  # 10:00-12:00
    BookingFactory(event=event, start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 12))
    client.force_login(officer)
    url, data = _change_start(client, event, hk(2030, 3, 4, 11))
    data["times_change"] = "window"

    response = client.post(url, data)

    assert response.status_code == 200
    assert "must lie within its event" in str(response.context["adminform"].form.errors)
    event.refresh_from_db()
    assert event.start == hk(2030, 3, 4, 10)


def test_moving_the_whole_event_in_admin_moves_everything(client, officer):
    event = EventFactory(title="Inspection")  # 10:00-12:00
    item = ProgrammeItemFactory(event=event, start=hk(2030, 3, 4, 10), end=hk(2030, 3, 4, 10, 30))
    booking = BookingFactory(event=event)
    client.force_login(officer)
    url, data = _change_start(client, event, hk(2030, 3, 4, 9, 55))
    data.update(split("end", hk(2030, 3, 4, 11, 55)), times_change="move")

    response = client.post(url, data)

    assert response.status_code == 302
    item.refresh_from_db()
    booking.refresh_from_db()
    assert (item.start, booking.start) == (hk(2030, 3, 4, 9, 55), hk(2030, 3, 4, 9, 55))


def test_closure_add_in_admin_goes_through_the_service_and_names_the_bookings(client, officer):
    hall = FacilityFactory(name="Lecture Theatre")
    BookingFactory(facility=hall, event=EventFactory(site=hall.site, title=f"Forum {SCRIPT}"))
    client.force_login(officer)
    data = {
        "site": "",
        "facility": hall.pk,
        **split("start", hk(2030, 3, 4, 11)),
        **split("end", hk(2030, 3, 4, 14)),
        "reason": "other",
        "note": "Typhoon signal 8",
    }

    response = client.post(admin_url("scheduling.closure", "add"), data, follow=True)

    closure = Closure.objects.get()
    assert (closure.facility, closure.note) == (hall, "Typhoon signal 8")
    shown = [str(m) for m in response.context["messages"]]
    assert (
        "Closure saved; it lies over 1 active booking, whose event now shows a warning: "
        f"Lecture Theatre for “Forum {SCRIPT}”, Mon 4 Mar 2030 10:00–12:00 HKT."
    ) in shown
    assert SCRIPT not in response.content.decode()  # escaped where it is shown


def test_closure_change_in_admin_goes_through_the_service(client, officer):
    hall = FacilityFactory(name="Lecture Theatre")
    BookingFactory(facility=hall, event=EventFactory(site=hall.site))
    closure = ClosureFactory(facility=hall, start=hk(2030, 3, 4, 6), end=hk(2030, 3, 4, 7))
    client.force_login(officer)
    url = admin_url("scheduling.closure", "change", closure.pk)
    data = form_data(client.get(url))
    data.update(split("end", hk(2030, 3, 4, 10, 30)))

    response = client.post(url, data, follow=True)

    closure.refresh_from_db()
    assert closure.end == hk(2030, 3, 4, 10, 30)
    assert any("lies over 1 active booking" in str(m) for m in response.context["messages"])


def test_facility_rename_in_admin_goes_through_the_service(client, officer):
    event = EventFactory(status=Event.Status.CONFIRMED, start=hk(2031, 3, 4, 10))
    hall = BookingFactory(event=event).facility
    client.force_login(officer)
    url = admin_url("scheduling.facility", "change", hall.pk)
    data = form_data(client.get(url))
    data["name"] = "Charles Kao Auditorium"

    response = client.post(url, data)

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.sequence == 1
    assert event.history.latest().history_change_reason == (
        "A facility's name or site changed: Charles Kao Auditorium"
    )


def test_site_address_in_admin_goes_through_the_service(client, officer):
    event = EventFactory(status=Event.Status.CONFIRMED, start=hk(2031, 3, 4, 10))
    client.force_login(officer)
    url = admin_url("scheduling.site", "change", event.site.pk)
    data = form_data(client.get(url))
    data["address"] = "2 Science Park West Avenue"

    response = client.post(url, data)

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.sequence == 1
