from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language
from wagtail.models import Page

register = template.Library()


@register.simple_tag(takes_context=True)
def language_links(context):
    """One link per language: the same page in that language if it exists, else that language's home."""
    request = context["request"]
    page = context.get("page")
    current = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    translations = {}
    homes = {}
    if isinstance(page, Page):
        translations = {
            p.locale.language_code: p for p in page.get_translations(inclusive=True).live().select_related("locale")
        }
    site = getattr(request, "site", None) or getattr(context.get("page"), "get_site", lambda: None)()
    if site is not None and len(translations) < len(settings.LANGUAGES):
        homes = {
            p.locale.language_code: p
            for p in Page.objects.filter(translation_key=site.root_page.translation_key).live().select_related("locale")
        }
    links = []
    for code, name in settings.LANGUAGES:
        if isinstance(page, Page):
            target = translations.get(code) or homes.get(code)
            url = target.get_url(request) if target else f"/{code}/"
            exact = code in translations
        else:
            url = translate_url(request.get_full_path(), code)
            exact = True
        links.append({"code": code, "name": name, "url": url, "current": code == current, "exact": exact})
    return links


@register.filter
def labels(terms):
    """Comma-separated labels of taxonomy terms in the active language."""
    return ", ".join(term.label for term in terms)
