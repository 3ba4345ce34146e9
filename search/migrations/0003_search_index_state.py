import uuid

from django.db import migrations, models


def first_token(apps, schema_editor):
    apps.get_model("kb_search", "SearchIndexState").objects.create(pk=1, token=uuid.uuid4().hex)


class Migration(migrations.Migration):
    dependencies = [("kb_search", "0002_fulltext_tables")]

    operations = [
        migrations.CreateModel(
            name="SearchIndexState",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(first_token, migrations.RunPython.noop),
    ]
