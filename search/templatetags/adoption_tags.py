"""How many places have adopted a practice, for the practice cards (home and region pages)."""

from django import template

from adoptions.models import Adoption
from search.facets import ADOPTION_COUNT

register = template.Library()


@register.simple_tag(takes_context=True)
def adoption_count(context, practice) -> int:
    """The practice's approved adoptions: annotated on the practice by the page that lists it
    (search.facets.adoption_count_annotation, no extra query), else every practice's count in one
    grouped query kept on the request (each card is its own {% include %}: never a query per card)."""
    count = getattr(practice, ADOPTION_COUNT, None)
    if count is not None:
        return count
    request = context.get("request")
    counts = getattr(request, "kb_adoption_counts", None)
    if counts is None:
        counts = Adoption.objects.counts()
        if request is not None:
            request.kb_adoption_counts = counts
    return counts.get(practice.translation_key, 0)
