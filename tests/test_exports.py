"""Search results as CSV and XLSX (/<lang>/search/export.csv|xlsx) and the writer behind every export
(opendata/tabular.py): read back with the csv module and openpyxl."""

import csv
import io
import string

import openpyxl
import pytest
from django.core.cache import caches
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendata import exports, tabular, views
from practices.models import Theme
from search.facets import FACETS_BY_NAME, value_labels
from search.query import parse_request
from search.service import search

from .factories import make_practice

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def clear_rate_limits():
    caches["strict"].clear()
    yield
    caches["strict"].clear()


def service_hits(language, params):
    """Every hit of the search, page by page, as the search page and the API get them."""
    hits, page = [], 1
    while True:
        query = QueryDict(mutable=True)
        for name, value in params:
            query.appendlist(name, value)
        query["page"], query["page_size"] = str(page), "100"
        result = search(parse_request(query, language, strict=True))
        hits += result.hits
        if page * 100 >= result.total:
            return hits, result.total
        page += 1


def read_csv(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # the byte order mark spreadsheets need
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_xlsx(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return workbook.worksheets[0]


def export(client, language, fmt, params):
    query = QueryDict(mutable=True)
    for name, value in params:
        query.appendlist(name, value)
    return client.get(f"/{language}/search/export.{fmt}?{query.urlencode()}")


SEARCHES = [
    ("fi", [("theme", "language"), ("region", "01"), ("region", "06")]),
    ("fi", [("q", "kielikahvila"), ("sort", "title")]),
    ("sv", [("theme", "employment"), ("sort", "newest")]),
    ("en", []),
]


@pytest.mark.parametrize("language, params", SEARCHES)
def test_csv_has_every_practice_of_the_search_in_its_order(client, language, params):
    hits, total = service_hits(language, params)
    response = export(client, language, "csv", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=") and ".csv" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == exports.header() and len(rows[0]) == 18
    assert len(rows) - 1 == total == len(hits) > 0
    assert [row[1] for row in rows[1:]] == [f"http://testserver{hit.url}" for hit in hits]
    assert [row[0] for row in rows[1:]] == [tabular.csv_cell(hit.title) for hit in hits]


@pytest.mark.parametrize("language, params", SEARCHES[:3])
def test_xlsx_has_every_practice_of_the_search_in_its_order(client, language, params):
    hits, total = service_hits(language, params)
    response = export(client, language, "xlsx", params)
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    sheet = read_xlsx(response)
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == exports.header()
    assert len(rows) - 1 == total == len(hits)
    assert [row[0] for row in rows[1:]] == [hit.title for hit in hits]
    assert [row[1] for row in rows[1:]] == [f"http://testserver{hit.url}" for hit in hits]


def column(name: str) -> int:
    """The position of a facet's column (the title, the address and the summary come first)."""
    return 3 + exports.FACET_COLUMNS.index(name)


def test_the_columns_carry_labels_in_the_active_language(client, uusimaa):
    practice = make_practice(uusimaa, title="Sarakeotsikkotesti", themes=("language", "employment"), regions=("01", "06"),
                             is_national=True, municipalities="Espoo")
    params = [("q", "sarakeotsikkotesti")]
    theme = Theme.objects.get(code="language")
    for language, label in (("fi", theme.name_fi), ("en", theme.name_en)):
        rows = read_csv(export(client, language, "csv", params))
        assert len(rows) == 2 and rows[1][0] == practice.title
        assert label in rows[1][column("theme")].split("; ")
        assert rows[1][column("municipality")] == "Espoo"
    sheet = read_xlsx(export(client, "sv", "xlsx", params))
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Rubrik", "Webbadress", "Sammanfattning"]
    row = next(sheet.iter_rows(min_row=2, values_only=True))
    labels = value_labels(FACETS_BY_NAME["region"], "sv")
    assert set(row[column("region")].split("; ")) == {labels["01"], labels["06"], labels["national"]}
    assert row[column("region")].startswith(labels["01"])
    # Shown in Finnish in the Swedish export: it has no Swedish version.
    assert (row[-3], row[-2], row[-1]) == ("fi", "Ja", 0)  # no adoptions
    assert row[1].startswith("http://testserver/sv/")


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_formula_like_titles_come_back_as_text(client, uusimaa, start):
    title = f"{start}1+2 Kaavakerho"
    summary = f"{start}HYPERLINK(\"http://example.invalid\";\"klikkaa\")"
    make_practice(uusimaa, title=title, summary=summary)
    params = [("q", "kaavakerho")]
    rows = read_csv(export(client, "fi", "csv", params))
    assert [row[0] for row in rows[1:]] == ["'" + title]
    assert rows[1][2] == "'" + summary
    sheet = read_xlsx(export(client, "fi", "xlsx", params))
    title_cell, summary_cell = sheet.cell(row=2, column=1), sheet.cell(row=2, column=3)
    assert (title_cell.value, title_cell.data_type) == (title, "s")
    assert (summary_cell.value, summary_cell.data_type) == (summary, "s")


@pytest.mark.parametrize("query, message", [
    ("sort=sideways", "sort"),
    ("theme=no-such-theme", "no-such-theme"),
    ("q=%22half", "quotation mark"),
    ("q=a%01b", "control characters"),
    ("operator=xor", "operator"),
])
def test_bad_parameters_are_a_400_with_the_message(client, query, message):
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/en/search/export.{fmt}?{query}")
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert message in response.content.decode()


def test_unknown_format_is_not_found(client):
    assert client.get("/fi/search/export.pdf").status_code == 404


def test_more_than_the_limit_is_refused_with_a_message(client, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_LIMIT", 3)
    response = client.get("/en/search/export.csv?theme=language")
    assert response.status_code == 400
    assert "at most 3" in response.content.decode()
    assert client.get("/en/search/export.csv?q=%22kielikahvila%22&region=19").status_code == 200


def test_exports_are_rate_limited_per_address(client, monkeypatch):
    limit = views.RateLimit("search_exports_test", 2, 600, fail_open=True)
    monkeypatch.setattr(views, "EXPORTS", limit)
    for _ in range(2):
        assert client.get("/fi/search/export.csv?region=19", REMOTE_ADDR="192.0.2.7").status_code == 200
    refused = client.get("/fi/search/export.xlsx?region=19", REMOTE_ADDR="192.0.2.7")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 600
    assert "try again" in refused.content.decode().lower() or "yritä" in refused.content.decode().lower()
    assert client.get("/fi/search/export.csv?region=19", REMOTE_ADDR="192.0.2.8").status_code == 200


def test_exports_are_never_cached(client):
    response = client.get("/fi/search/export.xlsx?region=19")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_search_page_links_to_the_exports_of_the_current_search(client):
    response = client.get("/fi/search/?q=kielikahvila&theme=language&page=2&sort=title")
    html = response.content.decode()
    assert 'href="/fi/search/export.csv?q=kielikahvila&amp;theme=language&amp;sort=title"' in html
    assert 'href="/fi/search/export.xlsx?q=kielikahvila&amp;theme=language&amp;sort=title"' in html
    empty = client.get("/en/search/?q=zzzzyyyyxxxx").content.decode()
    assert "/en/search/export.csv" not in empty and "nothing to download" in empty


# --- The writer: any text survives, never as a formula ------------------------------------------------
ANY_TEXT = st.text(max_size=60)  # any code points, also lone surrogates and non-characters
FORMULA_TEXT = st.tuples(st.sampled_from(["=", "+", "-", "@", " =", "\t", "\r"]), ANY_TEXT).map("".join)
CELL = ANY_TEXT | FORMULA_TEXT | st.sampled_from(["=1+2", "@SUM(A1)", "-", "+358 40 123", "_x0041_", ""])


def xlsx_expected(text: str) -> str | None:
    """What openpyxl reads back: XML 1.0 cannot hold most C0 control characters, lone surrogates, U+FFFE
    and U+FFFF, so the writer drops them (tabular.UNSTORABLE_IN_XLSX); a cell left empty reads as None."""
    kept = tabular.UNSTORABLE_IN_XLSX.sub("", text)
    return kept or None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(CELL, min_size=1, max_size=5))
def test_any_text_round_trips_through_csv_and_xlsx_never_as_a_formula(cells):
    rows = [cells, list(reversed(cells))]
    read = list(csv.reader(io.StringIO(tabular.csv_bytes(["a"], rows).decode("utf-8-sig"), newline="")))
    for written, back in zip(rows, read[1:], strict=True):
        assert back == [("'" + text) if tabular.looks_like_formula(text) else text for text in written]
    sheet = openpyxl.load_workbook(io.BytesIO(tabular.xlsx_bytes(["a"], rows, "Testi"))).worksheets[0]
    for written, sheet_row in zip(rows, sheet.iter_rows(min_row=2), strict=True):
        for text, cell in zip(written, sheet_row, strict=True):
            assert cell.value == xlsx_expected(text)
            assert cell.data_type != "f"  # never a formula
            if cell.value is not None:
                assert cell.data_type == "s"


def test_xlsx_drops_control_characters_and_keeps_the_rest():
    """Documented behaviour: C0 control characters other than tab, line feed and carriage return
    cannot be stored in XLSX (XML 1.0) and are removed; everything else is kept as typed."""
    text = "a\x00b\x07c\x1fd\te\nf\r\ufffeg\uffff" + string.punctuation + "åäö 😀"
    sheet = openpyxl.load_workbook(io.BytesIO(tabular.xlsx_bytes(["a"], [[text]]))).worksheets[0]
    assert sheet.cell(row=2, column=1).value == "abcd\te\nf\rg" + string.punctuation + "åäö 😀"
    read = list(csv.reader(io.StringIO(tabular.csv_bytes(["a"], [[text]]).decode("utf-8-sig"), newline="")))
    assert read == [["a"], [text]]  # CSV keeps every character
