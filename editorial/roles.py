"""Editorial roles defined in code: one table of who may do what, applied by ``setup_roles()``.

``setup_roles()`` is idempotent and converging: it creates what is missing and removes what the
table does not grant from the groups it manages, so the database always matches this module.
Running it twice changes nothing. It runs from ``load_demo`` and ``manage.py setup_roles``; run it
again after adding a region page. See docs/editorial.md.

Each managed group is found by its role and region (``EditorialGroup``), never by its name: the
names (and those of the review tasks and workflows) are labels that follow the region's Finnish name.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from practices.models import Region, RegionPage

from .models import EditorialGroup, RegionReviewTask

ALL_LOCALES = ("fi", "sv", "en")
TRANSLATION_LOCALES = ("sv", "en")
NATIONAL = "National"

ACCESS_ADMIN = "wagtailadmin.access_admin"
UPLOAD_MEDIA = (
    "wagtailimages.add_image", "wagtailimages.choose_image",
    "wagtaildocs.add_document", "wagtaildocs.choose_document",
)
CHOOSE_MEDIA = ("wagtailimages.choose_image", "wagtaildocs.choose_document")
TAXONOMY_MODELS = (
    "region", "theme", "targetgroup", "organisationtype", "language", "fundingsource", "activityform",
    "organisation",
)
MANAGE_TAXONOMIES = tuple(
    f"practices.{action}_{model}" for model in TAXONOMY_MODELS for action in ("add", "change", "delete")
)
MANAGE_HIGHLIGHTS = tuple(f"highlights.{action}_highlight" for action in ("add", "change", "delete"))


@dataclass(frozen=True)
class Role:
    key: str  # EditorialGroup.role
    name: str  # group name, a label; "{region}" is the region's Finnish name, or "National"
    per_region: bool  # one group per region (its own region pages), or one group for all regions
    page_permissions: tuple[str, ...]  # Wagtail page permission types, granted on region pages
    locales: tuple[str, ...]  # the language trees whose region pages the grant covers
    model_permissions: tuple[str, ...]  # "app_label.codename"
    collection_permissions: tuple[str, ...]  # on the root collection of images and documents
    reviews: bool  # member of the review task (approve / request changes) of the regions covered

    def group_name(self, region=None) -> str:
        return self.name.format(region=region_label(region)) if self.per_region else self.name


COORDINATOR = Role(
    key=EditorialGroup.Role.COORDINATOR,
    name="Coordinators: {region}",
    per_region=True,
    page_permissions=("add", "change", "publish", "lock", "unlock"),
    locales=ALL_LOCALES,
    model_permissions=(ACCESS_ADMIN, "practices.add_organisation", "practices.change_organisation"),
    collection_permissions=UPLOAD_MEDIA,
    reviews=True,
)
CONTRIBUTOR = Role(
    key=EditorialGroup.Role.CONTRIBUTOR,
    name="Contributors: {region}",
    per_region=True,
    page_permissions=("add", "change"),
    locales=ALL_LOCALES,
    model_permissions=(ACCESS_ADMIN,),
    collection_permissions=UPLOAD_MEDIA,
    reviews=False,
)
NATIONAL_EDITOR = Role(
    key=EditorialGroup.Role.NATIONAL_EDITOR,
    name="National editors",
    per_region=False,
    # Publish only: enough to approve (approval publishes as the approver) and to take a page
    # down; the review task itself opens the editor of a page under review to its reviewers.
    page_permissions=("publish",),
    locales=ALL_LOCALES,
    model_permissions=(ACCESS_ADMIN, *MANAGE_TAXONOMIES, *MANAGE_HIGHLIGHTS),
    collection_permissions=CHOOSE_MEDIA,
    reviews=True,
)
TRANSLATOR = Role(
    key=EditorialGroup.Role.TRANSLATOR,
    name="Translators",
    per_region=False,
    page_permissions=("change",),
    locales=TRANSLATION_LOCALES,
    model_permissions=(ACCESS_ADMIN,),
    collection_permissions=CHOOSE_MEDIA,
    reviews=False,
)

ROLES = (COORDINATOR, CONTRIBUTOR, NATIONAL_EDITOR, TRANSLATOR)


def region_label(region) -> str:
    return NATIONAL if region is None else region.name_fi


NATIONAL_REVIEW_NAME = "Valtakunnallinen – Nationell"


def review_name(region) -> str:
    """The name of a region's review task and workflow: the region in Finnish and Swedish.

    Wagtail shows the name as is inside its translated phrases ("Lähetä tarkastettavaksi: Uusimaa –
    Nyland", "Skicka för granskning: Uusimaa – Nyland"), so it holds no English and reads in both
    admin languages; the phrase itself says that it is a review (see locale/*/django.po)."""
    if region is None:
        return NATIONAL_REVIEW_NAME
    return " – ".join(dict.fromkeys(name for name in (region.name_fi, region.name_sv) if name))


def role_group(role_key: str, region=None) -> Group:
    """The group of a role (of ``region`` for per-region roles); setup_roles() must have run."""
    return Group.objects.get(editorial__role=role_key, editorial__region=region)


def _permissions(labels) -> list[Permission]:
    permissions = []
    for label in labels:
        app_label, codename = label.split(".")
        permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return permissions


def _page_permissions(types) -> list[Permission]:
    page_type = ContentType.objects.get_for_model(Page)
    return [Permission.objects.get(content_type=page_type, codename=f"{kind}_page") for kind in types]


def _sync_rows(model, existing_rows, desired_keys, make, changes, label):
    """Make a group's rows of ``model`` exactly ``desired_keys``: delete the others, create the missing."""
    existing = {key: pk for key, pk in existing_rows}
    stale = [pk for key, pk in existing.items() if key not in desired_keys]
    missing = [make(key) for key in sorted(desired_keys - existing.keys())]
    if stale:
        model.objects.filter(pk__in=stale).delete()
    if missing:
        model.objects.bulk_create(missing)
    changes[label] += len(stale) + len(missing)


def _sync_group(role, region, pages, root_collection, changes) -> Group:
    name = role.group_name(region)
    managed = EditorialGroup.objects.select_related("group").filter(role=role.key, region=region).first()
    if managed is None:
        # A group already named so (made by hand) is taken over with its members.
        group, _created = Group.objects.get_or_create(name=name)
        EditorialGroup.objects.create(group=group, role=role.key, region=region)
        changes["groups"] += 1
    else:
        group = managed.group
        if group.name != name:  # the region was renamed: same group, same members, new label
            group.name = name
            group.save(update_fields=["name"])
            changes["group names"] += 1

    wanted = set(_permissions(role.model_permissions))
    if set(group.permissions.all()) != wanted:
        group.permissions.set(wanted)
        changes["model permissions"] += 1

    page_permission_ids = [permission.pk for permission in _page_permissions(role.page_permissions)]
    _sync_rows(
        GroupPagePermission,
        (((row.page_id, row.permission_id), row.pk) for row in GroupPagePermission.objects.filter(group=group)),
        {(page.pk, permission_id) for page in pages for permission_id in page_permission_ids},
        lambda key: GroupPagePermission(group=group, page_id=key[0], permission_id=key[1]),
        changes,
        "page permissions",
    )
    _sync_rows(
        GroupCollectionPermission,
        (((row.collection_id, row.permission_id), row.pk)
         for row in GroupCollectionPermission.objects.filter(group=group)),
        {(root_collection.pk, permission.pk) for permission in _permissions(role.collection_permissions)},
        lambda key: GroupCollectionPermission(group=group, collection_id=key[0], permission_id=key[1]),
        changes,
        "collection permissions",
    )
    return group


def _sync_workflow(region, reviewers, pages, changes):
    """One review task and one workflow per region, assigned to the region's page in every language."""
    task = RegionReviewTask.objects.filter(region=region).first()
    if task is None:
        task = RegionReviewTask.objects.create(name=review_name(region), region=region)
        changes["tasks"] += 1
    if not task.active:
        task.active = True
        task.save(update_fields=["active"])
        changes["tasks reactivated"] += 1
    if task.name != review_name(region):  # a label that follows the region's names: not a new task
        task.name = review_name(region)
        task.save(update_fields=["name"])
        changes["task names"] += 1
    if set(task.groups.all()) != set(reviewers):
        task.groups.set(reviewers)
        changes["task groups"] += 1

    workflow = Workflow.objects.filter(workflow_tasks__task=task).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=review_name(region))
        changes["workflows"] += 1
    if not workflow.active:
        workflow.active = True
        workflow.save(update_fields=["active"])
        changes["workflows reactivated"] += 1
    if workflow.name != review_name(region):
        workflow.name = review_name(region)
        workflow.save(update_fields=["name"])
        changes["workflow names"] += 1
    steps = list(WorkflowTask.objects.filter(workflow=workflow).values_list("task_id", flat=True))
    if steps != [task.pk]:
        WorkflowTask.objects.filter(workflow=workflow).delete()
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
        changes["workflow tasks"] += 1

    for page in pages:
        assigned = WorkflowPage.objects.filter(page=page).values_list("workflow_id", flat=True).first()
        if assigned != workflow.pk:
            WorkflowPage.objects.update_or_create(page=page, defaults={"workflow": workflow})
            changes["workflow pages"] += 1


@transaction.atomic
def setup_roles() -> Counter:
    """Create or correct every editorial group, permission and workflow. Returns the changes made."""
    changes = Counter()
    regions = [None, *Region.objects.order_by("code")]
    region_pages = defaultdict(list)
    for page in RegionPage.objects.select_related("locale").order_by("path"):
        region_pages[page.region_id].append(page)
    all_region_pages = [page for pages in region_pages.values() for page in pages]
    root_collection = Collection.get_first_root_node()

    reviewers = defaultdict(list)  # region id -> the groups that review it
    for role in ROLES:
        for region in regions if role.per_region else [None]:
            pages = region_pages[region.pk if region else None] if role.per_region else all_region_pages
            pages = [page for page in pages if page.locale.language_code in role.locales]
            group = _sync_group(role, region, pages, root_collection, changes)
            if role.reviews:
                covered = [region] if role.per_region else regions
                for reviewed in covered:
                    reviewers[reviewed.pk if reviewed else None].append(group)

    for region in regions:
        key = region.pk if region else None
        _sync_workflow(region, reviewers[key], region_pages[key], changes)
    return +changes
