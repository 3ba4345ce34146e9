"""Public pages: every page type renders its key content in fi, sv and en; privacy; query budget."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from practices.models import PracticeContact, PracticePage, RegionPage, TargetGroup, Theme

from .factories import make_practice

pytestmark = pytest.mark.django_db


def get_ok(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_root_redirects_to_the_preferred_language(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="sv-FI,sv;q=0.9")
    assert response.status_code == 302
    assert response["Location"] == "/sv/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="de")["Location"] == "/fi/"


@pytest.mark.parametrize(
    "language, heading, theme_label",
    [("fi", "Uusimmat käytännöt", "Kielen oppiminen"), ("sv", "Senaste praxis", "Språkinlärning"),
     ("en", "Latest practices", "Language learning")],
)
def test_home_page_in_each_language(client, language, heading, theme_label):
    html = get_ok(client, f"/{language}/")
    assert f'<html lang="{language}">' in html
    assert heading in html
    assert theme_label in html
    assert 'class="skip-link"' in html and '<main id="main"' in html
    newest = PracticePage.objects.live().filter(locale__language_code=language).order_by("-first_published_at").first()
    assert newest.title in html


def test_region_page_lists_its_practices_newest_first(client, uusimaa):
    html = get_ok(client, uusimaa.url)
    practices = list(PracticePage.objects.child_of(uusimaa).live().order_by("-first_published_at"))
    assert len(practices) >= 2
    positions = [html.index(page.title) for page in practices[:2]]
    assert positions == sorted(positions)


def test_region_page_paginates_and_survives_bad_page_numbers(client, uusimaa):
    for _ in range(21):
        make_practice(uusimaa)
    assert "rel=\"next\"" in get_ok(client, uusimaa.url)
    assert get_ok(client, uusimaa.url + "?page=999")
    assert get_ok(client, uusimaa.url + "?page=abc")


def test_practice_index_links_every_region(client, index_fi):
    html = get_ok(client, index_fi.url)
    for region_page in RegionPage.objects.child_of(index_fi):
        assert region_page.title in html


def test_practice_page_shows_every_section(client):
    page = PracticePage.objects.live().filter(locale__language_code="fi").exclude(plain_summary="").first()
    html = get_ok(client, page.url)
    for text in (page.title, page.summary, "Tarve", "Näin se toimii", "Tulokset ja näyttö", "Yhteystiedot",
                 page.get_evidence_level_display(), page.lead_organisation.name, "Selkokielellä"):
        assert str(text) in html, text
    for theme in page.themes.all():
        assert theme.name_fi in html


def test_translated_practice_page_uses_its_language(client):
    page = PracticePage.objects.live().filter(locale__language_code="sv").first()
    html = get_ok(client, page.url)
    assert '<html lang="sv">' in html and page.title in html
    for theme in page.themes.all():
        assert theme.name_sv in html
    assert 'hreflang="fi"' in html


def test_unpublished_contacts_never_appear(client, uusimaa):
    page = make_practice(uusimaa, contacts=[
        {"name": "Julkinen Henkilö", "email": "julkinen@kb.example", "phone": "+358 40 111 1111",
         "publish_consent": True},
        {"name": "Salainen Henkilö", "email": "salainen@kb.example", "phone": "+358 40 999 9999",
         "publish_consent": False},
    ])
    html = get_ok(client, page.url)
    assert "Julkinen Henkilö" in html and "julkinen@kb.example" in html
    assert "Salainen" not in html and "salainen@kb.example" not in html and "999 9999" not in html


def test_demo_contacts_without_consent_are_hidden_everywhere(client):
    hidden = PracticeContact.objects.filter(publish_consent=False).select_related("page")
    assert hidden.exists()
    for contact in hidden[:5]:
        html = get_ok(client, contact.page.url)
        assert contact.email not in html and contact.name not in html


def test_search_page_filters_by_theme(client):
    html = get_ok(client, "/fi/search/?theme=sport")
    sport = PracticePage.objects.live().filter(locale__language_code="fi", themes__code="sport")
    assert sport.exists()
    for page in sport[:3]:
        assert page.title in html


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_practice_page_queries_do_not_grow_with_its_values(client, uusimaa):
    small = make_practice(uusimaa, themes=["language"], regions=["01"],
                          contacts=[{"name": "A", "publish_consent": True}])
    big = make_practice(uusimaa, themes=[t.code for t in Theme.objects.all()[:8]],
                        regions=["01", "02", "04", "05", "06", "07"],
                        contacts=[{"name": f"C{i}", "publish_consent": True} for i in range(6)])
    big.target_groups = list(TargetGroup.objects.all()[:6])
    big.save()
    count_queries(client, small.url)  # warm caches (site, locales) equally for both
    small_count, big_count = count_queries(client, small.url), count_queries(client, big.url)
    assert small_count == big_count
    assert big_count <= 25
