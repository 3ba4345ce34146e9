"""Elasticsearch rebuilt from the database index (`reindex --elasticsearch-only`), at scale.

    make bench-engine-rebuild ENGINE_DB=/tmp/kb-10k.sqlite3 ENGINE_ARGS="--clone-to 100000"; or:
    scripts/with-elasticsearch.sh env DATABASE_URL=sqlite:////tmp/kb-10k.sqlite3 \\
        .venv/bin/python bench/engine_rebuild.py [--clone-to 100000] [--runs 2]

On the database DATABASE_URL names (prepared with the demo and N synthetic practices, as bench/measure.py
does, when it has no practices yet), --clone-to first copies the index rows until each locale has about
that many documents (bench/matrix.py's clone_index_rows, SQLite only, the database changed for good: the
documents of 100,000 practices, whose pages would take hours to generate here). Then the Elasticsearch
rebuild (search.changelog.rebuild_engine: a new index per language, bulk copy from the database index,
replay, alias swap) runs --runs times, each timed: the first creates the indexes, the later ones replace
them as `reindex --elasticsearch-only` does. Wall clock, documents/s, this process's CPU seconds (the
reading, the JSON and the HTTP side), and the load average before and after.
Results: bench/results-engine-rebuild-<documents>.md and .json, written here, with the commit.
"""

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings.dev")
os.environ.setdefault("DEBUG", "false")

from django.conf import settings  # noqa: E402

from bench.matrix import clone_index_rows, commit  # noqa: E402  (sets Django up)
from search.changelog import rebuild_engine  # noqa: E402
from search.models import SearchDocument  # noqa: E402

GOAL = (100_000, 600)  # issue #16: 100,000 practices on Elasticsearch within 10 min


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=10_000, help="synthetic practices, when the database has none")
    parser.add_argument("--clone-to", type=int, help="copy the index rows until each locale has about this many")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    if not settings.KB_ELASTICSEARCH_URL:
        raise SystemExit("no Elasticsearch: run under scripts/with-elasticsearch.sh")
    if not SearchDocument.objects.exists():
        from bench.measure import prepare

        prepare(args.practices)
    if args.clone_to:
        clone_index_rows(args.clone_to)
    documents = SearchDocument.objects.count()
    practices = SearchDocument.objects.filter(locale="fi").count()
    runs = []
    for number in range(1, args.runs + 1):
        load_before, started, cpu_started = os.getloadavg()[0], time.perf_counter(), cpu_seconds()
        report = rebuild_engine()
        seconds = time.perf_counter() - started
        runs.append({"run": number, "seconds": round(seconds, 1), "documents_per_s": round(documents / seconds),
                     "cpu_s": round(cpu_seconds() - cpu_started, 1), "load_before": round(load_before, 2),
                     "load_after": round(os.getloadavg()[0], 2), "report": report})
        print(f"run {number}: {documents:,} documents in {seconds:.1f} s", file=sys.stderr)
    result = {"commit": commit(), "nproc": len(os.sched_getaffinity(0)), "python": platform.python_version(),
              "database": SearchDocument.objects.db, "cloned": bool(args.clone_to), "documents": documents,
              "practices": practices, "runs": runs}
    name = BENCH / f"results-engine-rebuild-{documents}"
    name.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    best = min(run["seconds"] for run in runs)
    per_goal = GOAL[0] * documents / practices / (documents / best)  # seconds for GOAL[0] practices at this rate
    lines = [f"# Elasticsearch rebuilt from the database index: {documents:,} documents ({practices:,} practices)", "",
             f"Commit {result['commit']}, {result['nproc']} cores, Python {result['python']}, one Elasticsearch node "
             "on the same machine (scripts/with-elasticsearch.sh); written by bench/engine_rebuild.py."
             + (" Index rows cloned from the synthetic practices' documents (--clone-to): no pages behind the "
                "copies, which the rebuild does not read." if args.clone_to else ""), "",
             "| run | seconds | documents/s | CPU s of this process | load before → after |",
             "|---|--:|--:|--:|---|"]
    lines += [f"| {run['run']} | {run['seconds']} | {run['documents_per_s']:,} | {run['cpu_s']} | "
              f"{run['load_before']} → {run['load_after']} |" for run in runs]
    lines += ["", f"Goal (issue #16): {GOAL[0]:,} practices on Elasticsearch within {GOAL[1] // 60} min. At the best "
              f"run's rate, {GOAL[0]:,} practices take {per_goal / 60:.1f} min: "
              f"{'met' if per_goal <= GOAL[1] else 'NOT met'} for the rebuild from the database index "
              "(`reindex --elasticsearch-only`); a full `reindex` first rebuilds the database index "
              "(bench/results-reindex.md)."]
    name.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
