"""Finding practices: the one code path used by the public pages (extended by the search issue)."""

from dataclasses import dataclass, field

from django.db.models import QuerySet
from wagtail.models import Locale

from practices.models import PracticePage, Region, Theme

MAX_QUERY_LENGTH = 200


class InvalidSearch(ValueError):
    """The request cannot be answered as asked; the message is safe to show to the user."""


@dataclass
class SearchRequest:
    locale: Locale
    query: str = ""
    themes: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)


def clean_query(raw: str) -> str:
    from django.utils.translation import gettext as _

    text = "".join(char for char in raw if char.isprintable()).strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidSearch(_("The search text is too long (at most %(max)d characters).") % {"max": MAX_QUERY_LENGTH})
    return text


def find_practices(request: SearchRequest) -> QuerySet | list:
    practices = PracticePage.objects.live().filter(locale=request.locale)
    if request.themes:
        practices = practices.filter(themes__code__in=request.themes).distinct()
    if request.regions:
        practices = practices.filter(regions__code__in=request.regions).distinct()
    if request.query:
        # The database backend applies pk filters; order by relevance only when there is text.
        return PracticePage.objects.live().filter(pk__in=practices.values("pk")).search(request.query, operator="and")
    return practices.order_by("-first_published_at", "-pk")


def selected_terms(request: SearchRequest):
    return {
        "themes": list(Theme.objects.filter(code__in=request.themes)),
        "regions": list(Region.objects.filter(code__in=request.regions)),
    }
