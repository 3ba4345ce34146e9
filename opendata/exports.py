"""A search result as a table: every matching practice, in the search's order, one row each.

The rows come from the search service itself (``search.service.search``) with the same request and
one page as large as the export limit, so the filtering, the order and the live-page check are the
search page's own, not a second code path. The limit is the deepest result a search can reach
(``search.query.MAX_RESULT_WINDOW``, Elasticsearch's result window): a larger result is refused with
a message asking to narrow the search, rather than cut silently. The values are the hits' facet
codes with the facets' labels in the active language: no query per row.
"""

import dataclasses

from django.utils.translation import gettext as _

from search.facets import FACETS_BY_NAME, value_labels
from search.query import MAX_RESULT_WINDOW, SearchRequest
from search.service import SearchResult, search

EXPORT_LIMIT = MAX_RESULT_WINDOW
# The facets shown as columns, in column order, after the title, the address and the summary.
FACET_COLUMNS = ("region", "municipality", "theme", "target_group", "organisation_type", "activity_form",
                 "language", "funding", "status", "evidence_level")


class TooManyResults(Exception):
    def __init__(self, total: int):
        super().__init__(total)
        self.total = total


def export_result(search_request: SearchRequest) -> SearchResult:
    """Every hit of the search (raises TooManyResults above EXPORT_LIMIT)."""
    result = search(dataclasses.replace(search_request, page=1, page_size=EXPORT_LIMIT))
    if result.total > EXPORT_LIMIT:
        raise TooManyResults(result.total)
    return result


def header() -> list[str]:
    return [_("Title"), _("Address"), _("Summary"),
            *(str(FACETS_BY_NAME[name].label) for name in FACET_COLUMNS),
            _("First published"), _("Last updated"), _("Language of the text"), _("Not translated"),
            _("Approved adoptions")]


def rows(result: SearchResult, absolute_url) -> list[list]:
    """The table's rows; ``absolute_url`` turns a hit's path into an address with the host."""
    language = result.request.locale
    labels = {name: value_labels(FACETS_BY_NAME[name], language) for name in FACET_COLUMNS}
    yes, no = _("Yes"), _("No")
    return [
        [hit.title, absolute_url(hit.url), hit.summary,
         *([labels[name].get(code, code) for code in hit.facets.get(name, [])] for name in FACET_COLUMNS),
         hit.first_published_at, hit.last_published_at, hit.language, yes if hit.is_fallback else no,
         hit.adoption_count]
        for hit in result.hits
    ]
