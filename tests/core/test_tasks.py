"""Housekeeping every app relies on: the query planner's statistics, refreshed hourly."""

import pytest
from django.db import connection
from django_q.models import Schedule

from core.tasks import database_analyse

pytestmark = pytest.mark.django_db


def test_the_planner_statistics_are_refreshed_on_sqlite():
    outcome = database_analyse()

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 1
        assert outcome == "analysed"
    else:
        assert outcome == "not needed"  # autovacuum keeps PostgreSQL's


def test_the_refresh_is_scheduled_after_migrate():
    schedule = Schedule.objects.get(func="core.tasks.database_analyse")

    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 60, -1)
