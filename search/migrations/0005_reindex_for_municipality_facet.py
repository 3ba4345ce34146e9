"""Every practice re-indexed through the change log: documents written before the municipality
facet existed have no municipality values."""

from django.db import migrations

from search.reindex_migration import reindex_every_practice


class Migration(migrations.Migration):

    dependencies = [
        ("kb_search", "0004_change_log"),
        ("practices", "0001_initial"),
    ]

    operations = [migrations.RunPython(reindex_every_practice, migrations.RunPython.noop)]
