"""The in-process facet bitmaps (search.backends.facet_matrix): exact orders, and never stale after
a write in this process, a write by another process, or a rolled-back write."""

import uuid

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test import TestCase

from search.backends.facet_matrix import matrix_for
from search.indexing import index_changed
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
    first, _built = matrix()
    again, rebuilt = matrix()
    assert again is first and not rebuilt


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
