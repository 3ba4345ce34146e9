"""The committed baseline (baseline.json) and the checks against it, shared by the tests and
``manage.py search_relevance --check``; the table the command prints and docs/search.md shows.

The baseline holds, per backend family ("database-sqlite", "database-postgresql", "elasticsearch")
and per kind, what the set measured when it was written: queries, recall@10, nDCG@10, negatives
kept out, and a fingerprint of the kind's queries (a changed query set needs a new baseline, or a
drop could hide behind it). A check fails on any query that misses a relevant practice or returns a
``must_not`` one (unless queries.json marks it ``known_miss`` for the family), and on any kind whose
recall@10 or nDCG@10 is below its baseline.
"""

import hashlib
import json
from pathlib import Path

from django.db import connection

from .check_set import FAMILIES, KINDS
from .measure import Outcome, summary

BASELINE = Path(__file__).resolve().parent / "baseline.json"
ALL = "all"  # the row of every kind together, in the table only
# Values are stored rounded; a difference below this is rounding, not a drop.
PRECISION = 4
JUDGED = ("id", "language", "query", "filters", "relevant", "must_not")


def family(backend: str) -> str:
    """The baseline family of a backend on the current database."""
    return "elasticsearch" if backend == "elasticsearch" else f"database-{connection.vendor}"


def fingerprint(queries: list[dict]) -> str:
    """Of what is judged (not the notes): the same queries and judgments give the same value."""
    judged = sorted(({name: query.get(name) for name in JUDGED} for query in queries), key=lambda q: q["id"])
    return hashlib.sha256(json.dumps(judged, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def record(outcomes: list[Outcome]) -> dict:
    """kind -> the figures the baseline keeps, for every kind and "all"."""
    table = summary(outcomes)
    queries = [outcome.query for outcome in outcomes]
    figures = {}
    for kind in (*KINDS, ALL):
        row = table.get((ALL, kind))
        if row is None:
            continue
        members = queries if kind == ALL else [query for query in queries if query["kind"] == kind]
        figures[kind] = {
            "queries": row["queries"],
            "recall": None if row["recall"] is None else round(row["recall"], PRECISION),
            "ndcg": None if row["ndcg"] is None else round(row["ndcg"], PRECISION),
            "negatives": list(row["negatives"]),
            "fingerprint": fingerprint(members),
        }
    return figures


def load(path: Path | None = None) -> dict:
    """family -> kind -> figures; {} when no baseline has been written yet."""
    path = path or BASELINE
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def write(figures_by_family: dict, path: Path | None = None) -> dict:
    """Replace the families measured; keep the others as they were. Returns the new baseline."""
    path = path or BASELINE
    baseline = load(path)
    baseline.update(figures_by_family)
    ordered = {name: baseline[name] for name in sorted(baseline, key=_family_order)}
    path.write_text(json.dumps(ordered, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return ordered


def _family_order(name: str):
    return (FAMILIES.index(name) if name in FAMILIES else len(FAMILIES), name)


def known_miss(query: dict, family_name: str) -> str:
    """The reason queries.json gives for a miss accepted on this family, or ""."""
    marked = query.get("known_miss")
    if isinstance(marked, dict):
        return marked.get(family_name, "")
    return marked or ""


def describe(outcome: Outcome) -> str:
    query = outcome.query
    filters = "".join(f" {name}={','.join(values)}" for name, values in query.get("filters", {}).items())
    return f"{query['id']} [{query['language']}] {query['query']!r}{filters}"


def query_problems(outcome: Outcome, family_name: str) -> list[str]:
    """What is wrong with one query's answer, unless it is a known miss on this family."""
    if known_miss(outcome.query, family_name):
        return []
    problems = []
    if outcome.missed:
        problems.append(f"{describe(outcome)}: recall@10 {percent(outcome.recall)}, missing "
                        f"{', '.join(outcome.missed)} (top 10: {', '.join(map(str, outcome.top)) or 'nothing'})")
    if outcome.negative_ok is False:
        returned = sorted(set(outcome.query["must_not"]) & set(outcome.everything))
        problems.append(f"{describe(outcome)}: returned {', '.join(returned)}, which must not match")
    return problems


def problems(family_name: str, outcomes: list[Outcome], baseline: dict, kinds=KINDS) -> list[str]:
    """Every query miss and every drop below the baseline, for the given kinds; readable lines."""
    figures = record(outcomes)
    stored = baseline.get(family_name)
    found = [] if stored is not None else [
        f"no baseline for {family_name} in {BASELINE.name}: write it with "
        "`manage.py search_relevance --write-baseline` on that backend"]
    for kind in kinds:
        found += [f"{kind}: {line}" for outcome in outcomes if outcome.query["kind"] == kind
                  for line in query_problems(outcome, family_name)]
        now = figures.get(kind)
        if now is None:
            found.append(f"{kind}: no query of this kind in queries.json")
            continue
        if stored is None:
            continue
        before = stored.get(kind)
        if before is None or before["fingerprint"] != now["fingerprint"]:
            found.append(f"{kind}: the {kind} queries of queries.json differ from those of the {family_name} "
                         "baseline: measure again and write it with `manage.py search_relevance --write-baseline`")
            continue
        drops = [f"{kind}: {label} {percent(now[name])} on {family_name}, below its baseline {percent(before[name])}"
                 for name, label in (("recall", "recall@10"), ("ndcg", "nDCG@10"))
                 if before[name] is not None and now[name] is not None and now[name] < before[name]]
        if drops:  # which queries to look at: those not perfect now
            drops += [f"{kind}:   {describe(outcome)}: nDCG@10 {percent(outcome.ndcg)}, top 5: "
                      f"{', '.join(map(str, outcome.top[:5])) or 'nothing'}" for outcome in outcomes
                      if outcome.query["kind"] == kind and outcome.ndcg is not None and outcome.ndcg < 1]
        found += drops
    return found


def stale_marks(outcomes: list[Outcome], family_name: str) -> list[str]:
    """Queries marked as a known miss on this family that no longer miss: the mark can go."""
    return [describe(outcome) for outcome in outcomes if known_miss(outcome.query, family_name)
            and not outcome.missed and outcome.negative_ok is not False]


def percent(value) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def markdown_table(figures_by_family: dict) -> str:
    """The per backend × kind table (docs/search.md): one row per kind and backend family."""
    rows = ["| kind | backend | queries | recall@10 | nDCG@10 | negatives kept out |",
            "| --- | --- | --- | --- | --- | --- |"]
    families = sorted(figures_by_family, key=_family_order)
    for kind in (*KINDS, ALL):
        for name in families:
            row = figures_by_family[name].get(kind)
            if row is None:
                continue
            kept, negatives = row["negatives"]
            label = f"**{kind}**" if kind == ALL else kind
            rows.append(f"| {label} | {name} | {row['queries']} | {percent(row['recall'])} | "
                        f"{percent(row['ndcg'])} | {f'{kept}/{negatives}' if negatives else '–'} |")
    return "\n".join(rows)
