"""The in-process facet bitmaps (search.backends.facet_matrix): exact orders, never stale after a
write in this process, a write by another process, or a rolled-back write; brought forward by what
changed, exactly as a full build would have them."""

import uuid

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test import TestCase
from wagtail.models import Locale

from adoptions.models import Adoption
from practices.models import Region, Theme
from search.backends import facet_matrix
from search.backends.facet_matrix import FacetMatrix, matrix_for
from search.indexing import index_changed, prune_history
from search.models import SearchDocument, SearchIndexState

from .factories import make_practice
from .search_helpers import counts, run

pytestmark = pytest.mark.django_db


def matrix(locale="fi"):
    with connection.cursor() as cursor:
        return matrix_for(cursor, locale)


@pytest.mark.parametrize("sort, order", [
    ("newest", ("-first_published_at", "-id")),
    ("relevance", ("-first_published_at", "-id")),  # without text
    ("updated", ("-last_published_at", "-id")),
    ("title", ("title_sort", "id")),
])
def test_every_sort_pages_like_sql_order_by(sort, order):
    chosen = SearchDocument.objects.filter(Q(facet_values__facet="region", facet_values__value__in=["01", "02"]),
                                           locale="sv").distinct().order_by(*order)
    expected = list(chosen.values_list("page_id", flat=True))
    pages = [run("sv", region=["01", "02"], sort=sort, page=str(page), page_size="7") for page in (1, 2, 3)]
    assert [hit.id for result in pages for hit in result.hits] == expected[:21]
    assert pages[0].total == len(expected)


def test_the_bitmaps_are_reused_while_the_token_is_unchanged():
    first, _queries = matrix()
    again, queries = matrix()
    assert again is first and queries == 0


def test_a_publish_in_this_process_shows_in_the_next_search(uusimaa):
    before = run(region=["01"])
    make_practice(uusimaa, title="Bittikarttakerho", status="ongoing", is_permanent=False)
    after = run(region=["01"])
    assert after.total == before.total + 1
    assert counts(after)["status"]["ongoing"] == counts(before)["status"].get("ongoing", 0) + 1
    assert after.hits[0].title == "Bittikarttakerho"  # the newest first


def test_a_write_by_another_process_shows_in_the_next_search():
    """Another process writes the index and replaces the token; this process's bitmaps are old."""
    before = run(region=["01"])
    matrix()
    gone = SearchDocument.objects.filter(locale="fi", facet_values__facet="region", facet_values__value="01").first()
    with connection.cursor() as cursor:  # plain SQL, as another process's rows would simply appear
        cursor.execute("DELETE FROM kb_search_searchfacetvalue WHERE document_id = %s AND facet = 'region'",
                       [gone.pk])
        cursor.execute("UPDATE kb_search_searchindexstate SET token = %s WHERE id = 1", [uuid.uuid4().hex])
    after = run(region=["01"])
    assert after.total == before.total - 1
    assert gone.page_id not in {hit.id for hit in run(region=["01"], page_size="100").hits}


def test_a_rolled_back_write_leaves_no_stale_bitmaps(uusimaa):
    before = run()
    token = SearchIndexState.objects.get().token

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        make_practice(uusimaa, title="Peruttukerho")
        assert run().total == before.total + 1  # the bitmaps now hold the uncommitted practice
        assert run().hits[0].title == "Peruttukerho"
        raise Rollback
    assert SearchIndexState.objects.get().token == token
    after = run()
    assert after.total == before.total and counts(after) == counts(before)
    assert "Peruttukerho" not in {hit.title for hit in after.hits}


def test_every_index_write_replaces_the_token():
    token = SearchIndexState.objects.get().token
    index_changed()
    assert SearchIndexState.objects.get().token != token


def test_a_cascade_delete_shows_before_the_reindex_runs(uusimaa):
    page = make_practice(uusimaa, title="Poistokerho")
    before = run().total
    with TestCase.captureOnCommitCallbacks(execute=False):  # the re-index after commit does not run
        page.delete()  # its documents go by cascade
    assert run().total == before - 1


# --- Brought forward by what changed ---------------------------------------------------------------

LOCALES = ("fi", "sv", "en")


def described(matrix: FacetMatrix) -> dict:
    """What a matrix says, whatever its bit positions: the documents of each value, each order."""
    ids = matrix.ids

    def members(bits):
        return {ids[position] for position in range(len(ids)) if bits >> position & 1}

    return {
        "all": members(matrix.all),
        "values": {(facet, value): members(bits) for facet, bitmaps in matrix.values.items()
                   for value, bits in bitmaps.items() if bits},
        "orders": {sort: [ids[position] for position in order if matrix.all >> position & 1]
                   for sort, order in matrix.orders.items()},
    }


def built_afresh(locale):
    with connection.cursor() as cursor:
        token, version, _then, _labels = facet_matrix._state(cursor, -1)
        return FacetMatrix.build(cursor, locale, token, version)


def assert_brought_forward(queries_expected=3):
    for locale in LOCALES:
        advanced, queries = matrix(locale)
        assert queries == queries_expected, locale
        assert described(advanced) == described(built_afresh(locale)), locale


def test_every_kind_of_change_brings_the_matrices_forward_as_a_full_build_would(uusimaa):
    for locale in LOCALES:
        matrix(locale)
    page = make_practice(uusimaa, title="Inkrementtikerho", status="ongoing", is_permanent=False)
    assert_brought_forward()
    page.title = "Aaaa-alkuinen kerho"  # moves in the title order
    with TestCase.captureOnCommitCallbacks(execute=True):
        page.save_revision().publish()
    assert_brought_forward()
    other = SearchDocument.objects.filter(locale="fi").exclude(page=page).first().page
    with TestCase.captureOnCommitCallbacks(execute=True):
        Adoption.objects.create(practice=other, municipality="091", region=Region.objects.get(code="01"),
                                status=Adoption.Status.APPROVED, organisation_name="Kerhot ry", since_year=2024,
                                language="fi")  # the "adopted" order and facet
    assert_brought_forward()
    with TestCase.captureOnCommitCallbacks(execute=True):
        theme = Theme.objects.get(code="language")
        theme.name_fi = "Kieli ja kielikahvilat"  # a relabelled term re-indexes its practices
        theme.save()
    assert_brought_forward()
    with TestCase.captureOnCommitCallbacks(execute=True):
        page.unpublish()
    assert_brought_forward()
    with TestCase.captureOnCommitCallbacks(execute=False):
        other.delete()  # documents removed by cascade, before the change log runs
    assert_brought_forward()
    assert run(q="Inkrementtikerho").total == 0


def test_a_swedish_edit_leaves_the_finnish_and_english_documents_and_bitmaps_alone(uusimaa):
    page = make_practice(uusimaa, title="Kielikerho")
    swedish = page.copy_for_translation(Locale.objects.get(language_code="sv"))
    swedish.title = "Språkklubb"
    with TestCase.captureOnCommitCallbacks(execute=True):
        swedish.save_revision().publish()
    untouched = {(d.locale, d.pk, d.version) for d in SearchDocument.objects.filter(page=page)}
    assert {locale for locale, _pk, _version in untouched} == {"fi", "en"}  # English falls back to Finnish
    before = {locale: matrix(locale)[0] for locale in LOCALES}
    swedish.title = "Språkklubben i Esbo"
    with TestCase.captureOnCommitCallbacks(execute=True):
        swedish.save_revision().publish()
    assert {(d.locale, d.pk, d.version) for d in SearchDocument.objects.filter(page=page)} == untouched
    assert SearchDocument.objects.get(translation_key=page.translation_key, locale="sv").title == "Språkklubben i Esbo"
    for locale in ("fi", "en"):
        after, _queries = matrix(locale)
        assert after.version > before[locale].version
        assert after.values is before[locale].values and after.orders is before[locale].orders  # not copied
    assert matrix("sv")[1] == 3
    assert_brought_forward(queries_expected=0)
    assert run("sv", q="Språkklubben").hits[0].title == "Språkklubben i Esbo"


def test_a_large_gap_or_a_forgotten_version_means_a_full_build(uusimaa, monkeypatch):
    matrix()
    monkeypatch.setattr(facet_matrix, "LARGE_GAP", 0)
    make_practice(uusimaa, title="Aukkokerho")
    assert_brought_forward(queries_expected=2)
    monkeypatch.undo()
    with connection.cursor() as cursor:  # the versions the matrices were built at are pruned
        prune_history(cursor, SearchIndexState.objects.get().version)
    make_practice(uusimaa, title="Unohduskerho")
    assert_brought_forward(queries_expected=2)
    make_practice(uusimaa, title="Jatkokerho")
    assert_brought_forward()


def test_one_thread_brings_a_matrix_forward_while_the_others_answer_from_the_previous_one(uusimaa):
    before, _queries = matrix()
    make_practice(uusimaa, title="Lukkokerho")
    lock = facet_matrix._lock("fi")
    with lock:  # another thread is bringing the matrix forward
        during, queries = matrix()
        assert during is before and queries == 0
    after, queries = matrix()
    assert queries == 3 and after.version > before.version
