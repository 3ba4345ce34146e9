"""The admin: taxonomies as searchable snippets, practice editing in tabs, a filterable practice list."""

import pytest

from practices.models import PracticePage, Region, Theme

from .factories import log_in_superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    return log_in_superuser(client, "en")


def test_taxonomy_snippets_are_listed_and_searchable(admin_client):
    response = admin_client.get("/admin/snippets/practices/theme/", {"q": "Kielen"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kielen oppiminen" in html and "Työllistyminen" not in html


def test_regions_show_their_statistics_finland_codes(admin_client):
    html = admin_client.get("/admin/snippets/practices/region/").content.decode()
    assert "Ahvenanmaa" in html and ">21<" in html.replace(" ", "").replace("\n", "")


def test_organisations_filter_by_type(admin_client):
    response = admin_client.get("/admin/snippets/practices/organisation/", {"type": "1"})
    assert response.status_code == 200


def test_practice_editor_has_tabs(admin_client):
    page = PracticePage.objects.filter(locale__language_code="fi").first()
    html = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    for tab in ("Where and who", "Time and money", "Results", "Contacts and links"):
        assert tab in html


def practice_titles(response):
    return {page.title for page in response.context["pages"]}


def test_practice_list_filters_by_region_theme_and_status(admin_client):
    kainuu, sport = Region.objects.get(code="18"), Theme.objects.get(code="sport")
    # Every language version (versions=all), as the expected sets below count pages.
    response = admin_client.get("/admin/practices/", {"regions": kainuu.pk, "versions": "all"})
    assert response.status_code == 200
    expected = set(PracticePage.objects.filter(regions=kainuu).values_list("title", flat=True))
    assert expected and practice_titles(response) == expected

    response = admin_client.get("/admin/practices/", {"themes": sport.pk, "status": "pilot", "versions": "all"})
    expected = set(PracticePage.objects.filter(themes=sport, status="pilot").values_list("title", flat=True))
    assert practice_titles(response) == expected
