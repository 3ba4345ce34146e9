"""The JSON API, autocomplete, OpenAPI schema, and bad input (never a 5xx)."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.facets import FACETS

pytestmark = pytest.mark.django_db


def get_json(client, url, params=None, status=200):
    response = client.get(url, params or {})
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_search_api_shape(client):
    data = get_json(client, "/api/v1/search/", {"q": "kielikahvila", "lang": "fi", "region": "01"})
    assert {"count", "page", "page_size", "results", "facets"} <= set(data)
    assert data["count"] == len(data["results"]) >= 1
    hit = data["results"][0]
    assert {"id", "url", "title", "summary", "regions", "themes", "snippet"} <= set(hit)
    assert hit["url"].startswith("http://testserver/fi/") and "01" in hit["regions"]
    assert set(data["facets"]) == {facet.name for facet in FACETS}
    region = {bucket["value"]: bucket for bucket in data["facets"]["region"]}
    assert region["01"]["selected"] and region["01"]["label"] == "Uusimaa"


def test_labels_in_the_requested_language(client):
    data = get_json(client, "/api/v1/search/", {"lang": "sv"})
    assert "Nyland" in {bucket["label"] for bucket in data["facets"]["region"]}


def test_page_size_and_paging(client):
    data = get_json(client, "/api/v1/search/", {"lang": "fi", "page_size": "5", "page": "2"})
    assert (data["page"], data["page_size"], len(data["results"])) == (2, 5, 5)


@pytest.mark.parametrize("params, parameter", [
    ({"q": "x" * 201}, "q"),
    ({"q": "kieli\x00kahvila"}, "q"),
    ({"q": '"avoin lainaus'}, "q"),
    ({"colour": "red"}, "colour"),
    ({"region": "99"}, "region"),
    ({"theme": "<script>"}, "theme"),
    ({"page": "abc"}, "page"),
    ({"page": "0"}, "page"),
    ({"page": "99999999999999999999"}, "page"),
    ({"page": "600", "page_size": "20"}, "page"),
    ({"page_size": "101"}, "page_size"),
    ({"sort": "random"}, "sort"),
    ({"lang": "de"}, "lang"),
    ({"operator": "xor"}, "operator"),
])
def test_bad_input_is_a_clear_400(client, params, parameter):
    data = get_json(client, "/api/v1/search/", params, status=400)
    assert data["error"]["parameter"] == parameter and data["error"]["message"]


def test_html_page_shows_a_friendly_message_and_keeps_the_text(client):
    response = client.get("/fi/search/", {"q": '"avoin lainaus'})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and 'value="&quot;avoin lainaus"' in html


def test_html_search_page_renders_results_facets_and_chips(client):
    response = client.get("/fi/search/", {"q": "kielikahvila", "region": "01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<mark>" in html and 'name="region" value="01" checked' in html
    assert 'class="chip"' in html


def test_openapi_schema(client):
    schema = get_json(client, "/api/v1/openapi.json")
    assert schema["openapi"].startswith("3.")
    names = {p["name"] for p in schema["paths"]["/api/v1/search/"]["get"]["parameters"]}
    assert {"q", "lang", "sort", "page", "page_size"} | {facet.name for facet in FACETS} <= names


def test_autocomplete_suggests_titles_and_labels(client):
    data = get_json(client, "/api/v1/autocomplete/", {"q": "kielikahv", "lang": "fi"})
    kinds = {suggestion["type"] for suggestion in data["suggestions"]}
    assert kinds == {"practice", "filter"}
    assert any(s["label"] == "Kielikahvila" and s["facet"] == "activity_form" for s in data["suggestions"] if s["type"] == "filter")
    assert get_json(client, "/api/v1/autocomplete/", {"q": "x" * 101}, status=400)["error"]


PARAMETER_NAMES = ["q", "lang", "sort", "page", "page_size", "operator", "zzz"] + [f.name for f in FACETS]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.lists(st.tuples(st.sampled_from(PARAMETER_NAMES), st.text(max_size=250)), max_size=6))
def test_arbitrary_input_never_breaks_the_api_or_the_page(client, params):
    query = [(name, value) for name, value in params]
    for url in ("/api/v1/search/", "/fi/search/", "/api/v1/autocomplete/"):
        response = client.get(url, query)
        assert response.status_code in (200, 400), (url, query, response.status_code)
