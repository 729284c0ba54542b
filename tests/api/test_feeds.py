"""Subscription feeds: what is in them, who sees what, ETag and 304, revocation, partners making
their own through the API, and Mozilla's ical.js reading the same instants as zoneinfo."""

import datetime as dt
import json
import shutil
import subprocess
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from api import feeds
from api.models import Feed
from scheduling import ical, services
from scheduling.models import Event
from tests.api.conftest import secretary_visit
from tests.factories import (
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    SiteFactory,
    event_created,
)
from visitors import services as visitor_services

pytestmark = pytest.mark.django_db

NODE_SCRIPT = Path(settings.BASE_DIR) / "tests" / "interop" / "icaljs_instants.mjs"
ICALJS = Path(settings.BASE_DIR) / "node_modules" / "ical.js" / "package.json"


def _at(days: float, hour: int = 10, zone: str = "Asia/Hong_Kong") -> dt.datetime:
    """A local time `days` from today, at `hour`, in `zone`."""
    day = (timezone.now() + dt.timedelta(days=days)).astimezone(zoneinfo.ZoneInfo(zone)).date()
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zoneinfo.ZoneInfo(zone))


def _event(site, *, days: float = 7, hours: int = 2, zone: str | None = None, **fields) -> Event:
    """A confirmed public event `days` from now at `hour` (10:00) in its zone (event_created)."""
    zone = zone or site.timezone
    start = _at(days, fields.pop("hour", 10), zone)
    fields.setdefault("title", f"Event in {days} days")
    fields.setdefault("status", Event.Status.CONFIRMED)
    fields.setdefault("visibility", Event.Visibility.PUBLIC)
    return event_created(
        site=site, start=start, end=start + dt.timedelta(hours=hours), timezone=zone, **fields
    )


def _get(client, token: str, **headers):
    return client.get(f"/feeds/{token}.ics", headers=headers)


def _vevents(body: bytes) -> dict[str, dict]:
    """SUMMARY → the VEVENT's properties, as icalendar reads them."""
    return {str(e["SUMMARY"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


def _staff_feed(officer, **filters) -> tuple[Feed, str]:
    return feeds.feed_create(name="Protocol office", owner_user=officer, **filters)


def test_a_feed_publishes_the_window_without_cancelled_events_or_attendees(client, officer):
    site = SiteFactory(name="InnoPark Tai Po")
    hall = FacilityFactory(site=site, name="Hall 1")
    shown = _event(site, days=7, title="Opening, with guests; 開幕", description="Public words")
    services.booking_create(
        event_id=shown.pk, facility_id=hall.pk, start=shown.start, end=shown.end, status="confirmed"
    )
    services.programme_item_create(
        event_id=shown.pk, title="Welcome remarks", start=shown.start, end=shown.end
    )
    services.programme_item_create(
        event_id=shown.pk,
        title="Secret transfer",
        start=shown.start,
        end=shown.end,
        visibility="internal",
        cue_notes="Side door",
    )
    visitor_services.attendance_add(event_id=shown.pk, person_id=PersonFactory().pk)
    services.event_update(event_id=shown.pk, internal_notes="Minister's phone: 1234")
    _event(site, days=80, title="Recent past", hour=9)
    _event(site, days=-89, title="Edge of the past")
    _event(site, days=-92, title="Too old")
    _event(site, days=500, title="Next year")
    _event(site, days=560, title="Too far ahead")
    _event(site, days=3, title="Pencilled in", status=Event.Status.DRAFT)
    cancelled = _event(site, days=5, title="Called off")
    services.event_cancel(event_id=cancelled.pk)
    _event(SiteFactory(), days=7, title="Another site")
    feed, token = _staff_feed(officer, site=site)

    answer = _get(client, token)

    body = answer.content
    calendar = Calendar.from_ical(body)
    events = _vevents(body)
    opening = events["Opening, with guests; 開幕"]
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/calendar; charset=utf-8"
    assert sorted(events) == sorted(
        ["Opening, with guests; 開幕", "Recent past", "Edge of the past", "Next year"]
    )
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["NAME"] == calendar["X-WR-CALNAME"] == "Protocol office"
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in body
    assert b"ATTENDEE" not in body and b"ORGANIZER" not in body
    assert "UID" not in calendar  # no random calendar UID: equal data, equal bytes
    assert str(opening["UID"]) == f"feed-{feed.pk}-{shown.uid}"
    assert str(opening["UID"]) != shown.uid
    assert opening.decoded("DTSTART") == shown.start
    assert "Hall 1" in str(opening["LOCATION"]) and "InnoPark Tai Po" in str(opening["LOCATION"])
    assert "Public words" in str(opening["DESCRIPTION"])
    assert "Welcome remarks" in str(opening["DESCRIPTION"])
    for secret in (b"Secret transfer", b"Side door", b"1234"):
        assert secret not in body
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Asia/Hong_Kong"]


def test_a_feed_shows_what_its_owner_may_see(client, officer):
    host, other = OrganisationFactory(), OrganisationFactory()
    site = SiteFactory()
    for visibility in Event.Visibility.values:
        _event(site, title=visibility, visibility=visibility, host_organisation=host)
    tokens = {
        "staff": _staff_feed(officer)[1],
        "host": feeds.feed_create(name="Host", owner_organisation=host)[1],
        "other": feeds.feed_create(name="Other", owner_organisation=other)[1],
        "public": feeds.feed_create(name="Everyone")[1],
    }

    seen = {who: sorted(_vevents(_get(client, t).content)) for who, t in tokens.items()}

    assert seen == {
        "staff": ["internal", "partners", "public", "restricted"],
        "host": ["partners", "public", "restricted"],
        "other": ["partners", "public"],
        "public": ["public"],
    }
    restricted = _vevents(_get(client, tokens["host"]).content)["restricted"]
    assert restricted["CLASS"] == "CONFIDENTIAL"


def test_a_feed_narrows_by_facility_organisation_person_and_saved_filter(client, officer):
    tenant = OrganisationFactory()
    site = SiteFactory()
    hall = FacilityFactory(site=site)
    booked = _event(site, title="Booked hall", kind=Event.Kind.FORUM)
    services.booking_create(
        event_id=booked.pk, facility_id=hall.pk, start=booked.start, end=booked.end, status="held"
    )
    _event(site, days=8, title="Hosted", host_organisation=tenant)
    stop = _event(site, days=9, title="Tour stop", kind=Event.Kind.SITE_INSPECTION)
    services.programme_item_create(
        event_id=stop.pk, title="Lab", start=stop.start, end=stop.end, host_organisation=tenant
    )
    speaker = PersonFactory(organisation=tenant)
    guest = PersonFactory()
    talk = _event(site, days=10, title="Talk")
    services.programme_item_create(
        event_id=talk.pk,
        title="Keynote",
        start=talk.start,
        end=talk.end,
        roles=[(speaker, "speaker")],
    )
    declined = _event(site, days=11, title="Declined")
    attendance = visitor_services.attendance_add(event_id=declined.pk, person_id=guest.pk)
    visitor_services.rsvp_record(attendance_id=attendance.pk, answer="declined")
    attended = _event(site, days=12, title="Attended", status=Event.Status.TENTATIVE)
    visitor_services.attendance_add(event_id=attended.pk, person_id=guest.pk)
    filters = {
        "facility": {"facility": hall},
        "organisation": {"organisation": tenant},
        "speaker": {"person": speaker},
        "guest": {"person": guest},
        "forums": {"kinds": ["forum"]},
        "tentative": {"statuses": ["tentative"]},
    }

    seen = {
        name: sorted(_vevents(_get(client, _staff_feed(officer, **given)[1]).content))
        for name, given in filters.items()
    }

    assert seen == {
        "facility": ["Booked hall"],
        "organisation": ["Hosted", "Talk", "Tour stop"],
        "speaker": ["Talk"],
        "guest": ["Attended"],
        "forums": ["Booked hall"],
        "tentative": ["Attended"],
    }


def test_an_unchanged_feed_answers_304_and_a_change_gives_a_new_etag(client, officer):
    site = SiteFactory()
    event = _event(site)
    _feed, token = _staff_feed(officer)
    first = _get(client, token)

    with CaptureQueriesContext(connection) as queries:
        again = _get(client, token, if_none_match=first["ETag"])
    by_date = _get(client, token, if_modified_since=first["Last-Modified"])
    repeated = _get(client, token)
    services.event_update(event_id=event.pk, title="Renamed")
    changed = _get(client, token, if_none_match=first["ETag"])

    assert first.status_code == 200 and first["ETag"].startswith('W/"')
    assert first["Cache-Control"] == "private, no-cache"
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])
    assert len(queries) <= 3  # the feed, the log's head, the events' version: nothing rendered
    assert by_date.status_code == 304
    assert repeated.content == first.content and repeated["ETag"] == first["ETag"]
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert "Renamed" in _vevents(changed.content)


def test_a_feed_is_rendered_once_for_many_subscribers(client, officer):
    site = SiteFactory()
    for days in range(1, 6):
        _event(site, days=days)
    _feed, token = _staff_feed(officer)
    first = _get(client, token)

    with CaptureQueriesContext(connection) as queries:
        second = _get(client, token)

    assert second.content == first.content
    assert len(queries) <= 3  # served from the cache under its ETag


def test_rendering_a_feed_costs_the_same_queries_for_3_and_30_events(client, officer):
    site = SiteFactory()
    hall = FacilityFactory(site=site)
    _feed, token = _staff_feed(officer)

    def grow_and_count(n: int) -> int:
        while Event.objects.count() < n:
            event = _event(site, days=Event.objects.count() + 1)
            services.booking_create(
                event_id=event.pk,
                facility_id=hall.pk,
                start=event.start,
                end=event.end,
                status="confirmed",
            )
            services.programme_item_create(
                event_id=event.pk, title="Remarks", start=event.start, end=event.end
            )
        with CaptureQueriesContext(connection) as queries:
            answer = _get(client, token)
        assert len(_vevents(answer.content)) == n
        return len(queries)

    assert grow_and_count(3) == grow_and_count(30)


def test_a_revoked_feed_answers_410(client, officer, staff_api):
    _event(SiteFactory())
    feed, token = _staff_feed(officer)
    before = _get(client, token)

    feeds.feed_revoke(feed_id=feed.pk)
    after = _get(client, token)
    unknown = client.get("/feeds/" + "x" * 43 + ".ics")

    assert before.status_code == 200
    assert after.status_code == 410
    assert unknown.status_code == 404


def test_a_staff_feed_stops_when_its_owner_leaves(client, officer):
    _event(SiteFactory())
    _feed, token = _staff_feed(officer)

    officer.is_staff = False
    officer.save()

    assert _get(client, token).status_code == 410


def test_a_partner_makes_a_feed_for_its_own_organisation_through_the_api(client, api_for):
    host, other = OrganisationFactory(), OrganisationFactory()
    site = SiteFactory()
    _event(site, title="Their unannounced visit", visibility="restricted", host_organisation=host)
    _event(site, title="Someone else's", visibility="restricted", host_organisation=other)
    _event(site, title="Office only", visibility="internal", host_organisation=host)
    partner, outsider = api_for(organisation=host), api_for(organisation=other)
    feeds.feed_create(name="Other's feed", owner_organisation=other)

    made = partner.post("/api/v1/feeds/", {"name": "Our visits", "organisation": host.pk})
    for_other = partner.post("/api/v1/feeds/", {"name": "Theirs", "organisation": other.pk})
    about_someone = partner.post("/api/v1/feeds/", {"name": "Them", "person": PersonFactory().pk})
    listed = partner.get("/api/v1/feeds/").json()["results"]
    token = made.json()["token"]
    calendar = client.get(made.json()["url"].removeprefix(settings.PUBLIC_BASE_URL))
    not_theirs = outsider.delete(f"/api/v1/feeds/{made.json()['id']}/")
    revoked = partner.delete(f"/api/v1/feeds/{made.json()['id']}/")

    assert made.status_code == 201, made.content
    assert made.json()["audience"] == "partner"
    assert made.json()["owner_organisation"] == host.pk
    assert made.json()["url"] == f"{settings.PUBLIC_BASE_URL}/feeds/{token}.ics"
    assert made.json()["webcal_url"].startswith("webcal://")
    assert Feed.objects.get(pk=made.json()["id"]).owner_organisation == host
    assert for_other.status_code == 400 and "organisation" in for_other.json()["errors"]
    assert about_someone.status_code == 400 and "person" in about_someone.json()["errors"]
    assert [f["name"] for f in listed] == ["Our visits"]
    assert "token" not in listed[0]
    assert sorted(_vevents(calendar.content)) == ["Their unannounced visit"]
    assert not_theirs.status_code == 404
    assert revoked.status_code == 204
    assert _get(client, token).status_code == 410


def test_a_replayed_feed_creation_does_not_show_the_token_again(api_for):
    partner = api_for(organisation=OrganisationFactory())
    headers = {"Idempotency-Key": "feed-1"}

    first = partner.post("/api/v1/feeds/", {"name": "Ours"}, headers=headers)
    replay = partner.post("/api/v1/feeds/", {"name": "Ours"}, headers=headers)

    assert first.status_code == replay.status_code == 201
    assert first.json()["token"] and first.json()["url"]
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert replay.json()["token"] is None and replay.json()["url"] is None
    assert Feed.objects.count() == 1


def test_listing_feeds_costs_the_same_queries_for_10_and_100(api_for):
    organisation = OrganisationFactory()
    partner = api_for(organisation=organisation)
    partner.get("/api/v1/feeds/")  # the key's first use writes last_used_at

    def count(n: int) -> tuple[int, int]:
        while Feed.objects.count() < n:
            feeds.feed_create(name="Feed", owner_organisation=organisation, site=SiteFactory())
        with CaptureQueriesContext(connection) as queries:
            answer = partner.get("/api/v1/feeds/", page_size=200)
        return len(queries), len(answer.json()["results"])

    small, large = count(10), count(100)

    assert (small[1], large[1]) == (10, 100)
    assert small[0] == large[0]


CASES = [
    ("Europe/London", 30, 10),  # whichever season today + 30 days falls in
    ("Europe/London", 200, 9),
    ("America/New_York", 100, 14),
    ("America/New_York", 280, 18),
    ("Asia/Hong_Kong", 10, 10),
]


@pytest.mark.slow
def test_a_feed_reads_the_same_instants_in_icaljs_as_in_zoneinfo(client, officer, tmp_path):
    node = shutil.which("node")
    if node is None or not ICALJS.exists():
        if settings.DEBUG is False and __import__("os").environ.get("CI") == "true":
            pytest.fail("node and node_modules/ical.js are needed (CI=true)")
        pytest.skip("node or node_modules/ical.js is missing")
    site = SiteFactory()
    made = [
        _event(site, days=days, hour=hour, zone=zone, title=f"{zone}, {days}")
        for zone, days, hour in CASES
    ]
    feed, token = _staff_feed(officer)
    path = tmp_path / "feed.ics"
    path.write_bytes(_get(client, token).content)

    done = subprocess.run(
        [node, str(NODE_SCRIPT), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.BASE_DIR,
    )

    assert done.returncode == 0, done.stderr
    read = {vevent["uid"]: vevent for vevent in json.loads(done.stdout)[str(path)]}
    assert sorted(read) == sorted(f"feed-{feed.pk}-{e.uid}" for e in made)
    for event in made:
        vevent = read[f"feed-{feed.pk}-{event.uid}"]
        assert vevent["method"] == "PUBLISH"
        assert vevent["attendees"] == 0
        assert vevent["status"] == "CONFIRMED"
        assert vevent["start"] == event.start.timestamp(), event.title
        assert vevent["end"] == event.end.timestamp(), event.title


def test_staff_make_a_feed_in_the_back_office_and_see_its_address_once(admin_client):
    site = SiteFactory()
    _event(site, title="At the park")
    _event(SiteFactory(), title="Elsewhere")

    added = admin_client.post(
        "/admin/api/feed/add/",
        {"name": "Park events", "site": site.pk, "status_list": ["confirmed"]},
        follow=True,
    )
    feed = Feed.objects.get()
    [address] = [
        word
        for message in added.context["messages"]
        for word in str(message).split()
        if word.startswith(settings.PUBLIC_BASE_URL)
    ]
    calendar = admin_client.get(address.removeprefix(settings.PUBLIC_BASE_URL))
    page = admin_client.get(f"/admin/api/feed/{feed.pk}/change/")

    assert (feed.site, feed.statuses, feed.owner_user) == (site, ["confirmed"], None)
    assert sorted(_vevents(calendar.content)) == ["At the park"]  # public: no owner
    assert address.removeprefix(f"{settings.PUBLIC_BASE_URL}/feeds/")[:6] == feed.token_hint
    assert address not in page.content.decode()


# Every field a feed entry is written from, changed the way staff change it (services for
# events, programme and bookings; a save in the back office for sites and facilities), and
# what the entry then shows. Each change must reach the feed at once: a new ETag, and a body
# equal to one rendered from nothing.
ENTRY_CHANGES = {
    "title": (
        lambda w: services.event_update(event_id=w.opening.pk, title="Grand opening"),
        "SUMMARY:Grand opening",
    ),
    "title_zh": (
        lambda w: services.event_update(event_id=w.opening.pk, title_zh="開幕禮"),
        "SUMMARY:Opening (開幕禮)",
    ),
    "description": (
        lambda w: services.event_update(event_id=w.opening.pk, description="Bring your ID"),
        "DESCRIPTION:Bring your ID",
    ),
    "time": (
        lambda w: services.event_reschedule(
            event_id=w.opening.pk,
            start=w.opening.start + dt.timedelta(hours=1),
            end=w.opening.end + dt.timedelta(hours=1),
        ),
        "DTSTART;TZID=Asia/Hong_Kong:{start_plus_1h}",
    ),
    "zone": (
        lambda w: services.event_update(event_id=w.opening.pk, timezone="Europe/London"),
        "DTSTART;TZID=Europe/London:",
    ),
    "status": (
        lambda w: services.event_transition(event_id=w.opening.pk, to=Event.Status.TENTATIVE),
        "STATUS:TENTATIVE",
    ),
    "visibility": (
        lambda w: services.event_update(event_id=w.opening.pk, visibility="internal"),
        "CLASS:PRIVATE",
    ),
    "site name": (lambda w: w.save(w.site, name="Science Park East"), "Science Park East"),
    "site address": (
        lambda w: w.save(w.site, address="1 Science Park Road"),
        "1 Science Park Road",
    ),
    "facility name": (lambda w: w.save(w.hall, name="Auditorium 1"), "LOCATION:Auditorium 1"),
    "facility Chinese name": (lambda w: w.save(w.hall, name_zh="演講廳"), "(演講廳)"),
    "venue": (
        lambda w: services.booking_move(
            booking_id=w.booking.pk,
            start=w.opening.start,
            end=w.opening.end,
            facility_id=w.lab.pk,
        ),
        "LOCATION:Robotics Lab",
    ),
    "programme title": (
        lambda w: services.programme_item_update(item_id=w.item.pk, title="Opening remarks"),
        "Opening remarks",
    ),
    "programme time": (
        lambda w: services.programme_item_update(
            item_id=w.item.pk, start=w.opening.start + dt.timedelta(minutes=30)
        ),
        "10:30–12:00  Welcome remarks",
    ),
    "programme place": (
        lambda w: services.programme_item_update(item_id=w.item.pk, facility=w.lab),
        "Welcome remarks (Robotics Lab)",
    ),
    "programme item added": (
        lambda w: services.programme_item_create(
            event_id=w.opening.pk, title="Lab tour", start=w.opening.start, end=w.opening.end
        ),
        "Lab tour",
    ),
    "programme item made internal": (
        lambda w: services.programme_item_update(item_id=w.item.pk, visibility="internal"),
        "DESCRIPTION:Ribbon\r\n",  # the programme is gone from it
    ),
}


class _World:
    """An event a feed shows, its place and programme, and a second event that stays as it is."""

    def __init__(self):
        self.site = SiteFactory(name="Science Park", address="Science Park West Avenue")
        self.hall = FacilityFactory(site=self.site, name="Charles K. Kao Auditorium", capacity=500)
        self.lab = FacilityFactory(site=self.site, name="Robotics Lab", capacity=500)
        self.opening = _event(self.site, days=3, title="Opening", description="Ribbon")
        self.booking = services.booking_create(
            event_id=self.opening.pk,
            facility_id=self.hall.pk,
            start=self.opening.start,
            end=self.opening.end,
            status="confirmed",
        )
        self.item = services.programme_item_create(
            event_id=self.opening.pk,
            title="Welcome remarks",
            start=self.opening.start,
            end=self.opening.end,
        )
        self.other = _event(SiteFactory(), days=4, title="Board meeting")

    @staticmethod
    def save(instance, **fields):
        for name, value in fields.items():
            setattr(instance, name, value)
        instance.save()


def _entry(body: bytes, uid: str) -> str:
    """The unfolded text of the VEVENT with this UID."""
    text = body.decode().replace("\r\n ", "")
    for block in text.split("BEGIN:VEVENT")[1:]:
        if f"\r\nUID:{uid}\r\n" in block:
            return block.split("END:VEVENT")[0]
    raise AssertionError(f"no VEVENT {uid}")


@pytest.mark.parametrize("change", list(ENTRY_CHANGES))
def test_changing_anything_a_feed_entry_shows_changes_the_feed_at_once(client, officer, change):
    world = _World()
    feed, token = _staff_feed(officer)
    opening, other = feeds.feed_uid(feed, world.opening), feeds.feed_uid(feed, world.other)
    before = _get(client, token)
    apply, shown = ENTRY_CHANGES[change]
    shown = shown.format(
        start_plus_1h=(world.opening.start + dt.timedelta(hours=1)).strftime("%Y%m%dT%H%M%S")
    )

    apply(world)
    after = _get(client, token)

    assert after["ETag"] != before["ETag"]
    assert after.content == _render_from_nothing(feed)
    assert shown not in _entry(before.content, opening)
    assert shown in _entry(after.content, opening)
    assert _entry(after.content, other) == _entry(before.content, other)


def test_a_re_rendered_feed_serialises_only_the_entries_that_changed(client, officer, monkeypatch):
    world = _World()
    _event(world.site, days=5, title="London forum", zone="Europe/London")
    feed, token = _staff_feed(officer)
    written = []
    vevent = ical.vevent
    monkeypatch.setattr(ical, "vevent", lambda values: written.append(values.uid) or vevent(values))
    first = _get(client, token)
    written_first = len(written)

    world.save(world.hall, name="Auditorium 1")  # no event changed: only the place one names
    written.clear()
    again = _get(client, token)

    assert written_first == 3
    assert written == [feeds.feed_uid(feed, world.opening)]  # the other two: from the cache
    assert again.content == _render_from_nothing(feed)
    assert again.content != first.content
    assert Calendar.from_ical(again.content).to_ical() == again.content  # one whole calendar


def _render_from_nothing(feed) -> bytes:
    """The feed with every VEVENT serialised afresh, none taken from the cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(feeds.cache, "get_many", lambda keys: {})
        patch.setattr(feeds.cache, "set_many", lambda values, timeout: [])
        return feeds.feed_render(feed, now=timezone.now())


def test_an_organisation_feed_shows_the_restricted_visits_it_hosts_a_stop_of(client):
    visit = secretary_visit(start=_at(7))
    first, second = visit.tenants[:2]
    outsider = visit.outsider

    def feed(owner, **filters) -> str:
        return feeds.feed_create(name="Visits", owner_organisation=owner, **filters)[1]

    tokens = {
        "first, its own": feed(first, organisation=first),
        "second, all it sees": feed(second),
        "outsider, its own": feed(outsider, organisation=outsider),
        "outsider, the first's": feed(outsider, organisation=first),
        "outsider, all it sees": feed(outsider),
    }
    seen = {who: sorted(_vevents(_get(client, t).content)) for who, t in tokens.items()}
    before = _get(client, tokens["second, all it sees"])
    services.programme_item_delete(item_id=visit.stops[second.pk].pk)
    after = _get(client, tokens["second, all it sees"], if_none_match=before["ETag"])

    visit_title = "The Secretary's visit"
    assert seen == {
        "first, its own": [visit_title],
        "second, all it sees": [visit_title],
        "outsider, its own": [],
        "outsider, the first's": [],
        "outsider, all it sees": [],
    }
    assert b"Security briefing" not in before.content and b"Cue" not in before.content
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert sorted(_vevents(after.content)) == []
