"""The search results page (HTML): metadata on every result, every selection kept in the form,
the form works as a plain GET form (no JavaScript), and the page loads its enhancement script
from a static file (the CSP allows no inline script)."""

import re
from urllib.parse import parse_qs

import pytest
from bs4 import BeautifulSoup
from django.utils import translation

from search.facets import FACETS_BY_NAME, value_labels

from .search_helpers import run

pytestmark = pytest.mark.django_db

METADATA_ROWS = {"region": "Region", "evidence_level": "Evidence level", "status": "Status",
                 "activity_form": "Activity form", "municipality": "Municipality"}


def soup_of(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return BeautifulSoup(response.content.decode(), "html.parser")


def expected_metadata(hit, language):
    """{row label: "value, value"} from the hit's facet codes, labelled independently of the page."""
    rows = {}
    with translation.override(language):
        for name, label in METADATA_ROWS.items():
            codes = hit.facets.get(name) or []
            if codes:
                facet = FACETS_BY_NAME.get(name)
                labels = value_labels(facet, language) if facet else {}
                rows[translation.gettext(label)] = ", ".join(labels.get(code, code) for code in codes)
    return rows


def shown_metadata(item):
    meta = item.select_one("dl.result-meta")
    assert meta is not None, f"no metadata in {item.h3.get_text(strip=True)!r}"
    return {row.dt.get_text(strip=True): row.dd.get_text(strip=True) for row in meta.find_all("div")}


@pytest.mark.parametrize("language, query", [("fi", "kieli"), ("sv", "språk"), ("en", "language")])
def test_every_result_shows_its_metadata_in_the_interface_language(client, language, query):
    page = soup_of(client, f"/{language}/search/?q={query}")
    expected = run(language, q=query)
    items = page.select("ol.results > li.result")
    assert len(items) == len(expected.hits) > 5
    for item, hit in zip(items, expected.hits, strict=True):
        assert item.h3.a["href"] == hit.url
        shown = shown_metadata(item)
        assert shown == expected_metadata(hit, language)
        with translation.override(language):
            # Region (or National), evidence level and status are on every practice.
            for label in ("Region", "Evidence level", "Status"):
                assert shown.get(translation.gettext(label)), (hit.title, label, shown)


def test_metadata_labels_follow_the_language_not_codes(client):
    fi = soup_of(client, "/fi/search/?q=&region=06")
    sv = soup_of(client, "/sv/search/?q=&region=06")
    fi_regions = {shown_metadata(item)["Alue"] for item in fi.select("li.result")}
    sv_regions = {shown_metadata(item)["Region"] for item in sv.select("li.result")}
    assert any("Pirkanmaa" in regions for regions in fi_regions)
    assert any("Birkaland" in regions for regions in sv_regions)
    evidence = {shown_metadata(item)["Näytön taso"] for item in fi.select("li.result")}
    assert evidence and not evidence & {"promising", "established", "emerging", "evaluated"}, evidence


SELECTIONS = {"region": ["06", "02"], "activity_form": ["event_series", "volunteering"],
              "theme": ["language"], "status": ["ongoing"]}


def _checked(page, name):
    return sorted(box["value"] for box in page.select(f"input[type=checkbox][name={name}]") if box.has_attr("checked"))


def test_every_selection_across_facets_is_kept_in_the_form(client):
    query = "&".join(f"{name}={value}" for name, values in SELECTIONS.items() for value in values)
    page = soup_of(client, f"/fi/search/?q=kieli&operator=or&sort=title&neighbours=1&{query}")
    for name, values in SELECTIONS.items():
        assert _checked(page, name) == sorted(values), name
    assert _checked(page, "neighbours") == ["1"]
    assert page.select_one("#q")["value"] == "kieli"
    assert page.select_one("#operator option[selected]")["value"] == "or"
    assert page.select_one("#sort option[selected]")["value"] == "title"
    # One active-filter chip per selected value, each removing only its own value.
    chips = page.select("#search-chips a.chip")
    assert len(chips) == sum(len(values) for values in SELECTIONS.values())
    everything = {(name, value) for name, values in SELECTIONS.items() for value in values}
    removed = []
    for chip in chips:
        kept = {(name, value) for name, values in parse_qs(chip["href"].lstrip("?")).items()
                for value in values if name in SELECTIONS}
        assert len(everything - kept) == 1, chip["href"]
        removed.extend(everything - kept)
    assert sorted(removed) == sorted(everything)


def test_a_selected_value_without_matches_stays_checked(client):
    # Nothing matches the text, so neither value has a count: both are still listed and ticked.
    page = soup_of(client, "/fi/search/?q=xqzvwk&region=01&activity_form=event_series")
    assert _checked(page, "region") == ["01"]
    assert _checked(page, "activity_form") == ["event_series"]


def test_the_neighbours_choice_is_offered_only_with_a_region(client):
    without = soup_of(client, "/fi/search/?q=kieli")
    assert not without.select("input[name=neighbours]")
    with_region = soup_of(client, "/fi/search/?q=kieli&region=06")
    box = with_region.select_one("fieldset[data-key=region] input[name=neighbours]")
    assert box is not None and box["value"] == "1" and not box.has_attr("checked")
    assert box.find_parent("label").get_text(strip=True) == "Ota mukaan naapurimaakunnat"
    # A municipality (Tampere) with no matches: the region group still offers the choice.
    tampere = soup_of(client, "/fi/search/?q=kielikahvila&municipality=837&place=837")
    assert tampere.select_one("fieldset[data-key=region] input[name=neighbours]") is not None


def test_the_reading_of_the_text_is_kept_through_updates(client):
    """place= and literal= are not checkboxes: hidden fields carry them to the next request."""
    page = soup_of(client, "/fi/search/?q=kielikahvila&municipality=837&place=837&literal=1")
    hidden = {(field["name"], field["value"]) for field in page.select("#search-facets input[type=hidden]")}
    assert hidden == {("place", "837"), ("literal", "1")}
    assert _checked(page, "municipality") == ["837"]


def _submitted(form):
    """The query a browser without JavaScript sends for this form as it is (successful controls)."""
    pairs = []
    for field in form.select("input[name], select[name]"):
        if field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            pairs.append((field["name"], chosen["value"]))
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                pairs.append((field["name"], field["value"]))
        else:
            pairs.append((field["name"], field.get("value", "")))
    return pairs


def test_the_form_works_without_javascript(client):
    page = soup_of(client, "/fi/search/?q=kieli")
    form = page.select_one("form#search-form")
    assert form["method"] == "get" and form["action"] == ""
    assert form.find("button", string=re.compile("Käytä rajauksia"), attrs={"type": "submit"})
    # Tick the first theme as a visitor would, and submit the form's fields.
    first_theme = form.select_one("fieldset[data-key=theme] input[type=checkbox]")
    first_theme["checked"] = ""
    response = client.get("/fi/search/", dict_of(_submitted(form)))
    assert response.status_code == 200
    after = BeautifulSoup(response.content.decode(), "html.parser")
    assert _checked(after, "theme") == [first_theme["value"]]
    expected = run("fi", q="kieli", theme=first_theme["value"])
    heading = after.select_one("#results-heading").get_text(strip=True)
    assert re.search(r"\d+", heading).group() == str(expected.total), heading
    assert len(after.select("ol.results > li")) == min(expected.total, 20)


def dict_of(pairs):
    """Repeated names as lists, as the test client wants them."""
    data = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


def test_the_page_loads_its_script_from_a_static_file_and_marks_the_parts_it_updates(client):
    page = soup_of(client, "/fi/search/?q=kieli")
    scripts = page.find_all("script")
    assert all(script.get("src") for script in scripts), "inline scripts are refused by the CSP"
    assert any(script["src"].endswith("js/search-facets.js") and script.has_attr("defer") for script in scripts)
    assert {part["id"] for part in page.select("[data-search-part]")} == {"search-chips", "search-results",
                                                                          "search-facets", "search-take-away"}
    status = page.select_one("#search-status")
    assert status["role"] == "status" and not status.find_parent(attrs={"data-search-part": True})
    # Facet values are keyed by value, so the script updates the focused checkbox in place.
    for item in page.select("fieldset.facet li"):
        assert item["data-key"] == item.input["value"]


def test_bad_input_is_a_400_with_the_message_and_no_results(client):
    page = soup_of(client, '/fi/search/?q=%22unclosed&region=06', status=400)
    assert page.select_one("[role=alert]").get_text(strip=True)
    assert not page.select("ol.results")
