"""The back office's help says who sees a restricted event: the hosts of its stops too."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0008_stop_hosts_see_their_visits'),
        ('visitors', '0004_delivery_venue_as_sent'),
    ]

    operations = [
        migrations.AlterField(
            model_name='event',
            name='visibility',
            field=models.CharField(choices=[('public', 'Public'), ('partners', 'Partners'), ('internal', 'Internal'), ('restricted', 'Restricted')], default='internal', help_text='Restricted: staff, the host organisation and the organisations hosting its programme items (stops) only, e.g. an unannounced visit.', max_length=12),
        ),
        migrations.AlterField(
            model_name='historicalevent',
            name='visibility',
            field=models.CharField(choices=[('public', 'Public'), ('partners', 'Partners'), ('internal', 'Internal'), ('restricted', 'Restricted')], default='internal', help_text='Restricted: staff, the host organisation and the organisations hosting its programme items (stops) only, e.g. an unannounced visit.', max_length=12),
        ),
        migrations.AlterField(
            model_name='historicalprogrammeitem',
            name='host_organisation',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='The tenant hosting a tour stop: it sees the event (restricted ones too) and this item, even when internal.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='visitors.organisation'),
        ),
        migrations.AlterField(
            model_name='programmeitem',
            name='host_organisation',
            field=models.ForeignKey(blank=True, help_text='The tenant hosting a tour stop: it sees the event (restricted ones too) and this item, even when internal.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='hosted_programme_items', to='visitors.organisation'),
        ),
    ]
