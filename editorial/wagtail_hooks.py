"""Publishing goes through review: where a workflow governs a page, only superusers publish directly.

Coordinators and national editors hold Wagtail's publish permission because approval publishes as
the approver (and unpublishing needs it), but a "Publish" button would let them publish their own
revision without a second pair of eyes. These hooks take that button away and refuse every
direct-publish request in the admin: the editor, the create view, wagtail-localize's translation
editor, bulk publishing and "publish copies". What goes live is what another reviewer approved.
"""

from django.core.exceptions import PermissionDenied
from wagtail import hooks
from wagtail.models import Page

from search.query import ascii_int

from .review import publishing_requires_review

PUBLISH_BUTTON = "action-publish"


def _asks_to_publish(request) -> bool:
    # Wagtail's editor posts "action-publish"; wagtail-localize's translation editor "action=publish".
    return request.method == "POST" and (PUBLISH_BUTTON in request.POST or request.POST.get("action") == "publish")


@hooks.register("construct_page_action_menu")
def hide_direct_publish(menu_items, request, context):
    page = context.get("page") or context.get("parent_page")
    if page is not None and publishing_requires_review(page, request.user):
        menu_items[:] = [item for item in menu_items if item.name != PUBLISH_BUTTON]


# Before wagtail-localize's own before_edit_page hook, which answers translation pages itself.
@hooks.register("before_edit_page", order=-100)
def refuse_direct_publish_on_edit(request, page):
    if _asks_to_publish(request) and publishing_requires_review(page, request.user):
        raise PermissionDenied


@hooks.register("before_create_page", order=-100)
def refuse_direct_publish_on_create(request, parent_page, page_class):
    if _asks_to_publish(request) and publishing_requires_review(parent_page, request.user):
        raise PermissionDenied


@hooks.register("before_bulk_action")
def refuse_bulk_publish(request, action_type, objects, action_class_instance):
    if action_type == "publish" and any(
        isinstance(obj, Page) and publishing_requires_review(obj, request.user) for obj in objects
    ):
        raise PermissionDenied


@hooks.register("before_copy_page")
def refuse_publishing_copies(request, page):
    if request.method != "POST" or not request.POST.get("publish_copies"):
        return
    parent_id = request.POST.get("new_parent_page", "")
    destination = (Page.objects.filter(pk=parent_id).first() if ascii_int(parent_id) else None) or page.get_parent()
    if publishing_requires_review(destination, request.user):
        raise PermissionDenied


# --- Translations through review (editorial/translations.py) -------------------------------------
@hooks.register("register_admin_urls")
def translation_review_urls():
    from django.urls import path

    from .translations import submit_translation

    return [path("editorial/translations/<int:page_id>/submit/", submit_translation,
                 name="editorial_submit_translation")]


def _submit_translation_button(page, user, priority):
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _
    from wagtail.admin.widgets import Button

    from .translations import can_submit

    if can_submit(page.specific, user):
        yield Button(_("Submit translation for review"), reverse("editorial_submit_translation", args=[page.pk]),
                     icon_name="resubmit", priority=priority)


@hooks.register("register_page_listing_more_buttons")
def submit_translation_listing_button(page, user, next_url=None):
    yield from _submit_translation_button(page, user, priority=45)


@hooks.register("register_page_header_buttons")
def submit_translation_header_button(page, user, view_name, next_url=None):
    yield from _submit_translation_button(page, user, priority=55)


# --- Least privilege in the page choosers (editorial/visibility.py) ------------------------------
@hooks.register("construct_page_chooser_queryset")
def scope_page_chooser(pages, request):
    from .visibility import visible_pages

    return visible_pages(pages, request.user)


# --- Read scope: no other region's unpublished work anywhere in the admin (editorial/visibility.py) --
@hooks.register("construct_reports_menu")
def hide_site_wide_reports(request, menu_items):
    from .visibility import SITE_WIDE_MENU_ITEMS, sees_all_pages

    if not sees_all_pages(request.user):
        menu_items[:] = [item for item in menu_items if item.name not in SITE_WIDE_MENU_ITEMS]
