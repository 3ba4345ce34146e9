"""The footer's links to the pages about the service (home/service_pages.py)."""

from django import template
from django.conf import settings
from django.utils.translation import get_language

from home.service_pages import service_pages as links_of

register = template.Library()


@register.simple_tag
def service_pages() -> dict:
    """{purpose: {"url", "language"}} for the visitor's language (Finnish pages where one is missing)."""
    return links_of((get_language() or settings.LANGUAGE_CODE).split("-")[0])
