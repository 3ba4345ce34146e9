"""Replace the public content token (home/caching.py) in the transaction of every change a public
page can show, so that no cached page outlives it: publishing, unpublishing, moving, renaming or
deleting a page; saving or deleting a highlight, a taxonomy term, an organisation, a site or a locale."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Locale, Page, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from highlights.models import Highlight
from practices.models import (
    ActivityForm,
    FundingSource,
    Language,
    Organisation,
    OrganisationType,
    PracticeContact,
    Region,
    TargetGroup,
    Theme,
)

from .caching import content_changed

SHOWN_MODELS = (Highlight, Region, Theme, TargetGroup, Language, FundingSource, ActivityForm, OrganisationType,
                Organisation, Site, Locale)


@receiver(page_published)
@receiver(page_unpublished)
@receiver(post_page_move)
@receiver(page_slug_changed)
def page_changed(sender, instance, **kwargs):
    content_changed()


@receiver(post_save)
def saved(sender, instance, update_fields=None, **kwargs):
    # A full save of a live page (not a draft revision, which saves named fields only) changes it.
    if isinstance(instance, SHOWN_MODELS) or (isinstance(instance, Page) and instance.live and update_fields is None):
        content_changed()


@receiver(post_delete)
def deleted(sender, instance, **kwargs):
    if isinstance(instance, (*SHOWN_MODELS, Page, PracticeContact)):
        content_changed()
