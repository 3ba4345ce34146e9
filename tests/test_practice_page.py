"""The practice page answers "could we adopt this?" at the top (summary box, table of contents), and a
practice that exists only in Finnish (or Swedish) is shown in the visitor's interface language, with
its text in the original language, a notice and lang attributes; the language switcher keeps the
visitor on the same practice."""

import html as html_module
import json
import re

import pytest
from django.db import connection
from wagtail.models import Locale

from home.caching import HEADER
from practices.models import PracticePage
from tests.factories import make_organisation, make_practice
from tests.test_i18n import alternates, switcher
from tests.test_page_queries import MAX_QUERIES, QueryCounter, demo_restored_afterwards, queries  # noqa: F401

pytestmark = pytest.mark.django_db

FINNISH_ONLY_EN = "This practice is available only in Finnish. The description is shown in Finnish."
FINNISH_ONLY_SV = "Den här praxisen finns bara på finska. Beskrivningen visas på finska."


def get_html(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def part(html, start, end):
    """The HTML from the first ``start`` to the next ``end``."""
    html = html[html.index(start):]
    return html[:html.index(end) + len(end)]


def summary_box(html):
    return part(html, '<section class="summary-box"', "</section>")


def text(html):
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def toc_anchors(html):
    return re.findall(r'<li><a href="#([\w-]+)">', part(html, '<nav class="toc"', "</nav>"))


def translation(page, language):
    return page.get_translation(Locale.objects.get(language_code=language))


def fallback_url(page, language):
    """Where the practice ``page`` is shown with the interface in ``language``."""
    return f"{translation(page.get_parent(), language).url}{page.slug}/"


def finnish_only(uusimaa, **fields):
    return make_practice(uusimaa, title="Vain suomeksi -kerho", summary="Kerho, josta on vain suomenkielinen kuvaus.",
                         **fields)


# --- The summary box and the table of contents -------------------------------------------------------

def test_summary_box_answers_what_where_who_evidence_cost_adoption_and_contact(client, uusimaa):
    lead = make_organisation("Tampereen kaupunginkirjasto")
    lead.website = "https://kirjasto.example/"
    lead.save()
    page = make_practice(
        uusimaa, summary="Kielikahvila kirjastossa kerran viikossa.", municipalities="Helsinki, Espoo",
        lead_organisation=lead, budget_band="under_5k", evidence_level="promising",
        transferability="<p>Tila, kaksi vapaaehtoista ja &amp; kahvia. Lisäksi paljon muuta.</p>",
        contacts=[{"name": "Maija Mallikas", "email": "maija@kb.example", "publish_consent": True}],
    )
    page.partner_organisations.set([make_organisation(), make_organisation()])
    page.save_revision().publish()
    box = summary_box(get_html(client, page.url))
    assert '<h2 id="summary-heading">Lyhyesti</h2>' in box and "<dl" in box
    words = text(box)
    for expected in ("Mikä se on Kielikahvila kirjastossa kerran viikossa.",
                     "Missä Uusimaa (Helsinki, Espoo)",
                     "Kuka toteuttaa Tampereen kaupunginkirjasto, mukana 2 kumppania",
                     "Näytön taso Lupaava",
                     "Kustannukset Alle 5 000 € vuodessa",
                     "Mitä käyttöönotto edellyttää Tila, kaksi vapaaehtoista ja & kahvia.",
                     "Keneen ottaa yhteyttä Maija Mallikas, maija@kb.example"):
        assert expected in words, (expected, words)
    assert 'href="#evidence-level"' in box and 'href="#adoption"' in box  # the definition, the section
    assert 'href="mailto:maija@kb.example"' in box
    assert "Ota yhteyttä vastuuorganisaatioon" not in box


def test_summary_box_without_published_contacts_points_to_the_lead_organisation(client, uusimaa):
    lead = make_organisation("Vastuuyhdistys ry")
    lead.website = "https://vastuu.example/"
    lead.save()
    page = make_practice(uusimaa, lead_organisation=lead, contacts=[
        {"name": "Salainen Henkilö", "email": "salainen@kb.example", "publish_consent": False}])
    html = get_html(client, page.url)
    box = summary_box(html)
    assert "Ota yhteyttä vastuuorganisaatioon." in box
    assert '<a href="https://vastuu.example/">Vastuuyhdistys ry</a>' in box
    assert "Salainen" not in html and "salainen@kb.example" not in html
    assert "Kustannukset ei ilmoitettu" in text(box)  # no budget band given


def test_table_of_contents_lists_only_sections_with_content_and_every_anchor_exists(client, uusimaa):
    bare = make_practice(uusimaa, problem="<p></p>")
    html = get_html(client, bare.url)
    assert toc_anchors(html) == ["model", "who", "money", "results", "adopted", "contacts"]
    for anchor in toc_anchors(html):
        assert f'<section id="{anchor}"' in html
    assert 'id="need"' not in html and 'id="links"' not in html

    full = make_practice(uusimaa, links=json.dumps(
        [{"type": "link", "value": {"title": "Kotisivu", "url": "https://kerho.example/"}}]))
    assert toc_anchors(get_html(client, full.url)) == ["need", "model", "who", "money", "results", "adopted", "contacts",
                                                       "links"]


def test_print_button_is_in_the_page_for_the_script_to_show(client, uusimaa):
    html = get_html(client, make_practice(uusimaa).url)
    assert '<button type="button" class="secondary print-button" data-print hidden>Tulosta</button>' in html
    assert '<script src="/static/js/print.js" defer></script>' in html


# --- A practice shown in a language it has not been translated into ----------------------------------

def test_finnish_only_practice_is_shown_with_the_english_interface_and_a_notice(client, uusimaa):
    page = finnish_only(uusimaa)
    url = fallback_url(page, "en")
    assert url.startswith("/en/") and url.endswith(f"/{page.slug}/")
    html = get_html(client, url)
    assert '<html lang="en">' in html
    assert f'<p class="notice untranslated-notice">{FINNISH_ONLY_EN}</p>' in html
    assert '<h1 lang="fi">Vain suomeksi -kerho</h1>' in html
    assert '<dd lang="fi">Kerho, josta on vain suomenkielinen kuvaus.</dd>' in html
    assert '<div lang="fi"><p>Tarve, johon käytäntö vastaa.</p></div>' in html
    assert '<h2 id="summary-heading">In brief</h2>' in html and '<h2 id="need-heading">The need</h2>' in html
    # The breadcrumb and the search stay in English; the original is the page search engines index.
    assert f'<a href="{translation(uusimaa, "en").url}">' in part(html, 'class="breadcrumb"', "</nav>")
    assert f'<link rel="canonical" href="http://testserver{page.url}">' in html
    assert '<meta name="robots" content="noindex">' in html
    assert f'href="http://testserver{url}" data-share-url' in html  # shared as seen


def test_finnish_only_practice_in_swedish_says_so_in_swedish(client, uusimaa):
    page = finnish_only(uusimaa)
    html = get_html(client, fallback_url(page, "sv"))
    assert '<html lang="sv">' in html and FINNISH_ONLY_SV in html and '<h1 lang="fi">' in html


def test_original_page_has_no_notice_nor_lang_marks(client, uusimaa):
    html = get_html(client, finnish_only(uusimaa).url)
    assert "untranslated-notice" not in html and ' lang="fi"' not in html.split("<body>")[1].replace(
        'lang="fi" hreflang="fi"', "")
    assert 'rel="canonical"' not in html and "noindex" not in html


def test_no_fallback_when_a_live_translation_exists(client, uusimaa):
    page = finnish_only(uusimaa)
    english = page.copy_for_translation(Locale.objects.get(language_code="en"))
    english.slug = "only-in-english-slug"
    english.save_revision().publish()
    get_html(client, fallback_url(page, "en"), status=404)
    assert "Vain suomeksi" in get_html(client, f"{translation(uusimaa, 'en').url}only-in-english-slug/")
    # While the translation is a draft, the original is shown.
    PracticePage.objects.get(pk=english.pk).unpublish()
    assert FINNISH_ONLY_EN in get_html(client, fallback_url(page, "en"))


def test_no_fallback_for_a_practice_that_is_not_live_or_a_slug_that_does_not_exist(client, uusimaa):
    page = finnish_only(uusimaa)
    url = fallback_url(page, "en")
    get_html(client, f"{translation(uusimaa, 'en').url}no-such-practice/", status=404)
    get_html(client, url + "deeper/", status=404)
    PracticePage.objects.get(pk=page.pk).unpublish()
    get_html(client, url, status=404)


def test_fallback_is_only_looked_up_in_the_same_region(client, uusimaa, pirkanmaa):
    page = finnish_only(uusimaa)
    get_html(client, f"{translation(pirkanmaa, 'en').url}{page.slug}/", status=404)


# --- The language switcher ---------------------------------------------------------------------------

def test_switcher_of_an_untranslated_practice_keeps_the_visitor_on_it_in_every_language(client, uusimaa):
    page = finnish_only(uusimaa)
    expected = {"fi": page.url, "sv": fallback_url(page, "sv"), "en": fallback_url(page, "en")}
    for start in expected.values():
        html = get_html(client, start)
        assert switcher(html) == expected, start
        assert "goes to the home page" not in html and "etusivulle" not in html
        assert set(alternates(html)) == {"fi", "x-default"}  # only real translations are alternates
    english = get_html(client, expected["en"])
    assert re.search(rf'<a href="{re.escape(expected["en"])}" lang="en" hreflang="en" aria-current="true">', english)


def test_switcher_of_a_translated_practice_leads_to_its_translations(client):
    swedish = PracticePage.objects.live().filter(locale__language_code="sv").first()
    group = {p.locale.language_code: p.url for p in PracticePage.objects.live().filter(
        translation_key=swedish.translation_key)}
    links = switcher(get_html(client, swedish.url))
    for language, url in group.items():
        assert links[language] == url


def test_switcher_of_a_practice_in_two_languages_shows_the_finnish_one_in_the_third(client, uusimaa):
    page = finnish_only(uusimaa)
    swedish = page.copy_for_translation(Locale.objects.get(language_code="sv"))
    swedish.slug = "bara-pa-svenska"
    swedish.save_revision().publish()
    links = switcher(get_html(client, PracticePage.objects.get(pk=swedish.pk).url))
    assert links["en"] == fallback_url(page, "en")  # the original (Finnish) version
    html = get_html(client, links["en"])
    assert "has not been translated into this language. The description is shown in Finnish." in html


# --- Queries and the page cache ----------------------------------------------------------------------

def test_practice_page_and_its_fallback_run_few_queries(client, uusimaa):
    page = finnish_only(uusimaa, contacts=[{"name": "Yksi", "publish_consent": True}])
    original, _response = queries(client, page.url)
    assert original <= MAX_QUERIES
    # Any page below /en/ or /sv/ costs Wagtail one query more than below /fi/ (the home page's
    # translation): the fallback costs no more than an English practice that has its translation.
    shown_in_english, _response = queries(client, fallback_url(page, "en"))
    english = PracticePage.objects.live().filter(locale__language_code="en", depth=page.depth).first()
    translated_english, _response = queries(client, english.url)
    assert shown_in_english <= translated_english <= MAX_QUERIES + 1, (shown_in_english, translated_english)
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        assert client.get(f"{translation(uusimaa, 'en').url}no-such-practice/").status_code == 404
    assert len(counter.statements) <= MAX_QUERIES


@pytest.mark.usefixtures("demo_restored_afterwards")  # requested before transactional_db: see its docstring
def test_fallback_page_is_cached_apart_from_the_original(transactional_db, client, settings):
    from django.core.cache import cache

    from practices.models import PracticeIndexPage, RegionPage

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "kb-practice-page-test"}}
    cache.clear()
    index_fi = PracticeIndexPage.objects.get(locale__language_code="fi")
    uusimaa = RegionPage.objects.child_of(index_fi).get(region__code="01")
    page = finnish_only(uusimaa)
    for url, language in ((page.url, "fi"), (fallback_url(page, "en"), "en"), (page.url, "fi"),
                          (fallback_url(page, "en"), "en")):
        response = client.get(url)
        assert response.status_code == 200 and f'<html lang="{language}">' in response.content.decode()
    assert response[HEADER] == "hit"


def test_search_in_english_leads_to_the_finnish_only_practice_with_the_english_interface(client, uusimaa):
    """A hit shown in a language the practice lacks links to the page with the visitor's interface."""
    from tests.search_helpers import run

    page = finnish_only(uusimaa)
    hits = {hit.id: hit for hit in run(locale="en", q="kerho").hits}
    assert hits[page.pk].is_fallback and hits[page.pk].url == fallback_url(page, "en")
    assert hits[page.pk].url != page.url
    html = get_html(client, hits[page.pk].url)
    assert '<html lang="en">' in html and FINNISH_ONLY_EN in html
    finnish = {hit.id: hit for hit in run(locale="fi", q="kerho").hits}
    assert finnish[page.pk].url == page.url  # in its own language: the page itself
