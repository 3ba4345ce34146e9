"""Removed documents and the tokens of recent index versions, so that each process brings its facet
bitmaps forward by what changed instead of rebuilding them (search.backends.facet_matrix)."""

from django.db import migrations, models


def remember_current_version(apps, schema_editor):
    """The current version's token, so that the first update after this migration can be incremental."""
    state = apps.get_model("kb_search", "SearchIndexState").objects.filter(pk=1).first()
    if state is not None:
        apps.get_model("kb_search", "SearchIndexVersion").objects.get_or_create(
            version=state.version, defaults={"token": state.token})


class Migration(migrations.Migration):

    dependencies = [
        ('kb_search', '0009_adoption_count'),
        ('practices', '0002_editor_help_texts'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchDocumentRemoval',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('document_id', models.BigIntegerField()),
                ('locale', models.CharField(max_length=8)),
                ('version', models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name='SearchIndexVersion',
            fields=[
                ('version', models.BigIntegerField(primary_key=True, serialize=False)),
                ('token', models.CharField(max_length=32)),
            ],
        ),
        migrations.AddIndex(
            model_name='searchdocument',
            index=models.Index(fields=['locale', 'version'], name='search_document_written'),
        ),
        migrations.AddIndex(
            model_name='searchdocumentremoval',
            index=models.Index(fields=['locale', 'version'], name='search_removal_since'),
        ),
        migrations.RunPython(remember_current_version, migrations.RunPython.noop),
    ]
