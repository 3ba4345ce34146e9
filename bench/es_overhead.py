"""Where a search on Elasticsearch spends the time KB adds over a bare Elasticsearch request.

    make bench-es-overhead [OVERHEAD_DB=/tmp/kb-10k.sqlite3] [OVERHEAD_ARGS="--repeat 100"]; or:
    scripts/with-elasticsearch.sh env DATABASE_URL=sqlite:////tmp/kb-10k.sqlite3 \\
        .venv/bin/python bench/es_overhead.py [--practices 10000] [--repeat 60]

On the database DATABASE_URL names (prepared with the demo and N synthetic practices, as bench/measure.py
does, when it has no practices yet; its Elasticsearch indexes rebuilt from the database index), with the
production settings, bench/scale.py's four API queries each go through every layer of a search in turn,
round by round in a shuffled order (the work a request leaves behind, a log line, a worker's
after-response work, falls on whichever layer comes next), so every layer meets the same moment of a
shared machine:
  bare        KB's request body (``ElasticsearchBackend.search_body``), encoded once, posted over a
              kept-alive connection (bench/scale.py's bare request): the round trip, and
              Elasticsearch's own ``took``;
  client      the same body through the Elasticsearch client KB uses (encoding, transport);
  backend     ``ElasticsearchBackend.search``: the same request, the response made into KB's result;
  service     ``search.service.search``: + reading the query (interpretation, analysis), the live check
              of the page of hits and the labels token (database), snippets, facet buckets;
  view        the API view called directly: + the parameters checked, the JSON built and encoded;
  django      Django's whole handler with every middleware (the test client's WSGI request);
  gunicorn    the same request over HTTP to gunicorn (--workers, 4 threads each, gthread, as
              bench/scale.py runs it; a kept-alive connection to each worker, in turn): what
              bench/scale.py measures as KB;
  floor       GET /healthz over the same connection: the HTTP stack's own cost, no search;
  raw         a fixed answer from the same gunicorn workers that never reaches Django
              (bench/scale.py's RAW_PATH): gunicorn's own cost, so floor − raw is Django's.
Each layer's p50 minus the one below it is what that layer adds. Then a profile (cProfile) of the
django layer, the functions with the most time of their own, the socket waits for Elasticsearch left out.
Results: bench/results-es-overhead-<practices>[-<suffix>].md and .json, written here, with the commit and the load.
"""

import argparse
import cProfile
import json
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import load as harness  # noqa: E402  (bench/load.py: server, machine, percentiles)
from scale import QUERIES, RAW_PATH, BareElasticsearch, pin_workers  # noqa: E402

sys.path.insert(0, str(ROOT))  # ahead of bench/, whose search.py would hide the search app

STACK = ("bare", "client", "backend", "service", "view", "django", "gunicorn")  # each wraps the one before
LAYERS = (*STACK, "floor", "raw")
RATIO_GOAL = 1.2  # issue #16: KB over a bare Elasticsearch request with the same aggregations
SOCKET_WAITS = ("recv_into", "sendall", "recv", "send")
MEASURED_CODE = ("kb", "search", "practices", "home", "bench", ":!bench/results-*")  # results are not code


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=10_000, help="synthetic practices, when the database has none")
    parser.add_argument("--repeat", type=int, default=60, help="rounds of every layer per query")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4 threads each)")
    parser.add_argument("--suffix", default="", help="added to the results' file names, e.g. before")
    args = parser.parse_args()
    if not os.environ.get("ELASTICSEARCH_URL"):
        raise SystemExit("no Elasticsearch: run under scripts/with-elasticsearch.sh")
    tmp = Path(tempfile.mkdtemp(prefix="kb-es-overhead-"))
    env = harness.production_env(tmp)
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from search.models import SearchDocument

    prepared = SearchDocument._meta.db_table in connection.introspection.table_names()  # a new file has no tables
    if not prepared or not SearchDocument.objects.exists():
        from bench.measure import prepare

        harness.log(f"preparing {args.practices:,} synthetic practices")
        prepare(args.practices)
    else:
        from search.changelog import rebuild_engine

        harness.log("rebuilding the Elasticsearch indexes from the database index")
        rebuild_engine()
    harness.manage(ROOT, env, "collectstatic", "--noinput", "-v0")
    port, logfile = harness.free_port(), tmp / "gunicorn.log"
    server_args = argparse.Namespace(workers=args.workers, threads=4)
    server, _command = harness.start_server(ROOT, env, port, server_args, logfile, app="scale:application_with_probes()",
                                            extra=("--pythonpath", str(BENCH), "--keep-alive", "75"))
    try:
        harness.wait_until_serving(server, port, logfile, deadline_s=600)
        report = measure(args, RoundRobin(pin_workers(port, args.workers, args.timeout).values()))
    finally:
        harness.stop_server(server)
    report.update(commit=harness.git("rev-parse", "--short", "HEAD"),
                  dirty=bool(harness.git("status", "--porcelain", "--", *MEASURED_CODE)),
                  machine=harness.machine(), database=connection.vendor, workers=args.workers,
                  practices=SearchDocument.objects.filter(locale="fi").count())
    name = BENCH / f"results-es-overhead-{report['practices']}{'-' + args.suffix if args.suffix else ''}"
    name.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str) + "\n")  # with every sample
    name.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


class RoundRobin:
    """Kept-alive connections to every worker, one request each in turn."""

    def __init__(self, connections):
        self.connections, self.turn = list(connections), 0

    def get(self, path):
        self.turn += 1
        return self.connections[self.turn % len(self.connections)].get(path)


def measure(args, http) -> dict:
    from django.test import Client, RequestFactory

    from search.backends.elasticsearch import ElasticsearchBackend

    backend = ElasticsearchBackend.from_settings()
    client, factory = Client(HTTP_HOST=harness.HOST), RequestFactory(HTTP_HOST=harness.HOST)
    layers, rng = {}, random.Random(16)
    for key, _label, query_string in QUERIES:
        took, calls = layer_calls(key, query_string, backend, client, factory, http)
        for call in calls.values():  # warm-up: connections, caches, the lexicons
            call(), call()
        took.clear()
        times = {layer: [] for layer in LAYERS}
        load_before = harness.load_average()
        for _round in range(args.repeat):
            for layer in rng.sample(LAYERS, len(LAYERS)):
                call = calls[layer]
                started = time.perf_counter()
                call()
                times[layer].append((time.perf_counter() - started) * 1000)
        layers[key] = {"load": [load_before, harness.load_average()], "took": stats(took),
                       **{layer: stats(values) for layer, values in times.items()}}
    layers["all"] = {layer: stats([v for key, *_ in QUERIES for v in layers[key][layer]["_values"]])
                     for layer in ("took", *LAYERS)}
    return {"layers": layers, "profile": profile(client, args.repeat), "repeat": args.repeat}


def layer_calls(key, query_string, backend, client, factory, http):
    """(the list ``took`` values go to, {layer: a call that sends the query through it})."""
    from django.http import QueryDict

    from search import service, views
    from search.interpret import interpret, widen
    from search.query import parse_query, parse_request

    path = "/api/v1/search/?lang=fi&" + query_string
    request = parse_request(QueryDict("lang=fi&" + query_string), "fi", strict=True)
    interpreted, _recognised = interpret(request)  # as search.service.search does
    effective, _added = widen(interpreted)
    parsed = parse_query(interpreted.locale, interpreted.text, interpreted.operator)
    body, index = backend.search_body(effective, parsed), backend.alias(effective.locale)
    raw = BareElasticsearch(os.environ["ELASTICSEARCH_URL"], {key: {"index": index, "body": body}}, 60)
    took = []

    def bare():
        took.append(raw.send(key)[1])

    def over_http(target):
        sample = http.get(target)
        if not sample.ok:
            raise SystemExit(f"GET {target}: {sample.status or sample.error}")

    return took, {
        "bare": bare,
        "client": lambda: backend.client.search(index=index, body=body),
        "backend": lambda: backend.search(effective, parsed),
        "service": lambda: service.search(request),
        "view": lambda: views.search_api(factory.get(path)),
        "django": lambda: client.get(path),
        "gunicorn": lambda: over_http(path),
        "floor": lambda: over_http("/healthz"),
        "raw": lambda: over_http(RAW_PATH),
    }


def stats(values) -> dict:
    ordered = sorted(values)
    return {"p50": round(harness.percentile(ordered, 0.5), 2), "p95": round(harness.percentile(ordered, 0.95), 2),
            "_values": values}


def profile(client, repeat) -> dict:
    """The django layer under cProfile: per request, total and the functions with the most own time."""
    paths = ["/api/v1/search/?lang=fi&" + query for _key, _label, query in QUERIES]
    profiler = cProfile.Profile()
    profiler.enable()
    for _round in range(repeat):
        for path in paths:
            client.get(path)
    profiler.disable()
    requests = repeat * len(paths)
    entries = pstats.Stats(profiler).stats  # {(file, line, name): (calls, primitive, own, cumulative, callers)}
    waits = sum(own for (_f, _l, name), (_c, _p, own, _cum, _callers) in entries.items()
                if any(wait in name for wait in SOCKET_WAITS))
    total = sum(own for (_c, _p, own, _cum, _callers) in entries.values())
    top = sorted(((own, calls, f"{Path(file).name}:{line}({name})") for (file, line, name), (calls, _p, own, _cum, _cl)
                  in entries.items() if not any(wait in name for wait in SOCKET_WAITS)), reverse=True)[:20]
    return {"requests": requests, "ms_per_request": round(total / requests * 1000, 2),
            "socket_ms_per_request": round(waits / requests * 1000, 2),
            "top": [{"function": where, "calls_per_request": round(calls / requests, 1),
                     "own_ms_per_request": round(own / requests * 1000, 3)} for own, calls, where in top]}


def markdown(report) -> str:
    layers, labels = report["layers"], {key: label for key, label, _query in QUERIES}
    lines = [f"# KB over a bare Elasticsearch request, layer by layer ({report['practices']:,} Finnish practices)", "",
             f"Commit {report['commit']}{' with uncommitted changes' if report['dirty'] else ''}; "
             f"{report['machine']['nproc']} cores ({report['machine']['cpu']}), Python {report['machine']['python']}; "
             f"{report['database']} database, gunicorn with {report['workers']} workers × 4 threads, one Elasticsearch "
             "node on the same machine; written by "
             f"bench/es_overhead.py. {report['repeat']} rounds per query, every layer once per round, in a shuffled "
             "order; ms.", "",
             "| query | ES took | bare | client | backend | service | view | django | gunicorn | floor (/healthz) "
             "| raw (no Django) | gunicorn / bare | load avg |", "|---|" + "--:|" * 12 + "---|"]
    for key in [*labels, "all"]:
        row = layers[key]
        cells = [f"{row[layer]['p50']} / {row[layer]['p95']}" for layer in ("took", *LAYERS)]
        ratio = row["gunicorn"]["p95"] / row["bare"]["p95"]
        load = " → ".join(str(pair[0]) for pair in row["load"]) if "load" in row else ""
        lines.append(f"| {labels.get(key, 'all four')} | " + " | ".join(cells) + f" | {ratio:.2f}× | {load} |")
    every = layers["all"]
    step = {layer: round(every[layer]["p50"] - every[below]["p50"], 2)
            for below, layer in zip(STACK[:-1], STACK[1:], strict=True)}
    kb = every["gunicorn"]["p50"] - every["bare"]["p50"]
    lines += ["", "Each cell p50 / p95. What each layer adds at p50, all four queries "
              f"(KB through gunicorn − bare = {kb:.2f} ms):", "",
              "| layer | adds (ms, p50) | share of KB's addition |", "|---|--:|--:|"]
    lines += [f"| {layer} | {ms} | {ms / kb:.0%} |" for layer, ms in step.items()]
    ratio = every["gunicorn"]["p95"] / every["bare"]["p95"]
    floor, raw, bare = (every[layer]["p50"] for layer in ("floor", "raw", "bare"))
    lines += ["", f"KB through gunicorn over bare, p95, all four: {ratio:.2f}× (goal ≤ {RATIO_GOAL}×: "
              f"{'met' if ratio <= RATIO_GOAL else 'missed'}). The HTTP stack alone (/healthz through the same "
              f"gunicorn) costs {floor} ms at p50: gunicorn's own {raw} ms (a fixed answer that never reaches "
              f"Django), Django's handler and middleware {floor - raw:.2f} ms. A search that did nothing in KB "
              f"would still take bare + floor = {(bare + floor) / bare:.2f}× the bare request at p50 "
              f"(bare + raw = {(bare + raw) / bare:.2f}×).", ""]
    prof = report["profile"]
    lines += [f"Profile of the django layer (cProfile, {prof['requests']} requests): {prof['ms_per_request']} ms per "
              f"request under the profiler, {prof['socket_ms_per_request']} ms of it waiting on sockets "
              "(Elasticsearch, the database). The functions with the most time of their own, the waits left out:", "",
              "| function | calls per request | own ms per request |", "|---|--:|--:|"]
    lines += [f"| `{entry['function']}` | {entry['calls_per_request']} | {entry['own_ms_per_request']} |"
              for entry in prof["top"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
