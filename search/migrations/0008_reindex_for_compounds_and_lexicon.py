"""Every practice re-indexed through the change log: the analysis now indexes Finnish sub-compounds,
elided compounds of coordinations ("ompelu- ja kieliryhmä"), Swedish and English lemmas and compound
parts from the lexicon, the title's and summary's words as written (for the exact-form bonus), and
PostgreSQL's vector weighs the body above the labels (issue #14)."""

from django.db import migrations, models

from search.reindex_migration import reindex_every_practice


class Migration(migrations.Migration):

    dependencies = [
        ("kb_search", "0007_vocabulary_of_surface_words"),
    ]

    operations = [
        migrations.AddField(model_name="searchdocument", name="surface_terms", field=models.TextField(default="")),
        migrations.RunPython(reindex_every_practice, migrations.RunPython.noop),
    ]
