"""Facet bitmaps after a write, in one process: a full build against bringing the matrix forward.

    DATABASE_URL=sqlite:////tmp/kb-10k.sqlite3 .venv/bin/python bench/matrix.py [--practices 10000] [--writes 20]
        [--clone-to 100000]

On the database DATABASE_URL names (prepared with the demo and N synthetic practices, as bench/measure.py
does, when it has no practices yet), each write is an editor's edit: the Finnish title of one practice
changes and its translation group is re-indexed as the change log does (documents that come out the same
stay). Then, per locale, the first search's matrix update (search.backends.facet_matrix.matrix_for: three
indexed queries, and copying the arrays when the locale's documents changed) is timed, and a full build
of the same state (what every process paid after every write before) beside it. Also each locale's matrix
memory (FacetMatrix.memory()) and how many of its documents the writes rewrote.

--clone-to N (SQLite only, a database kept for benchmarks: it is changed for good) first copies the
index rows (documents with their facet rows, under new page ids and translation keys, without pages) until each locale has
about N documents: the bitmaps' cost at a size whose pages would take hours to generate here. The
writes edit original practices.
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

from practices.models import PracticePage  # noqa: E402
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


PAGE_ID_STEP = 10_000_000  # clones' page ids: the original's plus a multiple of this


def clone_index_rows(target: int):
    """Copy every locale's documents and facet rows until each locale has about ``target``."""
    if connection.vendor != "sqlite":
        raise SystemExit("--clone-to is for a SQLite database kept for benchmarks")
    columns = [f.column for f in SearchDocument._meta.concrete_fields if f.column not in ("id", "page_id")]
    names = ", ".join(columns)
    # A translation key of their own (the copy's number in its first 8 hex digits): Elasticsearch keys
    # its documents by group, so clones sharing keys would overwrite each other there.
    values = ", ".join("printf('%%08x', %s) || substr(translation_key, 9)" if column == "translation_key" else column
                       for column in columns)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")  # the clones have no pages
        cursor.execute("SELECT COUNT(*) FROM kb_search_searchdocument WHERE locale = 'fi' AND page_id < %s",
                       [PAGE_ID_STEP])
        originals = cursor.fetchone()[0]
        cursor.execute("SELECT MAX(page_id) / %s FROM kb_search_searchdocument", [PAGE_ID_STEP])
        copies = cursor.fetchone()[0] or 0
        while originals * (copies + 1) < target:
            copies += 1
            with transaction.atomic():
                cursor.execute(f"INSERT INTO kb_search_searchdocument (page_id, {names}) SELECT page_id + %s, {values}"
                               " FROM kb_search_searchdocument WHERE page_id < %s",
                               [copies * PAGE_ID_STEP, copies, PAGE_ID_STEP])
                cursor.execute("INSERT INTO kb_search_searchfacetvalue (document_id, locale, facet, value)"
                               " SELECT c.id, v.locale, v.facet, v.value FROM kb_search_searchfacetvalue v"
                               " JOIN kb_search_searchdocument o ON o.id = v.document_id"
                               " JOIN kb_search_searchdocument c ON c.page_id = o.page_id + %s AND c.locale = o.locale"
                               " WHERE o.page_id < %s", [copies * PAGE_ID_STEP, PAGE_ID_STEP])
                index_changed()
            print(f"cloned the index rows {copies} times", file=sys.stderr)


def edit(key, number: int):
    """An editor's change of the Finnish title (the page row only: the index is what is measured)."""
    page = PracticePage.objects.filter(translation_key=key, locale__language_code="fi").first()
    PracticePage.objects.filter(pk=page.pk).update(title=f"{page.title.split(' #')[0]} #{number}")


def measure(writes: int) -> dict:
    keys = list(SearchDocument.objects.filter(locale="fi", page_id__lt=PAGE_ID_STEP).order_by("?")
                .values_list("translation_key", flat=True)[:writes])
    full = {locale: [] for locale in LOCALES}
    forward = {locale: [] for locale in LOCALES}
    rewritten = {locale: 0 for locale in LOCALES}
    with connection.cursor() as cursor:
        for locale in LOCALES:
            facet_matrix.matrix_for(cursor, locale)
    for number, key in enumerate(keys, 1):
        with transaction.atomic():
            edit(key, number)
            version = index_changed()
            index_group(key, version)
        for locale in LOCALES:
            rewritten[locale] += SearchDocument.objects.filter(locale=locale, version=version).count()
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
        "rewritten": rewritten[locale],
        "full_build_ms": {"p50": round(statistics.median(full[locale]), 1), "p95": round(percentile(full[locale], .95), 1)},
        "forward_ms": {"p50": round(statistics.median(forward[locale]), 1),
                       "p95": round(percentile(forward[locale], .95), 1)},
    } for locale in LOCALES}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=10_000, help="synthetic practices, when the database has none")
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--clone-to", type=int, help="copy the index rows until each locale has about this many")
    args = parser.parse_args()
    if not SearchDocument.objects.exists():
        from bench.measure import prepare

        prepare(args.practices)
    if args.clone_to:
        clone_index_rows(args.clone_to)
    load_before = os.getloadavg()
    figures = measure(args.writes)
    report = {"commit": commit(), "vendor": connection.vendor, "writes": args.writes, "cloned": bool(args.clone_to),
              "nproc": len(os.sched_getaffinity(0)), "python": platform.python_version(),
              "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
              "locales": figures}
    documents = figures["fi"]["documents"]
    name = BENCH / f"results-matrix-{connection.vendor}-{documents}"
    name.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# Facet bitmaps after a write: {connection.vendor}, {documents} documents per locale", "",
             f"Commit {report['commit']}, {report['nproc']} cores, Python {report['python']}, load average "
             f"{report['load_before'][0]} before and {report['load_after'][0]} after; {args.writes} writes "
             "(one practice's Finnish title edited, its translation group re-indexed), written by bench/matrix.py."
             + (" Index rows cloned from the synthetic practices' documents (--clone-to): no pages behind the copies."
                if args.clone_to else ""), "",
             "| locale | documents | documents rewritten | brought forward p50 / p95 (ms) | full build p50 / p95 (ms) |"
             " ratio (p50) | memory (MB) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for locale, row in figures.items():
        ratio = row["full_build_ms"]["p50"] / max(row["forward_ms"]["p50"], 0.01)
        lines.append(f"| {locale} | {row['documents']} | {row['rewritten']} of {args.writes} | "
                     f"{row['forward_ms']['p50']} / {row['forward_ms']['p95']} | "
                     f"{row['full_build_ms']['p50']} / {row['full_build_ms']['p95']} | {ratio:.0f}× | {row['memory_mb']} |")
    name.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
