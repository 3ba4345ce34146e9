"""The JSON API, autocomplete, OpenAPI schema, and bad input (never a 5xx)."""

import json
import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.facets import FACETS
from search.query import MAX_PAGE_SIZE, MAX_RESULT_WINDOW, ascii_int
from search.views import HTML_PAGE_SIZE

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


# Digits that are not ASCII: str.isdigit() accepts them all, int() refuses the first three and reads
# the others (Arabic-Indic three, fullwidth three) as 3. Only 0-9 are numbers in a URL.
NON_ASCII_DIGITS = ["²", "¹", "①", "٣", "３", "1²", "𝟗"]


@pytest.mark.parametrize("value", NON_ASCII_DIGITS)
@pytest.mark.parametrize("name", ["page", "page_size"])
def test_only_ascii_digits_are_numbers_in_the_api(client, name, value):
    data = get_json(client, "/api/v1/search/", {"lang": "en", name: value}, status=400)
    assert data["error"] == {"parameter": name, "message": f"{name} must be a whole number of 1 or more."}


@pytest.mark.parametrize("value", NON_ASCII_DIGITS)
def test_only_ascii_digits_are_numbers_on_the_search_page(client, value):
    response = client.get("/en/search/", {"q": "kielikahvila", "page": value})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and "page must be a whole number of 1 or more." in html
    assert 'value="kielikahvila"' in html
    # The page has a fixed page size and ignores page_size, whatever it holds.
    assert client.get("/en/search/", {"q": "kielikahvila", "page_size": value}).status_code == 200


def test_ascii_int():
    assert [ascii_int(raw) for raw in ("0", "7", "0042", "9" * 18)] == [0, 7, 42, int("9" * 18)]
    for raw in (None, "", " 7", "7 ", "+7", "-7", "7.0", "1_000", "1e3", "9" * 19, *NON_ASCII_DIGITS):
        assert ascii_int(raw) is None, raw
    assert ascii_int("123", max_digits=2) is None


# Every character a URL can carry, drawn category by category so that small categories (numbers Nd,
# Nl and No such as '²' or '①', spaces Zs, format characters Cf, marks, private use, unassigned) come
# up as often as letters. Surrogates (Cs) are left out: UTF-8, and so HTTP, cannot carry them.
CATEGORIES = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi",
              "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Co", "Cn"]
ANY_CHARACTER = st.one_of(
    st.sampled_from(CATEGORIES).flatmap(lambda category: st.characters(categories=[category])),
    st.characters(exclude_categories=["Cs"]),
)
ANY_TEXT = st.text(ANY_CHARACTER, max_size=250)
ASCII_DIGITS = st.from_regex(r"[0-9]{0,4}", fullmatch=True)
# Every character str.isdigit() accepts: 0-9 and 768 others (other scripts' digits, superscripts,
# circled digits), drawn uniformly; int() refuses 128 of them.
UNICODE_DIGIT = st.sampled_from([char for char in map(chr, range(sys.maxunicode + 1)) if char.isdigit()])
# What a page number might look like: plain numbers (also 0, negative, huge), digits of any script,
# any short text, and ASCII digits around other characters ("1²", "٣0").
NUMBER_TEXT = st.one_of(
    st.integers(min_value=-5, max_value=10**12).map(str),
    st.text(UNICODE_DIGIT, min_size=1, max_size=4),
    st.text(ANY_CHARACTER, min_size=1, max_size=4),
    st.tuples(ASCII_DIGITS, st.text(UNICODE_DIGIT | ANY_CHARACTER, min_size=1, max_size=2), ASCII_DIGITS).map("".join),
)
FACET_VALUE = st.one_of(ANY_TEXT, st.sampled_from(["01", "06", "language", "work"]),
                        st.tuples(st.sampled_from(["01", "language"]), ANY_TEXT).map("".join))
MAYBE = st.none() | ANY_TEXT | st.text(max_size=250)  # absent, or any text (also hypothesis' default mix)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=MAYBE | NUMBER_TEXT, page_size=MAYBE | NUMBER_TEXT, q=MAYBE,
       facets=st.lists(st.tuples(st.sampled_from([f.name for f in FACETS]), FACET_VALUE), max_size=4),
       others=st.lists(st.tuples(st.sampled_from(["lang", "sort", "operator", "zzz"]), MAYBE.filter(bool)),
                       max_size=3))
def test_arbitrary_input_never_breaks_the_api_or_the_page(client, page, page_size, q, facets, others):
    given_values = [("page", page), ("page_size", page_size), ("q", q)]
    query = [(name, value) for name, value in given_values if value is not None] + facets + others
    for url in ("/api/v1/search/", "/fi/search/", "/api/v1/autocomplete/"):
        response = client.get(url, query)
        assert response.status_code in (200, 400), (url, query, response.status_code)


def expected_number(raw, default):
    """The number the service must read from ``raw`` (None: a 400), by a rule independent of its code."""
    if raw is None or raw == "":
        return default
    return int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) and int(raw) >= 1 else None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=st.none() | NUMBER_TEXT, page_size=st.none() | NUMBER_TEXT)
def test_page_numbers_are_ascii_digits_or_a_clear_400(client, page, page_size):
    params = {name: value for name, value in (("page", page), ("page_size", page_size)) if value is not None}
    number, size = expected_number(page, 1), expected_number(page_size, 20)
    answered = (number is not None and size is not None and size <= MAX_PAGE_SIZE
                and number * size <= MAX_RESULT_WINDOW)
    response = client.get("/api/v1/search/", {"lang": "fi", **params})
    assert response.status_code == (200 if answered else 400), (params, response.content[:300])
    if answered:
        data = json.loads(response.content)
        assert (data["page"], data["page_size"]) == (number, size)
    else:
        assert json.loads(response.content)["error"]["parameter"] in params
    # The search page reads page only (its page size is fixed).
    answered = number is not None and number * HTML_PAGE_SIZE <= MAX_RESULT_WINDOW
    response = client.get("/fi/search/", params)
    assert response.status_code == (200 if answered else 400), (params, response.status_code)
