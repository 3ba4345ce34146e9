"""What an editor sees of pages outside their own work: least privilege in the admin's page choosers.

An editor sees in full (draft pages, draft titles) the pages they hold a page permission on — their
regions' pages for coordinators and contributors, the Swedish and English trees for translators
(editorial/roles.py). Any other page appears only if it is live, and then under its live title:
never another region's draft, nor the title of a revision still waiting for review. Superusers and
national editors see everything.

Wagtail's own admin page search, explorer listings, reports, site history and dashboard panels
already list only the pages a user may explore (their pages and those pages' ancestors,
``WAGTAILADMIN_PAGE_SEARCH_FILTER_BY_PERMISSIONS``); the page choosers list every page, so
``construct_page_chooser_queryset`` applies ``visible_pages`` there. Every other admin URL that names
a page (``/admin/pages/<id>/`` and its history, revisions, compare, previews, workflow history,
usage, move, copy, bulk actions, the translation editor) passes ``PageReadScopeMiddleware``: it
answers only for a page the user may explore. Those views show the latest revision, so a live page
of another region is refused there too (Wagtail's own refusal), and an unpublished one is not
found (404), not even its existence is confirmed.
"""

from django.db.models import Q
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from wagtail.admin.auth import permission_denied
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


def readable_in_full(user, page_ids) -> set[int]:
    """The ids among ``page_ids`` whose drafts, revisions and history ``user`` may read."""
    if sees_all_pages(user):
        return set(page_ids)
    explorable = PagePermissionPolicy().explorable_instances(user)
    return set(explorable.filter(pk__in=page_ids).values_list("pk", flat=True))


# --- One gate for every admin URL that names a page ---------------------------------------------

# URL keyword arguments that hold a page id, in Wagtail's and wagtail-localize's admin URLs.
PAGE_ID_KWARGS = ("page_id", "parent_page_id", "page_to_move_id", "destination_id")
# Views that show a page only as a choice, under its title: a live page whose title is not pending
# review may be shown there (the chooser lists it too); anything else of another region is not found.
CHOOSER_VIEWS = {"wagtailadmin_choose_page_child", "wagtailadmin_choose_page_chosen_multiple"}
# Reports about the whole site: "page types usage" names the latest edited page of each type,
# whatever its region or state. They are for those who see all pages (menu item: wagtail_hooks.py).
SITE_WIDE_VIEWS = {"wagtailadmin_reports:page_types_usage", "wagtailadmin_reports:page_types_usage_results"}
SITE_WIDE_MENU_ITEMS = {"page-types-usage"}


def _translation_page_ids(kwargs) -> list[int]:
    """The page a wagtail-localize URL works on: a translation's target, or a translation source."""
    from wagtail_localize.models import Translation, TranslationSource

    source = locale_id = None
    if "translation_id" in kwargs:
        translation = Translation.objects.select_related("source").filter(pk=kwargs["translation_id"]).first()
        if translation is not None:
            source, locale_id = translation.source, translation.target_locale_id
    elif "translation_source_id" in kwargs:
        source = TranslationSource.objects.filter(pk=kwargs["translation_source_id"]).first()
        locale_id = source and source.locale_id
    if source is None:  # the view answers 404 itself
        return []
    return list(Page.objects.filter(translation_key=source.object_id, locale_id=locale_id).values_list("pk", flat=True))


def page_ids_named(request, match) -> list[int]:
    """Ids of the pages the admin URL ``match`` (with its query string) reads or acts on."""
    kwargs = match.kwargs
    ids = [kwargs[name] for name in PAGE_ID_KWARGS if name in kwargs]
    if match.view_name == "wagtailadmin_pages:revisions_compare":
        ids.append(kwargs["pk"])
    bulk_on_pages = match.url_name == "wagtail_bulk_action" and kwargs.get("model_name") == "page"
    if match.url_name == "wagtailadmin_choose_page_chosen_multiple" or bulk_on_pages:
        ids += [value for value in request.GET.getlist("id") if value.isascii() and value.isdigit()]
    ids += _translation_page_ids(kwargs)
    return [int(pk) for pk in ids]


class PageReadScopeMiddleware:
    """Refuses an admin URL about a page the user may not read (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        try:
            admin_root = reverse("wagtailadmin_home")
        except NoReverseMatch:  # a URLconf without Wagtail's admin (request.urlconf, a test's ROOT_URLCONF)
            return None
        user = getattr(request, "user", None)
        if not request.path.startswith(admin_root) or user is None or not user.is_authenticated:
            return None
        if match.view_name in SITE_WIDE_VIEWS and not sees_all_pages(user):
            return permission_denied(request)
        page_ids = set(page_ids_named(request, match))
        hidden = page_ids - readable_in_full(user, page_ids) if page_ids else set()
        if not hidden:
            return None
        others = Page.objects.filter(pk__in=hidden)
        if match.url_name in CHOOSER_VIEWS:
            if others.filter(Q(live=False) | Q(has_unpublished_changes=True)).exists():
                raise Http404
            return None
        if others.filter(live=False).exists():
            raise Http404  # another's unpublished page: not even its existence is confirmed
        if others.exists():
            return permission_denied(request)  # a live page of another region: Wagtail's refusal
        return None  # no such page: the view answers 404 itself
