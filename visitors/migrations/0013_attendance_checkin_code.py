"""Every attendance gets a check-in code: those already on file one each (a field default would
give them all the same), then new ones by the field's default; unique within an event."""

from django.db import migrations, models

import visitors.arrivals.codes


def give_codes(apps, schema_editor):
    Attendance = apps.get_model("visitors", "Attendance")
    taken = set()
    rows = list(Attendance.objects.only("pk", "event_id"))
    for row in rows:
        code = visitors.arrivals.codes.new_checkin_code()
        while (row.event_id, code) in taken:
            code = visitors.arrivals.codes.new_checkin_code()
        taken.add((row.event_id, code))
        row.checkin_code = code
    Attendance.objects.bulk_update(rows, ["checkin_code"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0014_translated_labels"),
        ("visitors", "0012_delivery_changes_by_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="attendance",
            name="checkin_code",
            field=models.CharField(
                default="", editable=False, max_length=8, verbose_name="check-in code"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(give_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="attendance",
            name="checkin_code",
            field=models.CharField(
                default=visitors.arrivals.codes.new_checkin_code,
                editable=False,
                max_length=8,
                verbose_name="check-in code",
            ),
        ),
        migrations.AddField(
            model_name="historicalattendance",
            name="checkin_code",
            field=models.CharField(
                default=visitors.arrivals.codes.new_checkin_code,
                editable=False,
                max_length=8,
                verbose_name="check-in code",
            ),
        ),
        migrations.AddConstraint(
            model_name="attendance",
            constraint=models.UniqueConstraint(
                fields=("event", "checkin_code"), name="attendance_checkin_code_once_per_event"
            ),
        ),
    ]
