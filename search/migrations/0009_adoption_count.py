"""Every practice re-indexed through the change log: a search document now carries the practice's
approved adoptions (the "adoption" facet and the "adopted" sort, issue #15)."""

from django.db import migrations, models

from search.reindex_migration import reindex_every_practice


class Migration(migrations.Migration):

    dependencies = [
        ("kb_search", "0008_reindex_for_compounds_and_lexicon"),
        ("adoptions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(model_name="searchdocument", name="adoption_count", field=models.IntegerField(default=0)),
        migrations.RunPython(reindex_every_practice, migrations.RunPython.noop),
    ]
