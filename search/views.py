"""The search page (HTML), the JSON API, autocomplete and the OpenAPI schema: thin views over
``search.service.search``."""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import api
from .facets import FACETS, FACETS_BY_NAME, value_labels
from .interpret import interpret, literal_request, selected_places
from .map import region_map
from .places import municipalities
from .query import InvalidSearch, parse_request
from .service import search as run_search
from .typos import corrected_parts

HTML_PAGE_SIZE = 20


def _language() -> str:
    return (get_language() or "fi").split("-")[0]


@never_cache
@require_GET
def search_page(request):
    context = {"query": request.GET.get("q", ""), "facet_definitions": FACETS, "page_title": _("Search")}
    try:
        search_request = parse_request(request.GET, _language(), strict=False, fixed_page_size=HTML_PAGE_SIZE)
    except InvalidSearch as error:
        context["error"] = error.message
        return render(request, "search/search.html", context, status=400)
    interpreted, recognised = interpret(search_request)
    if recognised:  # the address shows the reading: the name left the text, the filter is on
        return redirect(request.path + _url(interpreted))
    result = run_search(search_request)
    context.update(result=result, search_request=search_request, facet_groups=_facet_groups(result),
                   chips=_chips(result, request.GET), suggestion=_suggestion(result, request.GET),
                   interpretation=_interpretation(result), correction=_correction(result, request.GET),
                   region_map=region_map(result, lambda code: _toggled(request.GET, "region", code)))
    return render(request, "search/search.html", context)


def _url(search_request) -> str:
    return "?" + urlencode(search_request.params())


def _interpretation(result):
    """What _interpretation.html says: the municipalities read from the text (with the literal
    search), the regions neighbours=1 added, and with no results the wider searches that find some."""
    search_request, language = result.request, result.request.locale
    places = selected_places(search_request)
    names = municipalities()
    region_labels = value_labels(FACETS_BY_NAME["region"], language)
    literal = literal_request(search_request) if places else None
    return {
        "places": [names[code].name(language) for code in places],
        "literal_text": literal.text if literal else "",
        "literal_url": _url(literal) if literal else "",
        "neighbours": search_request.neighbours,
        "added_regions": [region_labels[code] for code in result.added_regions if code in region_labels],
        "alternatives": [{"kind": alternative.kind, "count": alternative.count, "url": _url(alternative.request),
                          "regions": [region_labels[code] for code in alternative.regions if code in region_labels],
                          "text": alternative.request.text}
                         for alternative in result.alternatives],
    }


def _correction(result, params):
    """With corrected words: the text searched, its corrected words emphasised, and the link that
    searches the text as typed (literal=1: no correction), filters kept."""
    if not result.corrections:
        return None
    as_typed = params.copy()
    as_typed.pop("page", None)
    as_typed["literal"] = "1"
    parts = corrected_parts(result.request.text, result.corrections)
    return {"text": format_html_join("", "{}", ((format_html("<strong>{}</strong>", piece) if corrected else piece,)
                                                for piece, corrected in parts)),
            "typed": result.request.text, "url": "?" + as_typed.urlencode()}


def _facet_groups(result):
    return [{"facet": facet, "buckets": result.facets[facet.name]} for facet in FACETS]


def _without(params, facet_name, value=None) -> str:
    """The query string with one selected value (or a whole facet) and the page number removed."""
    remaining = params.copy()
    remaining.pop("page", None)
    kept = [v for v in remaining.getlist(facet_name) if value is not None and v != value]
    remaining.setlist(facet_name, kept)
    if facet_name == "municipality":  # the reading of a typed name goes with its filter
        remaining.setlist("place", [code for code in remaining.getlist("place") if code in kept])
    return "?" + remaining.urlencode()


def _toggled(params, facet_name, value) -> str:
    """The query string with one facet value removed if selected, else added; back to page 1."""
    if value in params.getlist(facet_name):
        return _without(params, facet_name, value)
    added = params.copy()
    added.pop("page", None)
    added.appendlist(facet_name, value)
    return "?" + added.urlencode()


def _chips(result, params):
    """Active filters, each with the link that removes it."""
    return [
        {"facet": facet, "bucket": bucket, "remove_url": _without(params, facet.name, bucket.value)}
        for facet in FACETS for bucket in result.facets[facet.name] if bucket.selected
    ]


def _suggestion(result, params):
    """With no results: the one selected filter whose removal gives the most results."""
    if result.total or not result.totals_without:
        return None
    facet_name, count = max(result.totals_without.items(), key=lambda item: item[1])
    if not count:
        return None
    facet = next(f for f in FACETS if f.name == facet_name)
    return {"facet": facet, "count": count, "url": _without(params, facet_name)}


@never_cache
@require_GET
def search_api(request):
    language = request.GET.get("lang") or _language()
    with translation.override(language if language in api.LANGUAGES else None):  # messages in that language
        try:
            search_request = parse_request(request.GET, language, strict=True)
        except InvalidSearch as error:
            return api.error(error)
        return JsonResponse(api.result_json(run_search(search_request), request))


@never_cache
@require_GET
def autocomplete_api(request):
    language = request.GET.get("lang") or _language()
    with translation.override(language if language in api.LANGUAGES else None):
        try:
            return JsonResponse(api.autocomplete(request.GET, language))
        except InvalidSearch as error:
            return api.error(error)


@require_GET
def openapi_schema(request):
    return JsonResponse(api.openapi_schema(request))
