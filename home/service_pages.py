"""The footer's links to the pages about the service (home.InfoPage by purpose), on every public page.

Kept in the cache (per language) so that they cost no query on most requests: public pages
run a fixed, small number of queries (tests/test_page_queries.py). Publishing, unpublishing, moving or
deleting an information page forgets them (home/signals.py). With a cache per process (locmem) the
other processes keep theirs for at most CACHE_SECONDS; a renamed page's old address still answers
then, through the redirect Wagtail creates on a slug change."""

from django.conf import settings
from django.core.cache import cache

from .caching import cache_call
from .models import InfoPage

CACHE_SECONDS = 300
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _key(language: str) -> str:
    return f"kb-service-pages:{language}"


def find(language: str) -> dict:
    """{purpose: {"url", "language"}} of the live information pages in ``language``, or in the source
    language (Finnish) where a translation is not live: one query. The URLs are the same for every
    request (Wagtail's: local with one Site, with the domain when there are several)."""
    source = settings.LANGUAGE_CODE.split("-")[0]
    pages = (InfoPage.objects.live().exclude(purpose="")
             .filter(locale__language_code__in={language, source})
             .select_related("locale").order_by("path"))
    found = {}
    for page in pages:
        page_language = page.locale.language_code
        known = found.get(page.purpose)
        if known is None or (known["language"] != language and page_language == language):
            found[page.purpose] = {"url": page.get_url(), "language": page_language}
    return found


def service_pages(language: str) -> dict:
    """find(), from the cache when it is there."""
    links = cache_call(cache.get, _key(language))
    if links is None:
        links = find(language)
        cache_call(cache.set, _key(language), links, CACHE_SECONDS)
    return links


def forget():
    """Drop the cached links of every language."""
    cache_call(cache.delete_many, [_key(language) for language in LANGUAGES])
