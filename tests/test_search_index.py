"""The index follows the content: publish, edit, unpublish, delete, move, translate, relabel, reindex."""

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from wagtail.models import Locale

from practices.models import PracticePage, Theme
from practices.translation import translate_page
from search.indexing import fulltext_table
from search.models import SearchDocument

from .factories import make_practice
from .search_helpers import run, titles

pytestmark = pytest.mark.django_db
committing = TestCase.captureOnCommitCallbacks  # run the on-commit indexing inside the test transaction


def test_publish_makes_a_practice_findable_in_every_language(uusimaa):
    page = make_practice(uusimaa, title="Ompelukahvila")
    assert titles(run(q="ompelukahvila")) == {"Ompelukahvila"}
    assert set(SearchDocument.objects.filter(page=page).values_list("locale", flat=True)) == {"fi", "sv", "en"}


def test_a_draft_is_not_findable(uusimaa):
    make_practice(uusimaa, title="Luonnoskerho", publish=False)
    assert run(q="luonnoskerho").total == 0


def test_edit_is_indexed_on_publish_not_before(uusimaa):
    page = make_practice(uusimaa, title="Shakkikerho")
    page.title = "Sählykerho"
    with committing(execute=True):
        revision = page.save_revision()
    assert titles(run(q="shakkikerho")) == {"Shakkikerho"}  # the live version is what is found
    with committing(execute=True):
        revision.publish()
    assert run(q="shakkikerho").total == 0 and titles(run(q="sählykerho")) == {"Sählykerho"}


def test_unpublish_and_delete_remove_from_the_index(uusimaa):
    page = make_practice(uusimaa, title="Kuorokerho")
    with committing(execute=True):
        page.unpublish()
    assert run(q="kuorokerho").total == 0
    page = make_practice(uusimaa, title="Rumpukerho")
    with committing(execute=True):
        page.delete()
    assert run(q="rumpukerho").total == 0
    assert not SearchDocument.objects.filter(title="Rumpukerho").exists()
    with connection.cursor() as cursor:  # no orphaned full-text rows either
        table, key = fulltext_table()
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {key} NOT IN (SELECT id FROM kb_search_searchdocument)")
        assert cursor.fetchone()[0] == 0


def test_move_updates_urls(uusimaa, pirkanmaa):
    page = make_practice(uusimaa, title="Muuttokerho")
    with committing(execute=True):
        page.move(pirkanmaa, pos="last-child")
    hit = run(q="muuttokerho").hits[0]
    assert hit.url == PracticePage.objects.get(pk=page.pk).url and "/pirkanmaa/" in hit.url


def test_translation_publish_replaces_the_fallback(uusimaa, index_fi):
    page = make_practice(uusimaa, title="Lukupiiri", summary="Luetaan yhdessä.")
    assert [(h.title, h.is_fallback) for h in run("sv", q="lukupiiri").hits] == [("Lukupiiri", True)]
    with committing(execute=True):
        translate_page(page, "sv", PracticePage(title="Läscirkel", slug="lascirkel", summary="Vi läser tillsammans.",
                                                problem=page.problem, model=page.model, links=page.links))
    sv = PracticePage.objects.get(translation_key=page.translation_key, locale=Locale.objects.get(language_code="sv"))
    assert sv.live
    assert [(h.title, h.is_fallback) for h in run("sv", q="läscirkel").hits] == [("Läscirkel", False)]
    assert run("sv", q="lukupiiri").total == 0
    assert run("en", q="lukupiiri").total == 1  # still a fallback in English


def test_renamed_theme_is_found_by_its_new_label(uusimaa):
    make_practice(uusimaa, title="Teemakerho", themes=["sport"])
    theme = Theme.objects.get(code="sport")
    theme.name_fi = "Kuntoilu ja pallopelit"
    with committing(execute=True):
        theme.save()
    assert "Teemakerho" in titles(run(q="pallopelit", page_size="100"))
    assert "Kuntoilu ja pallopelit" in {b.label for b in run().facets["theme"]}


def test_reindex_rebuilds_the_same_index():
    def snapshot():
        return sorted(SearchDocument.objects.values_list("page_id", "locale", "is_fallback", "title_terms",
                                                         "extra_terms", "url"))
    before = snapshot()
    results_before = [run(q="kielikahvila").total, run(region=["01"]).total]
    call_command("reindex", stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))
    assert snapshot() == before
    assert [run(q="kielikahvila").total, run(region=["01"]).total] == results_before


def test_a_search_takes_a_fixed_number_of_queries():
    for params, expected in (({}, 2), ({"q": "kielikahvila"}, 3), ({"q": "kirjasto", "region": ["01", "02"],
                                                                   "theme": ["language"],
                                                                   "status": ["ongoing", "permanent"]}, 3)):
        run(**params)  # taxonomy labels and the facet bitmaps stay in memory after the first search
        with CaptureQueriesContext(connection) as queries:
            run(**params)
        # the index token, the ids matching the text (with text only), the hits' documents
        assert len(queries) == expected, [q["sql"][:80] for q in queries]


def test_the_how_it_works_sections_are_searchable(uusimaa):
    """The StreamField's text is indexed (its raw data is a sequence view, not a list)."""
    model = json.dumps([{"type": "paragraph", "value": "<p>Ohjaajat käyttävät kuvakortteja.</p>"}])
    practice = make_practice(uusimaa, title="Keskustelukerho", model=model)
    assert practice.title in titles(run(q="kuvakortteja"))


@pytest.mark.parametrize("sort", ["relevance", "newest", "title"])
def test_a_text_search_starts_from_the_full_text_index_in_every_order(uusimaa, sort):
    """SQLite: the text statement's plan reads the FTS5 matches first and looks each document up by id.
    Sorted by date or title, its planner took the documents of the locale first and ran the MATCH once
    for each of them: 2 s a search at 10,000 practices."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner; PostgreSQL matches through the GIN index of its own table")
    for title in ("Kanteleklubi Kallio", "Kanteleklubi Kontula", "Perhekerho"):
        make_practice(uusimaa, title=title)
    with CaptureQueriesContext(connection) as queries:
        assert titles(run(q="kanteleklubi", sort=sort)) == {"Kanteleklubi Kallio", "Kanteleklubi Kontula"}
    (statement,) = [query["sql"] for query in queries if "MATCH" in query["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + statement)
        steps = [row[3] for row in cursor.fetchall()]
    assert steps[0].startswith("SCAN search_fts VIRTUAL TABLE"), steps
    assert "SEARCH d USING INTEGER PRIMARY KEY (rowid=?)" in steps, steps
