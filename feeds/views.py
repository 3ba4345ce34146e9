"""The Atom feeds over HTTP: thin views over feeds.service, with conditional GET and a page cache.

A rendered feed is cached under the public content and search index tokens of home.caching (every
publish, unpublish, move or relabelling replaces one of them), so a change shows at once, and for at
most MAX_AGE seconds (the Elasticsearch index may apply a change a moment after the tokens change).
Last-Modified is the moment this process first rendered the feed under the current tokens: never
earlier than the last change, the same on every request until the next one. The ETag is the body's hash.
"""

import hashlib
import time

from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse, QueryDict
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from home.caching import HEADER, cache_call, content_tokens
from search.query import InvalidSearch, parse_request

from . import atom, service

MAX_AGE = 300  # seconds: Cache-Control for readers and proxies, and the longest a cached feed is kept
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
IGNORED = ("sort", "page", "page_size")  # a feed has its own order and length


def _language() -> str:
    return (get_language() or "fi").split("-")[0]


@require_safe
def practices_feed(request):
    search_request = parse_request(QueryDict(), _language(), strict=True)
    return _respond(request, search_request, service.search_url(search_request))


@require_safe
def region_feed(request, code):
    search_request = _facet_request("region", code)
    alternate = service.region_page_url(code, search_request.locale) or service.search_url(search_request)
    return _respond(request, search_request, alternate)


@require_safe
def theme_feed(request, code):
    search_request = _facet_request("theme", code)
    return _respond(request, search_request, service.search_url(search_request))


@require_safe
def search_feed(request):
    params = request.GET.copy()
    for name in IGNORED:
        params.pop(name, None)
    try:
        search_request = parse_request(params, _language(), strict=False)
    except InvalidSearch as error:
        return HttpResponse(_("This feed cannot be made: %(reason)s") % {"reason": error.message}, status=400,
                            content_type="text/plain; charset=utf-8")
    return _respond(request, search_request, service.search_url(search_request))


def _facet_request(facet: str, code: str):
    params = QueryDict(mutable=True)
    params[facet] = code
    try:
        return parse_request(params, _language(), strict=True)
    except InvalidSearch as error:
        raise Http404(error.message) from error


def _cache_key(request) -> str:
    where = "\0".join([request.scheme, request.get_host(), request.get_full_path(), _language()])
    return f"kb-feed:{content_tokens()}:{hashlib.sha256(where.encode()).hexdigest()}"


def _respond(request, search_request, alternate_url):
    key = _cache_key(request)
    cached = cache_call(cache.get, key)  # (first rendered at, body or None)
    if cached is not None and cached[1] is not None:
        first_rendered, body = cached
        cache_state = "hit"
    else:
        cache_state = "miss"
        first_rendered = cached[0] if cached is not None else int(time.time())
        feed = service.build(search_request, request.build_absolute_uri, request.get_full_path(), alternate_url)
        body = atom.render(feed)
        # The body only when rendered from committed data (as home.caching); the moment in any case.
        cache_call(cache.set, key, (first_rendered, None if connection.in_atomic_block else body), MAX_AGE)
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(first_rendered)
    response[HEADER] = cache_state
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return get_conditional_response(request, etag=etag, last_modified=first_rendered, response=response)
