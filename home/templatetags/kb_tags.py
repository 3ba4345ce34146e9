from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language
from wagtail.models import Page

register = template.Library()


UNTRANSLATED = "untranslated"  # query flag: the home page explains the page was not translated yet


@register.simple_tag(takes_context=True)
def language_links(context):
    """One link per language: the same page in that language when it is translated and live; for a
    practice, otherwise the practice in its original language with that language's interface (the
    page's ``language_fallbacks``); otherwise that language's home page, which then says so."""
    request = context["request"]
    page = context.get("page")
    current = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    translations = {}
    fallbacks = context.get("language_fallbacks") or {}
    if isinstance(page, Page):
        # The page's get_context may have read them already (with its own query).
        live = context.get("page_translations")
        if live is None:
            live = page.get_translations(inclusive=True).live().select_related("locale")
        translations = {p.locale.language_code: p for p in live}
    links = []
    for code, name in settings.LANGUAGES:
        to_home = False
        if not isinstance(page, Page):  # a view such as search: the same URL in the other language
            url, exact = translate_url(request.get_full_path(), code), True
        elif code in translations:
            url, exact = translations[code].get_url(request), True
        elif code in fallbacks:
            url, exact = fallbacks[code], False
        else:
            url, exact, to_home = f"/{code}/?{UNTRANSLATED}=1", False, True
        links.append({"code": code, "name": name, "url": url, "absolute_url": request.build_absolute_uri(url),
                      "current": code == current, "exact": exact,
                      "to_home": to_home})
    return links


@register.simple_tag(takes_context=True)
def page_full_url(context, page=None):
    """The absolute URL of a page (the current one by default), e.g. to share or print it."""
    page = page or context["page"]
    request = context["request"]
    return request.build_absolute_uri(page.get_url(request))


@register.filter
def labels(terms):
    """Comma-separated labels of taxonomy terms in the active language."""
    return ", ".join(term.label for term in terms)


@register.simple_tag
def language_name(code):
    """The name of a content language in the active language, e.g. "in Finnish" labels."""
    from django.utils.translation import gettext

    names = {"fi": gettext("Available in Finnish"), "sv": gettext("Available in Swedish"),
             "en": gettext("Available in English")}
    return names.get(code, code)
