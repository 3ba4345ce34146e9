"""Helpers shared by the search tests."""

from django.http import QueryDict

from search.query import parse_request
from search.service import search


def run(locale="fi", **params):
    """Search through the same validation the page and the API use."""
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query.setlist(name, value if isinstance(value, list | tuple) else [value])
    return search(parse_request(query, locale, strict=True))


def titles(result):
    return {hit.title for hit in result.hits}


def counts(result):
    return {name: {b.value: b.count for b in buckets} for name, buckets in result.facets.items()}
