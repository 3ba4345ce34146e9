"""Every practice re-indexed through the change log: documents written before the municipality
facet existed have no municipality values. The changes are applied by ``manage.py
run_index_worker`` (or the next drains from requests), in the database index and in Elasticsearch."""

from django.conf import settings
from django.db import migrations


def reindex_every_practice(apps, schema_editor):
    keys = (apps.get_model("practices", "PracticePage").objects.values_list("translation_key", flat=True)
            .distinct())
    engine = bool(getattr(settings, "KB_ELASTICSEARCH_URL", ""))
    change = apps.get_model("kb_search", "IndexChange")
    change.objects.bulk_create([change(translation_key=key, engine_pending=engine) for key in keys],
                               batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("kb_search", "0004_change_log"),
        ("practices", "0001_initial"),
    ]

    operations = [migrations.RunPython(reindex_every_practice, migrations.RunPython.noop)]
