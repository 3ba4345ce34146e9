from urllib.parse import urlencode

from django import template
from django.utils.translation import get_language

from alerts.forms import SubscribeForm

register = template.Library()


@register.simple_tag
def alert_form(search_request):
    """An empty subscription form for the search on the page (its canonical parameters, hidden)."""
    language = (get_language() or "fi").split("-")[0]
    return SubscribeForm(language=language, initial={"search": urlencode(search_request.params())})
