"""The project's relevance set (search/relevance/queries.json, docs/search.md "Relevance") on every
backend, one test per kind of query: every query finds all its relevant practices in the top 10,
every negative stays out, and the kind's recall@10 and nDCG@10 are not below the committed baseline
(search/relevance/baseline.json) of the backend family. The database backend is the one of the run
(SQLite, then PostgreSQL: `make test`); Elasticsearch is the node of scripts/with-elasticsearch.sh.

The set is measured once per backend per session (about 114 searches); each kind's test reads it.
"""

import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from search.relevance import baseline, check_set
from search.relevance.measure import Outcome, load_queries, measure, score

from .test_search_elasticsearch import es, es_settings  # noqa: F401  (fixtures: a real Elasticsearch)

pytestmark = pytest.mark.django_db
KINDS = check_set.KINDS
MEASURED: dict[str, list] = {}  # family -> outcomes, once per session


@pytest.fixture
def outcomes(request):
    """family, outcomes of a backend; Elasticsearch through the `es` fixture (skips without a node,
    fails in CI), whose rebuild indexes the demo content, only for the first kind that needs it."""

    def of(backend: str):
        name = baseline.family(backend)
        if name not in MEASURED:
            if backend == "elasticsearch":
                request.getfixturevalue("es")
            MEASURED[name] = measure(backend, settings.KB_ELASTICSEARCH_URL)
        return name, MEASURED[name]

    return of


def check_kind(name: str, results: list, kind: str):
    problems = baseline.problems(name, results, baseline.load(), kinds=[kind])
    if problems:
        pytest.fail(f"{kind} on {name}, {len(problems)} problem(s):\n  " + "\n  ".join(problems), pytrace=False)


@pytest.mark.parametrize("kind", KINDS)
def test_relevance_on_the_database(outcomes, kind):
    check_kind(*outcomes("database"), kind)


@pytest.mark.parametrize("kind", KINDS)
def test_relevance_on_elasticsearch(outcomes, kind):
    check_kind(*outcomes("elasticsearch"), kind)


def test_the_set_is_well_formed():
    entries = load_queries()
    assert check_set.check(entries) == []
    assert {entry["kind"] for entry in entries} == set(KINDS)



@pytest.mark.parametrize("marked, problem", [
    ("coordination ellipsis", None),
    ({"elasticsearch": "no proximity yet"}, None),
    ("", "known_miss needs a reason"),
    ({"database-mysql": "why"}, "known_miss names 'database-mysql', not one of " + repr(check_set.FAMILIES)),
    ({"elasticsearch": " "}, "known_miss on elasticsearch needs a reason"),
    (["elasticsearch"], "known_miss must be a reason or {backend family: reason}"),
], ids=["reason", "per-family", "empty", "unknown-family", "blank-reason", "a-list"])
def test_a_known_miss_needs_a_reason_and_real_families(marked, problem):
    entry = {**load_queries()[0], "known_miss": marked}
    found = check_set.check_entry(entry, check_set.demo_practices(), check_set.facet_names(), check_set.region_codes())
    assert found == ([] if problem is None else [f"{entry['id']}: {problem}"])


def test_the_baseline_covers_every_family_and_kind_of_the_current_set():
    stored, entries = baseline.load(), load_queries()
    missing = [name for name in check_set.FAMILIES if name not in stored]
    assert not missing, f"no baseline for {missing}: run `manage.py search_relevance --write-baseline` on each"
    for name in check_set.FAMILIES:
        for kind in KINDS:
            expected = baseline.fingerprint([entry for entry in entries if entry["kind"] == kind])
            assert stored[name].get(kind, {}).get("fingerprint") == expected, (
                f"{name}/{kind}: the baseline was written for other {kind} queries: write it again")


# --- the checks themselves, on made-up outcomes ---------------------------------------------------

def outcome(top, relevant=None, must_not=(), everything=None, kind="typo", **marks):
    query = {"id": "x-1", "language": "fi", "kind": kind, "query": "kirjasto", "relevant": relevant or {},
             "must_not": list(must_not), **marks}
    return score(Outcome(query=query, top=top, everything=everything or top))


def figures_of(*results):
    return {"database-sqlite": baseline.record(list(results))}


def test_a_missing_practice_is_named_with_its_query():
    found = outcome(["a", "b"], relevant={"a": 2, "c": 1})
    problems = baseline.problems("database-sqlite", [found], figures_of(found), kinds=["typo"])
    assert problems == ["typo: x-1 [fi] 'kirjasto': recall@10 50.0 %, missing c (top 10: a, b)"]


def test_a_returned_negative_fails():
    found = outcome(["a"], must_not=["b"], everything=["a", "b"], kind="negative")
    assert baseline.problems("database-sqlite", [found], figures_of(found), kinds=["negative"]) == [
        "negative: x-1 [fi] 'kirjasto': returned b, which must not match"]


def test_a_drop_below_the_baseline_fails_and_a_rise_passes():
    best, worse = outcome(["a", "b"], relevant={"a": 2, "b": 1}), outcome(["b", "a"], relevant={"a": 2, "b": 1})
    assert baseline.problems("database-sqlite", [best], figures_of(worse), kinds=["typo"]) == []
    assert baseline.problems("database-sqlite", [worse], figures_of(best), kinds=["typo"]) == [
        f"typo: nDCG@10 {baseline.percent(worse.ndcg)} on database-sqlite, below its baseline 100.0 %",
        f"typo:   x-1 [fi] 'kirjasto': nDCG@10 {baseline.percent(worse.ndcg)}, top 5: b, a"]


def test_a_changed_set_or_a_missing_family_asks_for_a_new_baseline():
    found = outcome(["a"], relevant={"a": 2})
    changed = outcome(["a"], relevant={"a": 1})
    assert "differ from those" in baseline.problems("database-sqlite", [found], figures_of(changed), ["typo"])[0]
    assert baseline.problems("elasticsearch", [found], figures_of(found), ["typo"]) == [
        "no baseline for elasticsearch in baseline.json: write it with `manage.py search_relevance "
        "--write-baseline` on that backend"]


def test_a_known_miss_is_accepted_on_the_families_it_names_only():
    both = outcome([], relevant={"a": 2}, known_miss="coordination ellipsis")
    one = outcome([], relevant={"a": 2}, known_miss={"elasticsearch": "no proximity yet"})
    assert baseline.problems("database-sqlite", [both], figures_of(both), ["typo"]) == []
    assert baseline.problems("elasticsearch", [one], {"elasticsearch": baseline.record([one])}, ["typo"]) == []
    assert "missing a" in baseline.problems("database-sqlite", [one], figures_of(one), ["typo"])[0]
    assert baseline.stale_marks([outcome(["a"], relevant={"a": 2}, known_miss="fixed")], "database-sqlite")


def test_the_table_has_a_row_per_kind_and_family(tmp_path):
    found = outcome(["a"], relevant={"a": 2})
    path = tmp_path / "baseline.json"
    baseline.write(figures_of(found), path)
    written = baseline.write({"elasticsearch": baseline.record([found])}, path)
    assert list(written) == ["database-sqlite", "elasticsearch"] == list(json.loads(path.read_text()))
    table = baseline.markdown_table(written).splitlines()
    assert table[0] == "| kind | backend | queries | recall@10 | nDCG@10 | negatives kept out |"
    assert table[2:] == ["| typo | database-sqlite | 1 | 100.0 % | 100.0 % | – |",
                         "| typo | elasticsearch | 1 | 100.0 % | 100.0 % | – |",
                         "| **all** | database-sqlite | 1 | 100.0 % | 100.0 % | – |",
                         "| **all** | elasticsearch | 1 | 100.0 % | 100.0 % | – |"]


def test_the_command_checks_against_the_baseline_and_writes_it(monkeypatch, tmp_path, capsys):
    """--check exits 1 on a drop (here: a baseline above what the search can reach); --write-baseline
    records what was measured; --markdown prints the table."""
    path = tmp_path / "baseline.json"
    monkeypatch.setattr(baseline, "BASELINE", path)
    name = baseline.family("database")
    measured = baseline.record(MEASURED.get(name) or measure("database"))
    impossible = {kind: {**row, "recall": 1.0, "ndcg": 1.01} for kind, row in measured.items()}
    baseline.write({name: impossible})
    with pytest.raises(CommandError) as failure:
        call_command("search_relevance", "--backend", "database", "--check")
    assert failure.value.returncode == 1
    assert f"{name}: inflection: nDCG@10" in capsys.readouterr().err
    call_command("search_relevance", "--backend", "database", "--write-baseline")
    assert baseline.load(path)[name] == measured
    call_command("search_relevance", "--backend", "database", "--markdown")
    assert f"| **all** | {name} | {len(load_queries())} |" in capsys.readouterr().out
