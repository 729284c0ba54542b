"""The change log's model now lives in core (core.0001); its table and rows stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0006_event_proposed_by"),
        ("core", "0001_change_log_moves_to_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Change")],
            database_operations=[],
        ),
    ]
