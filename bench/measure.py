"""One backend's search benchmark, run by bench/search.py inside the right environment.

Builds the data (migrate, demo content, N synthetic practices, the Elasticsearch indexes when
ELASTICSEARCH_URL is set), then times the query mix through the JSON API (django.test.Client, the
whole stack in-process) and the stock Wagtail approach on the same data, and writes JSON to --out.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 .venv/bin/python bench/measure.py --backend sqlite --out r.json
"""

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings.dev")
os.environ["DEBUG"] = "false"  # no growing query log; SQL is counted with CaptureQueriesContext only

import django  # noqa: E402

django.setup()

import elastic_transport  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from wagtail.models import Locale  # noqa: E402
from wagtail.search.query import MATCH_ALL, Phrase  # noqa: E402

from practices.demo.loader import load_demo  # noqa: E402
from practices.demo.synthetic import generate  # noqa: E402
from practices.models import PracticePage  # noqa: E402
from search.changelog import rebuild_engine  # noqa: E402
from search.facets import FACETS  # noqa: E402

# The fixed query mix (locale fi). Words come from the synthetic phrase pools (practices/demo/synthetic.py),
# facet codes from operations/data/taxonomy.json and practices/models/choices.py.
QUERIES = [
    ("a", "empty + 2 facets", "region=01&region=02&theme=language"),
    ("b", "one word", "q=kielikahvila"),
    ("c", "two words + 3 facets", "q=kielikahvila+nuorille&region=01&theme=language&status=ongoing"),
    ("d", "quoted phrase", "q=%22digitaitojen+tuki%22"),
    ("e", "deep page (40 × 20)", "page=40&page_size=20"),
]
# The stock approach: what a Wagtail site gets from PracticePage.search_fields. Its FilterFields cover
# 3 of KB's 9 facets (status, evidence_level, and is_national = the region facet's "national" value);
# the many-to-many facets cannot be filtered or counted (FilterFieldError).
STOCK_FACETS = ("status", "evidence_level", "is_national")
STOCK_FILTERS = ("status", "evidence_level")

# Every real HTTP request to Elasticsearch, whichever client instance sends it.
es_requests = 0
_perform = elastic_transport.Urllib3HttpNode.perform_request


def _counting_perform(self, *args, **kwargs):
    global es_requests
    es_requests += 1
    return _perform(self, *args, **kwargs)


elastic_transport.Urllib3HttpNode.perform_request = _counting_perform


def code_fingerprint():
    """A hash of the application's Python sources: which code was measured (edits during a run show)."""
    digest = hashlib.sha256()
    for path in sorted(p for folder in ("kb", "search", "practices", "home") for p in (ROOT / folder).rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


CODE_AT_START = code_fingerprint()


def percentile(samples, share):
    ordered = sorted(samples)
    position = (len(ordered) - 1) * share  # linear interpolation between closest ranks
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def timed(run, warmup, repeat):
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return {"p50": statistics.median(samples), "p95": percentile(samples, 0.95), "samples": samples}


def sql_profile(run):
    """Run once counting SQL statements; then replay each SELECT alone, timing execute + fetchall
    (SQLite computes most of a result while fetching), to see which statement dominates."""
    statements = []

    def wrapper(execute, sql, params, many, context):
        statements.append((sql, params, many))
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(wrapper):
        run()
    timings = []
    with connection.cursor() as cursor:
        for sql, params, many in statements:
            if not many and sql.lstrip().upper().startswith("SELECT"):
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                timings.append((round((time.perf_counter() - started) * 1000, 2), " ".join(sql.split())[:160]))
    return len(queries), sorted(timings, reverse=True)


# --- ours: the JSON API -----------------------------------------------------------------------------
def measure_api(query_string, warmup, repeat, expected_backend):
    client = Client(HTTP_HOST="localhost")
    url = f"/api/v1/search/?lang=fi&{query_string}"

    def run():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        return response

    body = run().json()
    assert body["backend"] == expected_backend and not body["degraded"], (body["backend"], body["degraded"])
    before = es_requests
    sql_queries, sql_timings = sql_profile(run)
    es_per_search = es_requests - before
    before = es_requests
    result = timed(run, warmup, repeat)
    es_total = es_requests - before
    result.update(
        sql_queries=sql_queries, slowest_sql=sql_timings[:3], es_requests=es_per_search,
        es_requests_constant=es_total == es_per_search * (warmup + repeat),
        total=body["count"], hits=len(body["results"]), corrections=body["corrections"],
    )
    return result


# --- the stock Wagtail approach -----------------------------------------------------------------------
def stock_search(params, fi_locale):
    """PracticePage.objects.live().filter(locale=fi).search(…) + first page + one facet() per FilterField.
    Without text, newest first, or by title with sort=title."""
    text = params.get("q", "")
    page, page_size = int(params.get("page", 1)), int(params.get("page_size", 20))
    queryset = PracticePage.objects.live().filter(locale=fi_locale)
    for name in STOCK_FILTERS:
        if params.getlist(name):
            queryset = queryset.filter(**{f"{name}__in": params.getlist(name)})
    if text.startswith('"') and text.endswith('"'):
        results = queryset.search(Phrase(text.strip('"')), order_by_relevance=True)
    elif text:
        results = queryset.search(text, operator="and", order_by_relevance=True)
    else:
        order = "title" if params.get("sort") == "title" else "-first_published_at"  # bench/scale.py sorts by title
        results = queryset.order_by(order).search(MATCH_ALL, order_by_relevance=False)
    hits = list(results[(page - 1) * page_size: page * page_size])
    counts = {name: results.facet(name) for name in STOCK_FACETS}
    return hits, counts


def measure_stock(query_string, warmup, repeat):
    from django.http import QueryDict

    params = QueryDict(query_string)
    fi_locale = Locale.objects.get(language_code="fi")
    hits, counts = stock_search(params, fi_locale)
    dropped = sorted({name for name in params if name in {f.name for f in FACETS}} - set(STOCK_FILTERS))
    sql_queries, sql_timings = sql_profile(lambda: stock_search(params, fi_locale))
    result = timed(lambda: stock_search(params, fi_locale), warmup, repeat)
    result.update(sql_queries=sql_queries, slowest_sql=sql_timings[:3], facet_calls=len(STOCK_FACETS),
                  dropped_filters=dropped, total=sum(counts["status"].values()), hits=len(hits))
    return result


# --- setup and main ---------------------------------------------------------------------------------
def prepare(practices):
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    load_demo()
    generate(practices, translated_share=0.3, seed=1, out=sys.stderr)
    engine = rebuild_engine()
    if connection.vendor == "postgresql":
        # The steady state autovacuum reaches minutes after a bulk load: visibility map set (index-only
        # scans) and planner statistics. Without it the first minutes are several times slower.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return {"prepare_s": round(time.perf_counter() - started, 1), "engine_rebuild": engine}


def versions():
    found = {"database": connection.vendor}
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        found["database_version"] = cursor.fetchone()[0]
    if settings.KB_ELASTICSEARCH_URL:
        from search.backends.elasticsearch import ElasticsearchBackend

        nodes = ElasticsearchBackend.from_settings().client.nodes.info(filter_path="nodes.*.version")["nodes"]
        found["elasticsearch_version"] = next(iter(nodes.values()))["version"]  # GET / answers 405 on the test zip
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", required=True, choices=["sqlite", "postgres", "elasticsearch"])
    parser.add_argument("--practices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    assert not settings.DEBUG
    assert bool(settings.KB_ELASTICSEARCH_URL) == (args.backend == "elasticsearch"), "wrong environment"
    expected = {"sqlite": "sqlite", "postgres": "postgresql", "elasticsearch": "elasticsearch"}[args.backend]
    if args.backend != "elasticsearch":
        assert connection.vendor == expected, f"DATABASE_URL gives {connection.vendor}, not {expected}"

    report = {"backend": args.backend, "practices": args.practices, "repeat": args.repeat, **prepare(args.practices)}
    report.update(versions(), fi_documents=PracticePage.objects.live().filter(locale__language_code="fi").count())
    report["queries"] = []
    for key, label, query_string in QUERIES:
        print(f"{args.backend}: ({key}) {label}", file=sys.stderr)
        row = {"key": key, "label": label, "query": query_string,
               "ours": measure_api(query_string, args.warmup, args.repeat, expected)}
        if args.backend != "elasticsearch" and not args.no_baseline:
            row["stock"] = measure_stock(query_string, args.warmup, args.repeat)
        row["load_1min"] = round(os.getloadavg()[0], 2)  # above ~1.5 on 2 CPUs: something else was running
        report["queries"].append(row)
    report.update(code=CODE_AT_START, code_changed_during_run=code_fingerprint() != CODE_AT_START)
    Path(args.out).write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
