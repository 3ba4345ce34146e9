"""The feeds' addresses and titles for templates: <link rel="alternate"> in <head> and visible links."""

from django import template
from django.urls import reverse
from django.utils.translation import get_language

from search.query import SearchRequest

from .. import service

register = template.Library()


def _language() -> str:
    return (get_language() or "fi").split("-")[0]


def _feed(url: str, search_request: SearchRequest) -> dict:
    return {"url": url, "title": service.feed_title(search_request)}


@register.simple_tag
def language_feed() -> dict:
    """The feed of every practice in the current language."""
    return _feed(reverse("feeds:practices"), SearchRequest(locale=_language()))


@register.simple_tag
def region_feed(region_page) -> dict:
    """The feed of a region page's region ("national" for the page of national practices)."""
    code = region_page.search_filter()
    return _feed(reverse("feeds:region", args=[code]), SearchRequest(locale=_language(), selections={"region": (code,)}))


@register.simple_tag
def search_feed(search_request) -> dict:
    """The feed of a search (its text and filters; the feed has its own order)."""
    return _feed(service.feed_url(search_request), search_request)
