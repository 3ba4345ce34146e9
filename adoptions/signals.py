"""An adoption's review shows on public pages and in the search: a change replaces the public content
token (home/caching.py) and writes the practice's translation group into the search change log, in
the same transaction."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from home.caching import content_changed
from search import changelog

from .models import Adoption


@receiver(post_save, sender=Adoption)
@receiver(post_delete, sender=Adoption)
def adoption_changed(sender, instance, **kwargs):
    content_changed()
    key = type(instance.practice).objects.filter(pk=instance.practice_id).values_list("translation_key", flat=True)
    changelog.record(list(key))
