"""The typo-correction vocabulary becomes the words as written in each document (it held analysed
terms: stems and base forms). The old rows are dropped and every practice is re-indexed through the
change log, which writes the new vocabulary (until the index worker has applied it, nothing is
corrected)."""

import django.db.models.deletion
from django.db import migrations, models

from search.reindex_migration import reindex_every_practice


def forget_terms(apps, schema_editor):
    apps.get_model("kb_search", "SearchTerm").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("kb_search", "0006_reindex_for_how_it_works_text"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="searchterm", name="unique_term_per_locale"),
        migrations.RunPython(forget_terms, forget_terms),  # both ways: the two shapes cannot share rows
        migrations.AddField(
            model_name="searchterm",
            name="document",
            field=models.ForeignKey(default=None, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="kb_search.searchdocument"),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="searchterm",
            index=models.Index(fields=["locale", "term"], name="search_term_lookup"),
        ),
        migrations.AddConstraint(
            model_name="searchterm",
            constraint=models.UniqueConstraint(fields=("document", "term"), name="unique_term_per_document"),
        ),
        migrations.RunPython(reindex_every_practice, migrations.RunPython.noop),
    ]
