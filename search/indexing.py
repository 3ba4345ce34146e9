"""Keeping the search index right: documents are rebuilt per translation group.

Whatever happened to a practice (publish, unpublish, edit, move, delete, a translation
published), ``index_group(translation_key)`` recomputes the documents of every language from what
is live now. That one rule replaces a special case per event.

Every write to the index tables also calls ``index_changed()`` in the same transaction: the new
token tells every process that its in-memory facet bitmaps are out of date.
"""

import html
import re
import uuid

from django.conf import settings
from django.db import connection, transaction
from django.utils.html import strip_tags

from practices.collation import sort_key
from practices.models import PracticePage

from .analysis import analyse_text
from .backends.facet_matrix import STATE
from .facets import FACETS, facet_values, value_labels
from .models import SearchDocument, SearchFacetValue, SearchQueueItem, SearchTerm

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
DEFAULT_LANGUAGE = settings.LANGUAGE_CODE
BODY_FIELDS = ("problem", "goals", "core_components", "adaptable_parts", "resources", "results", "feedback",
               "lessons_learned", "transferability")
_SPACE = re.compile(r"\s+")


def plain(markup: str) -> str:
    return _SPACE.sub(" ", html.unescape(strip_tags(markup or "").replace("><", "> <"))).strip()


def _stream_text(raw) -> list[str]:
    """Every piece of text in raw StreamField data (ids, types and numbers are skipped)."""
    if isinstance(raw, str):
        return [plain(raw)]
    if isinstance(raw, list):
        return [text for item in raw for text in _stream_text(item)]
    if isinstance(raw, dict):
        if "type" in raw and "value" in raw:
            return _stream_text(raw["value"])
        return [text for key, value in raw.items() if key not in {"url", "image", "document"}
                for text in _stream_text(value)]
    return []


def _live_practices():
    return (
        PracticePage.objects.live()
        .select_related("locale", "lead_organisation__type")
        .prefetch_related(*PracticePage.PAGE_PREFETCH)
    )


def _load_group(translation_key):
    return list(_live_practices().filter(translation_key=translation_key))


def _meta_text(page, language: str) -> str:
    """Organisation names, municipalities and the taxonomy labels, in the document's language."""
    parts = [page.municipalities]
    if page.lead_organisation:
        parts.append(page.lead_organisation.name)
    parts += [organisation.name for organisation in page.partner_organisations.all()]
    values = facet_values(page)
    for facet in FACETS:
        labels = value_labels(facet, language)
        parts += [labels.get(code, "") for code in values[facet.name]]
    return " ".join(part for part in parts if part)


def build_document(page, locale: str):
    """An unsaved SearchDocument of ``page`` for searching in ``locale``, plus its analysed text."""
    language = page.locale.language_code
    summary = " ".join(part for part in (page.summary, page.plain_summary) if part)
    body = " ".join([*(plain(getattr(page, name)) for name in BODY_FIELDS),
                     *_stream_text(page.model.raw_data)])
    analysed = {
        "title": analyse_text(language, page.title),
        "summary": analyse_text(language, summary),
        "body": analyse_text(language, body),
        "meta": analyse_text(locale, _meta_text(page, locale)),
    }
    extra = set().union(*(text.extra for text in analysed.values()))
    document = SearchDocument(
        page=page, locale=locale, language=language, is_fallback=language != locale,
        translation_key=page.translation_key, url=page.url or "", title=page.title,
        title_sort=sort_key(page.title)[:255], summary=page.summary, body_text=body[:4000],
        first_published_at=page.first_published_at, last_published_at=page.last_published_at,
        facets=facet_values(page),
        title_terms=analysed["title"].positional(), summary_terms=analysed["summary"].positional(),
        body_terms=analysed["body"].positional(), meta_terms=analysed["meta"].positional(),
        extra_terms=" ".join(sorted(extra)),
    )
    vocabulary = {term for text in analysed.values() for term in text.primary} | extra
    return document, vocabulary


def _documents_for_group(pages):
    """(locale, page) pairs: each language gets its own translation, or else the source as fallback."""
    by_language = {page.locale.language_code: page for page in pages}
    if not by_language:
        return []
    source = by_language.get(DEFAULT_LANGUAGE) or next(iter(by_language.values()))
    return [(locale, by_language.get(locale, source)) for locale in LANGUAGE_CODES]


@transaction.atomic
def index_group(translation_key) -> int:
    """Rebuild the documents of one translation group; returns how many documents it has now.
    The index token changes with the deletes (documents_deleted) and the writes (write_documents)."""
    SearchDocument.objects.filter(translation_key=translation_key).delete()  # signals drop full-text rows
    built = [build_document(page, locale) for locale, page in _documents_for_group(_load_group(translation_key))]
    write_documents(built)
    if search_engine_configured():
        SearchQueueItem.objects.update_or_create(translation_key=translation_key)
    return len(built)


def search_engine_configured() -> bool:
    return bool(getattr(settings, "KB_ELASTICSEARCH_URL", ""))


def index_changed():
    """Replace the index token (SearchIndexState) inside the writing transaction."""
    token = uuid.uuid4().hex
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {STATE} SET token = %s WHERE id = 1", [token])
        if cursor.rowcount == 0:
            cursor.execute(f"INSERT INTO {STATE} (id, token) VALUES (1, %s)", [token])


def write_documents(built):
    """Save documents, their facet rows, full-text rows and vocabulary, in bulk."""
    if not built:
        return
    index_changed()
    documents = SearchDocument.objects.bulk_create([document for document, _vocabulary in built])
    if documents[0].pk is None:  # backends that do not return ids from bulk inserts
        keys = [(d.page_id, d.locale) for d in documents]
        ids = {(d.page_id, d.locale): d.pk for d in SearchDocument.objects.filter(
            page_id__in=[k[0] for k in keys])}
        for document in documents:
            document.pk = ids[(document.page_id, document.locale)]
    SearchFacetValue.objects.bulk_create(
        [SearchFacetValue(document=document, locale=document.locale, facet=name, value=code)
         for document in documents for name, codes in document.facets.items() for code in codes],
        batch_size=2000,
    )
    _write_fulltext(documents)
    SearchTerm.objects.bulk_create(
        [SearchTerm(locale=document.locale, term=term[:100])
         for document, (_doc, vocabulary) in zip(documents, built, strict=True) for term in vocabulary],
        ignore_conflicts=True, batch_size=2000,
    )


def _write_fulltext(documents):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.executemany(
                "INSERT INTO search_fts (rowid, title, summary, body, meta, extra) VALUES (%s, %s, %s, %s, %s, %s)",
                [(d.pk, d.title_terms, d.summary_terms, d.body_terms, d.meta_terms, d.extra_terms)
                 for d in documents],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE kb_search_searchdocument SET vector ="
                " setweight(to_tsvector('simple', title_terms), 'A')"
                " || setweight(to_tsvector('simple', summary_terms), 'B')"
                " || setweight(to_tsvector('simple', meta_terms), 'C')"
                " || setweight(to_tsvector('simple', body_terms || ' ' || extra_terms), 'D')"
                " WHERE id = ANY(%s)",
                [[d.pk for d in documents]],
            )


def documents_deleted(document_ids):
    """Documents deleted (also by cascade, e.g. with their page): drop their full-text rows."""
    index_changed()
    if document_ids and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.executemany("DELETE FROM search_fts WHERE rowid = %s", [(pk,) for pk in document_ids])


def clear_index():
    index_changed()
    with connection.cursor() as cursor:  # plain SQL: no per-row signals for a full clear
        for table in ("kb_search_searchfacetvalue", "kb_search_searchdocument", "kb_search_searchterm"):
            cursor.execute(f"DELETE FROM {table}")
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM search_fts")


@transaction.atomic
def rebuild_index(progress=None, chunk=500) -> int:
    """Rebuild every document in one transaction: searches see the old index until it commits."""
    clear_index()
    keys = sorted(set(PracticePage.objects.live().values_list("translation_key", flat=True)))
    made = 0
    for start in range(0, len(keys), chunk):
        batch = keys[start:start + chunk]
        groups = {}
        for page in _live_practices().filter(translation_key__in=batch):
            groups.setdefault(page.translation_key, []).append(page)
        built = [build_document(page, locale) for pages in groups.values()
                 for locale, page in _documents_for_group(pages)]
        write_documents(built)
        made += len(built)
        if progress:
            progress(min(start + chunk, len(keys)), len(keys))
    return made
