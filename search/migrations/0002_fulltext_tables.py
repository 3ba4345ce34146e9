"""Full-text structures that depend on the database: SQLite's FTS5 table, PostgreSQL's trigram
extension (typo tolerance) and trigram index on the vocabulary."""

from django.db import migrations

SQLITE_FORWARD = [
    # rowid = SearchDocument.id. unicode61 only splits on spaces here: the text is analysed already.
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, summary, body, meta, extra, "
    "tokenize = 'unicode61 remove_diacritics 0')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS search_fts"]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX search_term_trigram ON kb_search_searchterm USING gin (term gin_trgm_ops)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS search_term_trigram"]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("kb_search", "0001_search_index")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
