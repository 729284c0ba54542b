"""Start the change log with one row per existing event and programme item.

A row records who could see the object; the next change to it starts from that state, so a
partner that could see an event before the log existed still hears when it is hidden.
"""

from django.db import migrations
from django.utils import timezone


def backfill(apps, schema_editor):
    Change = apps.get_model("scheduling", "Change")
    Event = apps.get_model("scheduling", "Event")
    ProgrammeItem = apps.get_model("scheduling", "ProgrammeItem")
    db = schema_editor.connection.alias
    now = timezone.now()
    rows = [
        Change(
            entity="event",
            object_id=pk,
            event_id=pk,
            visibility=visibility,
            host_organisation_id=host,
            was_visibility=visibility,
            was_host_organisation_id=host,
            created_at=now,
        )
        for pk, visibility, host in Event.objects.using(db)
        .order_by("pk")
        .values_list("pk", "visibility", "host_organisation_id")
        .iterator()
    ]
    rows += [
        Change(
            entity="programme_item",
            object_id=pk,
            event_id=event_id,
            visibility=visibility,
            host_organisation_id=host,
            internal=item_visibility == "internal",
            was_visibility=visibility,
            was_host_organisation_id=host,
            was_internal=item_visibility == "internal",
            created_at=now,
        )
        for pk, event_id, visibility, host, item_visibility in ProgrammeItem.objects.using(db)
        .order_by("pk")
        .values_list(
            "pk", "event_id", "event__visibility", "event__host_organisation_id", "visibility"
        )
        .iterator()
    ]
    Change.objects.using(db).bulk_create(rows, batch_size=1000)


def unfill(apps, schema_editor):
    apps.get_model("scheduling", "Change").objects.using(schema_editor.connection.alias).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0004_change_log"),
    ]

    operations = [
        migrations.RunPython(backfill, unfill),
    ]
