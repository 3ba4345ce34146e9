"""Where a reindex's CPU goes: CPU seconds per phase of `rebuild_index`, per document.

    DATABASE_URL=sqlite:////tmp/kb-10k.sqlite3 .venv/bin/python bench/reindex_phases.py [--groups 1500] [--runs 3]

On the database DATABASE_URL names (prepared with the demo and N synthetic practices, as bench/measure.py
does, when it has no practices yet), the first --groups translation groups are reindexed --runs times in
this process, each phase's functions wrapped to add up their CPU time (time.process_time: on SQLite the
database's own work is in it, on PostgreSQL it is not). Phases nest: building holds the analysis, the meta
text and the URLs; writing holds the document and facet-row INSERTs and SQLite's FTS5 rows. The lexicons
are loaded before the first run. Per phase, the median over the runs in ms of CPU per document.
Results: bench/results-reindex-phases-<vendor>.md and .json, written here, with the commit and the load.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings.dev")
os.environ.setdefault("DEBUG", "false")

from django.db import connection  # noqa: E402

from bench.matrix import commit  # noqa: E402  (sets Django up)
from search import analysis  # noqa: E402
from search import indexing as ix  # noqa: E402
from search.models import SearchDocument  # noqa: E402

# (label, function of search.indexing, nested under) in display order.
PHASES = [
    ("loading pages and related rows", "load_live_practices", None),
    ("building documents", "build_documents", None),
    ("analysing text", "analyse_text", "building documents"),
    ("meta text (organisations, labels)", "_meta_text", "building documents"),
    ("URLs", "document_url", "building documents"),
    ("region URLs in bulk", "prefetch_region_urls", "building documents"),
    ("plain text of HTML", "plain", "building documents"),
    ("vocabulary words", "vocabulary_words", "building documents"),
    ("writing documents", "_write_documents", None),
    ("document and facet-row INSERTs", "_insert_rows", "writing documents"),
    ("FTS5 rows (SQLite)", "_insert_fts", "writing documents"),
    ("deleting the old documents", "_delete_documents", None),
    ("counting the vocabulary", "count_words", None),
]


def wrap(spent: Counter):
    for label, name, _parent in PHASES:
        function = getattr(ix, name)

        def timed(*args, _function=function, _label=label, **kwargs):
            started = time.process_time()
            try:
                return _function(*args, **kwargs)
            finally:
                spent[_label] += time.process_time() - started

        setattr(ix, name, timed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=10_000, help="synthetic practices, when the database has none")
    parser.add_argument("--groups", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not SearchDocument.objects.exists():
        from bench.measure import prepare

        prepare(args.practices)
    keys = sorted(ix.indexed_keys(), key=str)[:args.groups]
    ix.indexed_keys = lambda: set(keys)
    analysis.analyse_text("sv", "kaféer")  # the lexicons loaded before timing
    analysis.analyse_text("en", "children")
    spent = Counter()
    wrap(spent)
    runs, load_before = [], os.getloadavg()[0]
    for _run in range(args.runs):
        spent.clear()
        started, cpu_started = time.perf_counter(), time.process_time()
        documents = ix.rebuild_index()
        runs.append({"documents": documents, "seconds": time.perf_counter() - started,
                     "cpu_s": time.process_time() - cpu_started, "phases": dict(spent)})
    documents = runs[0]["documents"]

    def per_document(values):
        return round(1000 * statistics.median(values) / documents, 3)

    phases = {label: per_document([run["phases"].get(label, 0.0) for run in runs]) for label, _name, _parent in PHASES}
    whole = per_document([run["cpu_s"] for run in runs])
    report = {"commit": commit(), "vendor": connection.vendor, "groups": len(keys), "documents": documents,
              "nproc": len(os.sched_getaffinity(0)), "python": platform.python_version(),
              "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
              "runs": [{**run, "seconds": round(run["seconds"], 2), "cpu_s": round(run["cpu_s"], 2),
                        "phases": {k: round(v, 3) for k, v in run["phases"].items()}} for run in runs],
              "ms_cpu_per_document": {"whole reindex": whole, **phases}}
    name = BENCH / f"results-reindex-phases-{connection.vendor}"
    name.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    rates = ", ".join(f"{run['documents'] / run['seconds']:,.0f}" for run in runs)
    lines = [f"# Where a reindex's CPU goes: {connection.vendor}, {len(keys):,} groups, {documents:,} documents", "",
             f"Commit {report['commit']}, {report['nproc']} cores, Python {report['python']}, load average "
             f"{report['load_before']} before and {report['load_after']} after; {args.runs} runs of `rebuild_index` "
             f"in one process ({rates} documents/s); written by bench/reindex_phases.py. Median over the runs, "
             "ms of CPU per document; indented phases are part of the one above.", "",
             "| phase | ms CPU / document |", "|---|--:|",
             f"| whole reindex | {whole} |"]
    lines += [f"| {'  ↳ ' if parent else ''}{label} | {phases[label]} |" for label, _name, parent in PHASES]
    name.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
