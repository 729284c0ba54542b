"""Change rows name the organisations hosting a restricted event's stops, and a programme item's
own host: both see what they host.

Rows already written keep "none": when they were written, only the event's host saw a
restricted event or an internal item, and a row records who could see it then.
scheduling.0008 writes the rows that tell stop hosts of the visits they may now see.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_change_verb'),
    ]

    operations = [
        migrations.AddField(
            model_name='change',
            name='item_host_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='change',
            name='stop_hosts',
            field=models.TextField(blank=True, default=''),
        ),
        migrations.AddField(
            model_name='change',
            name='was_item_host_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='change',
            name='was_stop_hosts',
            field=models.TextField(blank=True, default=''),
        ),
    ]
