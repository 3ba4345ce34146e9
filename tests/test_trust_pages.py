"""Trust and law on the public site (issue #12, item 6): who runs KB (header and footer), the pages about
the service (about and contact, accessibility statement, privacy notice) as editable pages in fi, sv
and en that `manage.py bootstrap` creates and never overwrites, linked from every page's footer in the
visitor's language; and the region map's full names beside the abbreviations.

The session's database holds the demo, which is built on `manage.py bootstrap`: the information pages
are there as on any site. The bootstrap runs themselves are subprocesses on a copy of the session's
"bootstrapped" template database (tests/databases.py), as in tests/test_bootstrap.py.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from home import service_pages
from home.models import HomePage, InfoPage
from operations.bootstrap import read_data
from search.map import TILES

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 600  # seconds per command: generous on a busy 2-core machine
LANGUAGES = ("fi", "sv", "en")
TEXTS = read_data("pages.json")["info_pages"]
PURPOSES = [text["purpose"] for text in TEXTS]
FOOTER_LINK = re.compile(r'<a href="([^"]+)"(?: hreflang="(\w+)")? data-footer-link="(\w+)">([^<]+)</a>')
# Who runs the service, as a visitor reads it in each language (header; footer).
OWNER = {
    "fi": ("Työ- ja elinkeinoministeriö · Kotoutumisen kumppanuusohjelma",
           "Palvelua ylläpitää työ- ja elinkeinoministeriön (TEM) kotoutumisen kumppanuusohjelma."),
    "sv": ("Arbets- och näringsministeriet · Partnerskapsprogrammet för integration",
           "Tjänsten upprätthålls av arbets- och näringsministeriets (ANM) partnerskapsprogram för integration."),
    "en": ("Ministry of Economic Affairs and Employment of Finland · Partnership Programme for Integration",
           "The service is run by the Partnership Programme for Integration of the Ministry of Economic Affairs "
           "and Employment of Finland (TEM)."),
}
FOOTER_TEXTS = {
    "fi": {"about": "Tietoa KB:stä", "contact": "Yhteystiedot", "accessibility": "Saavutettavuusseloste",
           "privacy": "Tietosuojaseloste"},
    "sv": {"about": "Om KB", "contact": "Kontaktuppgifter", "accessibility": "Tillgänglighetsutlåtande",
           "privacy": "Dataskyddsbeskrivning"},
    "en": {"about": "About KB", "contact": "Contact us", "accessibility": "Accessibility statement",
           "privacy": "Privacy notice"},
}


@pytest.fixture(autouse=True)
def forget_cached_footer_links():
    """Each test's transaction is rolled back; so must be the footer's links cached from it."""
    yield
    service_pages.forget()


def section(html: str, tag: str) -> str:
    found = re.search(rf"<{tag}\b.*?</{tag}>", html, re.S)
    assert found, f"no <{tag}> in the page"
    return found.group(0)


def footer_links(html: str) -> dict:
    """{kind: (url, hreflang or None, text)} of the footer's links to the pages about the service."""
    return {kind: (url, hreflang or None, text)
            for url, hreflang, kind, text in FOOTER_LINK.findall(section(html, "footer"))}


def info_page(purpose: str, language: str) -> InfoPage:
    return InfoPage.objects.live().get(purpose=purpose, locale__language_code=language)


# --- Created by bootstrap, in three languages ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS, ids=PURPOSES)
def test_bootstrap_made_each_information_page_in_three_languages(text):
    source = info_page(text["purpose"], "fi")
    assert source.get_parent().specific_class is HomePage
    for language in LANGUAGES:
        page = info_page(text["purpose"], language)
        assert page.translation_key == source.translation_key  # translations of the Finnish page
        assert (page.title, page.slug) == (text[language]["title"], text[language]["slug"])
        assert page.purpose == text["purpose"]  # synchronised from the source
        # The texts of pages.json: the first heading of the body, in the page's own language.
        first_heading = re.search(r"<h2>([^<]+)</h2>", text[language]["body"]).group(1)
        assert first_heading in page.body


# --- Footer and header in every language ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_footer_links_lead_to_the_pages_in_the_visitors_language(client, language):
    # A page of the tree, a view (search), an information page and the "not found" page.
    for url in (f"/{language}/", f"/{language}/search/?q=kieli", info_page("privacy", language).url,
                f"/{language}/no-such-page/"):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        links = footer_links(response.content.decode())
        assert {kind: text for kind, (_url, _hreflang, text) in links.items()} == FOOTER_TEXTS[language], url
        for kind, (href, hreflang, _text) in links.items():
            assert hreflang is None, (url, kind)  # the page is in the visitor's language
            purpose = "about" if kind == "contact" else kind
            expected = info_page(purpose, language).url + ("#contact" if kind == "contact" else "")
            assert href == expected, (url, kind)
    # Every link answers with its page, in that language; the contact link reaches the contact section.
    for kind, (href, _hreflang, _text) in footer_links(client.get(f"/{language}/").content.decode()).items():
        path, _hash, fragment = href.partition("#")
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 200, href
        assert f'<html lang="{language}">' in html
        purpose = "about" if kind == "contact" else kind
        assert f"<h1>{info_page(purpose, language).title}</h1>" in html
        if fragment:
            assert f'id="{fragment}"' in html


@pytest.mark.django_db
def test_footer_falls_back_to_the_finnish_page_when_a_translation_is_not_live(client):
    info_page("privacy", "sv").unpublish()
    links = footer_links(client.get("/sv/").content.decode())
    assert links["privacy"] == (info_page("privacy", "fi").url, "fi", "Dataskyddsbeskrivning")
    assert links["accessibility"][1] is None  # the others stay Swedish


@pytest.mark.django_db
def test_footer_links_cost_no_query_and_follow_a_renamed_page(client):
    page = info_page("accessibility", "sv")
    client.get("/sv/search/?q=kieli")  # the links are cached from here on
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/sv/search/?q=kieli").status_code == 200
    assert not [query for query in captured.captured_queries if "home_infopage" in query["sql"]]
    page.slug = "tillganglighet"
    page.save_revision().publish()
    links = footer_links(client.get("/sv/search/?q=kieli").content.decode())
    assert links["accessibility"][0] == "/sv/tillganglighet/"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_owner_identity_in_header_and_footer(client, language):
    html = client.get(f"/{language}/").content.decode()
    header_text, footer_text = OWNER[language]
    assert header_text in section(html, "header")
    assert footer_text in section(html, "footer")


# --- The information page itself -----------------------------------------------------------------------


@pytest.mark.django_db
def test_accessibility_statement_has_the_sections_the_act_requires(client):
    html = client.get(info_page("accessibility", "fi").url).content.decode()
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", section(html, "main"))
    assert headings == ["Saavutettavuuden tila", "Sisältö, joka ei ole saavutettavaa",
                        "Miten saavutettavuus on arvioitu", "Anna palautetta saavutettavuudesta",
                        "Valvontaviranomainen", "Selosteen päiväys"]
    for required in ("306/2019", "WCAG 2.1", "Ylläpitonäkymä", "mailto:kirjaamo.tem@gov.fi",
                     "https://www.saavutettavuusvaatimukset.fi", "2.12.2026"):
        assert required in html, required
    assert re.search(r'Päivitetty viimeksi <time datetime="\d{4}-\d\d-\d\d">', html)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_notice_names_controller_data_retention_and_rights(client, language):
    text = next(text for text in TEXTS if text["purpose"] == "privacy")[language]
    html = client.get(info_page("privacy", language).url).content.decode()
    assert len(re.findall(r"<h2>", text["body"])) == 7
    for heading in re.findall(r"<h2>([^<]+)</h2>", text["body"]):
        assert f"<h2>{heading}</h2>" in html
    assert "kirjaamo.tem@gov.fi" in html and "tietosuoja.fi" in html and "30" in html


@pytest.mark.django_db
def test_about_page_has_a_contact_section(client):
    html = client.get(info_page("about", "sv").url).content.decode()
    contact = re.search(r'<section id="contact".*?</section>', html, re.S).group(0)
    assert '<h2 id="contact-heading">Kontaktuppgifter</h2>' in contact
    assert "mailto:kirjaamo.tem@gov.fi" in contact


@pytest.mark.django_db
def test_a_page_without_contact_details_has_no_contact_section(client):
    html = client.get(info_page("privacy", "en").url).content.decode()
    assert 'id="contact"' not in html


@pytest.mark.django_db
def test_information_page_runs_few_queries(client):
    url = info_page("accessibility", "sv").url
    assert client.get(url).status_code == 200  # fills the per-process caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    assert len(captured) <= 15, [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db
def test_one_page_per_purpose_and_language(admin_client):
    home = HomePage.objects.get(locale__language_code="fi")
    second = InfoPage(title="Toinen tietosuojaseloste", slug="toinen", purpose="privacy", locale=home.locale)
    with pytest.raises(ValidationError) as raised:
        home.add_child(instance=second)
    assert "purpose" in raised.value.message_dict
    # Editors create information pages under a home page in the admin.
    add = reverse("wagtailadmin_pages:add", args=("home", "infopage", home.pk))
    assert admin_client.get(add).status_code == 200


# --- Region map: the full names are visible, not only in aria-labels ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language, code, short, name", [("fi", "14", "EP", "Etelä-Pohjanmaa"),
                                                         ("sv", "14", "SÖ", "Södra Österbotten"),
                                                         ("en", "14", "SO", "South Ostrobothnia")])
def test_region_map_shows_a_key_of_the_abbreviations(client, language, code, short, name):
    html = client.get(f"/{language}/").content.decode()
    key = re.search(r'<ul class="region-map__key".*?</ul>', html, re.S).group(0)
    items = re.findall(r'<li data-region-key="(\d+)"><span class="region-map__key-short">([^<]+)</span> ([^<]+)</li>',
                       key)
    assert sorted(item[0] for item in items) == sorted(TILES)  # every tile
    assert (code, short, name) in items
    assert f'data-region="{code}" data-name="{name}"' in html  # the tooltip's text (region-map.js)
    assert "js/region-map." in html


# --- bootstrap: creates what is missing, never overwrites -------------------------------------------------

EDIT_AND_DELETE = """
from home.models import InfoPage
page = InfoPage.objects.get(purpose="privacy", locale__language_code="fi")
page.title = "Tietosuojaseloste (muokattu)"
page.body = "<p>Toimittajan oma teksti.</p>"
page.save_revision().publish()
InfoPage.objects.get(purpose="accessibility", locale__language_code="en").delete()
"""

PROBE = """
import json
from wagtail.models import Revision
from home.models import InfoPage
pages = {f"{p.purpose}:{p.locale.language_code}": [p.title, p.body, p.live]
         for p in InfoPage.objects.select_related("locale")}
print(json.dumps({"pages": pages, "revisions": Revision.objects.count()}))
"""


def run_manage(database: Path, *args) -> str:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "kb.settings.test",
                   "DATABASE_URL": f"sqlite:///{database}", "MEDIA_ROOT": str(database.parent / "media")}
    for name in ("ELASTICSEARCH_URL", "CACHE_URL"):
        environment.pop(name, None)
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def probe(database: Path) -> dict:
    return json.loads(run_manage(database, "shell", "-c", PROBE).strip().splitlines()[-1])


def test_bootstrap_keeps_an_edited_page_and_recreates_a_missing_translation(database_templates, tmp_path):
    database = database_templates.sqlite("bootstrapped", tmp_path / "db.sqlite3", media_root=tmp_path / "media")
    fresh = probe(database)
    assert sorted(fresh["pages"]) == sorted(f"{purpose}:{code}" for purpose in PURPOSES for code in LANGUAGES)
    assert all(live for _title, _body, live in fresh["pages"].values())

    run_manage(database, "shell", "-c", EDIT_AND_DELETE)
    output = run_manage(database, "bootstrap")
    assert "1 page translations" in output and " pages" not in output.replace("page translations", ""), output
    after = probe(database)
    assert after["pages"]["privacy:fi"] == ["Tietosuojaseloste (muokattu)", "<p>Toimittajan oma teksti.</p>", True]
    assert after["pages"]["privacy:sv"] == fresh["pages"]["privacy:sv"]  # translations are the editors' too
    assert after["pages"]["accessibility:en"] == fresh["pages"]["accessibility:en"]  # made again, from pages.json

    assert "nothing was missing" in run_manage(database, "bootstrap")
    assert probe(database) == after  # a second run saves nothing, not even a revision
