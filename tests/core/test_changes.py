"""The change log (core.changes.record): one row per object with its own values, written by
one statement per shape, in both databases."""

import pytest
from django.db import transaction

from core import changes
from core.models import Change

pytestmark = pytest.mark.django_db

RESTRICTED = changes.State("restricted", 7, (3, 9))


def _rows(**filters) -> list[tuple]:
    return list(
        Change.objects.filter(**filters)
        .order_by("id")
        .values_list(
            "entity",
            "object_id",
            "event_id",
            "verb",
            "visibility",
            "host_organisation_id",
            "stop_hosts",
            "internal",
            "item_host_id",
            "was_visibility",
            "was_stop_hosts",
            "was_internal",
            "was_item_host_id",
            "deleted",
        )
    )


def test_many_objects_each_get_their_row_and_the_event_follows_a_change_of_who_sees_it():
    changes.record(Change.Entity.EVENT, [(41, False)], state=("public", None), event_id=41)

    with transaction.atomic():
        changes.record(
            Change.Entity.ATTENDANCE,
            [(pk, False) for pk in (5, 3, 8)],
            state=RESTRICTED,
            verb=Change.Verb.CREATED,
            event_id=41,
        )

    # Who sees it now, what it was, and nothing about a programme item's own flags.
    shape = ("restricted", 7, ",3,9,", False, None, "public", "", False, None, False)
    assert _rows(event_id=41)[1:] == [
        ("attendance", 5, 41, "created", *shape),
        ("attendance", 3, 41, "created", *shape),
        ("attendance", 8, 41, "created", *shape),
        ("event", 41, 41, "updated", *shape),
    ]


def test_programme_items_keep_their_own_internal_flag_host_and_what_they_were():
    state = ("public", None)
    changes.record(Change.Entity.PROGRAMME_ITEM, [(1, True, 4)], state=state, event_id=2)

    changes.record(
        Change.Entity.PROGRAMME_ITEM,
        [changes.Entry(1, False, None), changes.Entry(2, True, 6), changes.Entry(3, False, None)],
        state=state,
        verb=Change.Verb.UPDATED,
        event_id=2,
    )

    # (item, internal, its host, was internal, its host was)
    latest = [(row[1], row[7], row[8], row[11], row[12]) for row in _rows(event_id=2)[1:]]
    assert sorted(latest) == [
        (1, False, None, True, 4),
        (2, True, 6, True, 6),
        (3, False, None, False, None),
    ]


def test_a_deletion_is_marked_deleted():
    changes.record(
        Change.Entity.BOOKING, [(12, False)], state=("public", None), verb=Change.Verb.DELETED
    )

    assert _rows(entity="booking")[0][13] is True
