"""A cache of rendered public pages, invalidated on publish.

Every cached page is keyed on two random tokens read in ONE query per request: the public content
token (``PublicContentState``, replaced in the transaction of every publish, unpublish, move,
rename or delete of a page and every change of a highlight, term, organisation, site or locale,
see home/signals.py) and the search index token (``SearchIndexState``, replaced by every index
write: the home page's region counts come from the search). Random tokens rather than counters:
after a rollback a counter would repeat with other data. A change anywhere therefore makes every
cached page unreachable at once, in every process (the tokens live in the database), with the
local cache as with a shared one (Redis); the entries then expire on their own.

Only what is the same for every visitor is cached: GET requests without a session cookie (never a
preview, never an editor, nor a visitor who passed a page's password), a page
rendered outside any transaction (committed data only), HTTP 200, no CSRF token used, and only the
query parameters a page reads (others are rendered, never cached). The key also holds the host,
the scheme, the language and the date (highlights have periods).

Known limit: with Elasticsearch, the home page's counts come from it, and it applies a change shortly
after the database index (and refreshes about every second): a home page rendered in that moment
keeps the older counts until the next change or its expiry (``KB_PAGE_CACHE_SECONDS``, default 600).
The lists of practices themselves always come from the database."""

import hashlib
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

CONTENT_STATE = "home_publiccontentstate"
INDEX_STATE = "kb_search_searchindexstate"  # search.backends.facet_matrix.STATE (no import cycle)
CACHED_PARAMETERS = frozenset({"page", "untranslated"})  # query parameters the cached pages read
HEADER = "X-KB-Page-Cache"  # hit or miss: for the benchmarks and the tests


def timeout() -> int:
    """Seconds a rendered page is kept at most; 0 turns the cache off."""
    return getattr(settings, "KB_PAGE_CACHE_SECONDS", 600)


def content_changed():
    """Inside the writing transaction: replace the public content token (rolled back with it)."""
    token = uuid.uuid4().hex
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {CONTENT_STATE} SET token = %s WHERE id = 1", [token])
        if cursor.rowcount == 0:
            cursor.execute(f"INSERT INTO {CONTENT_STATE} (id, token) VALUES (1, %s)", [token])


def content_tokens() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT token FROM {CONTENT_STATE} WHERE id = 1), "
                       f"(SELECT token FROM {INDEX_STATE} WHERE id = 1)")
        content, index = cursor.fetchone()
    return f"{content or '-'}:{index or '-'}"


def cache_key(request):
    """The key of this request's page, or None when the response must not be cached."""
    if (request.method != "GET" or timeout() <= 0 or getattr(request, "is_preview", False)
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or not CACHED_PARAMETERS.issuperset(request.GET)
            or any(len(values) > 1 for _name, values in request.GET.lists())):
        return None
    parameters = "&".join(f"{name}={request.GET[name]}" for name in sorted(request.GET))
    where = "\0".join([request.scheme, request.get_host(), request.path, parameters, get_language() or "",
                       timezone.localdate().isoformat()])
    return f"kb-page:{content_tokens()}:{hashlib.sha256(where.encode()).hexdigest()}"


def cache_call(method, *args):
    """A cache that fails (e.g. Redis down) costs speed, never the page: the visitor gets it rendered."""
    try:
        return method(*args)
    except Exception:
        logger.warning("page cache unavailable (%s): rendering without it", method.__name__, exc_info=True)
        return None


class CachedPageMixin:
    """Serve a page from the page cache when a visitor may get the same HTML as everybody else."""

    def serve(self, request, *args, **kwargs):
        key = cache_key(request)
        if key is not None:
            cached = cache_call(cache.get, key)
            if cached is not None:
                content, content_type = cached
                response = HttpResponse(content, content_type=content_type)
                response[HEADER] = "hit"
                return response
        response = super().serve(request, *args, **kwargs)
        if key is None:
            return response
        if hasattr(response, "render"):
            response.render()
        response[HEADER] = "miss"
        # Only committed data, the same for every visitor, is kept.
        if (response.status_code == 200 and not connection.in_atomic_block and not response.cookies
                and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")):
            cache_call(cache.set, key, (response.content, response["Content-Type"]), timeout())
        return response

