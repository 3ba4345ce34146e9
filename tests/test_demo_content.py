"""The demo loader: idempotent, realistic coverage, translations made with wagtail-localize."""

import pytest
from django.apps import apps
from wagtail.models import Page
from wagtail_localize.models import Translation

from practices.demo.loader import load_demo
from practices.models import PracticePage, RegionPage, Theme

pytestmark = pytest.mark.django_db


def row_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_running_the_loader_again_changes_nothing():
    before = row_counts()
    assert load_demo() == 0
    assert row_counts() == before


def test_demo_has_at_least_40_finnish_practices_across_10_regions():
    finnish = PracticePage.objects.live().filter(locale__language_code="fi")
    assert finnish.count() >= 40
    owner_regions = {page.get_parent().specific.region_id for page in finnish}
    assert len(owner_regions - {None}) >= 10


def test_every_theme_has_a_practice():
    used = set(Theme.objects.filter(practices__locale__language_code="fi").values_list("code", flat=True))
    assert used == set(Theme.objects.values_list("code", flat=True))


@pytest.mark.parametrize("language", ["sv", "en"])
def test_half_of_the_practices_are_translated_with_wagtail_localize(language):
    finnish = PracticePage.objects.filter(locale__language_code="fi").count()
    translated = PracticePage.objects.live().filter(locale__language_code=language)
    assert translated.count() * 2 >= finnish
    # Made by wagtail-localize: each has a Translation record from its Finnish source.
    sources = Translation.objects.filter(target_locale__language_code=language, source__specific_content_type__model="practicepage")
    assert sources.count() == translated.count()


def test_translations_keep_exactly_the_source_taxonomy_values():
    checked = 0
    for page in PracticePage.objects.filter(locale__language_code="sv"):
        source = PracticePage.objects.get(translation_key=page.translation_key, locale__language_code="fi")
        for relation in ("regions", "themes", "target_groups", "languages", "activity_forms", "funding_sources",
                         "partner_organisations"):
            assert set(getattr(page, relation).values_list("pk", flat=True)) == set(
                getattr(source, relation).values_list("pk", flat=True)
            ), (page.title, relation)
        assert (page.status, page.evidence_level, page.lead_organisation_id, page.is_national) == (
            source.status, source.evidence_level, source.lead_organisation_id, source.is_national
        )
        checked += 1
    assert checked >= 20


def test_translated_text_is_really_translated():
    page = PracticePage.objects.filter(locale__language_code="sv").first()
    source = PracticePage.objects.get(translation_key=page.translation_key, locale__language_code="fi")
    assert page.title != source.title
    assert page.summary != source.summary


def test_page_tree_exists_in_every_language():
    for language in ("fi", "sv", "en"):
        regions = RegionPage.objects.live().filter(locale__language_code=language)
        assert regions.count() == 20  # 19 regions + national
        assert Page.objects.filter(depth=2, locale__language_code=language).live().count() == 1


def test_synthetic_generator_builds_valid_routable_searchable_pages(client):
    from io import StringIO

    from practices.demo.synthetic import generate

    before = PracticePage.objects.count()
    progress = StringIO()
    made = generate(30, translated_share=0.5, seed=7, out=progress)
    assert PracticePage.objects.count() - before == made >= 30
    assert "30/30" in progress.getvalue()
    assert Page.find_problems() == ([], [], [], [], [])  # the tree is consistent
    synthetic = PracticePage.objects.filter(slug__startswith="synthetic-")
    assert set(synthetic.values_list("locale__language_code", flat=True)) == {"fi", "sv", "en"}
    for page in synthetic[:5]:
        assert client.get(page.url).status_code == 200
        assert page.themes.exists() and page.regions.exists()
    one = synthetic.filter(locale__language_code="fi").first()
    found = PracticePage.objects.live().search(one.title, operator="and")
    assert one.pk in [hit.pk for hit in found]
