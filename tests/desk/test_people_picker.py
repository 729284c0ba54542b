"""The person picker: suggestions while typing, and what a typed line means when a form is sent."""

import pytest
from django import forms
from django.urls import reverse

from desk.people import PeopleField, PersonField, person_from_text, person_label
from tests.factories import OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    time_medical = OrganisationFactory(name="Time Medical Systems", name_zh="時代醫療")
    return {
        "sun": PersonFactory(
            honorific="Prof", name="Sun Dong", name_zh="孫東", email="sun.dong@example.gov.hk"
        ),
        "lai": PersonFactory(name="Winnie Lai", name_zh="黎慧", organisation=time_medical),
        "chan_a": PersonFactory(name="Chan Tai-man", email="tm.chan@example.org"),
        "chan_b": PersonFactory(name="Chan Tai-man", email="taiman@example.com"),
    }


def _search(client, text):
    response = client.get(reverse("staff:people-search"), {"q": text})
    assert response.status_code == 200
    return [row["label"] for row in response.json()["results"]]


def test_suggestions_match_english_and_chinese_names_e_mail_and_organisation(
    client, officer, people
):
    client.force_login(officer)
    sun, lai = people["sun"], people["lai"]

    assert _search(client, "孫") == [person_label(sun)]
    assert _search(client, "sun dong") == [person_label(sun)]
    assert _search(client, "example.gov") == [person_label(sun)]
    assert _search(client, "時代") == [person_label(lai)]  # the organisation's Chinese name
    assert _search(client, "time medical winnie") == [person_label(lai)]
    assert _search(client, "") == []
    assert person_label(lai) == (
        f"Ms Winnie Lai (黎慧) · Time Medical Systems (時代醫療) [#{lai.pk}]"
    )


def test_partner_nominations_are_not_suggested(client, officer, people):
    PersonFactory(name="Sun Dong", proposed_by=OrganisationFactory())
    client.force_login(officer)
    assert _search(client, "Sun Dong") == [person_label(people["sun"])]


def test_suggestions_need_a_staff_login(client, people):
    response = client.get(reverse("staff:people-search"), {"q": "Sun"})
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


def test_a_viewer_may_look_people_up_but_not_post(client, viewer, people):
    client.force_login(viewer)
    assert _search(client, "Sun") == [person_label(people["sun"])]
    assert client.post(reverse("staff:people-search"), {"q": "Sun"}).status_code == 405


def test_a_typed_line_names_one_person_or_says_why_not(people):
    sun, chan_a = people["sun"], people["chan_a"]
    assert person_from_text(person_label(sun)) == sun
    assert person_from_text("  sun   DONG ") == sun  # spaces and case do not matter
    assert person_from_text("孫東") == sun
    assert person_from_text("SUN.DONG@example.gov.hk") == sun
    assert person_from_text("Prof Sun Dong (孫東)") == sun  # as lists print it
    assert person_from_text("tm.chan@example.org") == chan_a

    with pytest.raises(forms.ValidationError) as ambiguous:
        person_from_text("Chan Tai-man")
    assert "Several people match “Chan Tai-man”" in ambiguous.value.messages[0]
    assert f"[#{chan_a.pk}]" in ambiguous.value.messages[0]
    with pytest.raises(forms.ValidationError, match="No one on file is called “Nobody”"):
        person_from_text("Nobody")
    with pytest.raises(forms.ValidationError, match="not a person on file any more"):
        person_from_text("Someone [#999999]")


class _Form(forms.Form):
    host = PersonField(required=False)
    guests = PeopleField(required=False)


def test_the_fields_return_people_and_keep_what_was_typed_on_error(people):
    sun, lai = people["sun"], people["lai"]
    form = _Form({"host": "孫東", "guests": f"{person_label(lai)}\n\n  sun.dong@example.gov.hk "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"host": sun, "guests": [lai, sun]}

    typed = "Winnie Lai\nNobody\nwinnie lai\nChan Tai-man"
    form = _Form({"host": "", "guests": typed})
    assert not form.is_valid()
    errors = form.errors["guests"]
    assert len(errors) == 3
    assert "No one on file is called “Nobody”" in errors[0]
    assert "is listed twice" in errors[1]
    assert "Several people match" in errors[2]
    assert typed in str(form["guests"])  # the textarea keeps every line typed
    assert 'data-people-search="/staff/people/search/"' in str(form["guests"])
    assert 'data-people-search="/staff/people/search/"' in str(form["host"])


def test_a_long_list_is_refused_with_its_limit(people):
    form = _Form({"guests": "\n".join(["孫東"] * (PeopleField.LIMIT + 1))})
    assert not form.is_valid()
    assert form.errors["guests"] == [f"List at most {PeopleField.LIMIT} people at once."]
