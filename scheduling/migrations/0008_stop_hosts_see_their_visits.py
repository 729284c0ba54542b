"""Tell stop hosts what they may now see (core.0003): the organisations hosting programme items
of a restricted event see the event, and an internal item's host sees that item.

One change row each, from who could see it before to who may see it now, so that their syncs
and webhooks pick it up as any other change. Events and items that show nobody new get none.
"""

from django.db import migrations
from django.db.models import F
from django.utils import timezone

# core.changes.SYNC_LOCK_KEY: ids must rise in commit order, as core.changes.record ensures.
SYNC_LOCK_KEY = 0x504453594E43


def id_list(ids) -> str:
    """core.changes.id_list, as it was when this migration was written."""
    ids = sorted(set(ids))
    return f",{','.join(map(str, ids))}," if ids else ""


def announce(apps, schema_editor):
    Change = apps.get_model("core", "Change")
    Event = apps.get_model("scheduling", "Event")
    ProgrammeItem = apps.get_model("scheduling", "ProgrammeItem")
    connection = schema_editor.connection
    db = connection.alias
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SYNC_LOCK_KEY])
    hosted = ProgrammeItem.objects.using(db).filter(
        host_organisation_id__isnull=False,
        event__visibility__in=["public", "partners", "restricted"],
    )
    stop_hosts = {}
    for event_id, host in (
        hosted.filter(event__visibility="restricted")
        .values_list("event_id", "host_organisation_id")
        .order_by()
        .distinct()
        .iterator()
    ):
        stop_hosts.setdefault(event_id, set()).add(host)
    events = dict(
        Event.objects.using(db)
        .filter(pk__in=list(stop_hosts))
        .values_list("pk", "host_organisation_id")
    )
    now = timezone.now()
    rows = [
        Change(
            entity="event",
            object_id=pk,
            event_id=pk,
            visibility="restricted",
            host_organisation_id=host,
            stop_hosts=id_list(stop_hosts[pk]),
            was_visibility="restricted",
            was_host_organisation_id=host,
            verb="updated",
            created_at=now,
        )
        for pk, host in sorted(events.items())
        if stop_hosts[pk] - {host}
    ]
    for pk, event_id, visibility, host, item_host in (
        hosted.filter(visibility="internal")
        .exclude(host_organisation_id=F("event__host_organisation_id"))
        .order_by("pk")
        .values_list(
            "pk",
            "event_id",
            "event__visibility",
            "event__host_organisation_id",
            "host_organisation_id",
        )
        .iterator()
    ):
        stops = id_list(stop_hosts.get(event_id, ())) if visibility == "restricted" else ""
        rows.append(
            Change(
                entity="programme_item",
                object_id=pk,
                event_id=event_id,
                visibility=visibility,
                host_organisation_id=host,
                stop_hosts=stops,
                internal=True,
                item_host_id=item_host,
                was_visibility=visibility,
                was_host_organisation_id=host,
                was_stop_hosts=stops,
                was_internal=True,
                verb="updated",
                created_at=now,
            )
        )
    Change.objects.using(db).bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0007_change_log_moves_to_core"),
        ("core", "0003_change_stop_hosts"),
    ]

    operations = [
        # Going back leaves the rows: they say what happened, and older code reads them as any
        # other change.
        migrations.RunPython(announce, migrations.RunPython.noop),
    ]
