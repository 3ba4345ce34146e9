"""Scale benchmark: what users meet through gunicorn (4 workers) at N practices, warm, cold, under writes.

    .venv/bin/python bench/scale.py --backend sqlite|postgres|elasticsearch [--practices 10000]
        [--workers 4] [--threads 4] [--clients 4] [--duration 30] [--writes 20] [--searchable 20]

postgres runs itself again under scripts/with-postgres.sh, elasticsearch under scripts/with-postgres.sh
scripts/with-elasticsearch.sh (PostgreSQL is then the database), unless DATABASE_URL / ELASTICSEARCH_URL
are already set; sqlite uses a temp file. The data: migrate, demo content and N synthetic practices
(practices/demo/synthetic.py, as bench/load.py and bench/measure.py make them), the Elasticsearch indexes
under a per-run prefix (deleted afterwards). The server: bench/load.py's gunicorn (production settings,
gthread) serving ``application_with_probes()`` below: KB's WSGI application unchanged, plus two response
headers (the worker's pid, the facet-matrix work the request did) and the stock Wagtail search of
bench/measure.py at /bench/stock/, so both answer through the same HTTP stack. Publishes go through
bench/load.py's editor process (``save_revision().publish()``, the real publish path), one per line sent.

The same query mix each time (the JSON API, locale fi): an empty query with 2 facets, a one-word query,
a two-word query with a facet, everything sorted by title. Measured, in this order:
  matrix memory  a child process builds each locale's facet matrix (search/backends/facet_matrix.py)
                 and reports FacetMatrix.memory() and the build time;
  warm, serial   one request at a time, round robin over the workers (a keep-alive connection held to
                 each worker), --repeat per query after a warm-up; the same for the stock approach and,
                 on Elasticsearch, a bare request with the body KB builds (its ``took`` and the round trip);
  warm, load     --clients closed-loop clients for --duration s, no writes: p50/p95, searches/s;
  cold           --writes rounds: publish one practice, then the first request of every worker, one at a
                 time (the latency of the first search each process serves after the write);
  searchable     --searchable rounds: publish a practice whose title gets a new word, then search for that
                 word until the practice is found: time from the publish's return;
  under writes   the clients again for --duration s while a writer publishes every --publish-every s and
                 times each publish until searchable.
Results: bench/results-scale-<backend>-<N>.md and .json (commit, machine, load averages, the goals of
issue #16 met or missed with the ratio).
"""

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import load as harness  # noqa: E402  (bench/load.py: server, editor, machine, percentiles)

HOST = harness.HOST
API = "/api/v1/search/?lang=fi&"
STOCK_PATH = "/bench/stock/"
WORKER_HEADER, MATRIX_HEADER = "X-Bench-Worker", "X-Bench-Matrix"
# (key, label, query string): facet codes from operations/data/taxonomy.json, words from the synthetic pools.
QUERIES = [
    ("a", "empty + 2 facets", "region=01&theme=language"),
    ("b", "one word", "q=kielikahvila"),
    ("c", "two words + facet", "q=kielikahvila+nuorille&region=01"),
    ("d", "sort by title", "sort=title"),
]
WRAPPERS = {
    "sqlite": [],
    "postgres": ["scripts/with-postgres.sh"],
    "elasticsearch": ["scripts/with-postgres.sh", "scripts/with-elasticsearch.sh"],
}
# Issue #16's goals (p95, ms) that this benchmark can check.
WARM_GOAL = {("sqlite", 10_000): 30, ("postgres", 10_000): 30, ("elasticsearch", 10_000): 25,
             ("postgres", 100_000): 150, ("elasticsearch", 100_000): 50}


def log(message):
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Inside each gunicorn worker -----------------------------------------------------------------------

def application_with_probes():
    """gunicorn's app factory (``scale:application_with_probes()``, bench/ on the Python path): KB's
    WSGI application, every response with the worker's pid and the facet-matrix work of the request
    (``locale:queries`` per matrix_for call: 0 current, 3 brought forward, 2 built), and the stock
    Wagtail search (bench/measure.py's ``stock_search``) at STOCK_PATH."""
    import measure  # sets Django up with the server's settings (DJANGO_SETTINGS_MODULE), as kb.wsgi would
    from django.db import close_old_connections
    from django.http import QueryDict
    from wagtail.models import Locale

    from kb.wsgi import application
    from search.backends import database

    probe = threading.local()
    matrix_for = database.matrix_for

    def counting_matrix_for(cursor, locale):
        matrix, queries = matrix_for(cursor, locale)
        probe.matrix.append(f"{locale}:{queries}")
        return matrix, queries

    database.matrix_for = counting_matrix_for

    def stock(environ):
        close_old_connections()
        try:
            params = QueryDict(environ.get("QUERY_STRING", ""))
            hits, counts = measure.stock_search(params, Locale.objects.get(language_code="fi"))
            body = {"hits": [hit.pk for hit in hits], "count": sum(counts["status"].values())}
        finally:
            close_old_connections()
        return json.dumps(body).encode()

    def app(environ, start_response):
        probe.matrix = []
        headers = [(WORKER_HEADER, str(os.getpid()))]
        if environ.get("PATH_INFO") == STOCK_PATH:
            body = stock(environ)
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                      *headers])
            return [body]

        def start(status, response_headers, exc_info=None):
            return start_response(status, [*response_headers, *headers, (MATRIX_HEADER, ",".join(probe.matrix))],
                                  exc_info)

        return application(environ, start)

    return app


# --- Django children (the server's environment) ----------------------------------------------------------

DATA = """
import json
from django.db import connection
from practices.models import PracticePage
live = PracticePage.objects.live()
version = (connection.cursor().connection.info.server_version if connection.vendor == "postgresql"
           else connection.Database.sqlite_version)
print(json.dumps({"fi_practices": live.filter(locale__language_code="fi").count(), "all_practices": live.count(),
                  "database": connection.vendor, "database_version": str(version)}))
"""
MATRIX_MEMORY = """
import json, time
from django.db import connection
from search.backends.facet_matrix import matrix_for
from search.indexing import LANGUAGE_CODES
found = {}
for locale in LANGUAGE_CODES:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        matrix, queries = matrix_for(cursor, locale)
    found[locale] = {"documents": len(matrix.positions), "bytes": matrix.memory(), "queries": queries,
                     "build_ms": round((time.perf_counter() - started) * 1000, 1)}
print(json.dumps(found))
"""
ES_BODIES = """
import json
from django.http import QueryDict
from search.backends.elasticsearch import ElasticsearchBackend
from search.interpret import interpret, widen
from search.query import parse_query, parse_request
backend = ElasticsearchBackend.from_settings()
found = {}
for key, query_string in json.loads(QUERIES):
    request = parse_request(QueryDict("lang=fi&" + query_string), "fi", strict=True)
    request, _recognised = interpret(request)  # as search.service.search does
    effective, _added = widen(request)
    parsed = parse_query(request.locale, request.text, request.operator)
    found[key] = {"index": backend.alias(effective.locale), "body": backend.search_body(effective, parsed)}
print(json.dumps(found, default=str))
"""


def shell_json(env, code, **values):
    """Run ``code`` in `manage.py shell -c` with the server's environment; its last line of output as JSON."""
    for name, value in values.items():
        code = f"{name} = {value!r}\n" + code
    return json.loads(harness.manage(ROOT, env, "shell", "-c", code, capture=True).strip().splitlines()[-1])


# --- HTTP clients -----------------------------------------------------------------------------------------

class Connection:
    """One keep-alive connection to the server; ``get`` returns a Sample (errors included)."""

    def __init__(self, port, timeout):
        self.port, self.timeout, self.http = port, timeout, None

    def get(self, path, kind="", query=""):
        started = time.perf_counter()
        status = error = worker = matrix = body = None
        try:
            if self.http is None:
                self.http = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            self.http.request("GET", path)
            response = self.http.getresponse()
            body = response.read()
            status, worker, matrix = response.status, response.getheader(WORKER_HEADER), response.getheader(MATRIX_HEADER)
            if response.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
            self.close()
        finished = time.perf_counter()
        return Sample(kind, query, started, (finished - started) * 1000, status, error, worker, matrix, body)

    def close(self):
        if self.http is not None:
            self.http.close()
        self.http = None


class Sample:
    __slots__ = ("kind", "query", "started", "ms", "status", "error", "worker", "matrix", "body")

    def __init__(self, kind, query, started, ms, status, error, worker, matrix, body):
        self.kind, self.query, self.started, self.ms, self.status = kind, query, started, ms, status
        self.error, self.worker, self.matrix, self.body = error, worker, matrix, body

    @property
    def ok(self):
        return self.status == 200


def api_path(query_string):
    return API + query_string


def pin_workers(port, workers, timeout, attempts=300):
    """{pid: a keep-alive connection that worker accepted}: new connections until every worker has one."""
    pinned, spare = {}, []
    for _ in range(attempts):
        connection = Connection(port, timeout)
        sample = connection.get(api_path(QUERIES[0][2]))
        if not sample.ok:
            raise RuntimeError(f"warm-up request failed: {sample.status} {sample.error} {(sample.body or b'')[:300]}")
        if sample.worker in pinned:
            spare.append(connection)  # held open a while, so the next connection tends to go elsewhere
        else:
            pinned[sample.worker] = connection
        if len(pinned) == workers:
            break
    for connection in spare:
        connection.close()
    return pinned


def closed_loop(port, clients, duration, timeout, stop_also=None):
    """``clients`` threads, each with its own keep-alive connection, asking the mix in turn without
    think time for ``duration`` s. Returns (samples, wall seconds)."""
    stop, samples = threading.Event(), []

    def client(index):
        connection, step = Connection(port, timeout), index
        while not stop.is_set():
            key, _label, query = QUERIES[step % len(QUERIES)]
            step += 1
            samples.append(connection.get(api_path(query), "api", key))
        connection.close()

    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    try:
        stop.wait(duration)
    finally:
        stop.set()
        if stop_also is not None:
            stop_also.set()
    for thread in threads:
        thread.join(timeout + 10)
    return samples, time.perf_counter() - started


# --- The editor (bench/load.py's EDITOR, one publish per line) ---------------------------------------------

class Editor:
    def __init__(self, env, logfile):
        self.logfile = open(logfile, "w")
        script = harness.EDITOR.replace("{{", "{").replace("}}", "}")
        self.process = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "shell", "-c", script], cwd=ROOT,
                                        env={**env, "KB_EDITOR_EVERY": "stdin"}, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.logfile, text=True, bufsize=1,
                                        start_new_session=True)
        self.lock = threading.Lock()

    def publish(self, word=""):
        """Publish the next practice (its title + ``word``); returns (publish ms, page id, return time)."""
        with self.lock:
            self.process.stdin.write(word + "\n")
            self.process.stdin.flush()
            while True:
                line = self.process.stdout.readline()
                if not line:
                    raise RuntimeError(f"the editor process ended:\n{harness.tail(self.logfile.name)}")
                if line.startswith("published "):
                    returned = time.perf_counter()
                    fields = line.split()
                    return float(fields[2]), int(fields[3]), returned

    def stop(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                harness.stop_server(self.process)
        self.logfile.close()


def new_word(rng):
    """A word no practice has (letters only, so every analyser keeps it one word)."""
    return "zqx" + "".join(rng.choice(string.ascii_lowercase) for _ in range(9))


def until_searchable(connection, word, page_id, returned, deadline_s=10.0):
    """Search for ``word`` until the practice ``page_id`` is among the results: (seconds since the
    publish returned, or None after deadline_s, searches made, errors)."""
    searches = errors = 0
    while time.perf_counter() - returned < deadline_s:
        sample = connection.get(api_path(urllib.parse.urlencode({"q": word})), "searchable", "word")
        searches += 1
        if sample.ok:
            if any(hit["id"] == page_id for hit in json.loads(sample.body)["results"]):
                return sample.started + sample.ms / 1000 - returned, searches, errors
        else:
            errors += 1
            time.sleep(0.05)
    return None, searches, errors


# --- Statistics -----------------------------------------------------------------------------------------

def stats(values):
    ordered = sorted(values)
    return {"n": len(ordered), "p50": harness.percentile(ordered, 0.5), "p95": harness.percentile(ordered, 0.95),
            "max": ordered[-1] if ordered else None}


def sample_stats(samples, wall=None):
    found = stats([sample.ms for sample in samples])
    found["errors"] = sum(not sample.ok for sample in samples)
    kinds = {}
    for sample in samples:
        if not sample.ok:
            kind = sample.error or f"HTTP {sample.status}"
            kinds[kind] = kinds.get(kind, 0) + 1
    found["error_kinds"] = kinds
    if wall:
        found["per_s"] = round(len(samples) / wall, 2)
    return found


def by_query(samples):
    return {key: sample_stats([s for s in samples if s.query == key]) for key, _label, _query in QUERIES}


def raw(samples):
    """Every sample of a phase for the JSON: [s from the phase's first request, query, ms, status, worker, matrix]."""
    first = min((sample.started for sample in samples), default=0)
    return [[round(sample.started - first, 3), sample.query, round(sample.ms, 1), sample.status or sample.error,
             sample.worker, sample.matrix] for sample in samples]


def matrix_work(samples):
    """How often the first requests brought the matrix forward (3 queries), built it (2) or found it current (0)."""
    counts = {}
    for sample in samples:
        for part in (sample.matrix or "").split(","):
            if part:
                counts[part] = counts.get(part, 0) + 1
    return counts


# --- Phases -----------------------------------------------------------------------------------------------

def serial(pinned, path_of, repeat, kind, budget_s=None):
    """``repeat`` rounds of the mix, one request at a time, round robin over the pinned workers."""
    connections, samples, spent = list(pinned.values()), [], {}
    for round_ in range(repeat):
        for index, (key, _label, query) in enumerate(QUERIES):
            if budget_s and spent.get(key, 0) > budget_s:
                continue  # a slow stock query: fewer repeats
            sample = connections[(round_ * len(QUERIES) + index) % len(connections)].get(path_of(query), kind, key)
            spent[key] = spent.get(key, 0) + sample.ms / 1000
            samples.append(sample)
    return samples


def bare_elasticsearch(url, bodies, repeat, timeout):
    """The body KB sends, straight to Elasticsearch: (round trip ms, took ms) per query."""
    parts = urllib.parse.urlsplit(url.split(",")[0].strip())
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 9200, timeout=timeout)
    results = {key: {"round_trip": [], "took": []} for key in bodies}
    for round_ in range(repeat + 2):
        for key, item in bodies.items():
            payload = json.dumps(item["body"]).encode()
            started = time.perf_counter()
            connection.request("POST", f"/{item['index']}/_search", body=payload,
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = json.loads(response.read())
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise RuntimeError(f"bare Elasticsearch request {key}: HTTP {response.status}: {str(answer)[:300]}")
            if round_ >= 2:  # two warm-up rounds
                results[key]["round_trip"].append(elapsed)
                results[key]["took"].append(answer["took"])
                results[key]["total"] = answer["hits"]["total"]["value"]
    connection.close()
    found = {key: {"round_trip": stats(value["round_trip"]), "took": stats(value["took"]), "total": value["total"]}
             for key, value in results.items()}
    found["all"] = {kind: stats([ms for value in results.values() for ms in value[kind]])
                    for kind in ("round_trip", "took")}
    return found


def cold_rounds(pinned, editor, writes, log_every=5):
    """Per write: publish, then the first request of each worker (the first worker rotates), one at a time."""
    samples, publishes = [], []
    workers = list(pinned.items())
    for round_ in range(writes):
        publish_ms, _page, _returned = editor.publish()
        publishes.append(publish_ms)
        for index in range(len(workers)):
            _pid, connection = workers[(round_ + index) % len(workers)]
            key, _label, query = QUERIES[(round_ + index) % len(QUERIES)]
            samples.append(connection.get(api_path(query), "cold", key))
        if (round_ + 1) % log_every == 0:
            log(f"  cold: {round_ + 1} of {writes} writes")
    return samples, publishes


def searchable_rounds(port, editor, rounds, rng, timeout):
    """(until_searchable's answer, publish ms) per round, one publish at a time on a quiet server."""
    connection, found, publishes = Connection(port, timeout), [], []
    for _ in range(rounds):
        word = new_word(rng)
        publish_ms, page, returned = editor.publish(word)
        publishes.append(publish_ms)
        found.append(until_searchable(connection, word, page, returned))
    connection.close()
    return found, publishes


def writes_phase(port, editor, args, rng):
    """The clients for --duration s while a writer publishes every --publish-every s and times each
    publish until searchable (through gunicorn too)."""
    stop, writer_results = threading.Event(), {"publish_ms": [], "searchable": []}

    def writer():
        connection = Connection(port, args.timeout)
        while not stop.is_set():
            started = time.perf_counter()
            word = new_word(rng)
            publish_ms, page, returned = editor.publish(word)
            writer_results["publish_ms"].append(publish_ms)
            writer_results["searchable"].append(until_searchable(connection, word, page, returned))
            stop.wait(max(0.0, args.publish_every - (time.perf_counter() - started)))
        connection.close()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    samples, wall = closed_loop(port, args.clients, args.duration, args.timeout, stop_also=stop)
    thread.join(args.timeout + 15)
    return samples, wall, writer_results


# --- Report ------------------------------------------------------------------------------------------------

def fmt(value, digits=1):
    return "–" if value is None else f"{value:,.{digits}f}"


def ratio(numerator, denominator):
    return numerator / denominator if numerator is not None and denominator else None


def goals(report):
    """Issue #16's goals this run can check: (measure, goal, measured, met) rows."""
    backend, n = report["backend"], report["practices"]
    warm, load, cold = report["warm_serial"]["all"], report["warm_load"]["all"], report["cold"]["all"]
    rows = []
    if (backend, n) in WARM_GOAL:
        goal = WARM_GOAL[(backend, n)]
        rows.append((f"warm p95, {n:,}, {backend} (one request at a time)", f"≤ {goal} ms",
                     f"{fmt(warm['p95'])} ms ({fmt(ratio(warm['p95'], goal), 2)}× the goal)", warm["p95"] <= goal))
    cold_over = ratio(cold["p95"], warm["p95"])
    rows.append(("cold p95 (first search of each worker after a write) / warm p95", "≤ 2×",
                 f"{fmt(cold_over, 2)}× ({fmt(cold['p95'])} / {fmt(warm['p95'])} ms)", cold_over is not None and cold_over <= 2))
    stock = report["stock"]["all"] if report.get("stock") else None
    if stock:
        rows.append(("cold p95 faster than stock p95 (same mix)", "< 1×",
                     f"{fmt(ratio(cold['p95'], stock['p95']), 2)}× ({fmt(cold['p95'])} vs {fmt(stock['p95'])} ms)",
                     cold["p95"] < stock["p95"]))
    writes = report["under_writes"]["all"]
    writes_over = ratio(writes["p95"], load["p95"])
    rows.append((f"under writes p95 / warm p95 ({report['config']['clients']} clients, same load)", "≤ 1.5×",
                 f"{fmt(writes_over, 2)}× ({fmt(writes['p95'])} / {fmt(load['p95'])} ms)",
                 writes_over is not None and writes_over <= 1.5))
    if report.get("bare_elasticsearch"):
        bare = report["bare_elasticsearch_all"]["round_trip"]
        over = ratio(warm["p95"], bare["p95"])
        rows.append(("KB p95 / bare Elasticsearch round trip p95 (same body)", "≤ 1.2×",
                     f"{fmt(over, 2)}× ({fmt(warm['p95'])} / {fmt(bare['p95'])} ms)", over is not None and over <= 1.2))
    searchable = report["searchable_all"]
    rows.append(("publish → searchable p95", "≤ 2 s",
                 f"{fmt(searchable['p95'], 3)} s (max {fmt(searchable['max'], 3)} s, {searchable['missed']} never found)",
                 searchable["p95"] is not None and searchable["p95"] <= 2 and not searchable["missed"]))
    return [{"measure": measure, "goal": goal, "measured": measured, "met": bool(met)}
            for measure, goal, measured, met in rows]


def markdown(report):
    info, config, data, code = report["machine"], report["config"], report["data"], report["code"]
    labels = {key: label for key, label, _query in QUERIES}
    lines = [
        f"## Scale benchmark: {report['backend']}, {report['practices']:,} synthetic practices, through gunicorn",
        "",
        f"{report['date']}; commit {code['git_head'][:12]}"
        + (" + uncommitted changes in kb/ search/ practices/ home/ bench/" if code["dirty"] else "")
        + f"; source hash {code['fingerprint']}"
        + (" — SOURCES EDITED DURING THE RUN" if code["changed_during_run"] else "") + ".",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gb']} GB memory, Python {info['python']}; "
        f"1/5/15-min load average {'/'.join(map(str, report['load_average_before']))} before, "
        f"{'/'.join(map(str, report['load_average_after']))} after (above {info['nproc']}, other work shared "
        "the CPUs: the figures are pessimistic; compare the ratios, measured in the same run).",
        f"Server: gunicorn {config['gunicorn_version']}, {config['workers']} workers × {config['threads']} threads "
        f"(gthread), kb.settings.production; {data['database']} {data['database_version']}; search: "
        f"{report['search']}; {data['fi_practices']:,} live Finnish practices ({data['all_practices']:,} in all "
        f"languages). Workers reached: {report['workers_pinned']} of {config['workers']}.",
        "Queries (GET /api/v1/search/?lang=fi&…): " + "; ".join(f"({key}) {label}: `{query}`" for key, label, query in QUERIES) + ".",
        "",
        "| query | warm p50 | warm p95 | cold p50 | cold p95 | cold / warm p95 | stock p50 | stock p95 "
        "| stock / warm p95 | bare ES took p95 | bare ES round trip p95 | KB / bare p95 |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    bare = report.get("bare_elasticsearch") or {}
    for key, _label, _query in [*QUERIES, ("all", "all", "")]:
        warm, cold = report["warm_serial"][key], report["cold"][key]
        stock = (report.get("stock") or {}).get(key)
        es = bare.get(key) if key != "all" else report.get("bare_elasticsearch_all")
        lines.append(
            f"| {'all four' if key == 'all' else f'({key}) {labels[key]}'} | {fmt(warm['p50'])} | {fmt(warm['p95'])} "
            f"| {fmt(cold['p50'])} | {fmt(cold['p95'])} | {fmt(ratio(cold['p95'], warm['p95']), 2)}× "
            f"| {fmt(stock and stock['p50'])} | {fmt(stock and stock['p95'])} "
            f"| {fmt(stock and ratio(stock['p95'], warm['p95']), 1)}× "
            f"| {fmt(es and es['took']['p95'])} | {fmt(es and es['round_trip']['p95'])} "
            f"| {fmt(es and ratio(warm['p95'], es['round_trip']['p95']), 2)}× |")
    load, writes = report["warm_load"], report["under_writes"]
    lines += [
        "",
        "All times in ms. warm: one request at a time over kept-alive connections to every worker, "
        f"{config['repeat']} per query after a warm-up ({report['warm_serial']['all']['n']} requests); cold: "
        f"{config['writes']} publishes, after each the first request of every worker ({report['cold']['all']['n']} "
        f"requests; facet-matrix work of those requests: {report['cold_matrix_work']}, where `fi:3` is a matrix "
        "brought forward incrementally, `fi:2` a full build, `fi:0` current). stock: the stock Wagtail search "
        "(bench/measure.py) through the same gunicorn, one request at a time"
        + (" on the database (Wagtail's search backend is the database)" if report["backend"] == "elasticsearch" else "")
        + f"; at most {config['stock_repeat']} per query. bare ES: the request body KB builds "
        "(ElasticsearchBackend.search_body) sent straight to the node; took is Elasticsearch's own figure.",
        "",
        "| phase | clients | searches | errors | searches/s | p50 ms | p95 ms | max ms | p95 / warm | publishes "
        "| load avg |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for name, phase, publishes in (("warm, no writes", load, "–"),
                                   (f"under writes (1 publish / {config['publish_every']:g} s)", writes,
                                    len(report["writes_publish_ms"]))):
        row = phase["all"]
        errors = str(row["errors"]) + (f" ({row['error_kinds']})" if row["errors"] else "")
        lines.append(f"| {name} | {config['clients']} | {row['n']:,} | {errors} | {fmt(row['per_s'])} | {fmt(row['p50'])} "
                     f"| {fmt(row['p95'])} | {fmt(row['max'])} | {fmt(ratio(row['p95'], load['all']['p95']), 2)}× "
                     f"| {publishes} | {phase['load_average_before'][0]} → {phase['load_average_after'][0]} |")
    lines += ["", f"Facet-matrix work of all requests: warm {load.get('matrix_work', '–')}, under writes "
              f"{report['writes_matrix_work']}. Per query p95 ms, "
              "warm / under writes: " + "; ".join(
                  f"({key}) {fmt(load[key]['p95'])} / {fmt(writes[key]['p95'])}" for key, _l, _q in QUERIES) + "."]
    lines += ["", "| publish → searchable | n | p50 s | p95 s | max s | never found (10 s) | publish call p50 ms |",
              "|---|--:|--:|--:|--:|--:|--:|"]
    for name, key, publish_key in (("quiet server", "searchable_quiet", "searchable_publish_ms"),
                                   ("under writes and searches", "searchable_writes", "writes_publish_ms")):
        row = report[key]
        lines.append(f"| {name} | {row['n']} | {fmt(row['p50'], 3)} | {fmt(row['p95'], 3)} | {fmt(row['max'], 3)} "
                     f"| {row['missed']} | {fmt(stats(report[publish_key])['p50'], 0)} |")
    lines += ["", "Time from the publish call's return (in the editor process) until a search through gunicorn "
              "for a new word in the practice's title finds it; searches are sent back to back.", "",
              "| facet matrix, one process | documents | memory | full build ms |", "|---|--:|--:|--:|"]
    for locale, row in report["matrix_memory"].items():
        lines.append(f"| {locale} | {row['documents']:,} | {row['bytes'] / 1e6:.2f} MB | {fmt(row['build_ms'], 0)} |")
    total = sum(row["bytes"] for row in report["matrix_memory"].values())
    lines += [f"| every locale | | {total / 1e6:.2f} MB per process (× {config['workers']} workers) | |", "",
              "FacetMatrix.memory() after a full build in a fresh process at this N. Resident memory of the gunicorn "
              "workers at the end: " + ", ".join(f"{mb:.0f} MB" for mb in report["worker_rss_mb"]) + ".", "",
              "### Goals of issue #16", "", "| measure | goal | measured | |", "|---|---|---|---|"]
    for row in report["goals"]:
        lines.append(f"| {row['measure']} | {row['goal']} | {row['measured']} | {'met' if row['met'] else 'MISSED'} |")
    lines += ["", "Not measured here: full reindex time and documents/s (`manage.py reindex`), 100,000 practices "
              "unless this run says so.", "",
              f"Command: `{report['command']}`; run took {report['elapsed_s'] / 60:.1f} min "
              f"(data prepared in {report['prepare_s']} s)."]
    return "\n".join(lines) + "\n"


def machine():
    info = harness.machine()
    meminfo = Path("/proc/meminfo").read_text().split()
    info["memory_gb"] = round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024 ** 2, 1)
    return info


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# --- Main -----------------------------------------------------------------------------------------------------

def wrap_if_needed(args):
    """Run again under the backend's wrapper scripts unless their servers are already configured."""
    database_url = os.environ.get("DATABASE_URL", "")
    ready = {"sqlite": True, "postgres": database_url.startswith(("postgres://", "postgresql://")),
             "elasticsearch": database_url.startswith(("postgres://", "postgresql://"))
             and bool(os.environ.get("ELASTICSEARCH_URL"))}[args.backend]
    if ready:
        return
    if os.environ.get("KB_SCALE_WRAPPED"):
        sys.exit(f"bench/scale.py --backend {args.backend}: the wrapper scripts gave no server (see SKIPPED above)")
    command = [*(str(ROOT / script) for script in WRAPPERS[args.backend]), sys.executable, *sys.argv]
    os.execve(command[0], command, {**os.environ, "KB_SCALE_WRAPPED": "1"})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", required=True, choices=tuple(WRAPPERS))
    parser.add_argument("--practices", type=int, default=10_000, help="synthetic practices (default 10000)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread; default 4)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients of the load phases (4-8)")
    parser.add_argument("--duration", type=float, default=30, help="seconds of each load phase (default 30)")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of load before measuring")
    parser.add_argument("--repeat", type=int, default=30, help="serial warm requests per query")
    parser.add_argument("--stock-repeat", type=int, default=10, help="stock requests per query (at most 30 s each)")
    parser.add_argument("--writes", type=int, default=20, help="publishes of the cold measurement (≥ 20)")
    parser.add_argument("--searchable", type=int, default=20, help="publish → searchable rounds on a quiet server")
    parser.add_argument("--publish-every", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.practices < 1 or args.workers < 1 or not 1 <= args.clients <= 64 or args.writes < 1:
        parser.error("--practices, --workers, --writes ≥ 1; --clients 1..64")
    wrap_if_needed(args)

    run_started, load_before = time.perf_counter(), harness.load_average()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="kb-scale-"))
    es_url = os.environ.get("ELASTICSEARCH_URL", "") if args.backend == "elasticsearch" else ""
    prefix = f"kbscale{os.getpid()}{secrets.token_hex(3)}"
    es = harness.Elasticsearch(es_url, os.environ.get("KB_ES_PIDFILE", "/nonexistent")) if es_url else None
    server = editor = None
    try:
        env = harness.production_env(tmp)
        if args.backend == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{tmp / 'scale.sqlite3'}"
        if es:
            env["ELASTICSEARCH_INDEX_PREFIX"] = prefix
        else:
            env.pop("ELASTICSEARCH_URL", None)
        code = {"git_head": harness.git("rev-parse", "HEAD"),
                "dirty": bool(harness.git("status", "--porcelain", "--", "kb", "search", "practices", "home", "bench")),
                "dirty_files": harness.git("status", "--porcelain", "--", "kb", "search", "practices", "home",
                                           "bench").splitlines(),
                "fingerprint": harness.code_fingerprint(ROOT)}
        log(f"{args.backend}: preparing {args.practices:,} synthetic practices (migrate, load_demo"
            + (", Elasticsearch indexes" if es else "") + ", collectstatic)")
        prepare_started = time.perf_counter()
        harness.manage(ROOT, env, "migrate", "--noinput", "-v0")
        harness.manage(ROOT, env, "load_demo", "--synthetic", str(args.practices), "-v0")
        if es:
            harness.manage(ROOT, env, "shell", "-c", "from search.changelog import rebuild_engine; rebuild_engine()")
        harness.manage(ROOT, env, "collectstatic", "--noinput", "-v0")
        data = shell_json(env, DATA)
        prepare_s = round(time.perf_counter() - prepare_started, 1)

        log("facet matrix memory (a fresh process, full builds)")
        matrix_memory = shell_json(env, MATRIX_MEMORY)
        bodies = shell_json(env, ES_BODIES, QUERIES=json.dumps([[key, query] for key, _l, query in QUERIES])) if es else None

        port, logfile = harness.free_port(), tmp / "gunicorn.log"
        server, command = harness.start_server(ROOT, env, port, args, logfile, app="scale:application_with_probes()",
                                               extra=("--pythonpath", str(BENCH), "--keep-alive", "75"))
        up_s = harness.wait_until_serving(server, port, logfile, deadline_s=600)  # 4 workers start at once
        version = subprocess.run([command[0], "--version"], capture_output=True, text=True).stdout.split()
        pinned = pin_workers(port, args.workers, args.timeout)
        log(f"gunicorn up after {up_s} s; {len(pinned)} of {args.workers} workers pinned; warm-up {args.warmup:g} s")
        serial(pinned, api_path, 2, "warm-up")
        closed_loop(port, args.clients, args.warmup, args.timeout)

        log(f"warm, one request at a time: {args.repeat} per query")
        warm_serial = serial(pinned, api_path, args.repeat, "warm")
        log(f"stock Wagtail search: up to {args.stock_repeat} per query")
        serial(pinned, lambda query: f"{STOCK_PATH}?{query}", 1, "stock warm-up")
        stock = serial(pinned, lambda query: f"{STOCK_PATH}?{query}", args.stock_repeat, "stock", budget_s=30)
        bare = bare_elasticsearch(es_url, bodies, args.repeat, args.timeout) if es else None

        log(f"warm under load: {args.clients} clients, {args.duration:g} s")
        phase_load_before = harness.load_average()
        load_samples, load_wall = closed_loop(port, args.clients, args.duration, args.timeout)
        warm_load = {"all": sample_stats(load_samples, load_wall), **by_query(load_samples),
                     "load_average_before": phase_load_before, "load_average_after": harness.load_average(),
                     "matrix_work": matrix_work(load_samples), "samples": raw(load_samples)}

        editor = Editor(env, tmp / "editor.log")
        log(f"cold: {args.writes} publishes, then the first request of each worker")
        cold_load_before = harness.load_average()
        cold_samples, cold_publish_ms = cold_rounds(pinned, editor, args.writes)
        cold_load_after = harness.load_average()

        log(f"publish → searchable: {args.searchable} rounds")
        quiet, quiet_publish_ms = searchable_rounds(port, editor, args.searchable, rng, args.timeout)

        log(f"under writes: {args.clients} clients, a publish every {args.publish_every:g} s, {args.duration:g} s")
        phase_load_before = harness.load_average()
        write_samples, write_wall, writer = writes_phase(port, editor, args, rng)
        under_writes = {"all": sample_stats(write_samples, write_wall), **by_query(write_samples),
                        "load_average_before": phase_load_before, "load_average_after": harness.load_average(),
                        "samples": raw(write_samples)}
        worker_rss = [rss_mb(int(pid)) for pid in pinned]
        for connection in pinned.values():
            connection.close()

        def searchable_stats(found):
            row = stats([seconds for seconds, _searches, _errors in found if seconds is not None])
            row["missed"] = sum(seconds is None for seconds, _searches, _errors in found)
            row["searches"] = sum(searches for _seconds, searches, _errors in found)
            row["errors"] = sum(errors for _seconds, _searches, errors in found)
            return row

        code["changed_during_run"] = harness.code_fingerprint(ROOT) != code["fingerprint"]
        report = {
            "backend": args.backend, "practices": args.practices,
            "date": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
            "command": " ".join(["bench/scale.py", *sys.argv[1:]]), "machine": machine(), "code": code,
            "load_average_before": load_before,
            "config": {"workers": args.workers, "threads": args.threads, "clients": args.clients,
                       "duration": args.duration, "warmup": args.warmup, "repeat": args.repeat,
                       "stock_repeat": args.stock_repeat, "writes": args.writes, "searchable": args.searchable,
                       "publish_every": args.publish_every, "timeout": args.timeout, "seed": args.seed,
                       "gunicorn_version": version[-1].strip("()") if version else "?",
                       "gunicorn_command": " ".join(command[1:]),
                       "queries": {key: query for key, _label, query in QUERIES}},
            "search": f"Elasticsearch {es.version()}" if es else "the database (facet matrices)",
            "data": data, "prepare_s": prepare_s, "matrix_memory": matrix_memory,
            "workers_pinned": len(pinned), "worker_rss_mb": [value for value in worker_rss if value is not None],
            "warm_serial": {"all": sample_stats(warm_serial), **by_query(warm_serial)},
            "stock": {"all": sample_stats(stock), **by_query(stock)},
            "bare_elasticsearch": bare,
            "warm_load": warm_load,
            "cold": {"all": sample_stats(cold_samples), **by_query(cold_samples),
                     "load_average_before": cold_load_before, "load_average_after": cold_load_after},
            "cold_matrix_work": matrix_work(cold_samples), "cold_publish_ms": cold_publish_ms,
            "cold_samples_ms": [round(sample.ms, 2) for sample in cold_samples],
            "searchable_quiet": searchable_stats(quiet),
            "searchable_publish_ms": quiet_publish_ms,
            "under_writes": under_writes, "writes_matrix_work": matrix_work(write_samples),
            "writes_publish_ms": writer["publish_ms"],
            "searchable_writes": searchable_stats(writer["searchable"]),
            "searchable_all": searchable_stats(quiet + writer["searchable"]),
        }
        if bare:
            report["bare_elasticsearch_all"] = bare.pop("all")
        report["load_average_after"] = harness.load_average()
    finally:
        if editor is not None:
            editor.stop()
        harness.stop_server(server)
        if es:
            es.delete_indexes(prefix)
        shutil.rmtree(tmp, ignore_errors=True)
    report["elapsed_s"] = round(time.perf_counter() - run_started, 1)
    report["goals"] = goals(report)
    table = markdown(report)
    print(table)
    name = f"results-scale-{args.backend}-{args.practices}"
    (BENCH / f"{name}.md").write_text(table)
    (BENCH / f"{name}.json").write_text(json.dumps(report, indent=1))
    log(f"wrote bench/{name}.md and .json in {report['elapsed_s'] / 60:.1f} min")


if __name__ == "__main__":
    main()
