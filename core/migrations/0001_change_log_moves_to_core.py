"""The change log's model moves from scheduling to core; its table stays where it is."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("scheduling", "0006_event_proposed_by")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Change",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        (
                            "entity",
                            models.CharField(
                                choices=[
                                    ("event", "Event"),
                                    ("programme_item", "Programme item"),
                                    ("booking", "Booking"),
                                    ("attendance", "Attendance"),
                                    ("site", "Site"),
                                    ("facility", "Facility"),
                                    ("organisation", "Organisation"),
                                    ("person", "Person"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("object_id", models.BigIntegerField()),
                        ("event_id", models.BigIntegerField(blank=True, null=True)),
                        ("visibility", models.CharField(blank=True, max_length=12)),
                        ("host_organisation_id", models.BigIntegerField(blank=True, null=True)),
                        ("internal", models.BooleanField(default=False)),
                        ("was_visibility", models.CharField(blank=True, max_length=12)),
                        (
                            "was_host_organisation_id",
                            models.BigIntegerField(blank=True, null=True),
                        ),
                        ("was_internal", models.BooleanField(default=False)),
                        ("deleted", models.BooleanField(default=False)),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_index=True, default=django.utils.timezone.now
                            ),
                        ),
                    ],
                    options={
                        "db_table": "scheduling_change",
                        "ordering": ["id"],
                        "indexes": [
                            models.Index(fields=["entity", "id"], name="change_entity"),
                            models.Index(fields=["event_id", "id"], name="change_event"),
                            models.Index(
                                fields=["entity", "object_id", "id"], name="change_object"
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
