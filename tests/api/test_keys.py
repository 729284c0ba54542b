"""API keys: made by a command (token printed once, only a hash kept), scoped, expiring,
revocable in the back office, and acting as their staff user."""

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from api.models import ApiKey
from api.services import api_key_create
from scheduling.models import Event
from tests.api.conftest import Api
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_a_token_once_and_keeps_only_its_hash():
    org = OrganisationFactory(slug="mars-centre")
    out, err = StringIO(), StringIO()

    call_command(
        "create_api_key",
        "--organisation",
        "mars-centre",
        "--scope",
        "events:read",
        "--scope",
        "attendees:read",
        stdout=out,
        stderr=err,
    )

    token = out.getvalue().strip()
    key = ApiKey.objects.get()
    secret = token.split("_", 2)[2]
    assert token.startswith(f"pdk_{key.prefix}_")
    assert key.organisation == org and key.user is None
    assert key.scope_set == {"events:read", "attendees:read"}
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.values())
    answer = Api(Client(), token).get("/api/v1/events/")
    assert answer.status_code == 200


def test_create_api_key_for_staff_acts_as_that_user(officer, world):
    out = StringIO()
    call_command("create_api_key", "--staff", officer.username, stdout=out, stderr=StringIO())
    api = Api(Client(), out.getvalue().strip())
    event = world["events"]["internal"]

    denied = api.patch(f"/api/v1/events/{event.pk}/", {"title": "Renamed"})  # events:read only
    ApiKey.objects.update(scopes="events:read events:write")
    renamed = api.patch(f"/api/v1/events/{event.pk}/", {"title": "Renamed"})

    assert denied.status_code == 403 and "events:write" in denied.json()["detail"]
    assert renamed.status_code == 200
    assert Event.history.filter(id=event.pk).latest().history_user == officer


def test_create_api_key_refuses_unknown_owners(django_user_model):
    django_user_model.objects.create_user("visitor", is_staff=False)

    with pytest.raises(CommandError, match="No organisation"):
        call_command("create_api_key", "--organisation", "nobody", stdout=StringIO())
    with pytest.raises(CommandError, match="staff user"):
        call_command("create_api_key", "--staff", "visitor", stdout=StringIO())


def test_viewers_read_but_do_not_write_through_their_key(viewer, world, api_for):
    api = api_for(user=viewer)
    event = world["events"]["internal"]

    read = api.get(f"/api/v1/events/{event.pk}/")
    write = api.patch(f"/api/v1/events/{event.pk}/", {"title": "Renamed"})

    assert read.status_code == 200
    assert write.status_code == 403
    assert Event.objects.get(pk=event.pk).title == "Internal event"


def test_expired_and_revoked_keys_answer_401(world, api_for, client, admin_user):
    soon = api_for(organisation=world["host"], expires_at=timezone.now() + dt.timedelta(hours=1))
    revoked = api_for(organisation=world["other"])
    ApiKey.objects.filter(organisation=world["host"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    client.force_login(admin_user)

    client.post(
        "/admin/api/apikey/",
        {
            "action": "revoke",
            "_selected_action": [ApiKey.objects.get(organisation=world["other"]).pk],
        },
    )

    assert soon.get("/api/v1/events/").status_code == 401
    assert revoked.get("/api/v1/events/").status_code == 401
    assert ApiKey.objects.get(organisation=world["other"]).revoked_at is not None


def test_last_used_at_is_written_at_most_once_a_minute(world):
    key, token = api_key_create(name="sync", organisation=world["host"])
    api = Api(Client(), token)

    api.get("/api/v1/sites/")
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    api.get("/api/v1/sites/")
    second = ApiKey.objects.get(pk=key.pk).last_used_at
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    api.get("/api/v1/sites/")
    third = ApiKey.objects.get(pk=key.pk).last_used_at

    assert first is not None and second == first
    assert third > first


def test_admin_makes_a_key_and_shows_its_token_once(admin_user, client):
    org = OrganisationFactory()
    client.force_login(admin_user)

    answer = client.post(
        "/admin/api/apikey/add/",
        {"name": "Portal", "organisation": org.pk, "scope_list": ["events:read"]},
        follow=True,
    )

    key = ApiKey.objects.get()
    shown = [str(m) for m in answer.context["messages"]]
    token = next(m.split(": ")[-1] for m in shown if "pdk_" in m)
    assert key.scopes == "events:read" and key.organisation == org
    assert Api(Client(), token).get("/api/v1/sites/").status_code == 200
