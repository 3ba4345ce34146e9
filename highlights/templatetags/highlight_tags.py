from django import template

from highlights.models import Highlight

register = template.Library()


@register.simple_tag
def practice_highlight(page):
    """The current national highlight of ``page`` (in any of its languages), or None. One query."""
    return Highlight.objects.current().for_practice(page).order_by("sort_order", "pk").first()
