"""The admin's practice listing counts practices, not pages: one row per practice (its original) by
default, every language version on request."""

import pytest
from django.urls import reverse
from wagtail_localize.models import TranslationSource

from practices.models import PracticePage

from .factories import log_in_superuser

pytestmark = pytest.mark.django_db


def listed(client, **params):
    response = client.get(reverse("practices:index"), params)
    assert response.status_code == 200
    return response.context["paginator"].count, {page.pk for page in response.context["object_list"]}


def test_one_row_per_practice_by_default(client):
    log_in_superuser(client)
    practices = PracticePage.objects.values("translation_key").distinct().count()
    assert PracticePage.objects.count() > practices  # the demo has translations: the test can fail
    count, _rows = listed(client)
    assert count == practices


def test_the_row_is_the_version_the_others_are_translated_from(client):
    """Computed another way: the page in the locale of the group's TranslationSource (or the only page)."""
    log_in_superuser(client)
    sources = {source.object_id: source.locale_id for source in TranslationSource.objects.all()}
    originals = {page.pk for page in PracticePage.objects.all()
                 if sources.get(page.translation_key, page.locale_id) == page.locale_id}
    _count, rows = listed(client)  # the first page of rows
    assert rows <= originals
    assert len(originals) == PracticePage.objects.values("translation_key").distinct().count()


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_one_language_version(client, language):
    log_in_superuser(client)
    count, _rows = listed(client, versions=language)
    assert count == PracticePage.objects.filter(locale__language_code=language).count()


def test_all_language_versions(client):
    log_in_superuser(client)
    count, _rows = listed(client, versions="all")
    assert count == PracticePage.objects.count()
