"""Presentation helpers of the search results page."""

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from search.facets import FACETS_BY_NAME, value_labels

register = template.Library()

# What each result shows about itself, in this order: (facet name, label of the row).
RESULT_METADATA = (
    ("region", _("Region")),
    ("municipality", _("Municipality")),
    ("evidence_level", _("Evidence level")),
    ("status", _("Status")),
    ("activity_form", _("Activity form")),
)


@register.simple_tag(takes_context=True)
def result_metadata(context, hit):
    """[{"name", "label", "values"}] of a search hit's facet codes, labelled in the active language.
    Rows without values are left out; a code without a label (a term deleted since the hit was
    indexed) is shown as it is rather than hidden."""
    language = (get_language() or "fi").split("-")[0]
    cache = context.render_context.setdefault("result_metadata_labels", {})  # once per page, not per hit
    rows = []
    for name, label in RESULT_METADATA:
        codes = hit.facets.get(name) or []
        if not codes:
            continue
        if name not in cache:
            facet = FACETS_BY_NAME.get(name)
            cache[name] = value_labels(facet, language) if facet else {}
        labels = cache[name]
        rows.append({"name": name, "label": label, "values": [labels.get(code, code) for code in codes]})
    return rows


@register.simple_tag
def offers_neighbours(search_request) -> bool:
    """Whether "include neighbouring regions" means something: it widens the selected regions, or
    the regions of the selected municipalities (search.query, neighbours=1)."""
    return bool(search_request.selected("region") or search_request.selected("municipality"))
