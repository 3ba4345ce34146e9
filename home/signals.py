"""Replace the public content token (home/caching.py) in the transaction of every change a public
page can show, so that no cached page outlives it: publishing, unpublishing, moving, renaming or
deleting a page; saving or deleting a highlight, a taxonomy term, an organisation, a site or a locale."""

from django.db import transaction
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

from . import service_pages
from .caching import content_changed
from .models import InfoPage

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


@receiver(page_published, sender=InfoPage)
@receiver(page_unpublished, sender=InfoPage)
@receiver(post_page_move, sender=InfoPage)
@receiver(page_slug_changed, sender=InfoPage)
@receiver(post_delete, sender=InfoPage)
def info_page_changed(sender, instance, **kwargs):
    # The footer's links to the pages about the service are cached apart from the pages: forgotten
    # now and again after the commit (a request in between may have cached the old links).
    service_pages.forget()
    transaction.on_commit(service_pages.forget)
