"""Delivery.changes becomes lines in each language (visitors 0012, a JSONField): first its text
is rewritten as the JSON that field reads. Lines kept so far were written in one language, that
of whoever made the change, and are kept as the English entry, which any reader falls back to
(scheduling.wording.lines_for). Apart from the change of type, so that PostgreSQL never alters
a table with this transaction's updates still pending."""

import json

from django.db import migrations

ENGLISH = "en"  # settings.LANGUAGE_CODE when this was written


def as_json(text: str) -> str:
    lines = text.splitlines()
    return json.dumps({ENGLISH: lines} if lines else {}, ensure_ascii=False)


def as_lines(text: str) -> str:
    try:
        said = json.loads(text or "{}")
    except ValueError:
        return text  # never rewritten
    if not isinstance(said, dict):
        return ""
    return "\n".join(said.get(ENGLISH) or next(iter(said.values()), []))


def _rewrite(apps, how) -> None:
    Delivery = apps.get_model("visitors", "Delivery")
    # The ids first: SQLite's cursor would see the rows being rewritten under it.
    ids = list(Delivery.objects.exclude(changes__in=("", "{}")).values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        rows = list(Delivery.objects.filter(pk__in=ids[start : start + 500]).only("changes"))
        for row in rows:
            row.changes = how(row.changes)
        Delivery.objects.bulk_update(rows, ["changes"])


def forwards(apps, schema_editor):
    _rewrite(apps, as_json)
    apps.get_model("visitors", "Delivery").objects.filter(changes="").update(changes="{}")


def backwards(apps, schema_editor):
    _rewrite(apps, as_lines)
    apps.get_model("visitors", "Delivery").objects.filter(changes="{}").update(changes="")


class Migration(migrations.Migration):
    dependencies = [
        ("visitors", "0010_import_batch"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
