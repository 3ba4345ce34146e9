"""What an editor sees of pages outside their own work: least privilege in the admin's page choosers.

An editor sees in full (draft pages, draft titles) the pages they hold a page permission on — their
regions' pages for coordinators and contributors, the Swedish and English trees for translators
(editorial/roles.py). Any other page appears only if it is live, and then under its live title:
never another region's draft, nor the title of a revision still waiting for review. Superusers and
national editors see everything.

Wagtail's own admin page search and explorer already list only the pages a user may explore (their
pages and those pages' ancestors, ``WAGTAILADMIN_PAGE_SEARCH_FILTER_BY_PERMISSIONS``); the page
choosers list every page, so ``construct_page_chooser_queryset`` applies ``visible_pages`` there.
"""

from django.db.models import Q
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy
from wagtail.query import PageQuerySet

from .models import EditorialGroup

# Any page permission makes a page the editor's own work (Wagtail's "explorable" actions).
PAGE_ACTIONS = {"add", "change", "publish", "lock", "unlock", "bulk_delete"}


def sees_all_pages(user) -> bool:
    return user.is_active and (
        user.is_superuser
        or EditorialGroup.objects.filter(group__user=user, role=EditorialGroup.Role.NATIONAL_EDITOR).exists()
    )


def own_pages(user):
    """The pages ``user`` holds any page permission on (their descendants included)."""
    return PagePermissionPolicy().instances_user_has_any_permission_for(user, PAGE_ACTIONS)


class LiveTitlesQuerySet(PageQuerySet):
    """Pages whose draft title is shown only to who may edit them (``viewer``'s own pages).

    Wagtail's choosers show ``get_admin_display_title()``, the latest revision's title; for a page
    that is not the viewer's own work the live title is shown instead. Clones (filters, ``specific()``,
    pagination, search) keep the class and the viewer, so every way of evaluating it is covered.
    """

    viewer = None

    def _clone(self):
        clone = super()._clone()
        clone.viewer = self.viewer
        return clone

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        pages = [page for page in self._result_cache if isinstance(page, Page)] if fresh else []
        if pages and self.viewer is not None:
            own = set(own_pages(self.viewer).filter(pk__in=[page.pk for page in pages]).values_list("pk", flat=True))
            for page in pages:
                if page.pk not in own:
                    page.draft_title = page.title


def visible_pages(pages, user):
    """``pages`` (a PageQuerySet) limited to what ``user`` may see, with live titles for others' pages."""
    if sees_all_pages(user):
        return pages
    scoped = pages.filter(Q(pk__in=own_pages(user).values_list("pk", flat=True)) | Q(live=True))
    scoped.__class__ = LiveTitlesQuerySet
    scoped.viewer = user
    return scoped
