"""Adoptions (issue #15) in the search index, the facet and the sort (on the database backend and on a
real Elasticsearch node), the API and its schema, the search page and the practice cards, the
programme insights and the open data dump. Only approved adoptions count: new and rejected reports
never do."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.template import Context
from jsonschema import Draft202012Validator

from adoptions.models import Adoption
from insights.figures import ADOPTION_KEYS, MOST_ADOPTED, PUBLIC_KEYS, public_figures
from opendata import dump
from practices.models import PracticePage, Region
from search import changelog
from search.backends.elasticsearch import _STORED_ONLY_MAPPED, INDEX_SETTINGS, ElasticsearchBackend, _mapping
from search.consistency import differences
from search.facets import ADOPTION_COUNT, adoption_count_annotation
from search.models import SearchDocument
from search.places import municipalities
from search.templatetags.adoption_tags import adoption_count

from .factories import make_practice
from .search_helpers import counts, run
from .test_search_elasticsearch import es_settings, worker_drain  # noqa: F401  (fixtures: a real Elasticsearch)

pytestmark = pytest.mark.django_db
WORD = "adoptiokokeilu"  # in the test practices' titles only: a search for it lists exactly them
TAMPERE, HELSINKI = "837", "091"


@pytest.fixture(params=["database", "elasticsearch"])
def backend(request):
    """Which backend answers; on Elasticsearch, what a test changes reaches it through the worker."""
    if request.param == "elasticsearch":
        request.getfixturevalue("es_settings")
        ElasticsearchBackend.for_administration().rebuild()
    return request.param


def apply_log(backend="database"):
    """What the index worker does: the change log the adoption signal wrote, applied."""
    return worker_drain() if backend == "elasticsearch" else changelog.drain()


def adopt(practice, status=Adoption.Status.APPROVED, municipality=TAMPERE, **fields):
    """An adoption as the review leaves it (the signal logs the practice's group for the index)."""
    region = Region.objects.get(code=municipalities()[municipality].region)
    values = {"organisation_name": f"Adoptoija {Adoption.objects.count() + 1}", "since_year": 2025,
              "language": "fi", "changes_fi": "Pienennetty ryhmäkoko.", **fields}
    return Adoption.objects.create(practice=practice, municipality=municipality, region=region, status=status,
                                   **values)


def practices(uusimaa, backend="database"):
    """Two live practices found by WORD: the older one will be adopted, the newer one not."""
    older = make_practice(uusimaa, title=f"Vanhempi {WORD}")
    newer = make_practice(uusimaa, title=f"Uudempi {WORD}")
    apply_log(backend)
    return older, newer


def by_title(result):
    return [hit.title for hit in result.hits]


# --- the facet, the sort and the hits, on every backend ------------------------------------------------
def test_only_approved_adoptions_change_the_facet_the_sort_and_the_hits(uusimaa, backend):
    older, newer = practices(uusimaa, backend)
    before = run(q=WORD)
    assert (before.backend == "elasticsearch") == (backend == "elasticsearch")
    assert counts(before)["adoption"] == {"not_adopted": 2}
    assert by_title(run(q=WORD, sort="adopted")) == [newer.title, older.title]  # no adoptions: newest first

    adopt(older)
    adopt(older, municipality=HELSINKI)
    adopt(older, status=Adoption.Status.NEW)
    adopt(newer, status=Adoption.Status.REJECTED)
    apply_log(backend)

    result = run(q=WORD)
    assert counts(result)["adoption"] == {"adopted": 1, "not_adopted": 1}
    assert {hit.title: hit.adoption_count for hit in result.hits} == {older.title: 2, newer.title: 0}
    assert by_title(run(q=WORD, sort="adopted")) == [older.title, newer.title]
    assert by_title(run(q=WORD, sort="newest")) == [newer.title, older.title]
    chosen = run(q=WORD, adoption="adopted")
    assert by_title(chosen) == [older.title]
    assert counts(chosen)["adoption"] == {"adopted": 1, "not_adopted": 1}  # disjunctive, like every facet
    assert by_title(run(q=WORD, adoption="not_adopted")) == [newer.title]


def test_approving_later_and_deleting_move_the_count(uusimaa, backend):
    older, _newer = practices(uusimaa, backend)
    waiting = adopt(older, status=Adoption.Status.NEW)
    apply_log(backend)
    assert counts(run(q=WORD))["adoption"] == {"not_adopted": 2}
    waiting.status = Adoption.Status.APPROVED
    waiting.save()
    apply_log(backend)
    assert counts(run(q=WORD))["adoption"] == {"adopted": 1, "not_adopted": 1}
    waiting.delete()
    apply_log(backend)
    assert counts(run(q=WORD))["adoption"] == {"not_adopted": 2}


def test_every_language_counts_the_adoptions_of_the_practice(uusimaa, backend):
    older, _newer = practices(uusimaa, backend)
    adopt(older)
    apply_log(backend)
    for locale in ("fi", "sv", "en"):  # sv and en: the untranslated practice's fallback documents
        hits = {hit.title: hit.adoption_count for hit in run(locale, q=WORD).hits}
        assert hits[older.title] == 1, locale


def test_most_adopted_first_across_the_whole_index(uusimaa, backend):
    older, newer = practices(uusimaa, backend)
    for _ in range(3):
        adopt(older)
    adopt(newer)
    apply_log(backend)
    result = run(sort="adopted", adoption="adopted", page_size="100")
    adopted = [hit.adoption_count for hit in result.hits]
    assert adopted == sorted(adopted, reverse=True) and all(adopted)
    assert result.total == SearchDocument.objects.filter(locale="fi", adoption_count__gt=0).count()
    assert by_title(result).index(older.title) < by_title(result).index(newer.title)


def test_an_index_made_before_adoptions_accepts_them(uusimaa, request):
    """An existing Elasticsearch index gets the adoption_count field and the facet through the mapping
    upgrade (put_mapping), as it got the surface words: no rebuild needed."""
    request.getfixturevalue("es_settings")
    engine = ElasticsearchBackend.for_administration()
    old = _mapping("standard")
    del old["properties"]["adoption_count"]
    del old["properties"]["facets"]["properties"]["adoption"]
    for locale in ("fi", "sv", "en"):
        engine.client.indices.create(index=f"{engine.alias(locale)}_old", settings=INDEX_SETTINGS, mappings=old)
        engine.client.indices.put_alias(index=f"{engine.alias(locale)}_old", name=engine.alias(locale))
        _STORED_ONLY_MAPPED.discard(engine.alias(locale))
    older, newer = practices(uusimaa, "elasticsearch")
    adopt(older)
    apply_log("elasticsearch")
    mapping = engine.client.indices.get_mapping(index=engine.alias("fi"))
    properties = next(iter(mapping.values()))["mappings"]["properties"]
    assert properties["adoption_count"] == {"type": "integer"}
    assert properties["facets"]["properties"]["adoption"] == {"type": "keyword"}
    result = run(q=WORD, sort="adopted")
    assert result.backend == "elasticsearch"
    assert [(hit.title, hit.adoption_count) for hit in result.hits] == [(older.title, 1), (newer.title, 0)]


def test_check_index_sees_a_count_not_yet_applied(uusimaa):
    older, _newer = practices(uusimaa)
    assert not [d for d in differences() if d.translation_key == older.translation_key]
    adopt(older)  # logged, not applied yet
    found = [str(d) for d in differences() if d.translation_key == older.translation_key]
    assert found and all("adoption_count is 0, should be 1" in d or "facets" in d for d in found)
    apply_log()
    assert not [d for d in differences() if d.translation_key == older.translation_key]


# --- the API, its schema and its errors -------------------------------------------------------------
def test_the_api_carries_the_count_the_facet_and_the_sort(client, uusimaa):
    older, newer = practices(uusimaa)
    adopt(older)
    adopt(older, municipality=HELSINKI)
    apply_log()
    data = client.get("/api/v1/search/", {"q": WORD, "sort": "adopted", "lang": "fi"}).json()
    assert data["sort"] == "adopted"
    assert [(hit["title"], hit["adoption_count"], hit["adoption"]) for hit in data["results"]] == [
        (older.title, 2, "adopted"), (newer.title, 0, "not_adopted")]
    assert {bucket["value"]: bucket["count"] for bucket in data["facets"]["adoption"]} == {
        "adopted": 1, "not_adopted": 1}
    labels = {bucket["value"]: bucket["label"] for bucket in
              client.get("/api/v1/search/", {"q": WORD, "lang": "en"}).json()["facets"]["adoption"]}
    assert labels == {"adopted": "Adopted elsewhere", "not_adopted": "Not adopted elsewhere yet"}


@pytest.mark.parametrize(("params", "parameter", "words"), [
    ({"sort": "most"}, "sort", "adopted"),
    ({"adoption": "maybe"}, "adoption", "maybe"),
])
def test_a_wrong_sort_or_value_is_a_clear_400(client, params, parameter, words):
    response = client.get("/api/v1/search/", {"lang": "fi", **params})
    assert response.status_code == 400
    assert response.json()["error"]["parameter"] == parameter
    assert words in response.json()["error"]["message"]
    page = client.get("/fi/search/", params)
    assert page.status_code == 400 and words in page.content.decode()


def test_the_openapi_schema_lists_the_sort_the_facet_and_the_count(client):
    schema = client.get("/api/v1/openapi.json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/search/"]["get"]["parameters"]}
    assert "adopted" in parameters["sort"]["schema"]["enum"]
    assert parameters["adoption"]["schema"]["items"]["enum"] == ["adopted", "not_adopted"]
    hit = (schema["paths"]["/api/v1/search/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
           ["properties"]["results"]["items"]["properties"])
    assert hit["adoption_count"]["type"] == "integer"


# --- the search page and the practice cards -------------------------------------------------------
def test_the_search_page_offers_the_facet_and_the_sort_and_shows_the_count(client, uusimaa):
    older, _newer = practices(uusimaa)
    adopt(older)
    adopt(older, municipality=HELSINKI)
    apply_log()
    html = client.get("/en/search/", {"q": WORD, "sort": "adopted"}).content.decode()
    assert '<option value="adopted" selected>most adopted</option>' in html
    assert "<legend>Adoption</legend>" in html
    assert 'name="adoption" value="adopted"' in html and "Adopted elsewhere" in html
    assert html.count("Adopted in 2 places") == 1
    assert html.index(older.title) < html.index(_newer.title)
    finnish = client.get("/fi/search/", {"q": WORD}).content.decode()
    assert "Otettu käyttöön 2 paikassa" in finnish and "Otettu käyttöön muualla" in finnish


def test_the_practice_card_says_where_it_was_adopted(client, uusimaa):
    older, newer = practices(uusimaa)
    adopt(older)
    adopt(newer, status=Adoption.Status.NEW)
    html = client.get("/fi/").content.decode()  # the home page lists the latest practices as cards
    card = html.split(older.title, 1)[1].split("</article>", 1)[0]
    assert "Otettu käyttöön 1 paikassa" in card
    newer_card = html.split(newer.title, 1)[1].split("</article>", 1)[0]
    assert "Otettu käyttöön" not in newer_card


def test_a_card_list_reads_the_counts_once_or_from_the_annotation(uusimaa, rf, django_assert_num_queries):
    older, newer = practices(uusimaa)
    adopt(older)
    adopt(older, municipality=HELSINKI)
    cards = [PracticePage.objects.get(pk=older.pk), PracticePage.objects.get(pk=newer.pk)]
    context = Context({"request": rf.get("/fi/")})
    with django_assert_num_queries(1):  # one grouped query for every card of the request
        assert [adoption_count(context, card) for card in cards] == [2, 0]
    annotated = list(PracticePage.objects.filter(pk__in=[older.pk, newer.pk]).order_by("-pk")
                     .annotate(**{ADOPTION_COUNT: adoption_count_annotation()}))
    with django_assert_num_queries(0):  # a list annotated by its page: nothing more to read
        assert [adoption_count(Context({}), card) for card in annotated] == [0, 2]


# --- insights --------------------------------------------------------------------------------------
MANY = 30  # adoptions that put a practice among the most adopted, whatever the demo content has


def figures_by_key(language="fi"):
    return {figure.key: figure for figure in public_figures(language)}


def test_the_insights_count_approved_adoptions_of_live_practices(client, uusimaa):
    older, newer = practices(uusimaa)
    for _ in range(MANY - 1):
        adopt(older)
    adopt(older, municipality=HELSINKI)
    adopt(newer, municipality=HELSINKI)
    adopt(newer, status=Adoption.Status.NEW)
    adopt(newer, status=Adoption.Status.REJECTED, municipality=HELSINKI)
    apply_log()
    figures = figures_by_key()
    assert list(figures) == list(PUBLIC_KEYS) and set(ADOPTION_KEYS) <= set(figures)

    live = set(PracticePage.objects.live().values_list("translation_key", flat=True))
    approved = [a for a in Adoption.objects.approved().select_related("practice", "region")
                if a.practice.translation_key in live]
    summary = {row.key: row.cells[0] for row in figures["adoptions"].rows}
    assert summary["adoptions"].value == len(approved)
    assert summary["practices"].value == len({a.practice.translation_key for a in approved})
    # The linked number is the search's own count of adopted practices.
    listed = client.get(summary["practices"].url)
    assert listed.status_code == 200 and run(adoption="adopted").total == summary["practices"].value

    regions = {row.key: [cell.value for cell in row.cells] for row in figures["adoption_regions"].rows}
    for code in ("01", "06"):
        mine = [a for a in approved if a.region.code == code]
        assert regions[code] == [len(mine), len({a.practice.translation_key for a in mine})], code
    assert "national" not in regions
    assert [cell.value for cell in figures["adoption_regions"].totals.cells][0] == len(approved)

    top = figures["most_adopted"].rows
    assert len(top) <= MOST_ADOPTED
    assert [row.cells[0].value for row in top] == sorted((row.cells[0].value for row in top), reverse=True)
    rows = {row.key: row for row in top}
    assert rows[str(older.translation_key)].cells[0].value == MANY
    assert rows[str(older.translation_key)].cells[0].url == older.url


def test_the_programme_page_and_downloads_show_the_adoption_figures(client, uusimaa):
    older, _newer = practices(uusimaa)
    for _ in range(MANY):
        adopt(older)
    apply_log()
    html = client.get("/en/programme/").content.decode()
    for key in ADOPTION_KEYS:
        assert f'id="figure-{key}"' in html
        assert f'href="/en/programme/{key}.csv"' in html
    assert "Adoptions by adopting region" in html and "<caption" in html
    # Untranslated: the English fallback address, as the English search leads there.
    url = SearchDocument.objects.get(locale="en", translation_key=older.translation_key).url
    assert f'href="{url}"' in html.split('id="figure-most_adopted"', 1)[1].split("</section>", 1)[0]
    figure = figures_by_key("en")["most_adopted"]
    header, rows = figure.table()
    read = list(csv.reader(io.StringIO(client.get("/en/programme/most_adopted.csv").content.decode("utf-8-sig"))))
    assert read == [header, *[[str(value) for value in row] for row in rows]]
    assert client.get("/en/programme/adoption_regions.xlsx").status_code == 200


# --- open data -----------------------------------------------------------------------------------
SCHEMA = json.loads(dump.SCHEMA_PATH.read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_open_data_has_approved_adoptions_and_contacts_only_with_consent(tmp_path, settings, uusimaa):
    settings.OPEN_DATA_ROOT = str(tmp_path)
    older, newer = practices(uusimaa)
    adopt(older, organisation_name="Tampereen kaupunki", since_year=2024, since_month=3,
          changes_fi="Ryhmät iltaisin.", changes_sv="Grupperna på kvällen.", contact_name="Ville Virta",
          contact_email="ville@tampere.example", contact_phone="040 123", publish_contact=True)
    adopt(older, organisation_name="Helsingin kaupunki", municipality=HELSINKI, since_year=2025,
          contact_name="Salainen Henkilö", contact_email="salainen@hel.example", publish_contact=False)
    adopt(older, organisation_name="Odottava ry", status=Adoption.Status.NEW)
    adopt(newer, organisation_name="Hylätty ry", status=Adoption.Status.REJECTED)
    call_command("export_open_data", stdout=io.StringIO())

    for language in ("fi", "sv", "en"):
        items = [json.loads(line) for line in (tmp_path / f"practices-{language}.jsonl").read_text().splitlines()]
        for item in items:
            assert not sorted(VALIDATOR.iter_errors(item), key=str), item["title"]
            assert item["adoption_count"] == len(item["adoptions"])
        record = next(item for item in items if item["id"] == str(older.translation_key))
        assert record["adoption_count"] == 2
        tampere, helsinki = record["adoptions"]
        assert tampere["organisation"] == "Tampereen kaupunki" and tampere["since"] == "2024-03"
        assert tampere["municipality"] == {"code": TAMPERE, "label": municipalities()[TAMPERE].name(language)}
        assert tampere["region"]["code"] == "06"
        assert tampere["contact"] == {"name": "Ville Virta", "email": "ville@tampere.example", "phone": "040 123"}
        assert helsinki["since"] == "2025" and helsinki["region"]["code"] == "01"
        assert helsinki["contact"] is None
        # In the dump's language when translated, else the original with its language.
        expected = {"fi": ("Ryhmät iltaisin.", "fi"), "sv": ("Grupperna på kvällen.", "sv"),
                    "en": ("Ryhmät iltaisin.", "fi")}[language]
        assert (tampere["changes"], tampere["changes_language"]) == expected
        assert next(item for item in items if item["id"] == str(newer.translation_key))["adoptions"] == []
        text = (tmp_path / f"practices-{language}.jsonl").read_text()
        assert "Salainen" not in text and "salainen@" not in text
        assert "Odottava" not in text and "Hylätty" not in text

    rows = list(csv.DictReader(io.StringIO((tmp_path / "practices-fi.csv").read_bytes().decode("utf-8-sig"))))
    row = next(row for row in rows if row["id"] == str(older.translation_key))
    assert row["adoption_count"] == "2"
    assert row["adoptions"] == "Tampereen kaupunki (Tampere, 2024-03); Helsingin kaupunki (Helsinki, 2025)"
    assert row["contacts"] == ""  # the practice's own contacts: none; an adopter's never goes in this column
