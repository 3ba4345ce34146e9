"""Map the editorial groups that exist already to their role and region, so that a deployment keeps
its groups and their members: until now setup_roles() found them by name alone.

The names are those editorial/roles.py gave them when this migration was written, copied here so
that later changes to the roles cannot change what this migration does.
"""

from django.db import migrations

# Role key -> group name; "{region}" was the region's Finnish name, or "National".
GROUP_NAMES = {
    "coordinator": "Coordinators: {region}",
    "contributor": "Contributors: {region}",
    "national_editor": "National editors",
    "translator": "Translators",
}


def map_existing_groups(apps, schema_editor):
    db = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Region = apps.get_model("practices", "Region")
    EditorialGroup = apps.get_model("editorial", "EditorialGroup")

    regions = [(None, "National"), *((region, region.name_fi) for region in Region.objects.using(db))]
    wanted = {}  # group name -> (role, region)
    for role, name in GROUP_NAMES.items():
        if "{region}" in name:
            wanted.update({name.format(region=label): (role, region) for region, label in regions})
        else:
            wanted[name] = (role, None)

    for group in Group.objects.using(db).filter(name__in=wanted, editorial__isnull=True):
        role, region = wanted[group.name]
        if not EditorialGroup.objects.using(db).filter(role=role, region=region).exists():
            EditorialGroup.objects.using(db).create(group=group, role=role, region=region)


class Migration(migrations.Migration):

    dependencies = [
        ("editorial", "0002_editorialgroup"),
    ]

    operations = [
        # Backwards there is nothing to undo: the rows go with the table when 0002 is reversed.
        migrations.RunPython(map_existing_groups, migrations.RunPython.noop),
    ]
