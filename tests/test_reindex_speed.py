"""A fast reindex writes the same index: rebuild_index (a batch of groups at a time, pages and their
related rows, region URLs and labels read once per batch, rows inserted without model instances, the
vocabulary counted in bulk) against a reference that loads each group through prefetch_related,
builds every document on its own and saves every row through the ORM, compared row by row."""

import io
import unicodedata

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from wagtail.models import Locale

from practices.models import PracticePage
from practices.translation import translate_page
from search import indexing
from search.analysis import KEEP_MARKS, fold
from search.facets import with_adoption_counts
from search.models import SearchDocument, SearchFacetValue, SearchText, SearchWord

from .factories import make_practice

pytestmark = pytest.mark.django_db
DOCUMENT_FIELDS = [field.attname for field in SearchDocument._meta.fields if field.attname not in {"id", "version"}]


def snapshot() -> dict:
    """Everything the index holds, keyed by (page, locale) rather than by row ids."""
    documents = {(row["page_id"], row["locale"]): row for row in SearchDocument.objects.values(*DOCUMENT_FIELDS)}
    facets = sorted(SearchFacetValue.objects.values_list("document__page_id", "document__locale", "locale", "facet",
                                                         "value"))
    words = sorted(SearchWord.objects.values_list("locale", "word", "documents"))
    fulltext = []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT d.page_id, d.locale, f.title, f.summary, f.body, f.meta, f.extra"
                           " FROM search_fts f JOIN kb_search_searchdocument d ON d.id = f.rowid")
            fulltext = sorted(cursor.fetchall())
            cursor.execute("SELECT COUNT(*) FROM search_fts")
            assert cursor.fetchone()[0] == len(fulltext)  # no row without its document
    else:
        fulltext = sorted((row["document__page_id"], row["document__locale"], row["locale"], row["last_published_at"],
                           row["surface_terms"], str(row["vector"]))
                          for row in SearchText.objects.values("document__page_id", "document__locale", "locale",
                                                               "last_published_at", "surface_terms", "vector"))
        assert SearchDocument.objects.count() == len(fulltext)  # every document has its row
    return {"documents": documents, "facets": facets, "words": words, "fulltext": fulltext}


def reference_write(built, version):
    """The index rows as the ORM saves them, one model instance per row (as before the bulk writes)."""
    for document in built:
        document.version = version
        document.save()
        SearchFacetValue.objects.bulk_create(
            [SearchFacetValue(document=document, locale=document.locale, facet=name, value=code)
             for name, codes in document.facets.items() for code in codes])
        for word in document.vocabulary.split():
            counted, _created = SearchWord.objects.get_or_create(locale=document.locale, word=word,
                                                                 defaults={"documents": 0})
            SearchWord.objects.filter(pk=counted.pk).update(documents=F("documents") + 1)
        write_fulltext(document)


def write_fulltext(document):
    """The document's full-text row (SQLite) or vector (PostgreSQL), after it was saved."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO search_fts (rowid, title, summary, body, meta, extra)"
                           " VALUES (%s, %s, %s, %s, %s, %s)",
                           [document.pk, document.title_terms, document.summary_terms, document.body_terms,
                            document.meta_terms, document.extra_terms])
        else:
            cursor.execute("INSERT INTO kb_search_searchtext (id, locale, last_published_at, surface_terms, vector)"
                           " SELECT id, locale, last_published_at, surface_terms,"
                           " setweight(to_tsvector('simple', title_terms), 'A')"
                           " || setweight(to_tsvector('simple', summary_terms), 'B')"
                           " || setweight(to_tsvector('simple', body_terms), 'C')"
                           " || setweight(to_tsvector('simple', meta_terms || ' ' || extra_terms), 'D')"
                           " FROM kb_search_searchdocument WHERE id = %s", [document.pk])


def reference_load(key):
    """A group's live pages through Django's prefetch_related (not the batch loader)."""
    return with_adoption_counts(indexing.live_practices().filter(translation_key=key))


def reference_rebuild():
    """Every group alone, every document alone: no batch, no shared region URLs or labels, the
    vocabulary counted from nothing, a word at a time."""
    keys = sorted(indexing.indexed_keys(), key=str)
    with transaction.atomic():
        indexing.index_changed()
        indexing.delete_documents(SearchDocument.objects.all())
        SearchWord.objects.all().delete()
    for key in keys:
        with transaction.atomic():
            version = indexing.index_changed()
            built = [indexing.build_document(page, locale, {})
                     for locale, page in indexing.documents_for_group(reference_load(key))]
            reference_write(built, version)


@pytest.fixture
def varied_practices(uusimaa, pirkanmaa):
    """Beyond the demo content: fallbacks under two regions, a translation, accents and compounds."""
    make_practice(uusimaa, title="Äidinkielen kerho Ümit'lle", regions=("01", "06"), themes=("language", "work"),
                  summary="Café-ilta: naisten ompelu- ja kieliryhmässä, perhekerhotoiminnassa.")
    page = make_practice(pirkanmaa, title="Läksykerho", regions=("06",), municipalities="Tampere, Nokia")
    with TestCase.captureOnCommitCallbacks(execute=True):  # publishing runs on commit
        translate_page(page, "sv", PracticePage(title="Läxklubb för nyanlända", slug="laxklubb",
                                                summary="Lågtröskelfotboll och kaféer.", problem=page.problem,
                                                model=page.model, links=page.links))
    assert PracticePage.objects.get(translation_key=page.translation_key,
                                    locale=Locale.objects.get(language_code="sv")).live


def test_a_rebuild_writes_what_building_each_document_alone_writes(varied_practices):
    reference_rebuild()
    expected = snapshot()
    assert expected["documents"] and expected["facets"] and expected["words"]
    assert any(row["is_fallback"] for row in expected["documents"].values())
    assert any(not row["is_fallback"] and row["locale"] == "sv" for row in expected["documents"].values())

    made = indexing.rebuild_index(chunk=7)  # batches that split the groups unevenly

    assert made == len(expected["documents"])
    found = snapshot()
    for part in ("facets", "words", "fulltext"):
        assert found[part] == expected[part], part
    for key, row in expected["documents"].items():
        assert found["documents"].get(key) == row, key
    assert found["documents"].keys() == expected["documents"].keys()


def test_one_group_is_indexed_as_in_a_rebuild(varied_practices):
    indexing.rebuild_index()
    expected = snapshot()
    with transaction.atomic():
        for key in indexing.indexed_keys():
            indexing.index_group(key, indexing.index_changed())
    assert snapshot() == expected


def test_a_rebuild_reads_per_batch_not_per_group(varied_practices):
    """The reads of a batch do not grow with its groups: region URLs, adoption counts and the related
    rows are read once for the batch (the row INSERTs grow with the rows, on PostgreSQL)."""
    groups = len(indexing.indexed_keys())
    indexing.rebuild_index()  # the labels and the site's root paths are cached after a first run

    def reads(queries):
        return [query["sql"] for query in queries if query["sql"].lstrip().upper().startswith("SELECT")]

    with CaptureQueriesContext(connection) as one_batch:
        indexing.rebuild_index(chunk=groups)
    with CaptureQueriesContext(connection) as batches_of_ten:
        indexing.rebuild_index(chunk=10)
    batches = -(-groups // 10)
    assert groups > 30
    assert len(reads(one_batch)) <= 20, "\n".join(sql[:150] for sql in reads(one_batch))
    assert len(reads(batches_of_ten)) <= 2 + batches * (len(reads(one_batch)) - 2)


@pytest.mark.parametrize("text", [
    "Kielikahvila", "ÄITI ja Öljy", "Åbo", "kafé Crème brûlée", "ﬁnanssi", "Ångström Ⅻ", "naïve Zoë", "e\u0301",
    "a" * 60 + "é", "東京", "İstanbul", "",
])
def test_fold_is_the_plain_character_by_character_fold(text):
    def plain_fold(value):
        out = []
        for char in unicodedata.normalize("NFC", value):
            if char in KEEP_MARKS:
                out.append(char.lower())
            else:
                decomposed = unicodedata.normalize("NFKD", char)
                out.append("".join(c for c in decomposed if not unicodedata.combining(c)).lower())
        return "".join(out)

    assert fold(text) == plain_fold(text)
    assert fold(text) == plain_fold(text)  # the cached answer too


def test_reindex_shows_documents_per_second_and_time_left():
    err, out = io.StringIO(), io.StringIO()
    call_command("reindex", stdout=out, stderr=err)
    documents = SearchDocument.objects.count()
    assert f"{documents:,} documents" in out.getvalue()
    assert "documents/s" in out.getvalue()
    assert "documents/s" in err.getvalue() and "left" in err.getvalue()


def test_reindex_elasticsearch_only_needs_elasticsearch(settings):
    settings.KB_ELASTICSEARCH_URL = ""
    with pytest.raises(CommandError, match="no Elasticsearch is configured"):
        call_command("reindex", "--elasticsearch-only", stdout=io.StringIO(), stderr=io.StringIO())
