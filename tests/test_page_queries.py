"""Public pages run a fixed, small number of SQL queries (≤ 15), whatever the number of practices,
contacts or terms; region pages are paginated and name only a few untranslated practices; the page
cache (home/caching.py) never serves what is no longer published, nor a draft."""

import pytest
from django.db import connection
from wagtail.models import Locale

from highlights.models import Highlight, HighlightsPage
from home.caching import HEADER
from home.models import InfoPage
from practices.models import Organisation, PracticeIndexPage, PracticePage, RegionPage
from practices.models.pages import PRACTICES_PER_PAGE, UNTRANSLATED_SAMPLE
from tests.factories import make_organisation, make_practice
from tests.redis_server import redis_server  # noqa: F401  (a pytest fixture)

# 15, plus the adoptions: a practice's (one query), a region's (the adoptions and their practices).
MAX_QUERIES = 17


class QueryCounter:
    """Every SQL statement the connection runs, as Django's CaptureQueriesContext but independent
    of DEBUG and of the request signals."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append(sql)
        return execute(sql, params, many, context)


def queries(client, url):
    """(number of queries, response) of a second request (the first fills per-process caches such as
    the labels and the site's root paths, as any earlier visitor would have)."""
    assert client.get(url).status_code == 200, url
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        response = client.get(url)
    assert response.status_code == 200, url
    return len(counter.statements), response


def sv(page):
    return page.get_translation(Locale.objects.get(language_code="sv"))


def public_urls(uusimaa, practice):
    index = uusimaa.get_parent()
    highlights = HighlightsPage.objects.live().get(locale__language_code="fi")
    return {
        "home": "/fi/",
        "home sv": "/sv/",
        "practice index": index.url,
        "region": uusimaa.url,
        "region page 2": uusimaa.url + "?page=2",
        "region sv (untranslated practices)": sv(uusimaa).url,
        "practice": practice.url,
        "highlights": highlights.url,
        "information page": InfoPage.objects.live().get(locale__language_code="fi", purpose="privacy").url,
        "search with facets": "/fi/search/?theme=language&region=01",
        "search with text": "/fi/search/?q=kieli",
        "API": "/api/v1/search/?theme=language&region=01",
    }


def make_rich_practice(parent, contacts, partners):
    """A practice with ``contacts`` public contacts, ``partners`` partner organisations and several
    values in every taxonomy."""
    practice = make_practice(
        parent, themes=("language", "employment", "education"), regions=("01", "02"),
        contacts=[{"name": f"Yhteyshenkilö {n}", "email": f"h{n}@example.fi", "publish_consent": True}
                  for n in range(contacts)],
    )
    practice.partner_organisations.set([make_organisation() for _ in range(partners)])
    practice.save_revision().publish()
    return PracticePage.objects.get(pk=practice.pk)


def counts(client, urls):
    return {name: queries(client, url)[0] for name, url in urls.items()}


def test_public_pages_run_few_queries_whatever_the_number_of_practices(client, uusimaa):
    small = make_rich_practice(uusimaa, contacts=1, partners=1)
    for _ in range(2):
        make_practice(uusimaa)
    before = counts(client, public_urls(uusimaa, small))

    large = make_rich_practice(uusimaa, contacts=8, partners=5)
    for _ in range(PRACTICES_PER_PAGE + 2):  # enough for a second page of cards and untranslated ones
        make_practice(uusimaa, themes=("language", "health"))
    Highlight.objects.create(practice=large, rationale_fi="Peruste.", sort_order=99)
    after = counts(client, public_urls(uusimaa, large))

    over = {name: count for name, count in after.items() if count > MAX_QUERIES}
    assert not over, f"more than {MAX_QUERIES} queries: {over} (all: {after})"
    assert after == before, f"the number of queries grew with the content: {before} -> {after}"


def test_region_page_is_paginated(client, uusimaa):
    for _ in range(PRACTICES_PER_PAGE + 5):
        make_practice(uusimaa)
    live = PracticePage.objects.child_of(uusimaa).live().count()
    first = client.get(uusimaa.url)
    second = client.get(uusimaa.url, {"page": "2"})
    assert len(first.context["practices"].object_list) == PRACTICES_PER_PAGE
    assert first.context["practices"].paginator.count == live
    assert second.context["practices"].number == 2
    titles_first = {page.title for page in first.context["practices"]}
    titles_second = {page.title for page in second.context["practices"]}
    assert titles_first and titles_second and not titles_first & titles_second
    assert 'rel="next"' in first.content.decode() and 'rel="prev"' in second.content.decode()


@pytest.mark.parametrize("value, number", [("abc", 1), ("0", 1), ("-1", 1), ("²", 1), ("1" * 40, 1), ("999", "last")])
def test_region_page_with_a_bad_page_number_answers_a_valid_page(client, uusimaa, value, number):
    for _ in range(PRACTICES_PER_PAGE + 1):
        make_practice(uusimaa)
    response = client.get(uusimaa.url, {"page": value})
    assert response.status_code == 200
    page = response.context["practices"]
    assert page.number == (page.paginator.num_pages if number == "last" else number)


def test_swedish_region_page_counts_untranslated_practices_and_links_the_search(client, uusimaa):
    made = [make_practice(uusimaa, title=f"Bara på finska {n}") for n in range(UNTRANSLATED_SAMPLE + 3)]
    response = client.get(sv(uusimaa).url)
    html = response.content.decode()
    untranslated = response.context["untranslated"]
    assert untranslated["count"] >= len(made)
    assert len(untranslated["newest"]) == UNTRANSLATED_SAMPLE
    # The newest first: the ones just made, in Finnish.
    assert [page.title for page in untranslated["newest"]] == [page.title for page in made[::-1][:UNTRANSLATED_SAMPLE]]
    assert f'<a href="{sv(uusimaa).url}{made[-1].slug}/" lang="fi" hreflang="fi">{made[-1].title}</a>' in html
    assert made[0].title not in html  # not a wall of every untranslated practice
    assert f"{untranslated['count']} praxis i regionen har ännu inte översatts till det här språket." in html
    assert 'href="/sv/search/?region=01"' in html


def test_finnish_region_page_has_no_untranslated_section_when_all_is_finnish(client, pirkanmaa):
    response = client.get(pirkanmaa.url)
    assert response.context["untranslated"]["count"] == 0
    assert 'id="untranslated-heading"' not in response.content.decode()


# --- The page cache: only committed, published content ----------------------------------------------

@pytest.fixture
def demo_restored_afterwards(django_db_blocker):
    """A transactional test commits for real, and its database is emptied afterwards (every table):
    give the tests that follow their content back, what Wagtail's migrations made (the root page and
    collection) and the demo. Request this fixture BEFORE transactional_db, so that it runs after
    the emptying."""
    yield
    from wagtail.models import Collection, Page

    from practices.demo.loader import load_demo

    with django_db_blocker.unblock():
        locale, _created = Locale.objects.get_or_create(language_code="fi")
        if Page.get_first_root_node() is None:
            Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
        if Collection.get_first_root_node() is None:
            Collection.add_root(name="Root")
        load_demo()


@pytest.fixture(params=["locmem", "redis"])
def page_cache(request, settings):
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        server.flush()
        settings.CACHES = server.caches(prefix="kb-page-test")
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                       "LOCATION": "kb-page-test"}}
    from django.core.cache import cache

    cache.clear()
    return request.param


def fetch(client, url):
    response = client.get(url)
    return response.status_code, response.get(HEADER), response.content.decode()


def test_page_cache_never_outlives_a_publish_or_an_unpublish(demo_restored_afterwards, page_cache,
                                                             transactional_db, client, settings):
    index_fi = PracticeIndexPage.objects.get(locale__language_code="fi")
    uusimaa = RegionPage.objects.child_of(index_fi).get(region__code="01")
    practice = make_practice(uusimaa, title="Välimuistikerho")
    pages = {"home": "/fi/", "region": uusimaa.url, "practice": practice.url}

    for url in pages.values():
        status, cache_state, html = fetch(client, url)
        assert (status, cache_state) == (200, "miss") and "Välimuistikerho" in html
        status, cache_state, html = fetch(client, url)
        assert (status, cache_state) == (200, "hit") and "Välimuistikerho" in html, url

    # A publish: the next request of every page shows it.
    practice.title = "Välimuistikerho uudistettu"
    practice.save_revision().publish()
    for name, url in pages.items():
        status, cache_state, html = fetch(client, url)
        assert status == 200 and cache_state == "miss" and "Välimuistikerho uudistettu" in html, name

    # A draft never shows, cached or not.
    draft = PracticePage.objects.get(pk=practice.pk)
    draft.title = "Luonnoskerho"
    draft.save_revision()
    for name, url in pages.items():
        for _ in range(2):
            status, _cache_state, html = fetch(client, url)
            assert status == 200 and "Luonnoskerho" not in html and "Välimuistikerho uudistettu" in html, name

    # An unpublish: gone at once, from the practice's own URL and from the lists.
    PracticePage.objects.get(pk=practice.pk).unpublish()
    assert fetch(client, pages["practice"])[0] == 404
    for name in ("home", "region"):
        status, cache_state, html = fetch(client, pages[name])
        assert status == 200 and cache_state == "miss" and "Välimuistikerho" not in html, name

    # A page number is part of the key; unknown query parameters and a visitor with a session are
    # rendered, never cached.
    assert [fetch(client, uusimaa.url + "?page=2")[1] for _ in range(2)] == ["miss", "hit"]
    assert fetch(client, "/fi/")[1] == "hit"
    assert fetch(client, "/fi/?utm_source=x")[1] is None
    client.cookies[settings.SESSION_COOKIE_NAME] = "someone"
    assert fetch(client, "/fi/")[1] is None
    del client.cookies[settings.SESSION_COOKIE_NAME]

    # A new highlight (no page published) changes the home page at once too.
    other = PracticePage.objects.live().filter(locale__language_code="fi").exclude(
        pk__in=Highlight.objects.values("practice")).first()
    fetch(client, "/fi/")
    Highlight.objects.create(practice=other, rationale_fi="Välimuistin nosto.", sort_order=0)
    assert "Välimuistin nosto." in fetch(client, "/fi/")[2]


def test_organisations_of_a_practice_page_are_its_lead_and_partners(client, uusimaa):
    practice = make_rich_practice(uusimaa, contacts=0, partners=2)
    partners = sorted(practice.partner_organisations.values_list("name", flat=True))
    response = client.get(practice.url)
    page = response.context["page"]
    assert sorted(o.name for o in page.partner_organisations.all()) == partners
    assert page.lead_organisation == Organisation.objects.get(pk=practice.lead_organisation_id)
    html = response.content.decode()
    assert all(name in html for name in partners)
