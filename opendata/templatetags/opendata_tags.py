from urllib.parse import urlencode

from django import template
from django.urls import reverse

from opendata.exports import EXPORT_LIMIT

register = template.Library()


def search_export_url(fmt, search_request) -> str:
    """The export of the search ``search_request`` asks for: the same parameters, every result."""
    query = urlencode(search_request.params()) if search_request else ""
    return reverse("search_export", kwargs={"fmt": fmt}) + (f"?{query}" if query else "")


@register.simple_tag
def search_exports(search_request, result):
    """The links of the search page's "download" part, or why there are none."""
    total = result.total if result else 0
    return {"csv": search_export_url("csv", search_request), "xlsx": search_export_url("xlsx", search_request),
            "total": total, "too_many": total > EXPORT_LIMIT, "limit": EXPORT_LIMIT}
