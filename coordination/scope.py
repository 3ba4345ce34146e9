"""Who covers which regions, and the practices and region pages of a set of regions.

Coordinators are found by the role and region of their groups (``EditorialGroup``, see
editorial/roles.py), never by group names, which follow the region's name; national editors and
superusers cover every region. A region is a ``Region`` id, or ``None`` for the national practices.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Substr
from django.utils import timezone
from wagtail.models import Page, WorkflowState, get_default_page_content_type
from wagtail_localize.models import TranslationSource

from editorial.models import EditorialGroup
from editorial.roles import COORDINATOR, NATIONAL_EDITOR
from practices.models import PracticePage, RegionPage

REVIEW_INTERVAL_MONTHS = 12


@dataclass
class Scope:
    all_regions: bool = False
    region_ids: set = field(default_factory=set)  # Region ids; None stands for the national practices

    @property
    def is_empty(self) -> bool:
        return not self.all_regions and not self.region_ids

    def covers(self, region_id) -> bool:
        return self.all_regions or region_id in self.region_ids

    def region_filter(self, lookup="region") -> Q:
        """A filter on a Region foreign key (``lookup``) limited to this scope."""
        if self.all_regions:
            return Q()
        ids = {pk for pk in self.region_ids if pk is not None}
        condition = Q(**{f"{lookup}__in": ids})
        if None in self.region_ids:
            condition |= Q(**{f"{lookup}__isnull": True})
        return condition if self.region_ids else Q(pk__in=[])


SCOPE_ROLES = (COORDINATOR.key, NATIONAL_EDITOR.key)  # the roles that give a scope


def user_scope(user) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(all_regions=True)
    roles = list(EditorialGroup.objects.filter(group__user=user, role__in=SCOPE_ROLES).values_list("role", "region_id"))
    if any(role == NATIONAL_EDITOR.key for role, _region_id in roles):
        return Scope(all_regions=True)
    return Scope(region_ids={region_id for _role, region_id in roles})


def coordinators_of(region):
    """Active users with an email address in the coordinator group of ``region`` (None: national)."""
    return (
        get_user_model().objects.filter(
            groups__editorial__role=COORDINATOR.key, groups__editorial__region=region, is_active=True
        )
        .exclude(email="").distinct().order_by("pk")
    )


def review_cutoff(today=None) -> datetime.date:
    """Practices last reviewed before this date (12 months ago) are due for review."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - REVIEW_INTERVAL_MONTHS // 12)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28)


def with_region_page_path(queryset):
    """Annotate ``region_page_path``: the path of the parent (the region page) of each practice."""
    return queryset.annotate(region_page_path=Substr("path", 1, (F("depth") - 1) * Value(Page.steplen)))


def region_pages_by_path(scope=None) -> dict:
    """Path -> region page (every language tree), limited to ``scope`` if given."""
    pages = RegionPage.objects.select_related("region", "locale")
    if scope is not None:
        pages = pages.filter(scope.region_filter())
    return {page.path: page for page in pages}


def below(region_pages) -> Q:
    """Pages directly under any of ``region_pages`` (practices)."""
    condition = Q(pk__in=[])
    for page in region_pages:
        condition |= Q(path__startswith=page.path, depth=page.depth + 1)
    return condition


def stale_practices(today=None):
    """Live practices due for review: last reviewed more than 12 months ago, or never.

    One entry per practice: the page its translations are made from (``last_reviewed`` is
    synchronised from it into every translation, so that is where a review is recorded), in
    whichever language tree it was written. Translations are left out.
    """
    own_source = TranslationSource.objects.filter(object_id=OuterRef("translation_key"), locale=OuterRef("locale"))
    any_source = TranslationSource.objects.filter(object_id=OuterRef("translation_key"))
    return (
        PracticePage.objects.live()
        .filter(Q(last_reviewed__isnull=True) | Q(last_reviewed__lt=review_cutoff(today)))
        .filter(Exists(own_source) | ~Exists(any_source))
    )


def pages_in_review():
    """Pages with a workflow in progress."""
    in_review = WorkflowState.objects.filter(
        status=WorkflowState.STATUS_IN_PROGRESS,
        base_content_type_id=get_default_page_content_type().id,
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
    )
    return Page.objects.filter(Exists(in_review))

