"""Background work every app relies on (django-q2)."""

from django.db import connection

# (name, dotted path, every n minutes): see core.schedules.
PERIODIC = [("Refresh the database's query-planner statistics", "core.tasks.database_analyse", 60)]


def database_analyse() -> str:
    """Give SQLite's query planner statistics, so that it picks the index that fits a query (a
    feed's hundred events by id, not a scan of every event in its window). PostgreSQL keeps
    its own up to date (autovacuum), so there this does nothing."""
    if connection.vendor != "sqlite":
        return "not needed"
    with connection.cursor() as cursor:
        # A bounded sample per index: fast on a large file, and enough for the planner.
        cursor.execute("PRAGMA analysis_limit = 1000")
        cursor.execute("ANALYZE")
    return "analysed"
