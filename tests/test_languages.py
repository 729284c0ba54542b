"""English or Traditional Chinese: chosen by the browser, by the switch on every page, and for
staff remembered across their logins and devices."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from core.models import LanguagePreference

pytestmark = pytest.mark.django_db

CALENDAR = reverse("staff:calendar")
LOGIN = reverse("staff:login")


def _officer(password: str = "a long enough password 1"):
    from django.contrib.auth.models import Group

    from desk.staff_groups import PROTOCOL_OFFICERS

    user = get_user_model().objects.create_user("officer", password=password)
    user.groups.add(Group.objects.get(name=PROTOCOL_OFFICERS))
    return user


def test_a_hong_kong_browser_gets_traditional_chinese():
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-HK,zh;q=0.9,en;q=0.5").get(LOGIN)

    assert page["Content-Language"] == "zh-hant"
    assert '<html lang="zh-hant">' in page.content.decode()


def test_the_login_page_offers_the_other_language():
    english = Client().get(LOGIN).content.decode()
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-TW").get(LOGIN).content.decode()

    assert 'value="zh-hant" lang="zh-hant">繁體中文</button>' in english
    assert 'value="en" lang="en">English</button>' in chinese


def test_a_staff_users_choice_is_remembered_on_their_next_login_elsewhere():
    officer = _officer()
    desk = Client()
    desk.force_login(officer)

    switched = desk.post(reverse("staff:language"), {"language": "zh-hant", "next": CALENDAR})
    phone = Client(HTTP_ACCEPT_LANGUAGE="en")  # another device, an English browser
    phone.post(LOGIN, {"username": "officer", "password": "a long enough password 1"})
    page = phone.get(CALENDAR)

    assert switched.status_code == 302 and switched["Location"] == CALENDAR
    assert LanguagePreference.objects.get(user=officer).language == "zh-hant"
    assert page["Content-Language"] == "zh-hant"


def test_switching_back_to_english_sticks_for_the_session():
    officer = _officer()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-HK")
    client.force_login(officer)

    client.post(reverse("staff:language"), {"language": "en", "next": CALENDAR})

    assert client.get(CALENDAR)["Content-Language"] == "en"


def test_an_unknown_language_changes_nothing():
    officer = _officer()
    client = Client()
    client.force_login(officer)

    answer = client.post(reverse("staff:language"), {"language": "xx", "next": CALENDAR})

    assert answer.status_code == 302
    assert not LanguagePreference.objects.exists()
    assert client.get(CALENDAR)["Content-Language"] == "en"


def test_the_switch_leads_only_back_to_this_site():
    answer = Client().post(
        reverse("staff:language"), {"language": "zh-hant", "next": "https://evil.example/"}
    )

    assert answer.status_code == 302 and "evil" not in answer["Location"]
