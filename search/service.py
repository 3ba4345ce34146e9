"""The search service: one code path for the HTML page, the JSON API and the benchmarks.

``search(request)`` picks the backend (Elasticsearch when configured and answering, else the
database), retries with corrected words when nothing matched, and returns hits with highlighted
snippets, the exact total and every facet's disjunctive buckets with labels.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings

from .analysis import analyzer_name
from .backends.base import BackendUnavailable, RawResult
from .backends.database import DatabaseBackend
from .facets import FACETS, value_labels
from .highlight import snippet
from .models import SearchDocument
from .query import ParsedQuery, SearchRequest, parse_query

logger = logging.getLogger(__name__)
# What a hit shows: the analysed terms and the vector stay in the database.
HIT_FIELDS = ("page_id", "url", "title", "summary", "body_text", "language", "is_fallback", "facets",
              "first_published_at", "last_published_at")


@dataclass
class Hit:
    id: int  # page id
    url: str
    title: str
    summary: str
    snippet: str
    language: str
    is_fallback: bool
    facets: dict
    first_published_at: object
    last_published_at: object


@dataclass
class Bucket:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    request: SearchRequest
    total: int
    hits: list[Hit]
    facets: dict[str, list[Bucket]]
    totals_without: dict[str, int]
    backend: str
    degraded: bool = False  # Elasticsearch failed; the database answered
    corrections: dict[str, str] = field(default_factory=dict)  # typed word -> corrected term
    requests: int = 0
    analyzer: str = ""

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.request.page_size))


def _engine():
    if getattr(settings, "KB_ELASTICSEARCH_URL", ""):
        from .backends.elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend.from_settings()
    return None


def _run(request: SearchRequest, parsed: ParsedQuery):
    """(raw result, backend name, degraded): Elasticsearch when configured, else or on failure the database."""
    engine, degraded = _engine(), False
    if engine is not None:
        try:
            return engine.search(request, parsed), engine.name, False
        except BackendUnavailable as error:
            logger.warning("Elasticsearch unavailable, searching the database instead: %s", error)
            degraded = True
    backend = DatabaseBackend()
    return backend.search(request, parsed), backend.name, degraded


def _corrected(request: SearchRequest, parsed: ParsedQuery):
    """The query with unknown words replaced by close vocabulary terms (typo tolerance)."""
    backend, corrections, words = DatabaseBackend(), {}, []
    for word in parsed.words:
        similar = [term for alternative in word[:1] for term in backend.similar_terms(request.locale, alternative)]
        if similar:
            corrections[word[0]] = similar[0]
            words.append(tuple(dict.fromkeys(word + tuple(similar))))
        else:
            words.append(word)
    return ParsedQuery(words=words, phrases=parsed.phrases, operator=parsed.operator), corrections


def search(request: SearchRequest) -> SearchResult:
    parsed = parse_query(request.locale, request.text, request.operator)
    raw, backend, degraded = _run(request, parsed)
    requests = raw.requests
    corrections = {}
    if raw.total == 0 and parsed.words:
        corrected, corrections = _corrected(request, parsed)
        if corrections:
            raw, backend, degraded = _run(request, corrected)
            requests += raw.requests
            parsed = corrected
    return SearchResult(
        request=request, total=raw.total, hits=_hits(raw, parsed, request), facets=_buckets(raw, request),
        totals_without=raw.totals_without, backend=backend, degraded=degraded, corrections=corrections,
        requests=requests + (raw.documents is None), analyzer=analyzer_name(request.locale),
    )


def _hits(raw: RawResult, parsed: ParsedQuery, request: SearchRequest) -> list[Hit]:
    if raw.documents is not None:
        documents = {document.pk: document for document in raw.documents}
    else:
        documents = SearchDocument.objects.only(*HIT_FIELDS).in_bulk(raw.ids)
    wanted = {term for word in parsed.words for term in word} | {t for phrase in parsed.phrases for t in phrase}
    hits = []
    for pk in raw.ids:
        document = documents.get(pk)
        if document is None:  # removed since the engine answered
            continue
        text = document.body_text if wanted else document.summary
        best = snippet(document.summary, document.language, wanted)
        if wanted and "<mark>" not in best:
            best = snippet(text, document.language, wanted)
        hits.append(Hit(
            id=document.page_id, url=document.url, title=document.title, summary=document.summary,
            snippet=best, language=document.language, is_fallback=document.is_fallback,
            facets=document.facets, first_published_at=document.first_published_at,
            last_published_at=document.last_published_at,
        ))
    return hits


def _buckets(raw: RawResult, request: SearchRequest) -> dict[str, list[Bucket]]:
    """Every value with matches, plus selected values even at zero; most matches first."""
    facets = {}
    for facet in FACETS:
        labels = value_labels(facet, request.locale)
        counts = raw.counts.get(facet.name, {})
        selected = set(request.selected(facet.name))
        order = {code: position for position, code in enumerate(labels)}
        values = [code for code in labels if counts.get(code) or code in selected]
        values.sort(key=lambda code: (-counts.get(code, 0), order[code]))
        facets[facet.name] = [
            Bucket(value=code, label=labels[code], count=counts.get(code, 0), selected=code in selected)
            for code in values
        ]
    return facets
