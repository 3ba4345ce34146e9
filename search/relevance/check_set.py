"""Validate the relevance test set (queries.json) without Django or a database.

Checks the structure of every entry, that every practice key exists in the demo data files
(practices/demo/practices_*.py, parsed statically with ``ast``), that facet filters name real
facets and region codes, that the relevant practices of a facet entry pass its region filter, and
that an entry judged on an untranslated practice's Finnish text is marked ``"fallback": true``.
Prints the counts per language and kind; exits with status 1 and one line per problem otherwise.

    .venv/bin/python search/relevance/check_set.py [path/to/queries.json]
"""

import ast
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUERIES = Path(__file__).with_name("queries.json")
DEMO_FILES = ("practices_south.py", "practices_north_a.py", "practices_north_b.py")
LANGUAGES = ("fi", "sv", "en")
KINDS = ("inflection", "compound_split", "compound_join", "subcompound", "typo", "loanword", "phrase", "multiword",
         "negative", "facet")
KEYS = {"id", "language", "kind", "query", "filters", "relevant", "must_not", "fallback", "note", "known_miss"}
REQUIRED = {"id", "language", "kind", "query", "relevant", "must_not", "note"}
MINIMUM = {"total": 90, "fi": 35, "sv": 25, "en": 25}
NATIONAL = "national"
# The backend families measured (search/relevance/baseline.py); "known_miss" may name some of them.
FAMILIES = ("database-sqlite", "database-postgresql", "elasticsearch")


def demo_practices() -> dict:
    """key -> practice dict, read from the demo modules' PRACTICES literal (no import, no Django)."""
    practices = {}
    for name in DEMO_FILES:
        tree = ast.parse((ROOT / "practices" / "demo" / name).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PRACTICES" for t in node.targets):
                for practice in ast.literal_eval(node.value):
                    practices[practice["key"]] = practice
    return practices


def facet_names() -> set:
    source = (ROOT / "search" / "facets.py").read_text(encoding="utf-8")
    return set(re.findall(r'Facet\("(\w+)"', source))


def region_codes() -> set:
    taxonomy = json.loads((ROOT / "operations" / "data" / "taxonomy.json").read_text(encoding="utf-8"))
    return {term["code"] for term in taxonomy["regions"]["terms"]} | {NATIONAL}


def _in_regions(practice: dict, selected: list) -> bool:
    return any(code in practice["regions"] or (code == NATIONAL and practice["national"]) for code in selected)


def _known_miss_problems(where, marked) -> list[str]:
    """A known miss is a reason (every backend) or {family: reason}; never empty."""
    if marked is None:
        return []
    if isinstance(marked, str):
        return [] if marked.strip() else [f"{where}: known_miss needs a reason"]
    if not isinstance(marked, dict) or not marked:
        return [f"{where}: known_miss must be a reason or {{backend family: reason}}"]
    return [f"{where}: known_miss names {name!r}, not one of {FAMILIES}" for name in marked if name not in FAMILIES] + [
        f"{where}: known_miss on {name} needs a reason" for name, reason in marked.items()
        if not isinstance(reason, str) or not reason.strip()]


def check_entry(entry, practices, facets, regions) -> list[str]:
    if not isinstance(entry, dict):
        return [f"not an object: {entry!r}"]
    where = entry.get("id", "?")
    problems = [f"{where}: missing {name}" for name in sorted(REQUIRED - entry.keys())]
    problems += [f"{where}: unknown field {name}" for name in sorted(entry.keys() - KEYS)]
    if problems:
        return problems
    language, kind, relevant, must_not = entry["language"], entry["kind"], entry["relevant"], entry["must_not"]
    if language not in LANGUAGES:
        problems.append(f"{where}: language {language!r} is not one of {LANGUAGES}")
    if kind not in KINDS:
        problems.append(f"{where}: kind {kind!r} is not one of {KINDS}")
    if not isinstance(entry["query"], str) or not entry["query"].strip():
        problems.append(f"{where}: empty query")
    if not isinstance(entry["note"], str) or not entry["note"].strip():
        problems.append(f"{where}: every judgment needs a note")
    if isinstance(relevant, list):  # ungraded form: every listed practice counts as grade 1
        relevant = dict.fromkeys(relevant, 1)
    if not isinstance(relevant, dict) or not all(isinstance(g, int) and 1 <= g <= 3 for g in relevant.values()):
        problems.append(f"{where}: relevant must be a list of keys or {{key: grade 1-3}}")
        relevant = {}
    if not isinstance(must_not, list):
        problems.append(f"{where}: must_not must be a list")
        must_not = []
    for key in [*relevant, *must_not]:
        if key not in practices:
            problems.append(f"{where}: no demo practice has the key {key!r}")
    if set(relevant) & set(must_not):
        problems.append(f"{where}: {sorted(set(relevant) & set(must_not))} both relevant and must_not")
    if kind == "negative" and not must_not:
        problems.append(f"{where}: a negative entry needs must_not")
    if kind != "negative" and not relevant:
        problems.append(f"{where}: only negative entries may have nothing relevant")
    problems += _known_miss_problems(where, entry.get("known_miss"))
    if kind == "phrase" and '"' not in entry["query"]:
        problems.append(f"{where}: a phrase query needs quotation marks")
    filters = entry.get("filters", {})
    if kind == "facet" and not filters:
        problems.append(f"{where}: a facet entry needs filters")
    for name, values in filters.items():
        if name not in facets:
            problems.append(f"{where}: unknown facet {name!r}")
        elif not isinstance(values, list) or not values:
            problems.append(f"{where}: filter {name} must be a non-empty list")
        elif name == "region":
            problems += [f"{where}: unknown region code {code!r}" for code in values if code not in regions]
            problems += [f"{where}: {key} is relevant but outside the region filter" for key in relevant
                         if key in practices and not _in_regions(practices[key], values)]
    if language != "fi":
        untranslated = [key for key in relevant if key in practices and language not in practices[key].get("translations", {})]
        if untranslated and not entry.get("fallback"):
            problems.append(f"{where}: {untranslated} have no {language} text: mark the entry \"fallback\": true")
        if entry.get("fallback") and not untranslated:
            problems.append(f"{where}: marked fallback, but every relevant practice is translated")
    elif entry.get("fallback"):
        problems.append(f"{where}: fallback applies only to sv and en entries")
    return problems


def check(entries) -> list[str]:
    practices, facets, regions = demo_practices(), facet_names(), region_codes()
    if not isinstance(entries, list):
        return ["the file must hold a list of entries"]
    problems = [p for entry in entries for p in check_entry(entry, practices, facets, regions)]
    ids = Counter(entry.get("id") for entry in entries if isinstance(entry, dict))
    problems += [f"duplicate id {id_!r}" for id_, n in ids.items() if n > 1]
    languages = Counter(entry.get("language") for entry in entries if isinstance(entry, dict))
    if len(entries) < MINIMUM["total"]:
        problems.append(f"{len(entries)} entries, at least {MINIMUM['total']} wanted")
    problems += [f"{languages[code]} {code} entries, at least {MINIMUM[code]} wanted" for code in LANGUAGES
                 if languages[code] < MINIMUM[code]]
    return problems


def summary(entries) -> str:
    counts = Counter((entry["language"], entry["kind"]) for entry in entries)
    rows = [f"{'kind':<16}" + "".join(f"{code:>5}" for code in LANGUAGES) + f"{'all':>6}"]
    for kind in KINDS:
        cells = [counts[(code, kind)] for code in LANGUAGES]
        rows.append(f"{kind:<16}" + "".join(f"{n:>5}" for n in cells) + f"{sum(cells):>6}")
    totals = [sum(counts[(code, kind)] for kind in KINDS) for code in LANGUAGES]
    rows.append(f"{'total':<16}" + "".join(f"{n:>5}" for n in totals) + f"{sum(totals):>6}")
    return "\n".join(rows)


def main(argv) -> int:
    path = Path(argv[1]) if len(argv) > 1 else QUERIES
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"{path}: cannot read the test set: {error}", file=sys.stderr)
        return 1
    problems = check(entries)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(summary(entries))
    print(f"{path.name}: {len(entries)} queries, every key found in the demo data.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
