"""Translations go live through the same review as everything else.

wagtail-localize's editor can only *publish* a translation (which direct-publish rules refuse to
everyone but administrators). Here a translator turns the strings translated so far into a new
draft revision of the target page, without touching the live page, and starts the region's review
workflow on it. The region's reviewers then approve (publishing that revision) or request changes,
as for any practice.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.models import Page
from wagtail_localize.fields import copy_synchronised_fields
from wagtail_localize.models import Translation
from wagtail_localize.segments.ingest import ingest_segments


def translation_of(page: Page):
    """The enabled wagtail-localize Translation whose target is ``page``, or None."""
    return (
        Translation.objects.filter(source__object_id=page.translation_key, target_locale_id=page.locale_id,
                                   enabled=True)
        .select_related("source", "target_locale")
        .first()
    )


def can_submit(page: Page, user) -> bool:
    return (
        translation_of(page) is not None
        and page.permissions_for_user(user).can_edit()
        and page.get_workflow() is not None
        and not page.workflow_in_progress
    )


def draft_revision(translation: Translation, user):
    """A new revision of the target page holding the current translations; the live row is untouched
    (Page.save_revision writes only revision bookkeeping fields)."""
    source = translation.source
    original = source.as_instance()
    target = translation.get_target_instance().specific
    copy_synchronised_fields(original, target)
    # Not a public API: pinned by requirements.txt and covered by tests/test_editorial_translations.py.
    segments = source._get_segments_for_translation(translation.target_locale, fallback=True)
    ingest_segments(original, target, source.locale, translation.target_locale, segments)
    return target.save_revision(user=user, log_action=True)


def submit_translation(request, page_id):
    page = get_object_or_404(Page, pk=page_id).specific
    translation = translation_of(page)
    if translation is None or not page.permissions_for_user(request.user).can_edit():
        raise PermissionDenied
    if request.method == "POST":
        if not can_submit(page, request.user):
            messages.error(request, _("This translation is already in review or has no review workflow."))
        else:
            draft_revision(translation, request.user)
            page.get_workflow().start(page, request.user)
            messages.success(request, _("The translation was submitted for review."))
        return redirect(reverse("wagtailadmin_explore", args=[page.get_parent().pk]))
    return TemplateResponse(request, "editorial/submit_translation.html", {"page": page, "translation": translation})
