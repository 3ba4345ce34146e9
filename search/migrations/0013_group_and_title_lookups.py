"""Two lookups that read every document (bench/explain.py; docs/search.md, "PostgreSQL query plans"):

- a translation group's documents (search.indexing.index_group: every publish, every group the change log
  applies, every group of a reindex): a B-tree on ``translation_key``, on every database;
- autocomplete's ``title__icontains`` (``UPPER(title) LIKE UPPER('%…%')``): on PostgreSQL a trigram GIN
  index on ``UPPER(title)`` (pg_trgm, from 0002), which serves any text of three letters or more, and the
  table analysed for the expression's statistics. SQLite has no such index; it walks the titles as before.
"""

from django.db import migrations, models

POSTGRES_FORWARD = [
    "CREATE INDEX search_document_title_trigram ON kb_search_searchdocument USING gin (UPPER(title) gin_trgm_ops)",
    # The expression's statistics, at once: with them the planner walks the titles in order for a common
    # text (8 found after a few rows) and takes the trigram index for a rare one.
    "ANALYZE kb_search_searchdocument",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS search_document_title_trigram"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("kb_search", "0012_labels_follow_their_own_token"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="searchdocument",
            index=models.Index(fields=["translation_key"], name="search_document_group"),
        ),
        migrations.RunPython(run(POSTGRES_FORWARD), run(POSTGRES_BACKWARD)),
    ]
