"""Roles are defined in code (editorial/roles.py): setup_roles() builds exactly the table, running it
again changes nothing, and the development demo accounts cover every role."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import override_settings
from wagtail.models import (
    GroupCollectionPermission,
    GroupPagePermission,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from editorial.demo import DEMO_ACCOUNTS, setup_demo_accounts
from editorial.models import EditorialGroup, RegionReviewTask
from editorial.roles import ROLES, role_group, setup_roles
from practices.models import Region, RegionPage

pytestmark = pytest.mark.django_db


def snapshot():
    """Every row setup_roles() manages, with its primary key: equal snapshots mean nothing changed."""
    return {
        "groups": sorted(Group.objects.values_list("pk", "name")),
        "editorial groups": sorted(EditorialGroup.objects.values_list("pk", "group_id", "role", "region_id")),
        "group permissions": sorted(Group.permissions.through.objects.values_list("pk", "group_id", "permission_id")),
        "page permissions": sorted(GroupPagePermission.objects.values_list("pk", "group_id", "page_id", "permission_id")),
        "collection permissions": sorted(
            GroupCollectionPermission.objects.values_list("pk", "group_id", "collection_id", "permission_id")
        ),
        "tasks": sorted(RegionReviewTask.objects.values_list("pk", "name", "region_id", "active")),
        "task groups": sorted(RegionReviewTask.groups.through.objects.values_list("pk", "regionreviewtask_id", "group_id")),
        "workflows": sorted(Workflow.objects.values_list("pk", "name", "active")),
        "workflow tasks": sorted(WorkflowTask.objects.values_list("pk", "workflow_id", "task_id", "sort_order")),
        "workflow pages": sorted(WorkflowPage.objects.values_list("page_id", "workflow_id")),
    }


def test_running_setup_roles_again_changes_nothing():
    before = snapshot()  # the demo loader has run setup_roles() already
    assert setup_roles() == {}
    out = io.StringIO()
    call_command("setup_roles", stdout=out)
    assert "up to date" in out.getvalue()
    assert snapshot() == before


def test_setup_roles_restores_the_table():
    coordinators = role_group("coordinator", Region.objects.get(code="01"))
    contributors = role_group("contributor", Region.objects.get(code="01"))
    page = RegionPage.objects.get(locale__language_code="fi", region__code="01")
    # Someone widened a group by hand and removed another grant.
    GroupPagePermission.objects.create(group=contributors, page=page, permission_type="publish")
    GroupPagePermission.objects.filter(group=coordinators, page=page, permission__codename="publish_page").delete()
    contributors.permissions.add(Permission.objects.get(codename="delete_theme"))

    changes = setup_roles()

    assert changes == {"page permissions": 2, "model permissions": 1}
    assert not GroupPagePermission.objects.filter(group=contributors, permission__codename="publish_page").exists()
    assert GroupPagePermission.objects.filter(group=coordinators, page=page, permission__codename="publish_page").exists()
    assert not contributors.permissions.filter(codename="delete_theme").exists()


def test_groups_one_per_region_and_role():
    regions = Region.objects.order_by("code")
    names = set(Group.objects.values_list("name", flat=True))
    assert {"Coordinators: National", "Contributors: National", "National editors", "Translators"} <= names
    for region in regions:
        assert {f"Coordinators: {region.name_fi}", f"Contributors: {region.name_fi}"} <= names
    assert RegionReviewTask.objects.count() == Workflow.objects.filter(workflow_tasks__task__in=RegionReviewTask.objects.all()).count()
    assert RegionReviewTask.objects.count() == regions.count() + 1


def page_permissions(group):
    return {
        (page.locale.language_code, page.region.code if page.region else "national", codename)
        for page, codename in (
            (row.page.specific, row.permission.codename)
            for row in GroupPagePermission.objects.filter(group=group).select_related("permission", "page")
        )
    }


def test_region_roles_hold_their_region_pages_in_every_language():
    uusimaa = Region.objects.get(code="01")
    assert page_permissions(role_group("coordinator", uusimaa)) == {
        (language, "01", f"{kind}_page")
        for language in ("fi", "sv", "en")
        for kind in ("add", "change", "publish", "lock", "unlock")
    }
    assert page_permissions(role_group("contributor", uusimaa)) == {
        (language, "01", f"{kind}_page") for language in ("fi", "sv", "en") for kind in ("add", "change")
    }


def test_translators_edit_the_translated_trees_only_and_national_editors_publish_everywhere():
    translator_grants = page_permissions(role_group("translator"))
    assert {language for language, _region, _codename in translator_grants} == {"sv", "en"}
    assert {codename for _language, _region, codename in translator_grants} == {"change_page"}
    editor_grants = page_permissions(role_group("national_editor"))
    assert len(editor_grants) == RegionPage.objects.count()
    assert {codename for _language, _region, codename in editor_grants} == {"publish_page"}


def test_only_national_editors_manage_taxonomies_and_coordinators_add_organisations():
    def model_permissions(group):
        return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}

    uusimaa = Region.objects.get(code="01")
    taxonomy = {p for role in ROLES for p in role.model_permissions if p.startswith("practices.")}
    assert model_permissions(role_group("national_editor")) >= taxonomy
    assert model_permissions(role_group("coordinator", uusimaa)) & taxonomy == {
        "practices.add_organisation", "practices.change_organisation"
    }
    assert not model_permissions(role_group("contributor", uusimaa)) & taxonomy
    assert not model_permissions(role_group("translator")) & taxonomy
    for group in (role_group("national_editor"), role_group("translator"), role_group("contributor", uusimaa)):
        assert "wagtailadmin.access_admin" in model_permissions(group)
        assert "wagtail_localize.submit_translation" not in model_permissions(group)


# --- Demo accounts -----------------------------------------------------------------------------


def test_demo_accounts_cover_every_role_and_log_in(client):
    accounts = setup_demo_accounts()
    assert {account.role for account in accounts} == {role.key for role in ROLES}
    for account in accounts:
        region = Region.objects.get(code=account.region_code) if account.region_code else None
        assert client.login(username=account.username, password=account.password)
        for url in ("/admin/", "/admin/pages/", "/admin/practices/", "/admin/snippets/practices/organisation/"):
            response = client.get(url)
            assert response.status_code in (200, 302), (account.username, url)
        user = client.session.get("_auth_user_id")
        assert list(Group.objects.filter(user__pk=user)) == [role_group(account.role, region)]
        assert not Group.objects.get(user__pk=user).user_set.get(pk=user).is_superuser
    assert setup_demo_accounts() == accounts  # idempotent


def test_load_demo_prints_the_demo_accounts_only_in_development():
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=out)
    for account in DEMO_ACCOUNTS:
        assert f"user {account.username!r}, password {account.password!r}" in out.getvalue()

    out = io.StringIO()
    call_command("load_demo", stdout=out)  # tests run with DEBUG off, like production
    assert "kb-demo-" not in out.getvalue()
