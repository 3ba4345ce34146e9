"""Finnish, Swedish and English throughout: switching, hreflang, translation rules, locale formats."""

import datetime
import html as html_module
import re
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType
from wagtail.models import Locale
from wagtail_localize.models import Translation, TranslationSource

from practices.collation import sort_key
from practices.models import PracticeIndexPage, PracticePage, RegionPage, Theme

from .factories import log_in_superuser, make_practice
from .search_helpers import run, titles

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def switcher(html):
    """language code -> href of the language switcher."""
    nav = html[html.index('class="language-switcher"'):]
    nav = nav[:nav.index("</ul>")]
    return {code: html_module.unescape(href) for href, code in re.findall(r'<a href="([^"]+)" lang="(\w\w)"', nav)}


def alternates(html):
    return dict((code, href) for code, href in re.findall(r'<link rel="alternate" hreflang="([\w-]+)" href="([^"]+)"', html))


def translated_practice():
    sv = PracticePage.objects.live().filter(locale__language_code="sv").first()
    return PracticePage.objects.get(translation_key=sv.translation_key, locale__language_code="fi")


def page_urls_fi():
    index = PracticeIndexPage.objects.get(locale__language_code="fi")
    return ["/fi/", index.url, RegionPage.objects.child_of(index).get(region__code="01").url, translated_practice().url,
            "/fi/search/?q=kirjasto&theme=language"]


@pytest.mark.parametrize("position", range(5))
def test_switching_language_round_trip_for_every_page_type(client, position):
    url = page_urls_fi()[position]
    html = client.get(url).content.decode()
    for code in ("sv", "en"):
        other = switcher(html)[code]
        assert other.startswith(f"/{code}/") and "untranslated" not in other
        response = client.get(other)
        assert response.status_code == 200
        other_html = response.content.decode()
        assert f'<html lang="{code}">' in other_html
        assert switcher(other_html)["fi"] == url  # and back to where we started


def test_untranslated_practice_switches_to_its_original_with_that_languages_interface(client, uusimaa):
    """(Other untranslated pages lead to that language's home page with a notice.)"""
    page = make_practice(uusimaa, title="Vain suomeksi")
    html = client.get(page.url).content.decode()
    sv_region = uusimaa.get_translation(Locale.objects.get(language_code="sv"))
    assert switcher(html)["sv"] == f"{sv_region.url}{page.slug}/"  # see tests/test_practice_page.py
    notice = client.get("/sv/?untranslated=1").content.decode()
    assert "har inte översatts" in notice or "not been translated" in notice
    assert set(alternates(html)) == {"fi", "x-default"}


def test_hreflang_lists_every_translation(client):
    html = client.get(translated_practice().url).content.decode()
    links = alternates(html)
    assert set(links) == {"fi", "sv", "en", "x-default"}
    assert links["x-default"] == links["fi"] and links["sv"].startswith("http://testserver/sv/")


def test_search_result_from_another_language_is_marked(client, uusimaa):
    make_practice(uusimaa, title="Saunailta")
    html = client.get("/sv/search/", {"q": "saunailta"}).content.decode()
    assert 'lang="fi"' in html and "Finns på finska" in html


def test_translation_keeps_taxonomies_on_every_sync():
    source = translated_practice()
    translation = Translation.objects.get(source__object_id=source.translation_key,
                                          target_locale__language_code="sv")
    source.themes = [Theme.objects.get(code="housing"), Theme.objects.get(code="digital")]
    source.save_revision().publish()
    TranslationSource.update_or_create_from_instance(source)
    translation.save_target(publish=True)
    target = source.get_translation(Locale.objects.get(language_code="sv"))
    assert set(target.specific.themes.values_list("code", flat=True)) == {"housing", "digital"}


def test_translation_submitted_in_the_admin_starts_as_a_draft(client, uusimaa):
    page = make_practice(uusimaa, title="Käännettävä kerho")
    log_in_superuser(client)
    sv = Locale.objects.get(language_code="sv")
    response = client.post(f"/admin/localize/submit/page/{page.pk}/", {"locales": [sv.pk]})
    assert response.status_code == 302
    draft = page.get_translation(sv)
    assert not draft.live  # nothing goes live before review


def test_admin_speaks_the_editors_language(client):
    html = log_in_superuser(client, "sv").get("/admin/").content.decode()
    assert 'lang="sv"' in html and "Sidor" in html


@pytest.mark.parametrize("language, text", [("fi", "1. syyskuuta 2019"), ("sv", "1 september 2019"),
                                            ("en", "Sept. 1, 2019")])
def test_dates_follow_the_language(client, language, text):
    page = translated_practice()
    PracticePage.objects.filter(translation_key=page.translation_key).update(start_date=datetime.date(2019, 9, 1))
    target = PracticePage.objects.get(translation_key=page.translation_key, locale__language_code=language)
    assert text in client.get(target.url).content.decode()


def test_swedish_alphabetical_order():
    words = ["Ölkafé", "Zebra", "Ärlig", "Åland", "Apa", "Émile"]
    assert sorted(words, key=sort_key) == ["Apa", "Émile", "Zebra", "Åland", "Ärlig", "Ölkafé"]


def test_plain_language_summary_is_shown_and_searchable(client, uusimaa):
    page = make_practice(uusimaa, title="Selkokerho", plain_summary="Tässä kerhossa puhutaan helppoa suomea.")
    html = client.get(page.url).content.decode()
    assert "Selkokielellä" in html and "helppoa suomea" in html
    assert "Selkokerho" in titles(run(q="helppoa"))


# --- Every user-visible template text goes through gettext --------------------------------------
UNTRANSLATABLE = {"templates/500.html"}  # must render even when translations cannot be loaded
VISIBLE_ATTRIBUTES = re.compile(r'\b(?:alt|title|aria-label|placeholder)="([^"\x00]*[A-Za-zÅÄÖåäö][^"\x00]*)"')


def untranslated_texts(path):
    """Words of the template's own text outside {% translate %} / {% blocktranslate %}."""
    pieces, inside_blocktranslate = [], False
    for token in Lexer(path.read_text()).tokenize():
        if token.token_type == TokenType.TEXT:
            pieces.append(" " if inside_blocktranslate else token.contents)
            continue
        pieces.append("\x00")  # a variable or tag: never literal text
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0]
            if name in {"blocktranslate", "blocktrans"}:
                inside_blocktranslate = True
            elif name in {"endblocktranslate", "endblocktrans"}:
                inside_blocktranslate = False
    markup = "".join(pieces)
    problems = VISIBLE_ATTRIBUTES.findall(markup)
    text = re.sub(r"<[^>]*>", " ", markup)
    text = re.sub(r"&\w+;|[^\w]|\d|_", " ", text)
    return problems + [word for word in text.split() if word != "KB"]


@pytest.mark.parametrize("path", sorted(p for p in ROOT.glob("templates/**/*.html")), ids=lambda p: p.name)
def test_templates_have_no_text_outside_gettext(path):
    if str(path.relative_to(ROOT)) in UNTRANSLATABLE:
        return
    assert untranslated_texts(path) == []


def test_region_page_lists_practices_not_yet_translated(client, uusimaa):
    page = make_practice(uusimaa, title="Vain suomeksi -kerho")
    sv_region = uusimaa.get_translation(Locale.objects.get(language_code="sv"))
    html = client.get(sv_region.url).content.decode()
    # To the practice with this language's interface (RegionPage.route), not to the Finnish site.
    fallback = f"{sv_region.url}{page.slug}/"
    assert f'<a href="{fallback}" lang="fi" hreflang="fi">Vain suomeksi -kerho</a>' in html
    assert '<html lang="sv">' in client.get(fallback).content.decode()
    assert "Finns på finska" in html


def test_translation_names_its_original_language(client):
    source = translated_practice()
    sv = PracticePage.objects.get(translation_key=source.translation_key, locale__language_code="sv")
    html = client.get(sv.url).content.decode()
    assert "<dt>Originalspråk</dt><dd>Finska</dd>" in html
    assert "Alkuperäinen kieli" not in client.get(source.url).content.decode()
