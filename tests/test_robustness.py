"""Integers typed by users are ASCII digits only, everywhere (search's are in test_search_api.py).

``str.isdigit()`` accepts '²' and '①', which ``int()`` then refuses (a 500), and ``int()`` reads
'٣' and '３' as 3: region pages' paging, the admin's "copy and publish" destination and the proposal
form's request size all read their numbers with ``search.query.ascii_int``.
"""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from coordination.models import Proposal
from editorial.testing import make_member
from practices.models.pages import paginate

from .factories import make_practice

pytestmark = pytest.mark.django_db

NON_ASCII_DIGITS = ["²", "¹", "①", "٣", "３", "1²"]


@pytest.mark.parametrize("raw, number", [
    *((value, 1) for value in NON_ASCII_DIGITS),  # not a number: the first page
    ("3", 3), ("03", 3), ("0", 1), ("", 1), (" 3", 1), ("3.0", 1), ("+3", 1), ("3_0", 1),
    ("999", 10),  # past the end: the last page
    ("9" * 30, 1),  # too many digits to be a page number
])
def test_region_pages_read_ascii_page_numbers_only(raw, number):
    request = RequestFactory().get("/", {"page": raw})
    assert paginate(request, list(range(100)), per_page=10).number == number


@pytest.mark.parametrize("value", NON_ASCII_DIGITS)
def test_region_page_with_a_non_ascii_page_number(client, uusimaa, value):
    response = client.get(uusimaa.url, {"page": value})
    assert response.status_code == 200
    assert response.context["practices"].number == 1


@pytest.mark.parametrize("value", ["²", "٣", "1" * 5000])
def test_copy_and_publish_with_a_non_ascii_destination_is_refused_not_an_error(client, uusimaa, value):
    """The copy view's "publish copies" destination: not a page id, so the copy's own parent decides
    (which has a review workflow: a coordinator may not publish there directly)."""
    practice = make_practice(uusimaa)
    client.force_login(make_member("coordinator", "01"))
    response = client.post(reverse("wagtailadmin_pages:copy", args=(practice.pk,)), {
        "new_title": "Kopio", "new_slug": "kopio", "new_parent_page": value, "publish_copies": "on",
    })
    assert response.status_code in (302, 403)
    assert response.status_code == 403 or response["Location"] == "/admin/"


@pytest.mark.parametrize("length", ["²", "٣", "３", " 12", "-1", "9" * 30])
def test_proposal_with_a_malformed_content_length_is_refused(client, length):
    response = client.post("/fi/propose/", {"title": "x"}, CONTENT_LENGTH=length)
    assert response.status_code == 413
    assert not Proposal.objects.exists()
