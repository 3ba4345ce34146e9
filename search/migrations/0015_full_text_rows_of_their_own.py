"""PostgreSQL's full-text columns move to narrow rows of their own (SearchText, the counterpart of
SQLite's search_fts): a text search reads the vector, the surface words and the date of every match,
and in the document's wide row that took about ten buffer reads per match. The vectors are copied,
not computed again; on SQLite the new table stays empty and the document loses an unused column."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


def copy_vectors(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("INSERT INTO kb_search_searchtext (id, locale, last_published_at, surface_terms, vector)"
                              " SELECT id, locale, last_published_at, surface_terms, vector"
                              " FROM kb_search_searchdocument WHERE vector IS NOT NULL ORDER BY locale, id")


def copy_vectors_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("UPDATE kb_search_searchdocument d SET vector = t.vector"
                              " FROM kb_search_searchtext t WHERE t.id = d.id")


def analyse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE kb_search_searchtext")


class Migration(migrations.Migration):

    dependencies = [
        ("kb_search", "0014_vocabulary_counted_per_word"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchText",
            fields=[
                ("document", models.OneToOneField(db_column="id", on_delete=django.db.models.deletion.CASCADE,
                                                  primary_key=True, related_name="+", serialize=False,
                                                  to="kb_search.searchdocument")),
                ("locale", models.CharField(max_length=8)),
                ("last_published_at", models.DateTimeField(null=True)),
                ("surface_terms", models.TextField()),
                ("vector", django.contrib.postgres.search.SearchVectorField()),
            ],
        ),
        # Rows first, then the indexes: one bulk build instead of an entry per inserted row.
        migrations.RunPython(copy_vectors, copy_vectors_back),
        migrations.AddIndex(
            model_name="searchtext",
            index=django.contrib.postgres.indexes.GinIndex(fields=["vector"], name="search_text_vector"),
        ),
        migrations.AddIndex(
            model_name="searchtext",
            index=models.Index(fields=["locale"], name="search_text_locale"),
        ),
        migrations.RunPython(analyse, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="searchdocument",
            name="search_document_vector",
        ),
        migrations.RemoveField(
            model_name="searchdocument",
            name="vector",
        ),
    ]
