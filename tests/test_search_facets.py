"""Facets: OR within a facet, AND across facets, exact disjunctive counts, labels per language."""

import itertools

import pytest

from practices.models import PracticePage
from search import facets
from search.facets import FACETS, FACETS_BY_NAME, facet_values, value_labels

from .search_helpers import counts, run

pytestmark = pytest.mark.django_db


def expected_counts(locale, selections):
    """Disjunctive counts computed straight from the live pages, independently of the index."""
    pages = PracticePage.objects.live().filter(locale__language_code=locale).prefetch_related(
        *PracticePage.PAGE_PREFETCH).select_related("lead_organisation__type")
    translated = {page.translation_key for page in pages}
    fallbacks = PracticePage.objects.live().filter(locale__language_code="fi").exclude(
        translation_key__in=translated).prefetch_related(*PracticePage.PAGE_PREFETCH).select_related(
        "lead_organisation__type")
    values = [facet_values(page) for page in itertools.chain(pages, fallbacks)]

    def matches(page_values, skip=None):
        return all(set(page_values[name]) & set(chosen) for name, chosen in selections.items() if name != skip)

    result = {}
    for facet in FACETS:
        tally = {}
        for page_values in values:
            if matches(page_values, skip=facet.name):
                for code in page_values[facet.name]:
                    tally[code] = tally.get(code, 0) + 1
        result[facet.name] = tally
    total = sum(1 for page_values in values if matches(page_values))
    return result, total


@pytest.mark.parametrize("locale, selections", [
    ("fi", {}),
    ("fi", {"region": ["01", "02"]}),
    ("fi", {"region": ["01", "02"], "theme": ["language"]}),
    ("fi", {"theme": ["employment", "education"], "status": ["ongoing"], "target_group": ["youth"]}),
    ("sv", {"region": ["15", "21"], "evidence_level": ["promising", "established"]}),
    ("en", {"organisation_type": ["library"], "language": ["fi"]}),
])
def test_counts_are_exact_and_disjunctive(locale, selections):
    result = run(locale, **selections)
    expected, total = expected_counts(locale, selections)
    assert result.total == total
    for name, chosen in selections.items():  # chosen values are listed even without matches
        for code in chosen:
            expected[name].setdefault(code, 0)
    assert counts(result) == expected


def ids(result):
    return {hit.id for hit in result.hits}


def test_a_second_region_shows_how_many_it_would_add():
    uusimaa, southwest = run(region=["01"], page_size="100"), run(region=["02"], page_size="100")
    assert counts(uusimaa)["region"]["02"] == southwest.total  # its own selection is left out
    assert run(region=["01", "02"]).total == len(ids(uusimaa) | ids(southwest))  # OR within a facet


def test_facets_combine_with_and(uusimaa):
    both = run(region=["01"], theme=["language"], page_size="100")
    assert ids(both) == ids(run(region=["01"], page_size="100")) & ids(run(theme=["language"], page_size="100"))


def test_selected_value_with_no_results_stays_visible(uusimaa):
    from .factories import make_practice

    make_practice(uusimaa, title="Zyxwv-kerho", status="ongoing", is_permanent=False)
    result = run(q="zyxwv", status=["ended"])
    assert result.total == 0
    buckets = {b.value: b for b in result.facets["status"]}
    assert (buckets["ended"].selected, buckets["ended"].count) == (True, 0)
    assert (buckets["ongoing"].selected, buckets["ongoing"].count) == (False, 1)


def test_labels_follow_the_language():
    assert {b.label for b in run("fi").facets["region"]} >= {"Uusimaa", "Ahvenanmaa"}
    assert {b.label for b in run("sv").facets["region"]} >= {"Nyland", "Åland"}
    assert {b.label for b in run("en").facets["theme"]} >= {"Language learning"}


def test_buckets_with_equal_counts_keep_the_labels_order():
    for facet_name, buckets in run("fi").facets.items():
        order = list(value_labels(FACETS_BY_NAME[facet_name], "fi"))
        keys = [(-bucket.count, order.index(bucket.value)) for bucket in buckets]
        assert keys == sorted(keys), facet_name


def test_labels_are_kept_for_a_while_then_read_again(monkeypatch):
    """Other processes' renames arrive through the labels token; without one, after the time limit."""
    from django.db import connection

    theme = FACETS_BY_NAME["theme"]
    first = value_labels(theme, "fi")
    assert value_labels(theme, "fi") is first  # kept: not rebuilt for every facet of every search
    with connection.cursor() as cursor:  # another process renames a theme; no token is read here
        cursor.execute("UPDATE practices_theme SET name_fi = %s WHERE code = %s", ["Liikunta ja pelit", "sport"])
    assert value_labels(theme, "fi")["sport"] != "Liikunta ja pelit"
    later = facets.time.monotonic() + facets._LABEL_TTL + 1
    monkeypatch.setattr(facets.time, "monotonic", lambda: later)
    assert value_labels(theme, "fi")["sport"] == "Liikunta ja pelit"


def test_empty_result_knows_which_filter_to_remove():
    result = run(q="kielikahvila", region=["19"])
    assert result.total == 0
    assert result.totals_without["region"] >= 2


def test_sort_orders():
    newest = [hit.first_published_at for hit in run(sort="newest", page_size="50").hits]
    assert newest == sorted(newest, reverse=True)
    by_title = [hit.title for hit in run("sv", sort="title", page_size="100").hits]
    from practices.collation import sort_key

    assert by_title == sorted(by_title, key=sort_key)


def test_paging_covers_every_result_once():
    first, second = run(page="1", page_size="10"), run(page="2", page_size="10")
    assert len(first.hits) == 10 and not {h.id for h in first.hits} & {h.id for h in second.hits}
