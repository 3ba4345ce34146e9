"""The search service: one code path for the HTML page, the JSON API and the benchmarks.

``search(request)`` first reads municipality names typed in the text as the municipality filter
and widens the place filters with neighbours=1 (search.interpret), then picks the backend
(Elasticsearch when configured, answering and its circuit breaker closed, else the database),
retries with corrected words when nothing matched (search.typos: the first of a few corrected texts
that finds something with the request's filters; none with literal=1), and returns
hits with highlighted snippets, the exact total, every facet's disjunctive buckets with labels and,
when nothing was found, the wider searches that would find something. A hit whose page is no
longer live is never shown, however stale an index is: the page of hits is checked against the
database (one query) and such hits are counted as ``suppressed``.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from wagtail.models import Page

from .analysis import analyzer_name
from .backends.base import BackendUnavailable, RawResult
from .backends.database import DatabaseBackend
from .backends.facet_matrix import labels_token
from .breaker import elasticsearch_breaker
from .facets import FACETS, sync_labels, value_labels
from .highlight import snippet
from .interpret import MAX_ALTERNATIVES, Alternative, alternatives, interpret, widen
from .models import SearchDocument
from .query import ParsedQuery, SearchRequest, parse_query
from .typos import corrected_text, corrections

# What a hit shows: the analysed terms stay in the database.
HIT_FIELDS = ("page_id", "url", "title", "summary", "body_text", "language", "is_fallback", "facets",
              "first_published_at", "last_published_at", "adoption_count")


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
    adoption_count: int = 0  # approved adoptions of the practice


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
    corrections: dict[str, str] = field(default_factory=dict)  # typed word -> corrected word (both folded)
    corrected_text: str = ""  # with corrections: the text searched instead of request.text
    requests: int = 0
    analyzer: str = ""
    suppressed: int = 0  # hits left out because their page is no longer live (a stale index)
    typed_text: str = ""  # the text as typed; request.text is without recognised municipality names
    recognised: tuple[str, ...] = ()  # municipalities recognised in typed_text by this search
    added_regions: list[str] = field(default_factory=list)  # regions neighbours=1 added to the selection
    alternatives: list[Alternative] = field(default_factory=list)  # with no results: wider searches that find some

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.request.page_size))


def _engine():
    if getattr(settings, "KB_ELASTICSEARCH_URL", ""):
        from .backends.elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend.from_settings()
    return None


def _run(request: SearchRequest, parsed: ParsedQuery, budget: float | None):
    """(raw result, backend name, degraded): Elasticsearch when configured and its breaker lets the
    call through, else or on failure the database."""
    engine = _engine()
    if engine is not None:
        if elasticsearch_breaker.allow():
            try:
                raw = engine.search(request, parsed, budget=budget)
            except BackendUnavailable as error:
                elasticsearch_breaker.failure(error)
            else:
                elasticsearch_breaker.success()
                return raw, engine.name, False
    backend = DatabaseBackend()
    return backend.search(request, parsed), backend.name, engine is not None


def _corrected(request: SearchRequest, effective: SearchRequest, budget: float | None):
    """(the first corrected search that finds something with the request's filters, or None, and the
    round trips used). The corrected text is parsed like typed text, so it matches alike everywhere."""
    requests = 0
    for replacements in corrections(request.locale, request.text):
        text = corrected_text(request.text, replacements)
        parsed = parse_query(request.locale, text, request.operator)
        raw, backend, degraded = _run(effective, parsed, budget)
        requests += raw.requests
        if raw.total:  # never "results for" words that find nothing either
            return (raw, backend, degraded, parsed, replacements, text), requests
    return None, requests


def search(request: SearchRequest, budget: float | None = None) -> SearchResult:
    """``budget``: seconds Elasticsearch may take (pages that only show counts pass a short one)."""
    typed_text = request.text
    request, recognised = interpret(request)
    effective, added_regions = widen(request)
    parsed = parse_query(request.locale, request.text, request.operator)
    raw, backend, degraded = _run(effective, parsed, budget)
    requests = raw.requests
    replacements, text = {}, ""
    if raw.total == 0 and not parsed.is_empty and not request.literal:  # literal=1: the text as typed
        corrected, extra = _corrected(request, effective, budget)
        requests += extra
        if corrected:
            raw, backend, degraded, parsed, replacements, text = corrected
    wider = []
    if raw.total == 0:
        wider, extra = _alternatives(request, budget)
        requests += extra
    if raw.documents is not None:  # Elasticsearch: the labels follow the database's labels token
        with connection.cursor() as cursor:
            sync_labels(labels_token(cursor))
        requests += 1
    hits = _hits(raw, parsed, request)
    return SearchResult(
        request=request, total=raw.total, hits=hits, facets=_buckets(raw, request),
        totals_without=raw.totals_without, backend=backend, degraded=degraded, corrections=replacements,
        corrected_text=text,
        requests=requests + bool(raw.ids), analyzer=analyzer_name(request.locale),
        suppressed=len(raw.ids) - len(hits), typed_text=typed_text,
        recognised=recognised.codes if recognised else (), added_regions=added_regions, alternatives=wider,
    )


def _alternatives(request: SearchRequest, budget: float | None):
    """(the wider searches that find something, at most MAX_ALTERNATIVES, and the round trips used):
    one backend search each, only after a search that found nothing, so the cost stays bounded."""
    found, requests = [], 0
    for alternative in alternatives(request):
        effective, _added = widen(alternative.request)
        parsed = parse_query(effective.locale, effective.text, effective.operator)
        raw, _backend, _degraded = _run(effective, parsed, budget)
        requests += raw.requests
        if raw.total:
            alternative.count = raw.total
            found.append(alternative)
            if len(found) == MAX_ALTERNATIVES:
                break
    return found, requests


def _hits(raw: RawResult, parsed: ParsedQuery, request: SearchRequest) -> list[Hit]:
    """The page of hits whose pages are live now (one query), with snippets."""
    if raw.documents is not None:
        live = _live_pages([document.page_id for document in raw.documents])
        documents = {document.pk: document for document in raw.documents if document.page_id in live}
    else:
        documents = SearchDocument.objects.only(*HIT_FIELDS).filter(page__live=True).in_bulk(raw.ids)
    wanted = {term for word in parsed.words for term in word} | {t for phrase in parsed.phrases for t in phrase}
    wanted |= {term for splits in parsed.splits.values() for split in splits for side in split for term in side}
    hits = []
    for pk in raw.ids:
        document = documents.get(pk)
        if document is None:  # unpublished or deleted, and the index does not know yet
            continue
        text = document.body_text if wanted else document.summary
        best = snippet(document.summary, document.language, wanted)
        if wanted and "<mark>" not in best:
            best = snippet(text, document.language, wanted)
        hits.append(Hit(
            id=document.page_id, url=document.url, title=document.title, summary=document.summary,
            snippet=best, language=document.language, is_fallback=document.is_fallback,
            facets=document.facets, first_published_at=document.first_published_at,
            last_published_at=document.last_published_at, adoption_count=document.adoption_count,
        ))
    return hits


def _live_pages(page_ids: list[int]) -> set[int]:
    """Which of these pages are live: one query, in SQL because building it with the ORM cost more
    than running it, on every Elasticsearch search (bench/results-es-overhead-*.md)."""
    if not page_ids:
        return set()
    marks = ", ".join(["%s"] * len(page_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Page._meta.db_table} WHERE live = %s AND id IN ({marks})", [True, *page_ids])
        return {page_id for (page_id,) in cursor.fetchall()}


def _buckets(raw: RawResult, request: SearchRequest) -> dict[str, list[Bucket]]:
    """Every value with matches, plus selected values even at zero; most matches first."""
    facets = {}
    for facet in FACETS:
        labels = value_labels(facet, request.locale)
        counts = raw.counts.get(facet.name, {})
        selected = set(request.selected(facet.name))
        values = [code for code in labels if counts.get(code) or code in selected]
        values.sort(key=lambda code: -counts.get(code, 0))  # stable: ties stay in the labels' order
        facets[facet.name] = [
            Bucket(value=code, label=labels[code], count=counts.get(code, 0), selected=code in selected)
            for code in values
        ]
    return facets
