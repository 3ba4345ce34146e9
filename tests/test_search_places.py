"""Places in search: the municipality data and facet, municipality names recognised in the query,
neighbouring regions, and the wider searches offered when nothing is found."""

import importlib
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from practices.models import PracticePage
from search import changelog
from search.facets import facet_values
from search.models import IndexChange, SearchDocument
from search.places import (
    municipalities,
    municipality_codes_in,
    recognise,
    region_neighbours,
    widened_regions,
)
from search.service import search

from .search_helpers import counts, run
from .test_search_elasticsearch import es, es_settings  # noqa: F401  (fixtures: a real Elasticsearch)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
TAMPERE, NOKIA, PIRKANMAA = "837", "536", "06"


def get_json(client, params, status=200):
    response = client.get("/api/v1/search/", params)
    assert response.status_code == status, response.content[:300]
    return json.loads(response.content)


# --- the data ------------------------------------------------------------------------------------
def test_every_municipality_once_with_a_known_region():
    rows = json.loads((ROOT / "search/data/municipalities.json").read_text(encoding="utf-8"))["municipalities"]
    taxonomy = json.loads((ROOT / "operations/data/taxonomy.json").read_text(encoding="utf-8"))
    regions = {term["code"] for term in taxonomy["regions"]["terms"]}
    # Statistics Finland's 2025 classification: 309 municipalities (308 from 2026).
    assert len(rows) == len(municipalities()) == 309
    assert all(re.fullmatch(r"\d{3}", row["code"]) for row in rows)
    assert len({row["code"] for row in rows}) == len(rows)
    assert {row["region"] for row in rows} == regions
    assert all(row["fi"] and row["sv"] for row in rows)
    assert municipalities()[TAMPERE].sv == "Tammerfors" and municipalities()["091"].region == "01"


def test_every_municipality_named_in_the_demo_content_resolves():
    named = {name.strip() for path in (ROOT / "practices/demo").glob("*.py")
             for listed in re.findall(r'"municipalities": "([^"]*)"', path.read_text(encoding="utf-8"))
             for name in listed.split(",") if name.strip()}
    assert len(named) > 40
    unresolved = {name for name in named if len(municipality_codes_in(name)) != 1}
    assert not unresolved


def test_free_text_lists_resolve_by_finnish_or_swedish_name_in_any_case():
    assert municipality_codes_in("Vaasa, MUSTASAARI och Närpes") == ["499", "545", "905"]
    assert municipality_codes_in("Korsholm; tampere") == ["499", TAMPERE]
    assert municipality_codes_in("Pedersören kunta, Koski Tl") == ["284", "599"]
    assert municipality_codes_in("Tampereen seutu") == []  # only names as written, not inflected
    assert municipality_codes_in("") == []


def test_region_borders_are_symmetric_and_cover_every_region():
    neighbours = region_neighbours()
    assert set(neighbours) == {municipality.region for municipality in municipalities().values()}
    for region, others in neighbours.items():
        assert region not in others
        for other in others:
            assert region in neighbours[other], (region, other)
    assert set(neighbours[PIRKANMAA]) == {"02", "04", "05", "07", "13", "14"}
    assert neighbours["21"] == ("02",)  # Åland: by sea to Varsinais-Suomi only
    assert widened_regions(["19", "national"]) == ["19", "national", "17"]


# --- the facet -----------------------------------------------------------------------------------
def test_the_facet_values_are_the_municipalities_a_practice_names():
    page = PracticePage.objects.live().filter(municipalities="Tampere, Nokia").first()
    assert facet_values(page)["municipality"] == [NOKIA, TAMPERE]


@pytest.mark.parametrize("locale, label", [("fi", "Tampere"), ("sv", "Tammerfors"), ("en", "Tampere")])
def test_the_facet_filters_counts_and_labels_in_the_language(locale, label):
    result = run(locale, municipality=TAMPERE)
    expected = SearchDocument.objects.filter(locale=locale, facet_values__facet="municipality",
                                             facet_values__value=TAMPERE).count()
    assert result.total == expected == 3
    assert all(TAMPERE in hit.facets["municipality"] for hit in result.hits)
    tampere = next(bucket for bucket in result.facets["municipality"] if bucket.value == TAMPERE)
    assert (tampere.label, tampere.count, tampere.selected) == (label, 3, True)


def test_the_api_lists_municipalities_in_results_and_buckets(client):
    data = get_json(client, {"lang": "sv", "municipality": NOKIA})
    assert data["count"] == 1 and data["results"][0]["municipalities"] == [NOKIA, TAMPERE]
    buckets = {bucket["value"]: bucket for bucket in data["facets"]["municipality"]}
    assert buckets[TAMPERE]["label"] == "Tammerfors" and buckets[NOKIA]["selected"]
    everything = get_json(client, {"lang": "fi", "page_size": "1"})["facets"]["municipality"]
    assert len(everything) == len({code for document in SearchDocument.objects.filter(locale="fi")
                                   for code in document.facets["municipality"]}) > 10  # the full list


def test_the_facet_is_the_same_on_elasticsearch(es):  # noqa: F811
    for params in ({"municipality": TAMPERE}, {"q": "kirjasto"}, {"municipality": [TAMPERE, "092"], "region": "06"}):
        on_elasticsearch = run("fi", **params)
        assert on_elasticsearch.backend == "elasticsearch"
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("search.service._engine", lambda: None)
            on_database = run("fi", **params)
        assert on_elasticsearch.total == on_database.total
        assert counts(on_elasticsearch)["municipality"] == counts(on_database)["municipality"]


def test_an_existing_elasticsearch_index_gets_the_facet_on_upgrade(es):  # noqa: F811
    """An index made before the facet existed (strict mapping without it) accepts it after the
    upgrade's re-index through the change log."""
    from search.backends import elasticsearch as engine

    for locale in ("fi", "sv", "en"):
        mapping = es.client.indices.get_mapping(index=es.alias(locale))
        assert "municipality" in next(iter(mapping.values()))["mappings"]["properties"]["facets"]["properties"]
    # The mapping this release creates, without the municipality facet: what an index made before it has.
    old = engine._mapping(engine.LANGUAGE_ANALYZERS.get("fi", "standard"))
    del old["properties"]["facets"]["properties"]["municipality"]
    name = f"{es.alias('fi')}_old"
    es.client.indices.create(index=name, settings=engine.INDEX_SETTINGS, mappings=old)
    es._swap(es.alias("fi"), name)
    engine._STORED_ONLY_MAPPED.clear()
    _record_the_upgrade_reindex()
    assert changelog.drain(engine=es).failed == 0
    assert run("fi", municipality=TAMPERE).total == 3


def _record_the_upgrade_reindex():
    migration = importlib.import_module("search.migrations.0005_reindex_for_municipality_facet")
    migration.reindex_every_practice(apps, None)


def test_the_upgrade_reindexes_every_practice_through_the_change_log():
    SearchDocument.objects.filter(locale="fi").update(facets={})  # as written before the facet existed
    IndexChange.objects.all().delete()
    _record_the_upgrade_reindex()
    keys = set(PracticePage.objects.values_list("translation_key", flat=True))
    assert set(IndexChange.objects.values_list("translation_key", flat=True)) == keys
    changelog.drain(limit=len(keys) + 1)
    assert not IndexChange.objects.filter(db_pending=True).exists()
    assert sum(TAMPERE in document.facets.get("municipality", ())
               for document in SearchDocument.objects.filter(locale="fi")) == 3


# --- recognition -----------------------------------------------------------------------------------
@pytest.mark.parametrize("locale, text, remaining, codes", [
    ("fi", "kielikahvila tampere", "kielikahvila", (TAMPERE,)),
    ("fi", "kielikahvila Tampereella", "kielikahvila", (TAMPERE,)),
    ("fi", "Tampereen kirjasto", "kirjasto", (TAMPERE,)),
    ("fi", "Tammerfors", "", (TAMPERE,)),
    ("fi", "Helsingissä ja Turussa", "", ("091", "853")),
    ("fi", "Lahdessa neuvonta", "neuvonta", ("398",)),
    ("fi", "kerho Mänttä-Vilppulassa", "kerho", ("508",)),
    ("fi", "Koski Tl", "", ("284",)),
    ("fi", "Salossa", "", ("734",)),
    ("fi", "Pello", "", ("854",)),
    ("sv", "språkcafé i Tammerfors", "språkcafé", (TAMPERE,)),
    ("sv", "Åbos bibliotek", "bibliotek", ("853",)),
    ("sv", "rådgivning i Vasa", "rådgivning", ("905",)),
    ("en", "language cafe in Turku", "language cafe", ("853",)),
])
def test_names_are_recognised_in_any_inflection(locale, text, remaining, codes):
    recognised = recognise(locale, text)
    assert (recognised.text, recognised.codes) == (remaining, codes)


@pytest.mark.parametrize("locale, text", [
    ("fi", "kolari"),  # a car crash
    ("fi", "koski"),  # rapids
    ("fi", "pelloilla"),  # on the fields, not in Pello
    ("fi", "vaihe II"),  # a roman numeral, not Ii
    ("fi", "luoto"),
    ("sv", "kemi och fysik"),  # chemistry, not Kemi
    ("sv", "sund mat"),  # healthy, not Sund
    ("fi", '"Tampere" kerho'),  # a quoted phrase is kept as typed
    ("fi", "vasen käsi"),  # the Swedish stemmer would read Vasa: only used in Swedish searches
    ("fi", "kotoutuminen"),
])
def test_common_words_and_phrases_stay_text(locale, text):
    assert recognise(locale, text) is None


@settings(max_examples=300, deadline=None)
@given(locale=st.sampled_from(["fi", "sv", "en"]), text=st.text(max_size=200))
def test_recognition_never_raises_on_any_unicode(locale, text):
    recognised = recognise(locale, text)
    if recognised is not None:
        assert recognised.codes and set(recognised.codes) <= set(municipalities())
        assert len(recognised.text) <= len(text)


def test_the_html_page_redirects_to_the_interpreted_search(client):
    response = client.get("/en/search/", {"q": "kielikahvila Tampere", "theme": "language"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/en/search/"
    assert parse_qs(location.query) == {"q": ["kielikahvila"], "municipality": [TAMPERE], "place": [TAMPERE],
                                        "theme": ["language"]}
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Showing practices in Tampere." in html
    literal = re.search(r'<a href="([^"]*literal=1[^"]*)">Search for the words ‘kielikahvila Tampere’ instead',
                        html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(literal).query) == {"q": ["kielikahvila Tampere"], "theme": ["language"],
                                                 "literal": ["1"]}
    assert client.get("/en/search/" + literal).status_code == 200  # literal=1: no redirect


def test_the_page_speaks_finnish_and_swedish(client):
    fi = client.get("/fi/search/", {"q": "Tampere"}, follow=True).content.decode()
    assert "Näytetään käytännöt, joiden kunta on Tampere." in fi
    sv = client.get("/sv/search/", {"q": "i Tammerfors"}, follow=True)
    assert sv.redirect_chain[0][1] == 302
    assert "Visar praxis i kommunen Tammerfors." in sv.content.decode()


def test_the_api_reports_its_interpretation_and_literal_turns_it_off(client):
    data = get_json(client, {"q": "Tampereella", "lang": "fi"})
    assert data["interpreted"] == {"text": "", "municipality": [TAMPERE]}
    assert data["query"] == "Tampereella" and data["count"] == 3
    literal = get_json(client, {"q": "Tampereella", "lang": "fi", "literal": "1"})
    assert literal["interpreted"] is None
    assert literal["count"] >= 3  # the word still finds the practices that name the town
    assert get_json(client, {"q": "kirjasto", "lang": "fi"})["interpreted"] is None


@pytest.mark.parametrize("params, parameter", [
    ({"place": "999"}, "place"), ({"literal": "yes"}, "literal"), ({"neighbours": "2"}, "neighbours"),
    ({"municipality": "Tampere"}, "municipality"),
])
def test_bad_place_parameters_are_a_clear_400(client, params, parameter):
    data = get_json(client, {"lang": "en", **params}, status=400)
    assert data["error"]["parameter"] == parameter and data["error"]["message"]
    assert client.get("/en/search/", params).status_code == 400


# --- neighbouring regions -----------------------------------------------------------------------
def _documents_in(locale, regions):
    return SearchDocument.objects.filter(locale=locale, facet_values__facet="region",
                                         facet_values__value__in=regions).distinct().count()


def test_neighbours_widens_every_selected_region_and_keeps_the_selection_shown():
    result = run("fi", region=PIRKANMAA, neighbours="1")
    widened = [PIRKANMAA, "02", "04", "05", "07", "13", "14"]
    assert result.total == _documents_in("fi", widened) > run("fi", region=PIRKANMAA).total
    assert result.added_regions == widened[1:]
    assert [bucket.value for bucket in result.facets["region"] if bucket.selected] == [PIRKANMAA]


def test_neighbours_with_a_municipality_means_its_region_and_the_neighbours():
    result = run("sv", municipality=TAMPERE, neighbours="1")
    assert result.total == _documents_in("sv", widened_regions([PIRKANMAA]))
    assert result.added_regions[0] == PIRKANMAA
    assert [bucket.value for bucket in result.facets["municipality"] if bucket.selected] == [TAMPERE]


def test_the_page_says_which_regions_were_added(client):
    html = client.get("/en/search/", {"region": "19", "neighbours": "1"}).content.decode()
    assert "Neighbouring regions included: North Ostrobothnia." in html


# --- nothing found -------------------------------------------------------------------------------
def test_nothing_found_offers_wider_searches_that_find_something_with_their_counts():
    result = run("fi", q="kielikahvila tampere")
    assert result.total == 0 and result.recognised == (TAMPERE,)
    assert [alternative.kind for alternative in result.alternatives] == ["region", "neighbours", "finland"]
    for alternative in result.alternatives:
        assert alternative.count == search(alternative.request).total > 0
    assert result.alternatives[0].request.selections == {"region": (PIRKANMAA,)}
    assert result.alternatives[2].request.selections == {} and result.alternatives[2].request.text == "kielikahvila"


def test_only_alternatives_that_find_something_and_the_literal_search():
    result = run("fi", q="museo Turussa")  # the museum practice is in Tampere; nothing in Varsinais-Suomi
    kinds = [alternative.kind for alternative in result.alternatives]
    assert result.total == 0 and "region" not in kinds and kinds[-1] == "finland"
    assert all(alternative.count > 0 for alternative in result.alternatives)
    assert run("fi", q="kotoutumisneuvontaa xyzzyqq").alternatives == []  # nothing wider to offer


def test_the_cost_of_a_zero_result_is_bounded():
    with CaptureQueriesContext(connection) as found:
        run("fi", q="kielikahvila", municipality="092")
    with CaptureQueriesContext(connection) as empty:
        result = run("fi", q="kielikahvila tampere")
    assert result.total == 0
    # One text query per wider search (at most four candidates), nothing per result.
    assert len(empty) <= len(found) + 6, [query["sql"][:80] for query in empty.captured_queries]


def test_no_similar_words_message_when_they_find_nothing_either(client):
    result = run("fi", q="kielikahvila tampere", literal="1")
    assert result.total == 0 and result.corrections == {}
    html = client.get("/en/search/", {"q": "kielikahvila tampere", "literal": "1"}).content.decode()
    assert "Showing results for" not in html
    assert "All of Finland" not in html  # no place filter: nothing wider to offer
    typo = run("fi", q="kielikahvlia")  # ("kielikahvilla" is a real word: kielikahvi + -lla)
    assert typo.total > 0 and typo.corrections  # a correction that finds something is still shown


def test_the_page_offers_the_alternatives_as_links_with_counts(client):
    params = {"q": "kielikahvila", "municipality": TAMPERE, "place": TAMPERE}
    region, neighbours, finland = run("en", **params).alternatives
    html = client.get("/en/search/", params).content.decode()
    for alternative, text in ((region, "All of Pirkanmaa"), (neighbours, "Pirkanmaa and neighbouring regions"),
                              (finland, "All of Finland")):
        practices = "practice" if alternative.count == 1 else "practices"
        url = "?" + "&amp;".join(f"{name}={value}" for name, value in alternative.request.params())
        assert f'<a href="{url}">{text}: {alternative.count} {practices}</a>' in html


def test_removing_the_municipality_filter_drops_its_reading(client):
    html = client.get("/en/search/", {"q": "kielikahvila", "municipality": TAMPERE, "place": TAMPERE}).content.decode()
    assert "Remove the Municipality filter" in html and 'href="?q=kielikahvila">Remove' in html
    html = client.get("/en/search/", {"q": "kielikahvila", "place": TAMPERE}).content.decode()
    assert "Showing practices in" not in html and "Search for the words" not in html


def test_the_api_reports_the_alternatives(client):
    data = get_json(client, {"q": "kielikahvila tampere", "lang": "fi"})
    assert data["count"] == 0 and data["corrections"] == {}
    assert [(a["kind"], a["count"]) for a in data["alternatives"]] == [("region", 1), ("neighbours", 2),
                                                                       ("finland", 5)]
    region = get_json(client, data["alternatives"][0]["params"])
    assert region["count"] == 1
