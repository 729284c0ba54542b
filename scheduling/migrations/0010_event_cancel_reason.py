"""Events keep the reason given when they were cancelled: the CANCEL to attendees says it."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0009_help_names_stop_hosts'),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='cancel_reason',
            field=models.CharField(blank=True, editable=False, help_text='As given when it was cancelled: the cancellation sent to attendees says it.', max_length=500, verbose_name='reason for the cancellation'),
        ),
        migrations.AddField(
            model_name='historicalevent',
            name='cancel_reason',
            field=models.CharField(blank=True, editable=False, help_text='As given when it was cancelled: the cancellation sent to attendees says it.', max_length=500, verbose_name='reason for the cancellation'),
        ),
    ]
