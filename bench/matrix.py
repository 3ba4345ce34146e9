"""Facet bitmaps after a write, in one process: a full build against bringing the matrix forward.

    DATABASE_URL=sqlite:////tmp/kb-10k.sqlite3 .venv/bin/python bench/matrix.py [--practices 10000] [--writes 20]

On the database DATABASE_URL names (prepared with the demo and N synthetic practices, as bench/measure.py
does, when it has no practices yet), each write re-indexes one translation group as the change log does;
then, per locale, the first search's matrix update (search.backends.facet_matrix.matrix_for: three indexed
queries and copying the arrays) is timed, and a full build of the same state (what every process paid
after every write before) beside it. Also each locale's matrix memory (FacetMatrix.memory()).
Results: bench/results-matrix-<vendor>-<N>.md and .json, written here, with the commit and the load.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings.dev")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from search.backends import facet_matrix  # noqa: E402
from search.indexing import index_changed, index_group  # noqa: E402
from search.models import SearchDocument  # noqa: E402

LOCALES = ("fi", "sv", "en")


def percentile(samples, share):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def commit():
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return f"{rev}{' (with uncommitted changes)' if dirty else ''}"


def measure(writes: int) -> dict:
    keys = list(SearchDocument.objects.filter(locale="fi").order_by("?").values_list("translation_key", flat=True)
                [:writes])
    full = {locale: [] for locale in LOCALES}
    forward = {locale: [] for locale in LOCALES}
    with connection.cursor() as cursor:
        for locale in LOCALES:
            facet_matrix.matrix_for(cursor, locale)
    for key in keys:
        with transaction.atomic():
            index_group(key, index_changed())
        with connection.cursor() as cursor:
            for locale in LOCALES:
                started = time.perf_counter()
                _matrix, queries = facet_matrix.matrix_for(cursor, locale)
                forward[locale].append((time.perf_counter() - started) * 1000)
                if queries != 3:
                    raise SystemExit(f"{locale}: expected an incremental update, got {queries} queries")
                token, version, _then, _labels = facet_matrix._state(cursor, -1)
                started = time.perf_counter()
                facet_matrix.FacetMatrix.build(cursor, locale, token, version)
                full[locale].append((time.perf_counter() - started) * 1000)
    return {locale: {
        "documents": len(facet_matrix._matrices[locale].positions),
        "memory_mb": round(facet_matrix._matrices[locale].memory() / 1e6, 2),
        "full_build_ms": {"p50": round(statistics.median(full[locale]), 1), "p95": round(percentile(full[locale], .95), 1)},
        "forward_ms": {"p50": round(statistics.median(forward[locale]), 1),
                       "p95": round(percentile(forward[locale], .95), 1)},
    } for locale in LOCALES}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=10_000, help="synthetic practices, when the database has none")
    parser.add_argument("--writes", type=int, default=20)
    args = parser.parse_args()
    if not SearchDocument.objects.exists():
        from bench.measure import prepare

        prepare(args.practices)
    load_before = os.getloadavg()
    figures = measure(args.writes)
    report = {"commit": commit(), "vendor": connection.vendor, "writes": args.writes,
              "nproc": len(os.sched_getaffinity(0)), "python": platform.python_version(),
              "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
              "locales": figures}
    documents = figures["fi"]["documents"]
    name = BENCH / f"results-matrix-{connection.vendor}-{documents}"
    name.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# Facet bitmaps after a write: {connection.vendor}, {documents} documents per locale", "",
             f"Commit {report['commit']}, {report['nproc']} cores, Python {report['python']}, load average "
             f"{report['load_before'][0]} before and {report['load_after'][0]} after; {args.writes} writes "
             "(one translation group re-indexed each), written by bench/matrix.py.", "",
             "| locale | documents | brought forward p50 / p95 (ms) | full build p50 / p95 (ms) | ratio (p50) | memory (MB) |",
             "|---|---:|---:|---:|---:|---:|"]
    for locale, row in figures.items():
        ratio = row["full_build_ms"]["p50"] / max(row["forward_ms"]["p50"], 0.01)
        lines.append(f"| {locale} | {row['documents']} | {row['forward_ms']['p50']} / {row['forward_ms']['p95']} | "
                     f"{row['full_build_ms']['p50']} / {row['full_build_ms']['p95']} | {ratio:.0f}× | {row['memory_mb']} |")
    name.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
