"""Names as each language writes them, and the orders a list of people can be sorted in."""

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import AttendanceFactory, EventFactory, PersonFactory
from visitors.names import chinese_name, customary_name, surname

pytestmark = pytest.mark.django_db


def _person(**fields):
    defaults = {"honorific": "", "name": "", "name_zh": "", "post_nominals": ""}
    return PersonFactory.build(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("fields", "english", "chinese"),
    [
        (
            {"honorific": "Mr", "name": "Chan Tai-man", "name_zh": "陳大文"},
            "Mr Chan Tai-man",
            "陳大文先生",
        ),
        (
            {
                "honorific": "Dr",
                "name": "Sunny Chai",
                "name_zh": "陳細潤",
                "post_nominals": "BBS, JP",
            },
            "Dr Sunny Chai, BBS, JP",
            "陳細潤博士，銅紫荊星章，太平紳士",
        ),
        (
            {"honorific": "Prof.", "name": "Sun Dong", "name_zh": "孫東", "post_nominals": "JP"},
            "Prof. Sun Dong, JP",
            "孫東教授，太平紳士",
        ),
        ({"honorific": "Ms", "name": "Jane Doe"}, "Ms Jane Doe", "Ms Jane Doe"),
        ({"name_zh": "李小龍", "honorific": "Mr"}, "李小龍先生", "李小龍先生"),
        (
            {
                "honorific": "The Hon",
                "name": "Tse Wing-ling",
                "name_zh": "謝穎玲",
                "post_nominals": "OBE",
            },
            "The Hon Tse Wing-ling, OBE",
            "謝穎玲議員，OBE",
        ),
    ],
)
def test_each_language_writes_the_name_its_own_way(fields, english, chinese):
    person = _person(**fields)

    assert customary_name(person, "en") == english
    assert customary_name(person, "zh-hant") == chinese
    with translation.override("zh-hant"):
        assert person.customary_name() == chinese


def test_no_chinese_name_means_no_chinese_form():
    assert chinese_name(_person(name="Jane Doe")) == ""


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Chan Tai-man", "Chan"), ("Alfred Sit", "Sit"), ("Sit", "Sit"), ("", "")],
)
def test_surname_of_hong_kong_and_western_names(name, expected):
    assert surname(_person(name=name)) == expected


def _names_in(page: str, names: list[str]) -> list[str]:
    return sorted(names, key=page.index)


def test_the_attendee_list_sorts_by_precedence_surname_or_strokes(client, officer):
    event = EventFactory()
    people = [
        ("Wong Siu-ming", "黃小明", 1),  # 黃 12 strokes
        ("Alfred Sit", "薛永恒", 2),  # 薛 17
        ("Chan Tai-man", "陳大文", 3),  # 陳 10
        ("Ip Man", "葉問", 4),  # 葉 13
    ]
    for name, name_zh, rank in people:
        AttendanceFactory(
            event=event, person=PersonFactory(name=name, name_zh=name_zh, precedence_rank=rank)
        )
    client.force_login(officer)
    url = reverse("staff:print", args=[event.pk, "attendees"])
    chinese = [name_zh for _name, name_zh, _rank in people]

    by_rank = client.get(url).content.decode()
    by_surname = client.get(url, {"sort": "surname"}).content.decode()
    by_strokes = client.get(url, {"sort": "strokes"}).content.decode()
    unknown = client.get(url, {"sort": "nonsense"}).content.decode()

    assert _names_in(by_rank, chinese) == ["黃小明", "薛永恒", "陳大文", "葉問"]
    assert _names_in(by_surname, chinese) == ["陳大文", "葉問", "薛永恒", "黃小明"]
    assert _names_in(by_strokes, chinese) == ["陳大文", "黃小明", "葉問", "薛永恒"]
    assert _names_in(unknown, chinese) == _names_in(by_rank, chinese)
    assert "By the strokes of the Chinese name." in by_strokes
    assert "sort=strokes" in by_strokes[by_strokes.index("download-pdf") :][:200]
