"""Keeping the search index right: documents are rebuilt per translation group.

Whatever happened to a practice (publish, unpublish, edit, move, delete, a translation
published), ``index_group(translation_key, version)`` recomputes the documents of every language
from what is live now. That one rule replaces a special case per event, and makes applying a
change idempotent (search.changelog applies the change log with it).

Every transaction that writes the index tables starts with ``index_changed()``: the new token
tells every process that its in-memory facet bitmaps are out of date, and the row lock it takes
serialises index writers, so the version it hands out follows the order in which they read.
"""

import hashlib
import html
import json
import multiprocessing
import multiprocessing.util
import re
import uuid
from collections import Counter, deque
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils.html import strip_tags
from wagtail.models import Page

from practices.collation import sort_key
from practices.models import PracticePage
from practices.models.pages import TERM_RELATIONS, prefetch_partner_organisations, prefetch_terms, related

from .analysis import AnalysedText, analyse_text, surface_words
from .backends.facet_matrix import REMOVALS, STATE, TEXTS, VERSIONS
from .facets import FACETS, adoption_count, facet_values, value_labels, with_adoption_counts
from .models import IndexChange, SearchDocument, SearchFacetValue, SearchText, SearchWord
from .typos import vocabulary_words

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
DEFAULT_LANGUAGE = settings.LANGUAGE_CODE
BODY_FIELDS = ("problem", "goals", "core_components", "adaptable_parts", "resources", "results", "feedback",
               "lessons_learned", "transferability")
_SPACE = re.compile(r"\s+")
# Facets that say nothing about the practice's content: their labels are not searchable words, and an
# adoption does not change what the text matches or how it ranks.
NOT_IN_TEXT = {"adoption"}


def plain(markup: str) -> str:
    if not markup:
        return ""
    return _SPACE.sub(" ", html.unescape(strip_tags(markup or "").replace("><", "> <"))).strip()


def _stream_text(raw) -> list[str]:
    """Every piece of text in raw StreamField data (ids, types and numbers are skipped)."""
    if isinstance(raw, str):
        return [plain(raw)]
    if isinstance(raw, Sequence):  # a list, or the RawDataView of a StreamField
        return [text for item in raw for text in _stream_text(item)]
    if isinstance(raw, dict):
        if "type" in raw and "value" in raw:
            return _stream_text(raw["value"])
        return [text for key, value in raw.items() if key not in {"url", "image", "document"}
                for text in _stream_text(value)]
    return []


def _live_with_lead():
    return PracticePage.objects.live().select_related("locale", "lead_organisation__type")


def live_practices():
    return _live_with_lead().prefetch_related(*PracticePage.PAGE_PREFETCH)


def load_live_practices(**filters) -> list:
    """The live practices matching ``filters`` with everything their documents read: the taxonomy terms
    in one query, the partner organisations in one, the approved adoptions in one. For batches (a group,
    a reindex's chunk); prefetch_related through modelcluster's relations cost some 0.6 ms a page, most
    of a reindex's reads."""
    pages = list(_live_with_lead().filter(**filters))
    prefetch_terms(pages, TERM_RELATIONS)
    prefetch_partner_organisations(pages)
    return with_adoption_counts(pages)


def _load_group(translation_key):
    return load_live_practices(translation_key=translation_key)


class BuildMemo:
    """What ``build_document`` would otherwise compute again for every document of a batch: a page's
    text and its analysis, its facet values (the same for its own document and each fallback made
    from it), and each facet's labels per language (the same for every document in that language).
    One memo per batch of pages, dropped with it; ``value_labels`` keeps its own cache of the
    taxonomy terms (search.facets)."""

    def __init__(self):
        self._values, self._labels, self._texts = {}, {}, {}

    def facet_values(self, page) -> dict[str, list[str]]:
        if page.pk not in self._values:
            self._values[page.pk] = facet_values(page)
        return self._values[page.pk]

    def page_text(self, page) -> "PageText":
        if page.pk not in self._texts:
            self._texts[page.pk] = page_text(page)
        return self._texts[page.pk]

    def labels(self, facet, language: str) -> dict[str, str]:
        if (facet.name, language) not in self._labels:
            self._labels[(facet.name, language)] = value_labels(facet, language)
        return self._labels[(facet.name, language)]


def _meta_text(page, language: str, memo: BuildMemo | None = None) -> str:
    """Organisation names, municipalities and the taxonomy labels, in the document's language."""
    memo = memo or BuildMemo()
    parts = [page.municipalities]
    if page.lead_organisation:
        parts.append(page.lead_organisation.name)
    parts += [organisation.name for organisation in related(page, "partner_organisations")]
    values = memo.facet_values(page)
    for facet in FACETS:
        if facet.name in NOT_IN_TEXT:
            continue
        labels = memo.labels(facet, language)
        parts += [labels.get(code, "") for code in values[facet.name]]
    return " ".join(part for part in parts if part)


def document_url(page, locale: str, region_urls: dict) -> str:
    """Where a hit leads: the page itself, or for a practice shown in a language it lacks, its URL below
    that language's region page (the interface in the visitor's language, the text in the original:
    see RegionPage.practice_for_slug). ``region_urls`` memoises (parent path, locale) -> URL for a batch."""
    if page.locale.language_code == locale:
        return page.url or ""
    parent_path = page.path[:-Page.steplen]
    if (parent_path, locale) not in region_urls:
        parent = Page.objects.filter(path=parent_path).values("translation_key")
        region_page = Page.objects.live().filter(translation_key__in=parent, locale__language_code=locale).first()
        region_urls[(parent_path, locale)] = region_page.url if region_page is not None else None
    region_url = region_urls[(parent_path, locale)]
    return f"{region_url}{page.slug}/" if region_url else page.url or ""


def prefetch_region_urls(pairs, region_urls: dict):
    """Fill ``region_urls`` (see ``document_url``) for every (page, locale) of a batch in two queries,
    instead of two per region and language: the region pages under which each page's fallbacks live."""
    wanted = {(page.path[:-Page.steplen], locale) for page, locale in pairs
              if page.locale.language_code != locale} - region_urls.keys()
    if not wanted:
        return
    parent_keys = dict(Page.objects.filter(path__in={path for path, _locale in wanted})
                       .values_list("path", "translation_key"))
    candidates = (Page.objects.live().select_related("locale")
                  .filter(translation_key__in=set(parent_keys.values()),
                          locale__language_code__in={locale for _path, locale in wanted}))
    first = {}  # as document_url's .first(): the queryset's own order, else the primary key
    for region_page in candidates if candidates.ordered else candidates.order_by("pk"):
        first.setdefault((region_page.translation_key, region_page.locale.language_code), region_page)
    for path, locale in wanted:
        region_page = first.get((parent_keys.get(path), locale))
        region_urls[(path, locale)] = region_page.url if region_page is not None else None


@dataclass(frozen=True)
class PageText:
    """What a page's documents in every language share: its own text, analysed in its own language."""
    summary: str
    body: str
    title_terms: AnalysedText
    summary_terms: AnalysedText
    body_terms: AnalysedText
    surface_terms: str
    vocabulary: frozenset  # of the title, summary and body (a document adds its meta text's words)


def page_text(page) -> PageText:
    language = page.locale.language_code
    summary = " ".join(part for part in (page.summary, page.plain_summary) if part)
    body = " ".join([*(plain(getattr(page, name)) for name in BODY_FIELDS),
                     *_stream_text(page.model.raw_data)])
    return PageText(
        summary=summary, body=body, title_terms=analyse_text(language, page.title),
        summary_terms=analyse_text(language, summary), body_terms=analyse_text(language, body),
        surface_terms=surface_words(f"{page.title} {summary}"),
        vocabulary=frozenset(vocabulary_words(page.title, summary, body)),
    )


def build_document(page, locale: str, region_urls: dict, memo: BuildMemo | None = None) -> SearchDocument:
    """An unsaved SearchDocument of ``page`` for searching in ``locale``. ``memo``: shared by the
    documents of one batch (see BuildMemo)."""
    memo = memo or BuildMemo()
    language = page.locale.language_code
    text = memo.page_text(page)  # the same for the page's own document and its fallbacks
    meta = _meta_text(page, locale, memo)
    meta_terms = analyse_text(locale, meta)
    extra = set().union(text.title_terms.extra, text.summary_terms.extra, text.body_terms.extra, meta_terms.extra)
    document = SearchDocument(
        page=page, locale=locale, language=language, is_fallback=language != locale,
        translation_key=page.translation_key, url=document_url(page, locale, region_urls), title=page.title,
        title_sort=sort_key(page.title)[:255], summary=page.summary, body_text=text.body[:4000],
        first_published_at=page.first_published_at, last_published_at=page.last_published_at,
        facets={name: list(codes) for name, codes in memo.facet_values(page).items()},
        title_terms=text.title_terms.positional(), summary_terms=text.summary_terms.positional(),
        body_terms=text.body_terms.positional(), meta_terms=meta_terms.positional(),
        extra_terms=" ".join(sorted(extra)), surface_terms=text.surface_terms,
        adoption_count=adoption_count(page),
    )
    # Typo correction suggests words as written, not analysed terms (a stem is no word to show).
    document.vocabulary = " ".join(sorted(text.vocabulary | vocabulary_words(meta)))
    document.fingerprint = fingerprint(document)
    return document


FINGERPRINTED = [field.attname for field in SearchDocument._meta.concrete_fields
                 if field.attname not in {"id", "version", "fingerprint"}]


def fingerprint(document) -> str:
    """A hash of what writing ``document`` stores: its fields (its facet rows come from ``facets``, its
    words' counts from ``vocabulary``)."""
    content = [getattr(document, name) for name in FINGERPRINTED]
    encoded = json.dumps(content, default=str, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def documents_for_group(pages):
    """(locale, page) pairs: each language gets its own translation, or else the source as fallback."""
    by_language = {page.locale.language_code: page for page in pages}
    if not by_language:
        return []
    source = by_language.get(DEFAULT_LANGUAGE) or next(iter(by_language.values()))
    return [(locale, by_language.get(locale, source)) for locale in LANGUAGE_CODES]


def index_group(translation_key, version: int) -> int:
    """Recompute the documents of one translation group, inside the caller's transaction (which
    began with ``index_changed()``); returns how many documents the group has now. A document
    that comes out the same stays as it is, with its id and version: a Swedish edit leaves the
    Finnish and English documents, their facet bitmaps and Elasticsearch's copies alone."""
    built = build_documents(documents_for_group(_load_group(translation_key)), {})
    stored = dict(SearchDocument.objects.filter(translation_key=translation_key).values_list("locale", "fingerprint"))
    unchanged = {document.locale for document in built if stored.get(document.locale) == document.fingerprint}
    replace_documents(SearchDocument.objects.filter(translation_key=translation_key).exclude(locale__in=unchanged),
                      [document for document in built if document.locale not in unchanged], version)
    return len(built)


def build_documents(pairs, region_urls: dict) -> list:
    """``build_document`` for every (locale, page) of a batch, sharing what they have in common: the
    region URLs read in one go, each page's facet values and each language's labels computed once."""
    pairs = list(pairs)
    prefetch_region_urls([(page, locale) for locale, page in pairs], region_urls)
    memo = BuildMemo()
    return [build_document(page, locale, region_urls, memo) for locale, page in pairs]


def search_engine_configured() -> bool:
    return bool(getattr(settings, "KB_ELASTICSEARCH_URL", ""))


def index_changed() -> int:
    """Replace the index token (SearchIndexState) and return the next index version. The row stays
    locked until the writing transaction ends."""
    token = uuid.uuid4().hex
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {STATE} SET token = %s, version = version + 1 WHERE id = 1 RETURNING version",
                       [token])
        row = cursor.fetchone()
        version = 1
        if row is None:
            cursor.execute(f"INSERT INTO {STATE} (id, token, version) VALUES (1, %s, 1)", [token])
        else:
            version = row[0]
        cursor.execute(f"INSERT INTO {VERSIONS} (version, token) VALUES (%s, %s)", [version, token])
        if version % PRUNE_EVERY == 0:
            prune_history(cursor, version - KEEP_VERSIONS)
        return version


def labels_changed():
    """A taxonomy term changed: a new index version (the facet bitmaps carry the labels token they
    read) and a new labels token, so every process reloads its cached labels."""
    index_changed()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {STATE} SET labels_token = %s WHERE id = 1", [uuid.uuid4().hex])


# The tokens of the latest versions and the documents removed under them: what a process needs to
# bring its facet bitmaps forward by applying the changes (search.backends.facet_matrix). A process
# further behind rebuilds them.
KEEP_VERSIONS = 2000
PRUNE_EVERY = 100


def prune_history(cursor, through: int):
    """Forget the versions up to ``through`` and the documents removed under them."""
    cursor.execute(f"DELETE FROM {REMOVALS} WHERE version <= %s", [through])
    cursor.execute(f"DELETE FROM {VERSIONS} WHERE version <= %s", [through])


def raise_version(at_least: int):
    """Make the next index version greater than ``at_least``."""
    largest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {STATE} SET version = {largest}(version, %s) WHERE id = 1", [at_least])


def index_version() -> int:
    """The version of the latest index write (0 before any)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {STATE} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def replace_documents(old, built: list, version: int):
    """Delete the documents of the queryset ``old`` and write ``built`` (unsaved documents) in their
    place, inside the caller's transaction (which began with ``index_changed()``). The vocabulary's
    counts change by the difference only: rewriting a document with the same words writes none."""
    words = _delete_documents(old)
    words.update(_write_documents(built, version))
    count_words(words)


def delete_documents(documents):
    """Delete documents with their facet and full-text rows and count their words out."""
    count_words(_delete_documents(documents))


def _write_documents(documents: list, version: int) -> Counter:
    """Save documents, their facet rows and full-text rows, in bulk; returns their words as counts to
    add, per (locale, word)."""
    if not documents:
        return Counter()
    for document, pk in zip(documents, _reserve_ids(len(documents)), strict=True):
        document.pk, document.version = pk, version
    # Plain rows, not model instances: the ORM's bulk_create compiled every field of every document, and a
    # document has some 15 facet rows.
    columns = [field.column for field in DOCUMENT_COLUMNS]
    rows = [[field.get_db_prep_save(getattr(document, field.attname), connection) for field in DOCUMENT_COLUMNS]
            for document in documents]
    _insert_rows(SearchDocument, columns, rows)
    if connection.vendor == "postgresql":
        _insert_text(documents)
    else:
        _insert_fts(documents)
    _insert_rows(SearchFacetValue, ("document_id", "locale", "facet", "value"),
                 [(document.pk, document.locale, name, code)
                  for document in documents for name, codes in document.facets.items() for code in codes])
    return word_counts((document.locale, document.vocabulary) for document in documents)


DOCUMENT_COLUMNS = SearchDocument._meta.concrete_fields
# PostgreSQL's full-text vector of a document, from its analysed terms (title, summary, body, then the
# meta and extra terms: SQL for each in the braces), weighted A to D for ranking.
VECTOR = ("setweight(to_tsvector('simple', {}), 'A') || setweight(to_tsvector('simple', {}), 'B')"
          " || setweight(to_tsvector('simple', {}), 'C') || setweight(to_tsvector('simple', {}), 'D')")


def _reserve_ids(count: int) -> list[int]:
    """Ids for ``count`` new documents, inside the index writer's transaction."""
    table = SearchDocument._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                           [table, count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the transaction holds the database's write lock since index_changed(), so no one else
        # takes ids meanwhile; AUTOINCREMENT's sequence (ids never reused) moves past them on insert.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        first = (row[0] if row else 0) + 1
        return list(range(first, first + count))


def word_counts(documents, sign: int = 1) -> Counter:
    """(locale, word) -> ``sign`` times the number of documents with the word, from (locale, vocabulary)
    pairs."""
    counts = Counter()
    for locale, vocabulary in documents:
        counts.update((locale, word) for word in vocabulary.split())
    if sign != 1:
        for key in counts:
            counts[key] *= sign
    return counts


def count_words(change: Counter):
    """Add ``change`` ((locale, word) -> documents, negative for documents deleted) to the vocabulary's
    counts, and delete the words no document has any more. In the order of the words, so that two
    writers could never wait on each other's rows (they are serialised by ``index_changed`` anyway)."""
    rows = sorted((locale, word, count) for (locale, word), count in change.items() if count)
    if not rows:
        return
    table = connection.ops.quote_name(SearchWord._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_INSERT):
            part = rows[start:start + ROWS_PER_INSERT]
            cursor.execute(f"INSERT INTO {table} (locale, word, documents)"
                           f" VALUES {', '.join(['(%s, %s, %s)'] * len(part))}"
                           f" ON CONFLICT (locale, word)"
                           f" DO UPDATE SET documents = {table}.documents + excluded.documents",
                           [value for row in part for value in row])
        gone = [(locale, word) for locale, word, count in rows if count < 0]
        if gone:
            cursor.executemany(f"DELETE FROM {table} WHERE locale = %s AND word = %s AND documents <= 0", gone)


ROWS_PER_INSERT = 1000  # PostgreSQL: rows per multi-row upsert (at most 65,535 parameters a statement)


def _insert_rows(model, columns, rows: list):
    """INSERT ``rows`` (sequences in the order of ``columns``) into the model's table: one prepared
    statement run over all rows on SQLite (executemany loops in C), one statement of arrays on
    PostgreSQL (``_insert_arrays``)."""
    if not rows:
        return
    table, names = connection.ops.quote_name(model._meta.db_table), ", ".join(columns)
    if connection.vendor == "postgresql":
        types = _column_types(model)
        _insert_arrays(f"INSERT INTO {table} ({names}) SELECT *", [types[column] for column in columns], rows)
        return
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows)


def _column_types(model) -> dict:
    return {field.column: field.db_type(connection) for field in model._meta.concrete_fields}


def _insert_arrays(insert: str, types: list, rows: list):
    """PostgreSQL: ``insert`` (an INSERT … SELECT over the inputs r1, r2, … of ``types``) from the rows
    passed as one array per input and unnested: a parameter per column, whatever the number of rows.
    With a placeholder per value (multi-row VALUES) psycopg spent about a third of a reindex's writing
    process finding the placeholders in the statements (see docs/search.md)."""
    inputs = ", ".join(f"r{number}" for number in range(1, len(types) + 1))
    arrays = ", ".join(f"%s::{kind}[]" for kind in types)
    columns = [list(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(f"{insert} FROM unnest({arrays}) AS given ({inputs})", columns)


def _insert_text(documents):
    """PostgreSQL: the documents' SearchText rows, the vector computed in the INSERT from the terms."""
    types = _column_types(SearchText)
    _insert_arrays(f"INSERT INTO {TEXTS} (id, locale, last_published_at, surface_terms, vector)"
                   f" SELECT r1, r2, r3, r4, {VECTOR.format('r5', 'r6', 'r7', 'r8')}",
                   [types["id"], types["locale"], types["last_published_at"], types["surface_terms"], *["text"] * 4],
                   [(d.pk, d.locale, d.last_published_at, d.surface_terms, d.title_terms, d.summary_terms,
                     d.body_terms, f"{d.meta_terms} {d.extra_terms}") for d in documents])


def fulltext_table() -> tuple[str, str]:
    """The table of the documents' full-text rows and its column of the document's id."""
    return ("search_fts", "rowid") if connection.vendor == "sqlite" else (TEXTS, "id")


def _insert_fts(documents):
    """SQLite: the documents' rows of the FTS5 table (their rowid is the document's id)."""
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO search_fts (rowid, title, summary, body, meta, extra) VALUES (%s, %s, %s, %s, %s, %s)",
            [(d.pk, d.title_terms, d.summary_terms, d.body_terms, d.meta_terms, d.extra_terms) for d in documents],
        )


def _delete_documents(documents) -> Counter:
    """Delete documents with their facet and full-text rows (no per-row signals), noting them as
    removed under the current index version; returns their words as counts to take away."""
    rows = list(documents.values_list("pk", "locale", "vocabulary"))
    ids = [pk for pk, _locale, _vocabulary in rows]
    text_table, text_key = fulltext_table()
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"INSERT INTO {REMOVALS} (document_id, locale, version)"
                           f" SELECT id, locale, (SELECT version FROM {STATE} WHERE id = 1)"
                           f" FROM kb_search_searchdocument WHERE id IN ({marks})", chunk)
            cursor.execute(f"DELETE FROM kb_search_searchfacetvalue WHERE document_id IN ({marks})", chunk)
            cursor.execute(f"DELETE FROM {text_table} WHERE {text_key} IN ({marks})", chunk)
            cursor.execute(f"DELETE FROM kb_search_searchdocument WHERE id IN ({marks})", chunk)
    return word_counts(((locale, vocabulary) for _pk, locale, vocabulary in rows), sign=-1)


def recount_words():
    """Count the vocabulary again from the documents' words (check_index --repair)."""
    with transaction.atomic():
        index_changed()  # serialises with the other index writers
        SearchWord.objects.all().delete()
        count_words(word_counts(SearchDocument.objects.values_list("locale", "vocabulary").iterator()))


def documents_deleted(documents):
    """SearchDocuments deleted by cascade with their page: note them as removed, drop their
    full-text rows, count their words out."""
    version = index_changed()
    count_words(word_counts(((document.locale, document.vocabulary) for document in documents), sign=-1))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {REMOVALS} (document_id, locale, version) VALUES (%s, %s, %s)",
                           [(document.pk, document.locale, version) for document in documents])
        if connection.vendor == "sqlite":  # PostgreSQL's SearchText rows go with the documents' cascade
            cursor.executemany("DELETE FROM search_fts WHERE rowid = %s", [(document.pk,) for document in documents])


def indexed_keys() -> set:
    """Every translation group that is live or still has documents."""
    return (set(PracticePage.objects.live().values_list("translation_key", flat=True))
            | set(SearchDocument.objects.values_list("translation_key", flat=True).distinct()))


def rebuild_index(progress=None, chunk=100, report=None, workers=1) -> int:
    """Recompute every group, a chunk of groups per short transaction: publishing and applying the
    change log go on meanwhile (each waits for one chunk at most), and a search sees each group
    either before or after, never half. Returns the number of documents. After each chunk,
    ``progress(groups done, groups)`` and ``report(groups done, groups, documents written)``.
    ``workers`` > 1: that many processes read the pages and build the documents of the next chunks
    while this one writes (see ``_parallel_builds``)."""
    keys = sorted(indexed_keys(), key=str)
    batches = [keys[start:start + chunk] for start in range(0, len(keys), chunk)]
    made, done, region_urls = 0, 0, {}
    with _parallel_builds(workers) as prebuilt, _fewer_checkpoints():
        for batch, built in prebuilt(batches):
            made += _rebuild_chunk(batch, region_urls, built)
            done += len(batch)
            if progress:
                progress(done, len(keys))
            if report:
                report(done, len(keys), made)
    return made


@dataclass
class Prebuilt:
    """A chunk's documents built outside the index lock, and the index version before their pages
    were read. A group of the chunk written or applied from the change log after that version may
    have been read later than these pages: it is read and built again under the chunk's lock."""
    version: int
    documents: list


def _written_since(batch, version: int) -> set:
    """The groups of ``batch`` whose documents were written, or whose changes were applied, after
    ``version`` (applied changes stay in the log meanwhile: the rebuild's IndexRebuild marker)."""
    return (set(SearchDocument.objects.filter(translation_key__in=batch, version__gt=version)
                .values_list("translation_key", flat=True))
            | set(IndexChange.objects.filter(translation_key__in=batch, version__gt=version)
                  .values_list("translation_key", flat=True)))


def _build_groups(keys, region_urls: dict) -> list:
    groups = {}
    for page in load_live_practices(translation_key__in=keys):
        groups.setdefault(page.translation_key, []).append(page)
    return build_documents([pair for pages in groups.values() for pair in documents_for_group(pages)], region_urls)


_builder_region_urls = {}  # a builder process's memo of region URLs (see document_url), for all its chunks


def _prebuild(batch) -> Prebuilt:
    """In a builder process: the index version, then the pages."""
    version = index_version()
    documents = _build_groups(batch, _builder_region_urls)
    for document in documents:
        document._state.fields_cache.clear()  # the page with its relations: the writer needs page_id only
    return Prebuilt(version, documents)


def _builder_started():
    # Close the builder's connections as it exits, so the database sees a clean goodbye.
    multiprocessing.util.Finalize(None, connections.close_all, exitpriority=10)


@contextmanager
def _parallel_builds(workers: int):
    """A function from the chunks to (chunk, Prebuilt or None): with ``workers`` builder processes,
    each chunk's documents built ahead (at most ``workers`` + 1 chunks in memory); otherwise None,
    each chunk read under its lock. Serial inside a caller's transaction (tests) and on an in-memory
    SQLite database, which other processes cannot see."""
    if (workers <= 1 or connection.in_atomic_block
            or (connection.vendor == "sqlite" and connection.is_in_memory_db())):
        yield lambda batches: ((batch, None) for batch in batches)
        return
    # The builders are forked without the parent's connections (a child closing an inherited
    # PostgreSQL socket would end the parent's session); the pool forks them all at once.
    from . import changelog, lexicon

    marker = changelog.start_rebuild()  # keeps the changes applied meanwhile, for _written_since
    try:  # the marker goes whatever fails, even forking the builders
        for language in LANGUAGE_CODES:  # loaded once here and inherited, not once per builder (seconds each)
            lexicon.word_forms(language)
        connections.close_all()
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_builder_started)

        def prebuilt(batches):
            pending = deque()
            for batch in batches:
                pending.append((batch, pool.apply_async(_prebuild, (batch,))))
                if len(pending) > workers:
                    batch, result = pending.popleft()
                    yield batch, result.get()
                    changelog.rebuild_alive(marker)
            while pending:
                batch, result = pending.popleft()
                yield batch, result.get()

        try:
            yield prebuilt
            pool.close()  # the builders exit when idle, closing their connections
        except BaseException:
            pool.terminate()  # chunks still being built are dropped with the failed rebuild
            raise
        finally:
            pool.join()
    finally:
        changelog.end_rebuild(marker)


@contextmanager
def _fewer_checkpoints(pages=50_000):
    """SQLite: let the write-ahead log grow to ``pages`` (200 MB) before it is copied into the
    database, instead of after every chunk (1,000 pages): each index page is then written back
    once for many chunks, not once per chunk (a reindex took 15 % less time, 4,500 documents on
    2 cores). Checkpointed in full at the end. Not inside a caller's transaction (tests): SQLite
    cannot checkpoint there."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(before)}")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _rebuild_chunk(batch, region_urls: dict, prebuilt: Prebuilt | None = None) -> int:
    """Recompute the groups of ``batch`` in one transaction; returns the documents written. The
    groups of ``prebuilt`` whose documents are as they were when it was read keep its documents."""
    with transaction.atomic():
        version = index_changed()
        built, again = [], set(batch)
        if prebuilt is not None:
            again = _written_since(batch, prebuilt.version)
            built = [document for document in prebuilt.documents if document.translation_key not in again]
        if again:
            built += _build_groups(again, region_urls)
        replace_documents(SearchDocument.objects.filter(translation_key__in=batch), built, version)
    return len(built)
