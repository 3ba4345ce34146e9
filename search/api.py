"""JSON shapes of the search API, its errors, autocomplete and the OpenAPI description."""

from django.http import JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .analysis import fold
from .breaker import elasticsearch_breaker, elasticsearch_writes_breaker
from .facets import FACETS, FACETS_BY_NAME, value_labels
from .models import SearchDocument
from .query import LANGUAGES, MAX_PAGE_SIZE, MAX_QUERY_LENGTH, MAX_RESULT_WINDOW, OPERATORS, SORTS, InvalidSearch
from .typos import corrected_text

# Facet name -> key of its codes in each result.
RESULT_KEYS = {
    "region": "regions", "municipality": "municipalities", "theme": "themes", "target_group": "target_groups",
    "organisation_type": "organisation_types", "language": "languages", "funding": "funding_sources",
    "activity_form": "activity_forms", "status": "status", "evidence_level": "evidence_level",
    "adoption": "adoption",
}
SINGLE_VALUED = {"status", "evidence_level", "adoption"}
AUTOCOMPLETE_LIMIT = 8


def error(problem: InvalidSearch, status=400) -> JsonResponse:
    return JsonResponse({"error": {"parameter": problem.parameter, "message": problem.message}}, status=status)


def _codes(hit, facet):
    codes = hit.facets.get(facet, [])
    return (codes[0] if codes else None) if facet in SINGLE_VALUED else codes


def result_json(result, request) -> dict:
    search_request = result.request
    return {
        "count": result.total,
        "page": search_request.page,
        "page_size": search_request.page_size,
        "num_pages": result.num_pages,
        "query": result.typed_text,
        # Municipality names read from the query as a filter (literal=1 turns this off).
        "interpreted": {"text": search_request.text, "municipality": list(result.recognised)}
        if result.recognised else None,
        "added_regions": result.added_regions,  # neighbours=1: regions added to the selection
        "lang": search_request.locale,
        "sort": search_request.sort,
        "operator": search_request.operator,
        "backend": result.backend,
        "degraded": result.degraded,
        "analyzer": result.analyzer,
        # No result as typed: the words corrected (typed -> vocabulary word) and the query searched instead.
        "corrections": result.corrections,
        "corrected_query": corrected_text(result.typed_text, result.corrections) if result.corrections else None,
        # How the answer was made: an operator's first look when results seem wrong or slow.
        "diagnostics": {
            "backend": result.backend,
            "degraded": result.degraded,
            "elasticsearch_breaker": elasticsearch_breaker.state,
            "elasticsearch_writes_breaker": elasticsearch_writes_breaker.state,
            "suppressed": result.suppressed,  # hits left out: their pages are no longer live
            "requests": result.requests,
        },
        "results": [
            {
                "id": hit.id,
                "url": request.build_absolute_uri(hit.url),
                "title": hit.title,
                "summary": hit.summary,
                "snippet": str(hit.snippet),
                "language": hit.language,
                "translated": not hit.is_fallback,
                "first_published_at": hit.first_published_at,
                "last_published_at": hit.last_published_at,
                "adoption_count": hit.adoption_count,  # approved adoptions ("adopted in N places")
                **{RESULT_KEYS[facet.name]: _codes(hit, facet.name) for facet in FACETS},
            }
            for hit in result.hits
        ],
        # With no results: wider searches that find something, with their counts and parameters.
        "alternatives": [{"kind": alternative.kind, "count": alternative.count,
                          "params": _alternative_params(alternative.request)} for alternative in result.alternatives],
        "facets": {
            name: [{"value": b.value, "label": b.label, "count": b.count, "selected": b.selected} for b in buckets]
            for name, buckets in result.facets.items()
        },
    }


def _alternative_params(search_request) -> dict:
    params = {"lang": search_request.locale}
    for name, value in search_request.params():
        params.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 and name not in FACETS_BY_NAME else values
            for name, values in params.items()}


def autocomplete(params, language: str) -> dict:
    if language not in LANGUAGES:
        raise InvalidSearch("lang", _("Unknown language: choose fi, sv or en."))
    text = " ".join(params.get("q", "").split())
    if len(text) > 100 or any(not char.isprintable() for char in text):
        raise InvalidSearch("q", _("The search text is too long or contains control characters."))
    suggestions = []
    if len(text) >= 2:
        wanted = fold(text)
        search_url = reverse("search")
        with translation.override(language):
            for facet in FACETS:
                for code, label in value_labels(facet, language).items():
                    if wanted in fold(label):
                        suggestions.append({"type": "filter", "facet": facet.name, "value": code, "label": label,
                                            "url": f"/{language}{search_url[3:]}?{facet.name}={code}"})
        titles = (SearchDocument.objects.filter(locale=language, title__icontains=text, is_fallback=False,
                                                page__live=True)
                  .order_by("title_sort").values("title", "url")[:AUTOCOMPLETE_LIMIT])
        half = AUTOCOMPLETE_LIMIT // 2
        practices = [{"type": "practice", "label": row["title"], "url": row["url"]} for row in titles]
        filters = suggestions[:max(half, AUTOCOMPLETE_LIMIT - len(practices))]
        suggestions = practices[:AUTOCOMPLETE_LIMIT - len(filters)] + filters
    return {"query": text, "suggestions": suggestions}


def openapi_schema(request) -> dict:
    def param(name, description, schema, repeat=False):
        item = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
        if repeat:
            item.update(schema={"type": "array", "items": schema}, style="form", explode=True)
        return item

    facet_params = [
        param(facet.name, f"Filter by {facet.name} (taxonomy codes; repeat for OR within the facet).",
              {"type": "string", "enum": list(value_labels(facet, "fi"))}, repeat=True)
        for facet in FACETS
    ]
    error_schema = {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "parameter": {"type": "string"}, "message": {"type": "string"}}}}}
    bucket = {"type": "object", "properties": {"value": {"type": "string"}, "label": {"type": "string"},
                                               "count": {"type": "integer"}, "selected": {"type": "boolean"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "KB search API", "version": "1.0.0",
                 "description": "Search the good practices of Finland's integration partnership programme."},
        "servers": [{"url": request.build_absolute_uri("/")[:-1]}],
        "paths": {
            "/api/v1/search/": {"get": {
                "summary": "Full-text search with disjunctive facets",
                "parameters": [
                    param("q", f"Search text (at most {MAX_QUERY_LENGTH} characters). All words must match "
                               "unless operator=or; \"quoted phrases\" match in order.", {"type": "string"}),
                    param("lang", "Language of the search.", {"type": "string", "enum": list(LANGUAGES)}),
                    param("operator", "and (default) or or.", {"type": "string", "enum": list(OPERATORS)}),
                    param("sort", "Order of results: relevance (newest without q), newest, updated, title, "
                                  "or adopted (most approved adoptions first, then newest).",
                          {"type": "string", "enum": list(SORTS)}),
                    param("page", f"Page number, from 1 (page × page_size ≤ {MAX_RESULT_WINDOW}).",
                          {"type": "integer", "minimum": 1}),
                    param("page_size", "Results per page.", {"type": "integer", "minimum": 1,
                                                             "maximum": MAX_PAGE_SIZE}),
                    param("literal", "1: q is searched as typed: municipality names stay search words (by "
                                     "default they become the municipality filter, reported as interpreted) "
                                     "and words are not corrected (by default, when nothing is found, unknown "
                                     "words are corrected: reported as corrections and corrected_query).",
                          {"type": "string", "enum": ["0", "1"]}),
                    param("neighbours", "1: every selected region, and the region of every selected "
                                        "municipality, plus the neighbouring regions.",
                          {"type": "string", "enum": ["0", "1"]}),
                    param("place", "Municipality codes recognised in an earlier search's text (for the "
                                   "literal search link).",
                          {"type": "string", "enum": list(value_labels(FACETS_BY_NAME["municipality"], "fi"))},
                          repeat=True),
                    *facet_params,
                ],
                "responses": {
                    "200": {"description": "Results, total and every facet's buckets.", "content": {
                        "application/json": {"schema": {"type": "object", "properties": {
                            "count": {"type": "integer"}, "page": {"type": "integer"},
                            "page_size": {"type": "integer"}, "results": {"type": "array", "items": {
                                "type": "object", "properties": {
                                    "id": {"type": "integer"}, "url": {"type": "string"},
                                    "title": {"type": "string"}, "summary": {"type": "string"},
                                    "snippet": {"type": "string"}, "language": {"type": "string"},
                                    "translated": {"type": "boolean"},
                                    **{key: {"type": "array", "items": {"type": "string"}}
                                       for name, key in RESULT_KEYS.items() if name not in SINGLE_VALUED},
                                    "status": {"type": "string"}, "evidence_level": {"type": "string"},
                                    "adoption": {"type": "string", "enum": list(value_labels(FACETS_BY_NAME["adoption"], "fi"))},
                                    "adoption_count": {"type": "integer", "minimum": 0,
                                                       "description": "Approved adoptions of the practice."}}}},
                            "facets": {"type": "object", "additionalProperties": {"type": "array",
                                                                                  "items": bucket}}}}}}},
                    "400": {"description": "Invalid parameter.", "content": {
                        "application/json": {"schema": error_schema}}},
                },
            }},
            "/api/v1/autocomplete/": {"get": {
                "summary": "Suggestions for the search box: practice titles and taxonomy labels",
                "parameters": [param("q", "At least 2 characters.", {"type": "string", "maxLength": 100}),
                               param("lang", "Language.", {"type": "string", "enum": list(LANGUAGES)})],
                "responses": {"200": {"description": "Suggestions."},
                              "400": {"description": "Invalid parameter.", "content": {
                                  "application/json": {"schema": error_schema}}}},
            }},
        },
    }
