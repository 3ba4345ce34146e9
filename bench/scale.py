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
                 each worker), --repeat per query after a warm-up; on Elasticsearch, interleaved round by
                 round, a bare request with the body KB builds (its ``took`` and the round trip); then the
                 same for the stock approach;
  warm, load     --clients closed-loop clients for --duration s, no writes: p50/p95, searches/s;
  cold           --writes rounds: publish one practice, then the first request of every worker, one at a
                 time (the latency of the first search each process serves after the write), reported as
                 "first" (the first request after the write: it also meets Elasticsearch's first search
                 after the refresh) and "others" (the other workers' first requests);
  bare cold      Elasticsearch only, --writes more rounds: publish, then KB's body for one query of the
                 mix (in turn) straight to Elasticsearch: its own first search after the refresh;
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
RAW_PATH = "/bench/raw"  # answered before Django: gunicorn's own cost per request
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
    Wagtail search (bench/measure.py's ``stock_search``) at STOCK_PATH, and a fixed answer at RAW_PATH
    that never reaches Django."""
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
        headers, path = [(WORKER_HEADER, str(os.getpid()))], environ.get("PATH_INFO")
        if path in (STOCK_PATH, RAW_PATH):
            body = stock(environ) if path == STOCK_PATH else b'{"status": "ok"}'
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


def split_stats(samples, kind):
    chosen = [sample for sample in samples if sample.kind == kind]
    return {"all": sample_stats(chosen), **by_query(chosen)}


def matrix_work(samples):
    """How often the first requests brought the matrix forward (3 queries), built it (2) or found it current (0)."""
    counts = {}
    for sample in samples:
        for part in (sample.matrix or "").split(","):
            if part:
                counts[part] = counts.get(part, 0) + 1
    return counts


# --- Phases -----------------------------------------------------------------------------------------------

def serial(pinned, path_of, repeat, kind, budget_s=None, first_round=0):
    """``repeat`` rounds of the mix, one request at a time, round robin over the pinned workers."""
    connections, samples, spent = list(pinned.values()), [], {}
    for round_ in range(first_round, first_round + repeat):
        for index, (key, _label, query) in enumerate(QUERIES):
            if budget_s and spent.get(key, 0) > budget_s:
                continue  # a slow stock query: fewer repeats
            sample = connections[(round_ * len(QUERIES) + index) % len(connections)].get(path_of(query), kind, key)
            spent[key] = spent.get(key, 0) + sample.ms / 1000
            samples.append(sample)
    return samples


class BareElasticsearch:
    """The body KB sends for each query, straight to Elasticsearch over one keep-alive connection."""

    def __init__(self, url, bodies, timeout):
        parts = urllib.parse.urlsplit(url.split(",")[0].strip())
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port or 9200, timeout=timeout)
        self.bodies = {key: (item["index"], json.dumps(item["body"]).encode()) for key, item in bodies.items()}
        self.results = {}  # kind -> key -> {"round_trip": [], "took": [], "total": n}

    def send(self, key, kind=None):
        """One request: (round trip ms, took ms); recorded under ``kind`` unless None (a warm-up)."""
        index, payload = self.bodies[key]
        started = time.perf_counter()
        self.connection.request("POST", f"/{index}/_search", body=payload, headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        answer = json.loads(response.read())
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"bare Elasticsearch request {key}: HTTP {response.status}: {str(answer)[:300]}")
        if kind is not None:
            found = self.results.setdefault(kind, {}).setdefault(key, {"round_trip": [], "took": []})
            found["round_trip"].append(elapsed)
            found["took"].append(answer["took"])
            found["total"] = answer["hits"]["total"]["value"]
        return elapsed, answer["took"]

    def mix(self, kind=None):
        for key in self.bodies:
            self.send(key, kind)

    def stats(self, kind):
        """{key: {round_trip, took, total}, "all": {round_trip, took}} of the requests recorded as ``kind``."""
        results = self.results.get(kind, {})
        found = {key: {"round_trip": stats(value["round_trip"]), "took": stats(value["took"]), "total": value["total"]}
                 for key, value in results.items()}
        found["all"] = {measure: stats([ms for value in results.values() for ms in value[measure]])
                        for measure in ("round_trip", "took")}
        return found

    def close(self):
        self.connection.close()


def warm_rounds(pinned, bare, repeat):
    """KB's warm serial requests and, on Elasticsearch, the bare requests interleaved round by round
    (a KB round of the mix, then a bare round), so both meet the same machine load."""
    samples = []
    if bare:
        bare.mix()
        bare.mix()  # two warm-up rounds
    for round_ in range(repeat):
        samples += serial(pinned, api_path, 1, "warm", first_round=round_)
        if bare:
            bare.mix("warm")
    return samples


def cold_rounds(pinned, editor, writes, log_every=5):
    """Per write: publish, then the first request of each worker (the first worker rotates), one at a time.
    The first request after the write is kind "cold-first" (it meets Elasticsearch's first search after
    the refresh too), the others "cold-other" (only their own process's first request after the write).
    Then each worker once more with the query it just had, kind "cold-second": the warm figure of the same
    moment, to read the cold ones against on a machine whose load changes from phase to phase."""
    samples, publishes = [], []
    workers = list(pinned.items())
    for round_ in range(writes):
        publish_ms, _page, _returned = editor.publish()
        publishes.append(publish_ms)
        for index in range(len(workers)):
            _pid, connection = workers[(round_ + index) % len(workers)]
            key, _label, query = QUERIES[(round_ + index) % len(QUERIES)]
            samples.append(connection.get(api_path(query), "cold-first" if index == 0 else "cold-other", key))
        for index in range(len(workers)):
            _pid, connection = workers[(round_ + index) % len(workers)]
            key, _label, query = QUERIES[(round_ + index) % len(QUERIES)]
            samples.append(connection.get(api_path(query), "cold-second", key))
        if (round_ + 1) % log_every == 0:
            log(f"  cold: {round_ + 1} of {writes} writes")
    return samples, publishes


def bare_cold_rounds(bare, editor, writes):
    """Per write: publish, then KB's body for one query of the mix (rotating) straight to Elasticsearch:
    Elasticsearch's own first search after the refresh the publish made ("cold"); then the same body
    again ("second"): Elasticsearch warm at the same moment."""
    publishes = []
    for round_ in range(writes):
        publish_ms, _page, _returned = editor.publish()
        publishes.append(publish_ms)
        key = QUERIES[round_ % len(QUERIES)][0]
        bare.send(key, "cold")
        bare.send(key, "second")
    return publishes


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


def times(value):
    return "–" if value is None else f"{value:,.2f}×"


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


def cold_explained(report):
    """The cold phase split (all four queries): the figures and a sentence saying where the cold time goes.
    The differences are taken against the second requests of the same rounds (the same moment), as the
    machine's load changes between phases."""
    quantiles = ("p50", "p95")
    warm, first = report["warm_serial"]["all"], report["cold_first"]["all"]
    others, second = report["cold_others"]["all"], report["cold_second"]["all"]

    def pair(row, digits=1):
        return f"{fmt(row['p50'], digits)} / {fmt(row['p95'], digits)}"

    def minus(a, b):
        return {q: None if a[q] is None or b[q] is None else a[q] - b[q] for q in quantiles}

    first_cost, others_cost = minus(first, second), minus(others, second)
    found = {"warm": warm, "first": first, "others": others, "second": second,
             "first_minus_second_ms": first_cost, "others_minus_second_ms": others_cost,
             "first_over_warm_p95": ratio(first["p95"], warm["p95"]),
             "others_over_warm_p95": ratio(others["p95"], warm["p95"])}
    text = (f"Where the cold time goes (all four queries, p50 / p95 ms): KB warm (serial phase) {pair(warm)}. "
            f"After each write: the first request {pair(first)} ({first['n']} requests), the other workers' first "
            f"requests {pair(others)} ({others['n']}), every worker's second request right after {pair(second)} "
            f"({second['n']}; warm at the same moment). Being the first request after the write costs "
            f"{pair(first_cost)} ms over the second requests; a worker's first request after another's "
            f"{pair(others_cost)} ms.")
    bare_cold, bare_second = report.get("bare_cold"), report.get("bare_second")
    if bare_cold and bare_second:
        cold_rt, cold_took, second_rt = (bare_cold["all"]["round_trip"], bare_cold["all"]["took"],
                                         bare_second["all"]["round_trip"])
        own = minus(cold_rt, second_rt)
        share = {q: ratio(own[q], first_cost[q]) if first_cost[q] and first_cost[q] > 0 else None for q in quantiles}
        found.update({"bare_cold": cold_rt, "bare_cold_took": cold_took, "bare_second": second_rt,
                      "es_own_cold_ms": own, "es_share_of_first_cost": share,
                      "first_over_bare_cold_p95": ratio(first["p95"], cold_rt["p95"]),
                      "second_over_bare_second_p95": ratio(second["p95"], second_rt["p95"])})
        text += (f" Elasticsearch alone, the same bodies after {bare_cold['all']['round_trip']['n']} more publishes: "
                 f"the first request {pair(cold_rt)} (took {pair(cold_took)}), the same body again "
                 f"{pair(second_rt)}; its own first-request-after-refresh cost is {pair(own)} ms, "
                 + " / ".join("–" if share[q] is None else f"{share[q] * 100:.0f} %" for q in quantiles)
                 + " of KB's cost of being first. KB cold first / bare cold round trip p95 = "
                 f"{times(found['first_over_bare_cold_p95'])}; KB second / bare second p95 = "
                 f"{times(found['second_over_bare_second_p95'])}.")
    found["text"] = text
    return found


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
    lines += ["", "| query | warm p95 | cold first p50 | cold first p95 | cold others p50 | cold others p95 "
              "| others / warm p95 | second p50 | second p95 | bare warm round trip p95 | bare warm took p95 "
              "| bare cold round trip p50 | bare cold round trip p95 | bare cold took p95 | bare second round trip p50 "
              "| bare second round trip p95 | KB cold first / bare cold p95 |",
              "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    bare_cold, bare_second = report.get("bare_cold") or {}, report.get("bare_second") or {}
    for key, _label, _query in [*QUERIES, ("all", "all", "")]:
        warm, first, others = report["warm_serial"][key], report["cold_first"][key], report["cold_others"][key]
        second = report["cold_second"][key]
        es = bare.get(key) if key != "all" else report.get("bare_elasticsearch_all")
        es_cold, es_second = bare_cold.get(key), bare_second.get(key)
        lines.append(
            f"| {'all four' if key == 'all' else f'({key}) {labels[key]}'} | {fmt(warm['p95'])} "
            f"| {fmt(first['p50'])} | {fmt(first['p95'])} | {fmt(others['p50'])} | {fmt(others['p95'])} "
            f"| {times(ratio(others['p95'], warm['p95']))} | {fmt(second['p50'])} | {fmt(second['p95'])} "
            f"| {fmt(es and es['round_trip']['p95'])} | {fmt(es and es['took']['p95'])} "
            f"| {fmt(es_cold and es_cold['round_trip']['p50'])} | {fmt(es_cold and es_cold['round_trip']['p95'])} "
            f"| {fmt(es_cold and es_cold['took']['p95'])} | {fmt(es_second and es_second['round_trip']['p50'])} "
            f"| {fmt(es_second and es_second['round_trip']['p95'])} "
            f"| {times(es_cold and ratio(first['p95'], es_cold['round_trip']['p95']))} |")

    def span(phase):
        return f"{phase['load_average_before'][0]} → {phase['load_average_after'][0]}"

    lines += ["", f"cold first: the first request after each of the {config['writes']} publishes "
              f"({report['cold_first']['all']['n']} requests); cold others: the first request of each other worker "
              f"after the same publish ({report['cold_others']['all']['n']}); second: then each worker once more with "
              f"the query it just had ({report['cold_second']['all']['n']}), warm at the same moment. bare cold"
              + (f": {config['writes']} more publishes, after each KB's body for one query of the mix (in turn) "
                 "sent straight to Elasticsearch, its first search after the publish's refresh; bare second: the same "
                 "body again right after" if bare_cold
                 else ": Elasticsearch only")
              + ". 1-min load average before → after: warm (KB" + (" and bare interleaved, round by round" if bare
                                                                    else "") + f") {span(report['warm_serial'])}; "
              f"cold {span(report['cold'])}" + (f"; bare cold {span(bare_cold)}" if bare_cold else "") + "."]
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
        "(ElasticsearchBackend.search_body) sent straight to the node, a round of the mix after each round of KB's "
        "warm requests; took is Elasticsearch's own figure.",
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
    lines += ["", report["cold_explained"]["text"]]
    lines += ["", "Not measured here: full reindex time and documents/s (`manage.py reindex`), 100,000 practices "
              "unless this run says so.", "",
              f"Command: `{report['command']}`; run took {report['elapsed_s'] / 60:.1f} min "
              + (f"(the data of an earlier run's database; {report['prepare_s']} s to prepare it)."
                 if report["config"].get("existing_data") else f"(data prepared in {report['prepare_s']} s).")]
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
    parser.add_argument("--existing-data", action="store_true",
                        help="DATABASE_URL already holds an earlier run's practices: skip migrate and load_demo "
                             "(generating 100,000 takes most of an hour; not with sqlite)")
    args = parser.parse_args()
    if args.practices < 1 or args.workers < 1 or not 1 <= args.clients <= 64 or args.writes < 1:
        parser.error("--practices, --workers, --writes ≥ 1; --clients 1..64")
    if args.existing_data and args.backend == "sqlite":
        parser.error("--existing-data needs a database server (postgres or elasticsearch)")
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
        steps = ([] if args.existing_data else ["migrate", "load_demo"] + (["VACUUM ANALYZE"] if args.backend != "sqlite" else []))
        steps += (["Elasticsearch indexes"] if es else []) + ["collectstatic"]
        log(f"{args.backend}: preparing " + ("the existing data" if args.existing_data
                                             else f"{args.practices:,} synthetic practices") + f" ({', '.join(steps)})")
        prepare_started = time.perf_counter()
        if not args.existing_data:
            harness.manage(ROOT, env, "migrate", "--noinput", "-v0")
            harness.manage(ROOT, env, "load_demo", "--synthetic", str(args.practices), "-v0")
            if args.backend != "sqlite":
                # What autovacuum reaches minutes after a bulk load (as bench/measure.py): planner statistics
                # and the visibility map now, not in the middle of a measurement.
                harness.manage(ROOT, env, "shell", "-c", "from django.db import connection\n"
                               "connection.cursor().execute('VACUUM ANALYZE')")
        if es:
            harness.manage(ROOT, env, "shell", "-c", "from search.changelog import rebuild_engine; rebuild_engine()")
        harness.manage(ROOT, env, "collectstatic", "--noinput", "-v0")
        data = shell_json(env, DATA)
        if args.existing_data and data["fi_practices"] < args.practices:
            sys.exit(f"--existing-data: the database holds {data['fi_practices']:,} Finnish practices, "
                     f"not {args.practices:,}")
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

        bare = BareElasticsearch(es_url, bodies, args.timeout) if es else None
        log(f"warm, one request at a time: {args.repeat} per query" + (", bare Elasticsearch interleaved" if es else ""))
        warm_load_before = harness.load_average()
        warm_serial = warm_rounds(pinned, bare, args.repeat)
        warm_load_after = harness.load_average()
        log(f"stock Wagtail search: up to {args.stock_repeat} per query")
        serial(pinned, lambda query: f"{STOCK_PATH}?{query}", 1, "stock warm-up")
        stock = serial(pinned, lambda query: f"{STOCK_PATH}?{query}", args.stock_repeat, "stock", budget_s=30)

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
        first_requests = [sample for sample in cold_samples if sample.kind != "cold-second"]
        bare_cold = None
        if bare:
            log(f"bare cold: {args.writes} publishes, then KB's body for one query straight to Elasticsearch")
            bare_cold = {"load_average_before": harness.load_average()}
            bare_cold["publish_ms"] = bare_cold_rounds(bare, editor, args.writes)
            bare_cold["load_average_after"] = harness.load_average()
            bare.close()

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
                       "existing_data": args.existing_data,
                       "gunicorn_version": version[-1].strip("()") if version else "?",
                       "gunicorn_command": " ".join(command[1:]),
                       "queries": {key: query for key, _label, query in QUERIES}},
            "search": f"Elasticsearch {es.version()}" if es else "the database (facet matrices)",
            "data": data, "prepare_s": prepare_s, "matrix_memory": matrix_memory,
            "workers_pinned": len(pinned), "worker_rss_mb": [value for value in worker_rss if value is not None],
            "warm_serial": {"all": sample_stats(warm_serial), **by_query(warm_serial),
                            "load_average_before": warm_load_before, "load_average_after": warm_load_after},
            "stock": {"all": sample_stats(stock), **by_query(stock)},
            "bare_elasticsearch": bare.stats("warm") if bare else None,
            "warm_load": warm_load,
            "cold": {"all": sample_stats(first_requests), **by_query(first_requests),
                     "load_average_before": cold_load_before, "load_average_after": cold_load_after},
            "cold_matrix_work": matrix_work(first_requests), "cold_publish_ms": cold_publish_ms,
            "cold_samples_ms": [round(sample.ms, 2) for sample in first_requests],
            "cold_first": split_stats(cold_samples, "cold-first"), "cold_others": split_stats(cold_samples, "cold-other"),
            "cold_raw": [[*row, sample.kind] for row, sample in zip(raw(cold_samples), cold_samples, strict=True)],
            "cold_second": split_stats(cold_samples, "cold-second"),
            "bare_cold": {**bare.stats("cold"), **bare_cold} if bare else None,
            "bare_second": bare.stats("second") if bare else None,
            "searchable_quiet": searchable_stats(quiet),
            "searchable_publish_ms": quiet_publish_ms,
            "under_writes": under_writes, "writes_matrix_work": matrix_work(write_samples),
            "writes_publish_ms": writer["publish_ms"],
            "searchable_writes": searchable_stats(writer["searchable"]),
            "searchable_all": searchable_stats(quiet + writer["searchable"]),
        }
        if bare:
            report["bare_elasticsearch_all"] = report["bare_elasticsearch"].pop("all")
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
    report["cold_explained"] = cold_explained(report)
    name = f"results-scale-{args.backend}-{args.practices}"
    (BENCH / f"{name}.json").write_text(json.dumps(report, indent=1))
    table = markdown(report)
    print(table)
    (BENCH / f"{name}.md").write_text(table)
    log(f"wrote bench/{name}.md and .json in {report['elapsed_s'] / 60:.1f} min")


if __name__ == "__main__":
    main()
