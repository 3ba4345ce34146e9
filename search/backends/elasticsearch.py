"""Elasticsearch 8: one index per language (behind an alias, for atomic rebuilds), the same
analysed terms as the database backends for matching, the built-in language analyzers on the
original text for scoring, and every facet's disjunctive counts from ONE search request
(post_filter for the selections, a filter aggregation per facet holding the other selections).
The hits come back with the stored fields a result shows (``_source``), so a search needs no SQL.
"""

import functools
import logging
import time
import uuid
from datetime import datetime

from django.conf import settings
from django.db.models import F
from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError, TransportError, helpers

from ..facets import FACETS, FACETS_BY_NAME
from ..models import SearchDocument, SearchQueueItem
from ..query import ParsedQuery, SearchRequest
from .base import BackendUnavailable, RawResult

logger = logging.getLogger(__name__)
LANGUAGE_ANALYZERS = {"fi": "finnish", "sv": "swedish", "en": "english"}
TERM_FIELDS = {"title_terms": 10, "summary_terms": 5, "meta_terms": 2, "body_terms": 1, "extra_terms": 0.5}
POSITIONAL_FIELDS = ("title_terms", "summary_terms", "body_terms", "meta_terms")
TEXT_FIELDS = {"title": 3, "summary": 2, "body": 1}
UNSELECTED = "unselected"  # the aggregation holding the facets without a selection
FAILURES = (ApiError, TransportError, ConnectionError, TimeoutError)


def _mapping(language_analyzer: str) -> dict:
    text = {"type": "text", "analyzer": language_analyzer}
    # The terms are analysed in Python already (search.analysis): only split on spaces here.
    terms = {"type": "text", "analyzer": "whitespace"}
    return {
        "dynamic": "strict",
        "properties": {
            "page_id": {"type": "long"},
            "language": {"type": "keyword"},
            "title": text, "summary": text, "body": text,
            **{name: terms for name in TERM_FIELDS},
            "title_sort": {"type": "keyword"},
            "first_published_at": {"type": "date"},
            "last_published_at": {"type": "date"},
            "facets": {"properties": {facet.name: {"type": "keyword"} for facet in FACETS}},
            **STORED_ONLY,
        },
    }


INDEX_SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0}
# Kept only in _source, for showing hits without asking the database.
STORED_ONLY = {"document_id": {"type": "long", "index": False, "doc_values": False},
               "url": {"type": "keyword", "index": False, "doc_values": False}}
HIT_SOURCE = ["document_id", "page_id", "url", "language", "title", "summary", "body", "facets",
              "first_published_at", "last_published_at"]


def document_source(document: SearchDocument) -> dict:
    return {
        "page_id": document.page_id, "language": document.language,
        "title": document.title, "summary": document.summary, "body": document.body_text,
        **{name: getattr(document, name) for name in TERM_FIELDS},
        "title_sort": document.title_sort,
        "first_published_at": document.first_published_at, "last_published_at": document.last_published_at,
        "facets": document.facets,
        "document_id": document.pk, "url": document.url,
    }


def _date(value):
    return datetime.fromisoformat(value) if value else None


def hit_document(source: dict, locale: str) -> SearchDocument:
    """An unsaved SearchDocument with what a hit shows, from a hit's _source."""
    return SearchDocument(
        pk=source["document_id"], page_id=source["page_id"], url=source["url"], locale=locale,
        language=source["language"], is_fallback=source["language"] != locale, title=source["title"],
        summary=source["summary"], body_text=source["body"], facets=source["facets"],
        first_published_at=_date(source["first_published_at"]), last_published_at=_date(source["last_published_at"]),
    )


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(self, url: str, timeout: float, prefix: str):
        self.client = _client(url, timeout)
        self.prefix = prefix

    @classmethod
    def from_settings(cls):
        return cls(settings.KB_ELASTICSEARCH_URL, settings.KB_ELASTICSEARCH_TIMEOUT,
                   settings.KB_ELASTICSEARCH_INDEX_PREFIX)

    def alias(self, locale: str) -> str:
        return f"{self.prefix}_practices_{locale}"

    # --- searching ------------------------------------------------------------------------------
    @staticmethod
    def _word_clause(alternatives) -> dict:
        return {"multi_match": {"query": " ".join(alternatives), "operator": "or", "type": "most_fields",
                                "fields": [f"{name}^{boost}" for name, boost in TERM_FIELDS.items()]}}

    @staticmethod
    def _phrase_clause(terms) -> dict:
        return {"bool": {"should": [{"match_phrase": {name: " ".join(terms)}} for name in POSITIONAL_FIELDS],
                         "minimum_should_match": 1}}

    def _query(self, request: SearchRequest, parsed: ParsedQuery) -> dict:
        if parsed.is_empty:
            return {"match_all": {}}
        clauses = [self._word_clause(word) for word in parsed.words]
        clauses += [self._phrase_clause(phrase) for phrase in parsed.phrases]
        matching = {"bool": {"must": clauses}} if parsed.operator == "and" else {
            "bool": {"should": clauses, "minimum_should_match": 1}}
        # Scoring only: the original text through the language's own analyzer.
        scoring = {"multi_match": {"query": request.text.replace('"', " "),
                                   "fields": [f"{name}^{boost}" for name, boost in TEXT_FIELDS.items()]}}
        return {"bool": {"must": [matching], "should": [scoring]}}

    @staticmethod
    def _filters(request: SearchRequest, skip=None) -> list:
        return [{"terms": {f"facets.{facet}": list(values)}}
                for facet, values in request.selections.items() if facet != skip]

    def search_body(self, request: SearchRequest, parsed: ParsedQuery) -> dict:
        sort = {
            "relevance": ["_score", {"first_published_at": "desc"}, {"page_id": "asc"}],
            "newest": [{"first_published_at": "desc"}, {"page_id": "desc"}],
            "updated": [{"last_published_at": "desc"}, {"page_id": "desc"}],
            "title": [{"title_sort": "asc"}, {"page_id": "asc"}],
        }[request.sort if request.sort != "relevance" or not parsed.is_empty else "newest"]
        # A selected facet counts under every other selection; the unselected ones share one filter
        # (every selection), so Elasticsearch evaluates 1 + (selected facets) filters, not 9.
        aggregations = {facet: {"filter": {"bool": {"filter": self._filters(request, skip=facet)}},
                                "aggs": {"values": _terms(facet)}} for facet in request.selections}
        unselected = [facet.name for facet in FACETS if facet.name not in request.selections]
        if unselected:
            aggregations[UNSELECTED] = {"filter": {"bool": {"filter": self._filters(request)}},
                                        "aggs": {name: _terms(name) for name in unselected}}
        return {
            "query": self._query(request, parsed),
            "post_filter": {"bool": {"filter": self._filters(request)}},
            "aggs": aggregations,
            "sort": sort,
            "from": request.offset,
            "size": request.page_size,
            "track_total_hits": True,
            "_source": HIT_SOURCE,
        }

    def search(self, request: SearchRequest, parsed: ParsedQuery) -> RawResult:
        try:
            response = self.client.search(index=self.alias(request.locale), **self.search_body(request, parsed))
        except FAILURES as error:
            raise BackendUnavailable(str(error)) from error
        aggregations = response["aggregations"]
        buckets = {name: aggregations[name]["values"]["buckets"] for name in request.selections}
        buckets |= {name: agg["buckets"] for name, agg in aggregations.get(UNSELECTED, {}).items()
                    if name in FACETS_BY_NAME}
        counts = {facet.name: {bucket["key"]: bucket["doc_count"] for bucket in buckets[facet.name]}
                  for facet in FACETS}
        totals_without = {facet: aggregations[facet]["doc_count"] for facet in request.selections}
        hits = response["hits"]["hits"]
        if all("document_id" in hit.get("_source", {}) for hit in hits):
            documents = [hit_document(hit["_source"], request.locale) for hit in hits]
            ids = [document.pk for document in documents]
        else:  # an index written before the hit fields were stored: `manage.py reindex` adds them
            documents, keys = None, [hit["_id"] for hit in hits]
            found = dict(SearchDocument.objects.filter(locale=request.locale, translation_key__in=keys)
                         .values_list("translation_key", "id"))
            ids = [found[key] for key in map(uuid.UUID, keys) if key in found]
        return RawResult(total=response["hits"]["total"]["value"], ids=ids, counts=counts,
                         totals_without=totals_without, requests=1, documents=documents)

    # --- writing --------------------------------------------------------------------------------
    def _create_index(self, name: str, locale: str) -> str:
        """Create an index with the language's analyzer; a cluster without the analysis module
        (e.g. Elasticsearch's integration-test distribution) gets the standard analyzer instead."""
        analyzer = LANGUAGE_ANALYZERS.get(locale, "standard")
        try:
            self.client.indices.create(index=name, settings=INDEX_SETTINGS, mappings=_mapping(analyzer))
        except BadRequestError as error:
            if analyzer not in str(error):
                raise
            logger.warning("Elasticsearch has no %s analyzer; using standard for scoring in %s", analyzer, name)
            analyzer = "standard"
            self.client.indices.create(index=name, settings=INDEX_SETTINGS, mappings=_mapping(analyzer))
        return analyzer

    def ensure_indexes(self):
        for locale in _locales():
            if not self.client.indices.exists_alias(name=self.alias(locale)):
                name = f"{self.alias(locale)}_{time.time_ns()}"
                self._create_index(name, locale)
                self.client.indices.put_alias(index=name, name=self.alias(locale))
            elif self.alias(locale) not in _STORED_ONLY_MAPPED:
                # An index made before the stored-only fields existed accepts them from now on;
                # once per alias and process, not on every sync.
                self.client.indices.put_mapping(index=self.alias(locale), properties=STORED_ONLY)
                _STORED_ONLY_MAPPED.add(self.alias(locale))

    def _actions(self, translation_key):
        present = {document.locale: document for document in SearchDocument.objects.filter(
            translation_key=translation_key)}
        for locale in _locales():
            if locale in present:
                yield {"_op_type": "index", "_index": self.alias(locale), "_id": str(translation_key),
                       "_source": document_source(present[locale])}
            else:
                yield {"_op_type": "delete", "_index": self.alias(locale), "_id": str(translation_key)}

    def sync_queue(self, limit: int = 500) -> int:
        """Send queued groups; on failure they stay queued for the next try (or `reindex`)."""
        items = list(SearchQueueItem.objects.order_by("queued_at")[:limit])
        if not items:
            return 0
        try:
            self.ensure_indexes()
            actions = [action for item in items for action in self._actions(item.translation_key)]
            _ok, errors = helpers.bulk(self.client, actions, raise_on_error=False, refresh=True)
            failed = [error for error in errors if next(iter(error.values())).get("status") != 404]
            if failed:
                raise BackendUnavailable(f"{len(failed)} documents rejected, e.g. {failed[0]}")
        except (*FAILURES, BackendUnavailable) as error:
            logger.warning("Elasticsearch sync postponed (%d groups queued): %s", len(items), error)
            SearchQueueItem.objects.filter(pk__in=[item.pk for item in items]).update(
                attempts=F("attempts") + 1)
            return 0
        SearchQueueItem.objects.filter(pk__in=[item.pk for item in items]).delete()
        return len(items)

    def rebuild(self, progress=None) -> str:
        """New index per language from the database documents, then one atomic alias swap each."""
        report = []
        SearchQueueItem.objects.all().delete()  # everything is sent now
        for locale in _locales():
            alias, name = self.alias(locale), f"{self.alias(locale)}_{time.time_ns()}"
            analyzer = self._create_index(name, locale)
            documents = SearchDocument.objects.filter(locale=locale).order_by("id")
            total = documents.count()
            sent = 0
            for ok, _item in helpers.streaming_bulk(
                self.client, ({"_index": name, "_id": str(d.translation_key), "_source": document_source(d)}
                              for d in documents.iterator(chunk_size=1000)), chunk_size=1000):
                sent += ok
                if progress and sent % 1000 == 0:
                    progress(sent, total)
            self.client.indices.refresh(index=name)
            old = list(self.client.indices.get_alias(name=alias)) if self.client.indices.exists_alias(
                name=alias) else []
            self.client.indices.update_aliases(actions=[
                *({"remove": {"index": index, "alias": alias}} for index in old),
                {"add": {"index": name, "alias": alias}},
            ])
            for index in old:
                self.client.indices.delete(index=index)
            if progress:
                progress(total, total)
            report.append(f"{locale}: {sent} documents ({analyzer} analyzer)")
        return "; ".join(report)

    def count(self, locale: str) -> int:
        try:
            return self.client.count(index=self.alias(locale))["count"]
        except NotFoundError:
            return 0


_STORED_ONLY_MAPPED: set[str] = set()  # aliases whose index has had STORED_ONLY put in this process


def _terms(facet: str) -> dict:
    return {"terms": {"field": f"facets.{facet}", "size": 1000}}


@functools.lru_cache(maxsize=8)
def _client(url: str, timeout: float) -> Elasticsearch:
    """One client (and connection pool) per cluster and timeout, reused across requests."""
    return Elasticsearch(url, request_timeout=timeout, max_retries=0, retry_on_timeout=False)


def _locales():
    return [code for code, _name in settings.LANGUAGES]
