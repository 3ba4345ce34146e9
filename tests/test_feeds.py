"""Atom feeds (feeds/): every kind validates as Atom 1.0 (our RELAX NG grammar, tests/data/atom.rng,
plus the RFC 4287 rules a grammar cannot express) in fi, sv and en; a feed holds exactly the search's
newest changes; publishing and unpublishing show at once; conditional GET; the <link rel="alternate">
on the pages; any Unicode in a title or summary still gives well-formed XML."""

import re
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.http import QueryDict
from django.test import TestCase
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from lxml import etree

from feeds import atom
from feeds.service import FEED_SIZE
from home.caching import HEADER
from practices.models import PracticeIndexPage, PracticePage, RegionPage, Theme
from search.facets import FACETS_BY_NAME, value_labels
from search.query import parse_request
from search.service import search

from .factories import make_practice
from .test_page_queries import demo_restored_afterwards  # noqa: F401  (a fixture)

A = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).parent / "data" / "atom.rng")))
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
TAG_URI = re.compile(r"tag:[A-Za-z0-9.-]+,\d{4}(-\d{2}(-\d{2})?)?:\S+")
LANGUAGES = ("fi", "sv", "en")
# No module-wide django_db mark: it would open the test transaction before the transactional test's
# demo_restored_afterwards, whose reload must come after the database is emptied.


def is_absolute_iri(value: str) -> bool:
    if not value or any(char.isspace() for char in value):
        return False
    parts = urlsplit(value)
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc)
    if parts.scheme == "tag":
        return bool(TAG_URI.fullmatch(value))
    return False


def assert_valid_atom(root):
    """The grammar, then what RFC 4287 says in prose."""
    assert SCHEMA.validate(root), SCHEMA.error_log
    entries = root.findall(A + "entry")
    ids = [entry.findtext(A + "id") for entry in entries]
    assert len(ids) == len(set(ids)), "entry ids must be unique within the feed (4.1.1)"
    for element in [root, *entries]:
        assert element.find(A + "updated") is not None  # the grammar says so too; cheap to restate
        alternates = [(link.get("type"), link.get("hreflang")) for link in element.findall(A + "link")
                      if link.get("rel", "alternate") == "alternate"]
        assert len(alternates) == len(set(alternates)), "one alternate link per type and hreflang (4.1.1)"
    selves = [link for link in root.findall(A + "link") if link.get("rel") == "self"]
    assert len(selves) == 1
    for entry in entries:  # no content: an alternate link is required (4.1.1); an author, feed or entry (4.1.1)
        if entry.find(A + "content") is None:
            assert any(link.get("rel", "alternate") == "alternate" for link in entry.findall(A + "link"))
        assert entry.find(A + "author") is not None or root.find(A + "author") is not None
    for date in [*root.iter(A + "updated"), *root.iter(A + "published")]:
        assert RFC3339.fullmatch(date.text), date.text
        assert datetime.fromisoformat(date.text.replace("Z", "+00:00")).tzinfo is not None
    iris = [*(link.get("href") for link in root.iter(A + "link")), *(node.text for node in root.iter(A + "id")),
            *(node.text for node in root.iter(A + "uri")),
            *(category.get("scheme") for category in root.iter(A + "category"))]
    for iri in iris:
        assert is_absolute_iri(iri), iri


def get_feed(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = etree.fromstring(response.content)
    assert_valid_atom(root)
    return root, response


def entry_links(root):
    return [entry.find(A + "link").get("href") for entry in root.findall(A + "entry")]


def feed_kinds(language):
    theme = Theme.objects.order_by("code").first().code
    return {
        "language": f"/{language}/feeds/practices/",
        "region": f"/{language}/feeds/regions/01/",
        "national": f"/{language}/feeds/regions/national/",
        "theme": f"/{language}/feeds/themes/{theme}/",
        "search": f"/{language}/search/feed/?" + urlencode([("q", "kieli"), ("region", "06"), ("sort", "title")]),
        "empty": f"/{language}/search/feed/?q=zzqqxxnothing",
    }


def service_hits(language, **params):
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query.setlist(name, [value])
    query["sort"], query["page_size"] = "updated", str(FEED_SIZE)
    return search(parse_request(query, language, strict=True)).hits


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.django_db
def test_every_kind_of_feed_validates_as_atom(client, language):
    for kind, url in feed_kinds(language).items():
        root, response = get_feed(client, url)
        assert root.get(XML_LANG) == language, kind
        assert response["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
        assert response["ETag"] and response["Last-Modified"]
        self_link = next(link for link in root.findall(A + "link") if link.get("rel") == "self")
        assert self_link.get("href") == "http://testserver" + url
        assert "CC BY 4.0" in root.findtext(A + "rights")
        if kind != "empty":
            assert root.findall(A + "entry"), kind
    # The empty feed's updated is a fixed moment: an empty feed's ETag does not change by itself.
    assert root.findall(A + "entry") == [] and root.findtext(A + "updated") == "2026-01-01T00:00:00Z"


@pytest.mark.django_db
def test_a_feed_speaks_its_language_and_names_its_selection(client):
    labels = {language: value_labels(FACETS_BY_NAME["region"], language) for language in LANGUAGES}
    titles = {language: get_feed(client, f"/{language}/feeds/regions/01/")[0].findtext(A + "title")
              for language in LANGUAGES}
    assert titles["fi"] == f"KB – uudet ja päivitetyt käytännöt: {labels['fi']['01']}"
    assert titles["sv"] == f"KB – nya och uppdaterade praxis: {labels['sv']['01']}"
    assert titles["en"] == f"KB – new and updated practices: {labels['en']['01']}"
    national = get_feed(client, "/fi/feeds/regions/national/")[0].findtext(A + "title")
    assert national.endswith(": " + labels["fi"]["national"])


@pytest.mark.django_db
def test_the_region_feed_has_exactly_the_regions_newest_practices(client, uusimaa):
    for language in LANGUAGES:
        root, _response = get_feed(client, f"/{language}/feeds/regions/01/")
        hits = service_hits(language, region="01")
        assert entry_links(root) == ["http://testserver" + hit.url for hit in hits]
        # Independently of the search: the translation groups of live practices that run in Uusimaa,
        # each once (in its own translation or, untranslated, in its original), newest changes first.
        groups = set(PracticePage.objects.live().filter(regions__code="01").values_list("translation_key", flat=True))
        keys = [entry.findtext(A + "id").split(":")[-2] for entry in root.findall(A + "entry")]
        assert len(keys) == min(len(groups), FEED_SIZE)
        assert set(keys) <= {str(key) for key in groups}
        updated = [entry.findtext(A + "updated") for entry in root.findall(A + "entry")]
        assert updated == sorted(updated, reverse=True)
        for entry in root.findall(A + "entry"):
            assert "01" in [c.get("term") for c in entry.findall(A + "category") if c.get("scheme").endswith("region")]
    # Its HTML page is the region page.
    root, _response = get_feed(client, "/fi/feeds/regions/01/")
    alternate = next(link for link in root.findall(A + "link") if link.get("rel") == "alternate")
    assert alternate.get("href") == "http://testserver" + uusimaa.url


@pytest.mark.django_db
def test_the_search_feed_is_the_search_newest_changes_first(client):
    root, _response = get_feed(client, "/fi/search/feed/?q=kieli&sort=title&page=3")
    assert entry_links(root) == ["http://testserver" + hit.url for hit in service_hits("fi", q="kieli")]
    alternate = next(link for link in root.findall(A + "link") if link.get("rel") == "alternate")
    assert alternate.get("href") == "http://testserver/fi/search/?q=kieli&sort=updated"
    assert root.findtext(A + "title") == "KB – uudet ja päivitetyt käytännöt: “kieli”"


@pytest.mark.django_db
def test_entries_carry_their_metadata_and_a_stable_id(client, uusimaa):
    practice = make_practice(uusimaa, title="Syötekerho", themes=("language",), regions=("01", "06"),
                                 summary="Kerho syötteen testiin.")
    root, _response = get_feed(client, "/fi/feeds/practices/")
    entry = root.find(A + "entry")
    assert entry.findtext(A + "title") == "Syötekerho"
    assert entry.findtext(A + "summary") == "Kerho syötteen testiin."
    assert entry.findtext(A + "author/" + A + "name") == practice.lead_organisation.name
    assert entry.get(XML_LANG) == "fi"
    assert entry.find(A + "link").get("href") == "http://testserver" + practice.url
    assert entry.findtext(A + "published") == atom.rfc3339(practice.first_published_at)
    assert entry.findtext(A + "updated") == atom.rfc3339(practice.last_published_at)
    categories = {(c.get("scheme").rsplit(":", 1)[-1], c.get("term"), c.get("label"))
                  for c in entry.findall(A + "category")}
    regions, themes = (value_labels(FACETS_BY_NAME[name], "fi") for name in ("region", "theme"))
    assert categories == {("region", "01", regions["01"]), ("region", "06", regions["06"]),
                          ("theme", "language", themes["language"])}
    first_id = entry.findtext(A + "id")
    assert str(practice.translation_key) in first_id
    # A new title keeps the id; the entry is updated.
    page = PracticePage.objects.get(pk=practice.pk)
    page.title = "Syötekerho uudella nimellä"
    publish(page)
    entry = get_feed(client, "/fi/feeds/practices/")[0].find(A + "entry")
    assert (entry.findtext(A + "title"), entry.findtext(A + "id")) == ("Syötekerho uudella nimellä", first_id)
    # In Swedish the untranslated practice is there in Finnish, under the Swedish feed's own id.
    entry = get_feed(client, "/sv/feeds/practices/")[0].find(A + "entry")
    assert entry.findtext(A + "title") == "Syötekerho uudella nimellä"
    assert entry.get(XML_LANG) == "fi" and entry.find(A + "link").get("hreflang") == "fi"
    assert entry.findtext(A + "id") == first_id.rsplit(":", 1)[0] + ":sv"


@pytest.mark.django_db
def test_a_new_practice_comes_first_and_an_unpublished_one_goes(client, uusimaa,
                                                                django_capture_on_commit_callbacks):
    url = "/fi/feeds/regions/01/"
    _root, before = get_feed(client, url)
    practice = make_practice(uusimaa, title="Tuore syötekäytäntö")
    root, after = get_feed(client, url, if_none_match=before["ETag"])
    assert root.find(A + "entry").findtext(A + "title") == "Tuore syötekäytäntö"
    assert after["ETag"] != before["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        PracticePage.objects.get(pk=practice.pk).unpublish()
    root, _response = get_feed(client, url, if_none_match=after["ETag"])
    assert "Tuore syötekäytäntö" not in [entry.findtext(A + "title") for entry in root.findall(A + "entry")]
    assert entry_links(root) == ["http://testserver" + hit.url for hit in service_hits("fi", region="01")]


@pytest.mark.django_db
def test_unknown_region_or_theme_is_404(client):
    for url in ("/fi/feeds/regions/99/", "/fi/feeds/regions/uusimaa/", "/sv/feeds/themes/no-such-theme/",
                "/en/feeds/themes/%3Cscript%3E/"):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_bad_search_parameters_are_a_400_with_the_message(client):
    for query, words in (("region=zz", "zz"), ("q=%22half", "quotation mark"), ("q=a%01b", "control"),
                         ("neighbours=maybe", "neighbours")):
        response = client.get(f"/en/search/feed/?{query}")
        assert response.status_code == 400, query
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        text = response.content.decode()
        assert text.startswith("This feed cannot be made:") and words in text, text
    response = client.get("/fi/search/feed/?region=zz")
    assert response.status_code == 400 and response.content.decode().startswith("Tätä syötettä ei voi muodostaa:")


@pytest.mark.django_db
def test_conditional_get(client, uusimaa):
    url = "/fi/feeds/themes/language/"
    _root, first = get_feed(client, url)
    assert client.get(url, headers={"if-none-match": first["ETag"]}).status_code == 304
    assert client.get(url, headers={"if-modified-since": first["Last-Modified"]}).status_code == 304
    not_modified = client.get(url, headers={"if-none-match": first["ETag"]})
    assert not_modified["ETag"] == first["ETag"] and not_modified.content == b""
    earlier = format_datetime(datetime(2020, 1, 1, tzinfo=UTC), usegmt=True)
    assert client.get(url, headers={"if-modified-since": earlier}).status_code == 200
    assert client.get(url, headers={"if-none-match": '"something-else"'}).status_code == 200
    assert client.head(url, headers={"if-none-match": first["ETag"]}).status_code == 304
    # A publish changes both validators: the old ones get the new feed.
    make_practice(uusimaa, themes=("language",))
    _root, second = get_feed(client, url, if_none_match=first["ETag"])
    assert second["ETag"] != first["ETag"]
    assert client.post(url).status_code == 405


def test_a_cached_feed_never_outlives_a_publish_or_an_unpublish(demo_restored_afterwards,  # noqa: F811
                                                                 transactional_db, client, settings):
    """Committed for real, as in production: the rendered feed is cached, and a publish or an
    unpublish (which replace the content and index tokens) reaches the next request at once."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "kb-feed-test"}}
    from django.core.cache import cache

    cache.clear()
    index_fi = PracticeIndexPage.objects.get(locale__language_code="fi")
    uusimaa = RegionPage.objects.child_of(index_fi).get(region__code="01")
    url = "/fi/feeds/regions/01/"
    _root, first = get_feed(client, url)
    _root, again = get_feed(client, url)
    assert (first[HEADER], again[HEADER]) == ("miss", "hit")
    assert (again["ETag"], again["Last-Modified"]) == (first["ETag"], first["Last-Modified"])

    practice = make_practice(uusimaa, title="Välimuistisyöte")
    root, published = get_feed(client, url)
    assert published[HEADER] == "miss" and published["ETag"] != first["ETag"]
    assert root.find(A + "entry").findtext(A + "title") == "Välimuistisyöte"

    PracticePage.objects.get(pk=practice.pk).unpublish()
    root, unpublished = get_feed(client, url)
    assert unpublished[HEADER] == "miss"
    assert "Välimuistisyöte" not in [entry.findtext(A + "title") for entry in root.findall(A + "entry")]


def alternate_feeds(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return {link["href"]: link["title"] for link in soup.head.find_all("link", rel="alternate",
                                                                        type="application/atom+xml")}, soup


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.django_db
def test_pages_link_their_feeds(client, language):
    site_title = get_feed(client, f"/{language}/feeds/practices/")[0].findtext(A + "title")
    home, _soup = alternate_feeds(client, f"/{language}/")
    assert home == {f"/{language}/feeds/practices/": site_title}

    region_page = RegionPage.objects.live().get(locale__language_code=language, region__code="06")
    region, _soup = alternate_feeds(client, region_page.url)
    region_title = get_feed(client, f"/{language}/feeds/regions/06/")[0].findtext(A + "title")
    assert region == {f"/{language}/feeds/practices/": site_title, f"/{language}/feeds/regions/06/": region_title}

    national_page = RegionPage.objects.live().get(locale__language_code=language, region__isnull=True)
    assert f"/{language}/feeds/regions/national/" in alternate_feeds(client, national_page.url)[0]

    search, soup = alternate_feeds(client, f"/{language}/search/?q=kieli&region=06&sort=title&page=1")
    feed_url = f"/{language}/search/feed/?q=kieli&region=06"
    search_title = get_feed(client, feed_url)[0].findtext(A + "title")
    assert search == {f"/{language}/feeds/practices/": site_title, feed_url: search_title}
    # The visible link in "Take these results with you", with the same address.
    visible = soup.select_one("#search-take-away a[data-feed-link]")
    assert visible["href"] == feed_url and visible["type"] == "application/atom+xml"
    expected = {"fi": "Seuraa näitä tuloksia syötteenä (Atom)", "sv": "Följ resultaten som ett flöde (Atom)",
                "en": "Follow these results as a feed (Atom)"}[language]
    assert visible.get_text(strip=True) == expected


@pytest.mark.django_db
def test_forbidden_characters_in_content_are_removed(client, uusimaa):
    make_practice(uusimaa, title="Kerho\x0bohjaus\x1f", summary="Rivi\x08 ja toinen\x0c.")
    entry = get_feed(client, "/fi/feeds/practices/")[0].find(A + "entry")
    assert (entry.findtext(A + "title"), entry.findtext(A + "summary")) == ("Kerhoohjaus", "Rivi ja toinen.")


# Any code point at all, surrogates and the C0 controls included.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=60)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=ANY_TEXT, summary=ANY_TEXT, label=ANY_TEXT, author=ANY_TEXT)
def test_any_text_gives_well_formed_atom(title, summary, label, author):
    moment = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    entry = atom.Entry(id="tag:kb.example,2026:practice:1:fi", title=title, author=author or "KB", language="fi",
                       link=atom.Link("https://kb.example/fi/x/", hreflang="fi"), published=moment, updated=moment,
                       summary=summary, categories=[atom.Category("language", "tag:kb.example,2026:taxonomy:theme", label)])
    feed = atom.Feed(id="tag:kb.example,2026:feed:fi", title=title, subtitle=summary, language="fi",
                     self_link="https://kb.example/fi/feeds/practices/",
                     alternate=atom.Link("https://kb.example/fi/search/"), updated=moment, rights="CC BY 4.0",
                     author=author or "KB", author_uri="https://kb.example/fi/", entries=[entry])
    root = etree.fromstring(atom.render(feed))  # raises on anything not well-formed
    assert SCHEMA.validate(root), SCHEMA.error_log

    def kept(text):  # what a reader gets: forbidden characters removed, line ends normalised by XML
        return atom.xml_text(text).replace("\r\n", "\n").replace("\r", "\n")

    parsed = root.find(A + "entry")
    assert (parsed.findtext(A + "title") or "") == kept(title)
    assert parsed.find(A + "category").get("label", "") == atom.xml_text(label)
    if atom.xml_text(summary).strip():
        assert parsed.findtext(A + "summary") == kept(summary)
    else:
        assert parsed.find(A + "summary") is None


def test_the_grammar_rejects_what_atom_forbids():
    """The schema is not a formality: a feed without an id, or with a date without a time zone, fails."""
    good = (b'<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:kb.example,2026:f</id><title>t</title>'
            b'<updated>2026-01-01T00:00:00Z</updated><author><name>KB</name></author></feed>')
    assert SCHEMA.validate(etree.fromstring(good))
    for bad in (good.replace(b"<id>tag:kb.example,2026:f</id>", b""),
                good.replace(b"2026-01-01T00:00:00Z", b"2026-01-01T00:00:00"),
                good.replace(b"<title>t</title>", b"<title>t</title><title>u</title>"),
                good.replace(b"</feed>", b"<entry><title>e</title></entry></feed>")):
        assert not SCHEMA.validate(etree.fromstring(bad)), bad


def publish(page):
    with TestCase.captureOnCommitCallbacks(execute=True):
        page.save_revision().publish()
