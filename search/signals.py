"""Index upkeep: every change that affects what a search finds writes a change per translation group
concerned into the change log, in the same transaction (search.changelog applies it once it
commits, so a rolled-back edit never reaches the index, and a committed one is never lost)."""

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_delete
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

from . import changelog, indexing
from .facets import clear_label_cache
from .models import SearchDocument


def _practices_below(page):
    return PracticePage.objects.descendant_of(page, inclusive=True).values_list("translation_key", flat=True)


@receiver(page_published)
@receiver(page_unpublished)
def page_changed(sender, instance, **kwargs):
    if isinstance(instance, PracticePage):
        changelog.record([instance.translation_key])


@receiver(post_delete, sender=PracticePage)
def practice_deleted(sender, instance, **kwargs):
    changelog.record([instance.translation_key])


@receiver(post_page_move)
@receiver(page_slug_changed)
def urls_changed(sender, instance, **kwargs):
    """A moved or renamed page changes the URLs of every practice below it."""
    changelog.record(_practices_below(instance))


@receiver(post_delete, sender=SearchDocument)
def document_deleted(sender, instance, **kwargs):
    indexing.documents_deleted([instance])


TERM_RELATIONS = {Region: "regions", Theme: "themes", TargetGroup: "target_groups", Language: "languages",
                  FundingSource: "funding_sources", ActivityForm: "activity_forms"}


def _practices_with(sender, instance):
    if sender is OrganisationType:
        return PracticePage.objects.filter(lead_organisation__type=instance)
    if sender is Organisation:
        return PracticePage.objects.filter(Q(lead_organisation=instance) | Q(partner_organisations=instance))
    return PracticePage.objects.filter(**{TERM_RELATIONS[sender]: instance})


def _term_changed(sender, instance, **kwargs):
    """Labels and organisation names are searchable text and facet values: re-index the practices
    that carry a saved or deleted term (found before a delete removes the links). The new labels
    token tells every process to reload its cached labels (organisations are no facet's labels)."""
    if sender is not Organisation:
        indexing.labels_changed()
        clear_label_cache()
        transaction.on_commit(clear_label_cache)  # and again once committed (a rollback keeps the old label)
    changelog.record(_practices_with(sender, instance).values_list("translation_key", flat=True).distinct())


for model in [*TERM_RELATIONS, OrganisationType, Organisation]:
    post_save.connect(_term_changed, sender=model, dispatch_uid=f"kb-search-save-{model.__name__}")
    pre_delete.connect(_term_changed, sender=model, dispatch_uid=f"kb-search-delete-{model.__name__}")
