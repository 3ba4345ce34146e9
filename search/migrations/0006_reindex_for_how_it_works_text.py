"""Every practice re-indexed through the change log: documents written before this release lack the
text of the "how it works" sections (a StreamField's raw data was not read as a list)."""

from django.db import migrations

from search.reindex_migration import reindex_every_practice


class Migration(migrations.Migration):

    dependencies = [
        ("kb_search", "0005_reindex_for_municipality_facet"),
    ]

    operations = [migrations.RunPython(reindex_every_practice, migrations.RunPython.noop)]
