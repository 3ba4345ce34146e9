"""For data migrations that change what a search document holds: every practice re-indexed through
the change log. The changes are applied by ``manage.py run_index_worker`` (or the next drains from
requests), in the database index and in Elasticsearch."""

from django.conf import settings


def reindex_every_practice(apps, schema_editor):
    keys = (apps.get_model("practices", "PracticePage").objects.values_list("translation_key", flat=True)
            .distinct())
    engine = bool(getattr(settings, "KB_ELASTICSEARCH_URL", ""))
    change = apps.get_model("kb_search", "IndexChange")
    change.objects.bulk_create([change(translation_key=key, engine_pending=engine) for key in keys],
                               batch_size=1000)
    # Every document written again, even one whose content comes out the same (what changed may be
    # how it is stored); the fingerprints exist from kb_search 0011 on.
    document = apps.get_model("kb_search", "SearchDocument")
    if any(field.name == "fingerprint" for field in document._meta.get_fields()):
        document.objects.update(fingerprint="")
