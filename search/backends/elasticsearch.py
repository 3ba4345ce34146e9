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
from dataclasses import replace
from datetime import datetime

from django.conf import settings
from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError, TransportError, helpers

from ..facets import FACETS, FACETS_BY_NAME
from ..models import SearchDocument
from ..query import ParsedQuery, SearchRequest
from .base import BackendUnavailable, RawResult, StoredHit
from .database import CLOSE, CLOSE_BONUS, EXACT_BONUS

logger = logging.getLogger(__name__)
LANGUAGE_ANALYZERS = {"fi": "finnish", "sv": "swedish", "en": "english"}
# Field weights as the database backends' (search/backends/database.py).
TERM_FIELDS = {"title_terms": 10, "summary_terms": 5, "body_terms": 1, "meta_terms": 0.8, "extra_terms": 0.5}
POSITIONAL_FIELDS = ("title_terms", "summary_terms", "body_terms", "meta_terms")
SEPARATE_WORDS = ("title_terms", "summary_terms", "body_terms")  # the words as written
SURFACE = {"surface_terms": {"type": "text", "analyzer": "whitespace"}}  # ranking: words exactly as typed
ADOPTION_COUNT = {"adoption_count": {"type": "integer"}}  # the "adopted" sort (most adopted first)
TEXT_FIELDS = {"title": 3, "summary": 2, "body": 1}
WHOLE_WORDS_BOOST = 1000  # above any text score: a tier, as the database backends order
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
            **{name: terms for name in TERM_FIELDS}, **SURFACE,
            "title_sort": {"type": "keyword"},
            **ADOPTION_COUNT,
            "first_published_at": {"type": "date"},
            "last_published_at": {"type": "date"},
            "facets": {"properties": {facet.name: {"type": "keyword"} for facet in FACETS}},
            **STORED_ONLY,
        },
    }


# Deletes are remembered (as versioned tombstones) for an hour, not 60 s: an older write that
# arrives late after a delete is still refused. These are a single node's; new indexes take their shards
# and replicas from ELASTICSEARCH_SHARDS and ELASTICSEARCH_REPLICAS (``index_settings()``).
INDEX_SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0, "gc_deletes": "1h"}
VERSIONED = "external_gte"  # a write with the same version is a retry; a lower one is refused
# Kept only in _source, for showing hits without asking the database.
STORED_ONLY = {"document_id": {"type": "long", "index": False, "doc_values": False},
               "url": {"type": "keyword", "index": False, "doc_values": False}}
HIT_SOURCE = ["document_id", "page_id", "url", "language", "title", "summary", "body", "facets",
              "first_published_at", "last_published_at", "adoption_count"]


def document_source(document: SearchDocument) -> dict:
    return {
        "page_id": document.page_id, "language": document.language,
        "title": document.title, "summary": document.summary, "body": document.body_text,
        **{name: getattr(document, name) for name in (*TERM_FIELDS, *SURFACE)},
        "title_sort": document.title_sort, "adoption_count": document.adoption_count,
        "first_published_at": document.first_published_at, "last_published_at": document.last_published_at,
        "facets": document.facets,
        "document_id": document.pk, "url": document.url,
    }


def _date(value):
    return datetime.fromisoformat(value) if value else None


def stored_hit(source: dict, locale: str) -> StoredHit:
    """What a hit shows, from a hit's _source."""
    return StoredHit(
        pk=source["document_id"], page_id=source["page_id"], url=source["url"],
        language=source["language"], is_fallback=source["language"] != locale, title=source["title"],
        summary=source["summary"], body_text=source["body"], facets=source["facets"],
        first_published_at=_date(source["first_published_at"]), last_published_at=_date(source["last_published_at"]),
        adoption_count=source.get("adoption_count", 0),  # 0 in a document indexed before adoptions counted
    )


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(self, url: str, timeout: float, prefix: str):
        self.client = _client(_hosts(url), timeout)
        self.prefix = prefix

    @classmethod
    def from_settings(cls, timeout: float | None = None):
        """The search path's client (short timeout), or one with ``timeout``: the index worker and
        rebuilds use KB_ELASTICSEARCH_ADMIN_TIMEOUT, a busy cluster is slow, not gone."""
        return cls(settings.KB_ELASTICSEARCH_URL, timeout or settings.KB_ELASTICSEARCH_TIMEOUT,
                   settings.KB_ELASTICSEARCH_INDEX_PREFIX)

    @classmethod
    def for_administration(cls):
        return cls.from_settings(settings.KB_ELASTICSEARCH_ADMIN_TIMEOUT)

    def alias(self, locale: str) -> str:
        return f"{self.prefix}_practices_{locale}"

    # --- searching ------------------------------------------------------------------------------
    @staticmethod
    def _terms_clause(alternatives, fields=tuple(TERM_FIELDS)) -> dict:
        return {"multi_match": {"query": " ".join(alternatives), "operator": "or", "type": "most_fields",
                                "fields": [f"{name}^{TERM_FIELDS[name]}" for name in fields]}}

    def _word_clause(self, alternatives, splits=()) -> dict:
        """The word's terms, or the sides of one of a compound's splits as separate words anywhere in the
        title, summary or body."""
        if not splits:
            return self._terms_clause(alternatives)
        apart = [{"bool": {"must": [self._terms_clause(side, SEPARATE_WORDS) for side in split]}} for split in splits]
        return {"bool": {"should": [self._terms_clause(alternatives), *apart], "minimum_should_match": 1}}

    @staticmethod
    def _phrase_clause(terms) -> dict:
        return {"bool": {"should": [{"match_phrase": {name: " ".join(terms)}} for name in POSITIONAL_FIELDS],
                         "minimum_should_match": 1}}

    def _matching(self, parsed: ParsedQuery) -> dict:
        clauses = [self._word_clause(word, parsed.splits.get(word, ())) for word in parsed.words]
        clauses += [self._phrase_clause(phrase) for phrase in parsed.phrases]
        return {"bool": {"must": clauses}} if parsed.operator == "and" else {
            "bool": {"should": clauses, "minimum_should_match": 1}}

    def _query(self, request: SearchRequest, parsed: ParsedQuery) -> dict:
        if parsed.is_empty:
            return {"match_all": {}}
        # Scoring only: the original text through the language's own analyzer.
        should = [{"multi_match": {"query": request.text.replace('"', " "),
                                   "fields": [f"{name}^{boost}" for name, boost in TEXT_FIELDS.items()]}}]
        if parsed.splits:  # the documents having every word itself rank above those matching by parts
            should.append({"constant_score": {"filter": self._matching(replace(parsed, splits={})),
                                              "boost": WHOLE_WORDS_BOOST}})
        query = {"bool": {"must": [self._matching(parsed)], "should": should}}
        bonuses = [{"filter": self._close(parsed), "weight": CLOSE_BONUS}] if parsed.pairs else []
        if parsed.surfaces:
            bonuses.append({"filter": {"bool": {"filter": [{"term": {"surface_terms": word}} for word in parsed.surfaces]}},
                            "weight": EXACT_BONUS})
        if not bonuses:
            return query
        return {"function_score": {"query": query, "boost_mode": "multiply", "score_mode": "multiply",
                                   "functions": bonuses}}

    def _close(self, parsed: ParsedQuery) -> dict:
        """As the database backends' ``sqlite_close``: every pair of adjacent query words close together in
        one field (either order, at most CLOSE words between), or written as one compound."""
        pairs = []
        for first, second, joined in parsed.pairs:
            options = [{"span_near": {"clauses": [{"span_term": {name: first[0]}}, {"span_term": {name: second[0]}}],
                                      "slop": CLOSE, "in_order": False}} for name in POSITIONAL_FIELDS]
            pairs.append({"bool": {"should": options + ([self._terms_clause(joined)] if joined else []),
                                   "minimum_should_match": 1}})
        return {"bool": {"filter": pairs}}

    @staticmethod
    def _filters(request: SearchRequest, skip=None) -> list:
        return [{"terms": {f"facets.{facet}": list(values)}}
                for facet, values in request.selections.items() if facet != skip]

    def search_body(self, request: SearchRequest, parsed: ParsedQuery) -> dict:
        sort = {
            "relevance": ["_score", {"last_published_at": "desc"}, {"page_id": "asc"}],
            "newest": [{"first_published_at": "desc"}, {"page_id": "desc"}],
            "updated": [{"last_published_at": "desc"}, {"page_id": "desc"}],
            "title": [{"title_sort": "asc"}, {"page_id": "asc"}],
            "adopted": [{"adoption_count": {"order": "desc", "unmapped_type": "integer"}},
                        {"first_published_at": "desc"}, {"page_id": "desc"}],
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

    def search(self, request: SearchRequest, parsed: ParsedQuery, budget: float | None = None) -> RawResult:
        """``budget``: seconds this search may take (less than the client's timeout)."""
        client = self.client.options(request_timeout=budget) if budget else self.client
        try:
            response = client.search(index=self.alias(request.locale), **self.search_body(request, parsed))
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
            documents = [stored_hit(hit["_source"], request.locale) for hit in hits]
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
            self.client.indices.create(index=name, settings=index_settings(), mappings=_mapping(analyzer))
        except BadRequestError as error:
            if analyzer not in str(error):
                raise
            logger.warning("Elasticsearch has no %s analyzer; using standard for scoring in %s", analyzer, name)
            analyzer = "standard"
            self.client.indices.create(index=name, settings=index_settings(), mappings=_mapping(analyzer))
        return analyzer

    def ensure_indexes(self):
        for locale in _locales():
            if not self.client.indices.exists_alias(name=self.alias(locale)):
                name = f"{self.alias(locale)}_{time.time_ns()}"
                self._create_index(name, locale)
                self.client.indices.put_alias(index=name, name=self.alias(locale))
            elif self.alias(locale) not in _STORED_ONLY_MAPPED:
                # An index made before the stored-only fields, the surface words, the adoption count or a facet
                # (municipality, adoption) existed accepts them from now on; once per alias and process, not on
                # every sync.
                self.client.indices.put_mapping(index=self.alias(locale), properties={
                    **STORED_ONLY, **SURFACE, **ADOPTION_COUNT, "facets": _mapping("standard")["properties"]["facets"]})
                _STORED_ONLY_MAPPED.add(self.alias(locale))

    def _actions(self, versions: dict, index=None):
        """Bulk actions bringing the given groups (translation key -> version of a delete) to what
        the database index holds now: each language's document at its own index version, or a
        delete. ``index``: locale -> index name (a rebuild's new indexes); default the aliases."""
        present = {(document.translation_key, document.locale): document
                   for document in SearchDocument.objects.filter(translation_key__in=list(versions))}
        for key, delete_version in versions.items():
            for locale in _locales():
                target = index[locale] if index else self.alias(locale)
                document = present.get((key, locale))
                if document is not None:
                    yield {"_op_type": "index", "_index": target, "_id": str(key), "_source": document_source(document),
                           "version": document.version, "version_type": VERSIONED}
                else:
                    yield {"_op_type": "delete", "_index": target, "_id": str(key),
                           "version": max(delete_version, 1), "version_type": VERSIONED}

    def apply(self, versions: dict, index=None) -> dict:
        """Send the given groups (see ``_actions``) in one bulk request. Returns translation key ->
        error for the groups Elasticsearch refused; a newer version already there (409) or a
        delete of a missing document (404) is success. Raises for an unreachable cluster."""
        if index is None:
            self.ensure_indexes()
        _ok, failures = helpers.bulk(self.client, self._actions(versions, index), raise_on_error=False,
                                     raise_on_exception=True, refresh=True)
        errors = {}
        for failure in failures:
            (operation, item), = failure.items()
            if item.get("status") not in (404, 409):
                errors[uuid.UUID(item["_id"])] = f"{operation} {item.get('status')}: {item.get('error')}"
        return errors

    def rebuild(self, progress=None) -> str:
        """New indexes from the database documents while publishing goes on, then the alias swap.

        The rebuild records the index version it starts from (search.changelog.start_rebuild);
        changes applied after it stay in the change log. Every group applied after that position
        is replayed into the new indexes before the swap, and again through the aliases after it
        (a write that reached an old index in between is repeated). Versions make replays safe.
        A failure deletes the unfinished indexes and leaves the old ones serving.
        """
        from .. import changelog

        marker = changelog.start_rebuild()
        new = {locale: f"{self.alias(locale)}_{time.time_ns()}" for locale in _locales()}
        report = []
        try:
            for locale, name in new.items():
                analyzer = self._create_index(name, locale)
                sent = self._copy(locale, name, progress, lambda: changelog.rebuild_alive(marker))
                report.append(f"{locale}: {sent} documents ({analyzer} analyzer)")
            self._replay(changelog.changed_since(marker.position), new)
            for locale, name in new.items():
                self.client.indices.refresh(index=name)
                self._swap(self.alias(locale), name)
            self._replay(changelog.changed_since(marker.position), None)
        except BaseException:
            logger.exception("Elasticsearch rebuild failed: deleting the unfinished indexes; the old ones serve on")
            for name in new.values():
                if not self._serves(name):
                    self.client.indices.delete(index=name, ignore_unavailable=True)
            raise
        finally:
            changelog.end_rebuild(marker)
        return "; ".join(report)

    def _copy(self, locale: str, name: str, progress, alive) -> int:
        # Not the columns Elasticsearch never gets (the words, the fingerprint).
        documents = (SearchDocument.objects.filter(locale=locale).order_by("id")
                     .defer("vocabulary", "fingerprint"))
        total, sent = documents.count(), 0
        actions = ({"_index": name, "_id": str(d.translation_key), "_source": document_source(d),
                    "version": d.version, "version_type": VERSIONED} for d in documents.iterator(chunk_size=1000))
        for ok, item in helpers.streaming_bulk(self.client, actions, chunk_size=1000, raise_on_error=False):
            if not ok:  # a document the new index refuses: the rebuild fails, the old index serves on
                raise BackendUnavailable(f"the new index {name} refused a document: {item}")
            sent += 1
            if sent % 1000 == 0:
                alive()
                if progress:
                    progress(sent, total)
        if progress:
            progress(total, total)
        return sent

    def _replay(self, changed: dict, index):
        if changed:
            errors = self.apply(changed, index)
            if errors:
                raise BackendUnavailable(f"replay refused for {len(errors)} groups, e.g. {next(iter(errors.values()))}")

    def _swap(self, alias: str, name: str):
        old = list(self.client.indices.get_alias(name=alias)) if self.client.indices.exists_alias(name=alias) else []
        self.client.indices.update_aliases(actions=[
            *({"remove": {"index": index, "alias": alias}} for index in old),
            {"add": {"index": name, "alias": alias}},
        ])
        for index in old:
            self.client.indices.delete(index=index)

    def _serves(self, name: str) -> bool:
        try:
            return bool(self.client.indices.get_alias(index=name).get(name, {}).get("aliases"))
        except NotFoundError:
            return False

    def documents(self, locale: str):
        """(translation key, version, _source) of every document in the locale's index (check_index)."""
        try:
            for hit in helpers.scan(self.client, index=self.alias(locale), version=True, size=1000,
                                    query={"query": {"match_all": {}}},
                                    _source=["page_id", "title", "url", "facets", "adoption_count"]):
                yield uuid.UUID(hit["_id"]), hit["_version"], hit["_source"]
        except NotFoundError:
            return

    def count(self, locale: str) -> int:
        try:
            return self.client.count(index=self.alias(locale))["count"]
        except NotFoundError:
            return 0


_STORED_ONLY_MAPPED: set[str] = set()  # aliases whose index has had STORED_ONLY put in this process


def _terms(facet: str) -> dict:
    return {"terms": {"field": f"facets.{facet}", "size": 1000}}


def index_settings() -> dict:
    """A new index's settings: INDEX_SETTINGS with ELASTICSEARCH_SHARDS primary shards and
    ELASTICSEARCH_REPLICAS replicas, a number or a range that follows the number of data nodes."""
    replicas = settings.KB_ELASTICSEARCH_REPLICAS
    chosen = {"number_of_shards": settings.KB_ELASTICSEARCH_SHARDS}
    if isinstance(replicas, int):
        chosen["number_of_replicas"] = replicas
    else:
        chosen["auto_expand_replicas"] = replicas
    return {**{key: value for key, value in INDEX_SETTINGS.items() if key not in ("number_of_shards", "number_of_replicas")},
            **chosen}


def _hosts(url) -> tuple[str, ...]:
    """The node URLs of a setting: a list (KB_ELASTICSEARCH_URL) or a string of one or several URLs
    separated by commas."""
    items = url.split(",") if isinstance(url, str) else url
    return tuple(item.strip() for item in items if item and item.strip())


@functools.lru_cache(maxsize=8)
def _client(hosts: tuple[str, ...], timeout: float) -> Elasticsearch:
    """One client (and connection pool) per cluster and timeout, reused across requests.

    One node: no retries, a failure falls back to the database at once. Several nodes of one cluster:
    a request that a node refuses, drops, does not answer within ``timeout`` or answers with 429/502/503/504
    goes to one other node (reads and the versioned writes are safe to repeat). The failed node is left
    out for 1 s, doubling up to 30 s while it keeps failing, so the next requests go straight to the nodes
    that answer. One retry, not one per node: a node lost is what one replica covers, and a hung cluster
    costs at most two timeouts before the circuit breaker sends searches to the database. No sniffing: the
    configured URLs are the pool (the addresses nodes publish need not be reachable from the site's hosts,
    e.g. behind a proxy or in containers); list every node that should take requests."""
    retries = 1 if len(hosts) > 1 else 0
    return Elasticsearch(list(hosts), request_timeout=timeout, max_retries=retries, retry_on_timeout=bool(retries))


def _locales():
    return [code for code, _name in settings.LANGUAGES]
