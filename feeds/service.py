"""What a feed holds: the newest changes of one search, as Atom data (feeds.atom writes it).

Every feed is a search (``search.service.search`` with sort="updated", the latest FEED_SIZE hits):
the language's feed is the empty search, a region's or a theme's feed the search with that facet
selected, so a feed always lists what the search page shows, untranslated practices included.
"""

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from practices.models import PracticePage, RegionPage
from search.facets import FACETS, FACETS_BY_NAME, NATIONAL, value_labels
from search.query import SearchRequest
from search.service import search

from . import atom

FEED_SIZE = 50
CATEGORY_FACETS = ("theme", "region")  # shown as atom:category on every entry
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
# An empty feed still needs atom:updated: a fixed moment, so that its ETag stays the same too.
EMPTY_FEED_UPDATED = datetime(2026, 1, 1, tzinfo=UTC)
TAG_DATE = "2026"  # the date in our tag: URIs (RFC 4151); never change it, or every id changes


def tag(specific: str) -> str:
    """A tag: URI under the site's canonical host (the base URL, whatever host served the request)."""
    return f"tag:{urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname},{TAG_DATE}:{specific}"


def feed_request(search_request: SearchRequest) -> SearchRequest:
    """The search a feed runs: newest changes first, the latest FEED_SIZE."""
    return replace(search_request, sort="updated", page=1, page_size=FEED_SIZE)


def canonical_params(search_request: SearchRequest) -> list[tuple[str, str]]:
    """The search's parameters without its order (a feed's is always "updated")."""
    return [(name, value) for name, value in search_request.params() if name != "sort"]


def search_url(search_request: SearchRequest) -> str:
    """The search page listing the feed's practices in the feed's order."""
    return reverse("search") + "?" + urlencode([*canonical_params(search_request), ("sort", "updated")])


def feed_url(search_request: SearchRequest) -> str:
    """The feed of a search page: its own parameters (the feed ignores sort and page)."""
    params = canonical_params(search_request)
    return reverse("feeds:search") + ("?" + urlencode(params) if params else "")


def description(search_request: SearchRequest) -> str:
    """The search in words: its text in quotation marks, then the selected values' labels."""
    parts = [f"“{search_request.text}”"] if search_request.text else []
    for facet in FACETS:
        if search_request.selected(facet.name):  # labels only when needed: every page's <head> calls this
            labels = value_labels(facet, search_request.locale)
            parts += [labels.get(value, value) for value in search_request.selected(facet.name)]
    return ", ".join(parts)


def feed_title(search_request: SearchRequest) -> str:
    what = description(search_request)
    if what:
        return _("KB – new and updated practices: %(search)s") % {"search": what}
    return _("KB – new and updated practices")


def region_page_url(code: str, language: str) -> str | None:
    """The live region page of ``code`` ("national" too) in ``language``, if there is one."""
    pages = RegionPage.objects.live().filter(locale__language_code=language)
    pages = pages.filter(region__isnull=True) if code == NATIONAL else pages.filter(region__code=code)
    page = pages.first()
    return page.url if page is not None else None


def build(search_request: SearchRequest, absolute, self_url: str, alternate_url: str) -> atom.Feed:
    """The feed of ``search_request``. ``absolute(path)`` makes an absolute IRI; ``self_url`` is the
    address the feed was asked for, ``alternate_url`` its HTML page."""
    search_request = feed_request(search_request)
    language = search_request.locale
    result = search(search_request)
    pages = (PracticePage.objects.filter(pk__in=[hit.id for hit in result.hits])
             .select_related("lead_organisation").only("translation_key", "lead_organisation__name"))
    pages = {page.pk: page for page in pages}
    labels = {name: value_labels(FACETS_BY_NAME[name], language) for name in CATEGORY_FACETS}
    site = _("KB – good practices for integration")
    entries = []
    for hit in result.hits:
        page = pages.get(hit.id)
        if page is None:  # deleted since the search: gone from the feed too
            continue
        updated = hit.last_published_at or hit.first_published_at or EMPTY_FEED_UPDATED
        entries.append(atom.Entry(
            # The feed's language in the id: a translation published later updates the same entry.
            id=tag(f"practice:{page.translation_key}:{language}"),
            title=hit.title,
            link=atom.Link(absolute(hit.url), hreflang=hit.language),
            published=hit.first_published_at or updated,
            updated=updated,
            author=page.lead_organisation.name if page.lead_organisation else site,
            language=hit.language,
            summary=hit.summary,
            categories=[atom.Category(term=code, scheme=tag(f"taxonomy:{name}"), label=labels[name].get(code, code))
                        for name in CATEGORY_FACETS for code in hit.facets.get(name, [])],
        ))
    query = urlencode(canonical_params(search_request))
    return atom.Feed(
        id=tag(f"feed:{language}" + (f"?{query}" if query else "")),
        title=feed_title(search_request),
        subtitle=_("Practices published or updated in KB, the knowledge base of good practices for "
                   "integrating immigrants: the latest %(count)d, newest changes first.") % {"count": FEED_SIZE},
        language=language,
        self_link=absolute(self_url),
        alternate=atom.Link(absolute(alternate_url), hreflang=language),
        updated=max((entry.updated for entry in entries), default=EMPTY_FEED_UPDATED),
        rights=_("The practice descriptions are open data under the Creative Commons Attribution 4.0 "
                 "licence (CC BY 4.0, %(url)s), like KB's open data.") % {"url": LICENCE_URL},
        author=site,
        author_uri=absolute(f"/{language}/"),  # the home page, as the header's brand link
        entries=entries,
    )
