"""The whole life of an adoption through the real views: reported on the public form, refused to
another region's coordinator, approved by the adopting region's coordinator, then visible on the
practice page, the adopting region's page, the search facet and sort, and the API; a rejection takes
it off them again (the page cache and the search index follow in the same transaction)."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from adoptions.models import Adoption
from editorial.testing import make_member
from practices.models import RegionPage

from .factories import make_practice

pytestmark = pytest.mark.django_db
TAMPERE = "837"  # Pirkanmaa (06)
ORGANISATION = "Pispalan Kotoutumisyhdistys ry"


@pytest.fixture(autouse=True)
def clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def report(client, practice):
    return client.post(f"/fi/adopt/{practice.pk}/", {
        "organisation_name": ORGANISATION, "municipality": TAMPERE, "since_year": "2023", "since_month": "4",
        "changes": "Kahvila kokoontuu iltaisin työssäkäyville.", "contact_name": "", "contact_email": "",
        "contact_phone": "", "website": "",
    }, REMOTE_ADDR="10.7.7.7")


def review(client, user, action, adoption, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(f"adoptions:{action}", args=(adoption.pk,)))
    client.logout()
    return response


def body(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def api_count(client, url):
    """The practice's adoption count as the API gives it."""
    hits = client.get(url).json()["results"]
    return next(hit["adoption_count"] for hit in hits if hit["title"] == "Iltakielikahvila Kirkkonummella")


def test_report_review_and_everywhere_it_shows(client, uusimaa, django_capture_on_commit_callbacks):
    practice = make_practice(uusimaa, title="Iltakielikahvila Kirkkonummella")
    pirkanmaa_page = RegionPage.objects.get(region__code="06", locale__language_code="fi")
    search_url = f"/fi/search/?adoption=adopted&q={'iltakielikahvila'}"
    api_url = "/api/v1/search/?q=iltakielikahvila"
    before = body(client, practice.url)
    assert "Iltakielikahvila Kirkkonummella" not in body(client, search_url)
    assert reverse("adoption_report", args=(practice.pk,)) in before  # the invitation to report

    with django_capture_on_commit_callbacks(execute=True):
        assert report(client, practice).status_code == 302
    adoption = Adoption.objects.get(organisation_name=ORGANISATION)
    assert adoption.status == Adoption.Status.NEW and adoption.region.code == "06"
    assert ORGANISATION not in body(client, practice.url)  # nothing shows before review

    # The practice's own region (Uusimaa) does not review it: the adopting municipality's region does.
    for refused in (make_member("coordinator", "01"), make_member("contributor", "06")):
        review(client, refused, "approve", adoption, django_capture_on_commit_callbacks)
        adoption.refresh_from_db()
        assert adoption.status == Adoption.Status.NEW
    coordinator = make_member("coordinator", "06")
    review(client, coordinator, "approve", adoption, django_capture_on_commit_callbacks)
    adoption.refresh_from_db()
    assert adoption.status == Adoption.Status.APPROVED and adoption.reviewed_by == coordinator

    page = body(client, practice.url)
    assert ORGANISATION in page and "Tampere" in page and "4/2023" in page
    assert "Kahvila kokoontuu iltaisin työssäkäyville." in page
    assert "Otettu käyttöön 1 paikassa" in page
    region_page = body(client, pirkanmaa_page.url)
    assert "Iltakielikahvila Kirkkonummella" in region_page.split('id="adopted-here-heading"')[1]
    assert "Iltakielikahvila Kirkkonummella" in body(client, search_url)
    assert api_count(client, api_url) == 1

    review(client, coordinator, "reject", adoption, django_capture_on_commit_callbacks)
    assert ORGANISATION not in body(client, practice.url)  # no cached page outlives the change
    assert "Iltakielikahvila Kirkkonummella" not in body(client, search_url)
    assert api_count(client, api_url) == 0
