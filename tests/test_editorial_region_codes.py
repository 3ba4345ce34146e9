"""Editorial groups are tied to their region by ``EditorialGroup``, not by their names: renaming a
region keeps its coordinators in its scope, on its emails and on its pages, and setup_roles() then
only relabels the same groups. The data migration maps the groups that existing deployments have."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from wagtail.models import Workflow

from coordination.scope import coordinators_of, user_scope
from editorial.models import EditorialGroup, RegionReviewTask
from editorial.roles import ROLES, role_group, setup_roles
from editorial.testing import make_member
from practices.models import PracticePage, Region

from .test_proposals import propose

pytestmark = pytest.mark.django_db

NEW_NAMES = {"name_fi": "Uudenmaan maakunta", "name_sv": "Nylands landskap", "name_en": "Uusimaa Region"}


def rename_in_the_admin(client, region):
    """A national editor (who may change regions) renames ``region`` in the admin's snippet editor."""
    client.force_login(make_member("national_editor", username="taksonomiat"))
    data = {"code": region.code, "sort_order": region.sort_order, **NEW_NAMES}
    response = client.post(reverse("wagtailsnippets_practices_region:edit", args=[region.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    region.refresh_from_db()
    assert region.name_fi == NEW_NAMES["name_fi"]
    client.logout()


def test_renaming_a_region_keeps_its_coordinators(client, uusimaa):
    region = uusimaa.region
    coordinator = make_member("coordinator", "01", username="koordinaattori-uusimaa")
    practice = PracticePage.objects.child_of(uusimaa).first()
    groups = {role.key: role_group(role.key, region if role.per_region else None) for role in ROLES}

    rename_in_the_admin(client, region)

    # Before setup_roles() runs again: the groups still carry the old name, and nothing depends on it.
    assert role_group("coordinator", region).name == "Coordinators: Uusimaa"
    assert user_scope(coordinator).region_ids == {region.pk}
    assert list(coordinators_of(region)) == [coordinator]
    cache.clear()  # the proposal form's rate limits
    assert propose(client, region="01").status_code == 302
    to_coordinator = [message for message in mail.outbox if message.to == [coordinator.email]]
    assert len(to_coordinator) == 1 and "Uudenmaan maakunta" in to_coordinator[0].subject
    client.force_login(coordinator)
    assert client.get(reverse("wagtailadmin_pages:edit", args=[practice.pk])).status_code == 200
    assert 'data-region="01"' in client.get(reverse("wagtailadmin_home")).content.decode()  # dashboard queue

    # setup_roles() relabels the same groups, task and workflow; members and grants stay.
    members = {key: set(group.user_set.values_list("pk", flat=True)) for key, group in groups.items()}
    assert coordinator.pk in members["coordinator"]
    assert setup_roles() == {"group names": 2, "task names": 1, "workflow names": 1}  # relabelled, not new
    assert setup_roles() == {}
    for role in ROLES:
        group = role_group(role.key, region if role.per_region else None)
        assert group.pk == groups[role.key].pk
        assert set(group.user_set.values_list("pk", flat=True)) == members[role.key]
    assert role_group("coordinator", region).name == "Coordinators: Uudenmaan maakunta"
    assert role_group("contributor", region).name == "Contributors: Uudenmaan maakunta"
    task = RegionReviewTask.objects.get(region=region)
    assert task.name == "Uudenmaan maakunta – Nylands landskap"
    assert Workflow.objects.get(workflow_tasks__task=task).name == "Uudenmaan maakunta – Nylands landskap"
    assert user_scope(coordinator).region_ids == {region.pk}
    assert client.get(reverse("wagtailadmin_pages:edit", args=[practice.pk])).status_code == 200


def test_every_managed_group_has_its_role_and_region():
    mapped = set(EditorialGroup.objects.values_list("role", "region__code"))
    codes = [None, *Region.objects.values_list("code", flat=True)]
    assert mapped == {(role.key, code) for role in ROLES for code in (codes if role.per_region else [None])}


def test_data_migration_maps_the_groups_by_their_old_names():
    """0003 run as ``migrate`` runs it (historical models of the state after 0002) on the data 0002
    left: groups named the old way and no mapping. On SQLite the test's transaction cannot hold a
    real migration run, so the migration is applied to the database without schema changes."""
    executor = MigrationExecutor(connection)
    migration = executor.loader.get_migration("editorial", "0003_map_existing_groups")
    state = executor.loader.project_state(("editorial", "0002_editorialgroup"))
    uusimaa = Region.objects.get(code="01")
    member = make_member("coordinator", "01")
    expected = dict(EditorialGroup.objects.values_list("group_id", "role"))
    EditorialGroup.objects.all().delete()
    other = Group.objects.create(name="Coordinators: Atlantis")  # no such region: not an editorial group

    for _run in range(2):  # running it again changes nothing
        migration.apply(state.clone(), connection.schema_editor(atomic=migration.atomic))
        assert dict(EditorialGroup.objects.values_list("group_id", "role")) == expected

    assert not EditorialGroup.objects.filter(group=other).exists()
    assert EditorialGroup.objects.get(group__name="Coordinators: Uusimaa").region == uusimaa
    assert EditorialGroup.objects.get(group__name="Coordinators: National").region is None
    assert EditorialGroup.objects.get(group__name="National editors").role == "national_editor"
    assert EditorialGroup.objects.get(group__name="Translators").role == "translator"
    assert member.groups.get() == role_group("coordinator", uusimaa)
    assert setup_roles() == {}  # the same groups, with their members: nothing to create
