"""People are found by e-mail address in any case, through the unique index on addresses
(lower(email) where not empty): a lookup, not a read of everyone on file."""

import pytest
from django.db import connection, transaction

from tests.factories import OrganisationFactory, PersonFactory
from visitors.models import Person

pytestmark = pytest.mark.django_db


def _plan(queryset) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: force the choice
        return queryset.explain()


def test_on_file_people_are_found_by_any_case_of_their_address_through_its_index():
    PersonFactory.create_batch(20)
    ada = PersonFactory(email="Ada.Lau@Example.org")
    PersonFactory(email="ada.lau@example.org", proposed_by=OrganisationFactory())  # a nominee
    PersonFactory(email="")

    found = Person.objects.on_file().with_addresses(["ADA.lau@example.ORG", ""])

    assert list(found) == [ada]
    assert "person_unique_email" in _plan(found)


def test_a_partners_nominations_are_found_through_their_own_index():
    partner = OrganisationFactory()
    nominee = PersonFactory(email="ada.lau@example.org", proposed_by=partner)
    PersonFactory(email="ada.lau@example.org")  # on file: another namespace

    found = Person.objects.filter(proposed_by=partner).with_addresses(["Ada.Lau@example.org"])

    assert list(found) == [nominee]
    assert "person_unique_proposed_email" in _plan(found)
