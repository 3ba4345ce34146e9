"""Index upkeep: every change that affects what a search finds re-indexes the translation groups
concerned once the transaction commits (so a rolled-back edit never reaches the index)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from practices.models import (
    ActivityForm,
    FundingSource,
    Language,
    Organisation,
    OrganisationType,
    PracticePage,
    Region,
    TargetGroup,
    Theme,
)

from . import indexing
from .facets import clear_label_cache
from .models import SearchDocument


def reindex_later(translation_keys):
    keys = set(translation_keys)
    if keys:
        transaction.on_commit(lambda: _reindex(keys))


def _reindex(keys):
    for key in keys:
        indexing.index_group(key)
    from .sync import sync_pending

    sync_pending()


def _practices_below(page):
    return PracticePage.objects.descendant_of(page, inclusive=True).values_list("translation_key", flat=True)


@receiver(page_published)
@receiver(page_unpublished)
def page_changed(sender, instance, **kwargs):
    if isinstance(instance, PracticePage):
        reindex_later([instance.translation_key])


@receiver(post_delete, sender=PracticePage)
def practice_deleted(sender, instance, **kwargs):
    reindex_later([instance.translation_key])


@receiver(post_page_move)
@receiver(page_slug_changed)
def urls_changed(sender, instance, **kwargs):
    """A moved or renamed page changes the URLs of every practice below it."""
    reindex_later(_practices_below(instance))


@receiver(post_delete, sender=SearchDocument)
def document_deleted(sender, instance, **kwargs):
    indexing.documents_deleted([instance.pk])


TERM_RELATIONS = {Region: "regions", Theme: "themes", TargetGroup: "target_groups", Language: "languages",
                  FundingSource: "funding_sources", ActivityForm: "activity_forms"}


def _term_changed(sender, instance, **kwargs):
    """Labels are searchable text: re-index the practices that carry a renamed term."""
    clear_label_cache()
    transaction.on_commit(clear_label_cache)  # and again once committed (a rollback keeps the old label)
    if sender is OrganisationType:
        practices = PracticePage.objects.filter(lead_organisation__type=instance)
    else:
        practices = PracticePage.objects.filter(**{TERM_RELATIONS[sender]: instance})
    reindex_later(practices.values_list("translation_key", flat=True))


def _organisation_changed(sender, instance, **kwargs):
    practices = PracticePage.objects.filter(lead_organisation=instance) | PracticePage.objects.filter(
        partner_organisations=instance)
    reindex_later(practices.values_list("translation_key", flat=True))


for model in [*TERM_RELATIONS, OrganisationType]:
    post_save.connect(_term_changed, sender=model, dispatch_uid=f"kb-search-{model.__name__}")
post_save.connect(_organisation_changed, sender=Organisation, dispatch_uid="kb-search-organisation")
