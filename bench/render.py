"""In-process rendering benchmark of the public pages: SQL queries, latency and HTML size per page
type, warm and cold, on a large database; the working tree side by side with a baseline commit.

    .venv/bin/python bench/render.py [--database-url URL | --synthetic 10000] [--baseline 8be4d52]
        [--repeat 30] [--cold 10] [--name results-render]

One request at a time through Django's test client (no server, no network), production settings
(DEBUG off, random SECRET_KEY, static files collected into a temp dir, the local memory cache).
Per page type:
  warm     the same URL again and again after 3 unreported requests (p50/p95 of --repeat);
  publish  the first request after a publish (an editor republishes one practice before every
           sample: every cached page is invalidated; p50/p95 of --cold samples);
  process  the first request in a new Python process (one sample per page type, a process each).
The SQL queries of a request are counted with an execute wrapper (warm: the last warm request;
cold: the first after a publish). The database: --database-url (e.g. sqlite:////tmp/kb-10k/db.sqlite3
built once with `DATABASE_URL=… manage.py load_demo --synthetic 10000`; it is migrated by the working
tree first), otherwise a temp SQLite file built here (takes minutes). The baseline (default 8be4d52,
the commit before this benchmark existed) is a `git archive` export measured on the same database
(not migrated by it: the newer schema only adds to it); --baseline none skips it.

The Markdown table goes to stdout and bench/<name>.md, the numbers to bench/<name>.json, with the
machine, its load average, the git revision and a hash of the application's sources.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
import load as loadbench  # noqa: E402  (bench/load.py: machine, git, percentiles, exports)

BASELINE = "8be4d52"
GOAL_QUERIES, GOAL_P95_MS = 15, 50
PAGES = (
    "home fi", "home sv", "practice index", "region fi", "region fi page 2", "region sv",
    "practice fi", "highlights", "search facets", "search text", "API",
)

URLS = """
from highlights.models import HighlightsPage
from practices.models import PracticeIndexPage, PracticePage, RegionPage

def live(model, language):
    return model.objects.live().filter(locale__language_code=language)

region = live(RegionPage, "fi").filter(region__code="01").get()
region_sv = live(RegionPage, "sv").filter(region__code="01").get()
practices = list(live(PracticePage, "fi").filter(path__startswith=region.path).order_by("path")[:200])
urls = {
    "home fi": "/fi/", "home sv": "/sv/",
    "practice index": live(PracticeIndexPage, "fi").get().url,
    "region fi": region.url, "region fi page 2": region.url + "?page=2", "region sv": region_sv.url,
    "practice fi": practices[len(practices) // 2].url,
    "highlights": live(HighlightsPage, "fi").get().url,
    "search facets": "/fi/search/?theme=language&region=01",
    "search text": "/fi/search/?q=kielikahvila&region=01",
    "API": "/api/v1/search/?theme=employment&lang=fi",
}
"""


def log(message):
    print(f"[render {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Worker: runs inside the measured source tree -----------------------------------------------------

def worker(args):
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    scope = {}
    exec(URLS, scope)  # noqa: S102  (a fixed script of this file)
    urls = scope["urls"]
    client = Client(HTTP_HOST="127.0.0.1")
    if args.first:  # one page, the first request of this process
        print(json.dumps({"page": args.first, **request(client, connection, urls[args.first])}))
        return
    results = {}
    for page in PAGES:
        url = urls[page]
        for _ in range(3):
            request(client, connection, url)
        warm = [request(client, connection, url) for _ in range(args.repeat)]
        cold = []
        for _ in range(args.cold if args.publish else 0):
            publish_one()
            cold.append(request(client, connection, url))
        results[page] = {"url": url, "warm": summary(warm), "publish": summary(cold) if cold else None}
        log(f"{page}: {results[page]['warm']}")
    print(json.dumps(results))


def request(client, connection, url):
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
    return {"ms": elapsed, "queries": len(statements), "bytes": len(response.content),
            "cache": response.get("X-KB-Page-Cache")}


def summary(samples):
    ordered = sorted(sample["ms"] for sample in samples)
    return {"n": len(samples), "p50_ms": round(loadbench.percentile(ordered, 0.5), 1),
            "p95_ms": round(loadbench.percentile(ordered, 0.95), 1), "max_ms": round(ordered[-1], 1),
            "queries": samples[-1]["queries"], "queries_max": max(sample["queries"] for sample in samples),
            "bytes": samples[-1]["bytes"], "cache": sorted({str(sample["cache"]) for sample in samples})}


def publish_one():
    """An editor republishes one practice: every page cache entry becomes unreachable."""
    from django.core.exceptions import ValidationError

    from practices.models import PracticePage

    for page in PracticePage.objects.live().filter(locale__language_code="fi").order_by("path")[:500]:
        try:  # the publish validates the page: some demo pages would not pass
            page.full_clean()
        except ValidationError:
            continue
        page.save_revision().publish()  # as an editor's publish
        return
    raise RuntimeError("no practice page that validates among the first 500")


# --- Parent: prepares, runs the workers, reports ------------------------------------------------------

def run_worker(source, env, *args):
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    result = subprocess.run(command, cwd=source, env=env, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"worker in {source} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(label, source, env, args, publish):
    log(f"{label}: collectstatic")
    loadbench.manage(source, env, "collectstatic", "--noinput", "-v0")
    log(f"{label}: warm and after-publish samples")
    extra = ["--repeat", str(args.repeat), "--cold", str(args.cold)] + (["--publish"] if publish else [])
    results = run_worker(source, env, *extra)
    for page in PAGES:
        results[page]["process"] = run_worker(source, env, "--first", page)
    return results


def fmt(value, digits=0):
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown(report):
    info, runs = report["machine"], report["runs"]
    labels = list(runs)
    now, base = runs[labels[0]], runs.get(labels[1]) if len(labels) > 1 else None
    lines = [
        "## Rendering benchmark: public pages in-process, one request at a time",
        "",
        f"{report['date']}; code {report['code']['git_head'][:12]}"
        + (" + uncommitted changes" if report["code"]["dirty"] else "")
        + f", source hash {report['code']['fingerprint']}; baseline {report['baseline'] or 'none'}.",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}; 1/5/15-min load average "
        f"{'/'.join(map(str, report['load_average_before']))} before, "
        f"{'/'.join(map(str, report['load_average_after']))} after (other work shared the CPUs when above "
        f"{info['nproc']}: the latencies are pessimistic, the query counts are exact).",
        f"Database: {report['data']['database']} with {report['data']['practices']:,} live practices "
        f"({report['data']['fi_practices']:,} in Finnish). Settings: kb.settings.production, local memory cache.",
        f"warm: p50/p95 of {report['config']['repeat']} requests of the same URL; publish: the first request "
        f"after an editor's publish ({report['config']['cold']} samples; the page cache is invalidated); "
        "process: the first request in a new process. Goals: ≤ "
        f"{GOAL_QUERIES} queries and warm p95 ≤ {GOAL_P95_MS} ms.",
        "",
        "| page | queries | warm p50 ms | warm p95 ms | publish p50 ms | publish p95 ms | publish queries "
        "| process ms | KB HTML | goals |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]

    def pair(key, getter, digits=0):
        new = getter(now[key])
        if base is None:
            return fmt(new, digits)
        return f"{fmt(getter(base[key]), digits)} → **{fmt(new, digits)}**"

    for page in PAGES:
        row = now[page]
        publish = row["publish"] or {}
        met = max(row["warm"]["queries_max"], publish.get("queries_max", 0)) <= GOAL_QUERIES and \
            row["warm"]["p95_ms"] <= GOAL_P95_MS
        lines.append(
            f"| {page} | {pair(page, lambda r: r['warm']['queries'])} "
            f"| {pair(page, lambda r: r['warm']['p50_ms'], 1)} | {pair(page, lambda r: r['warm']['p95_ms'], 1)} "
            f"| {fmt(publish.get('p50_ms'), 1)} | {fmt(publish.get('p95_ms'), 1)} | {fmt(publish.get('queries_max'))} "
            f"| {pair(page, lambda r: r['process']['ms'])} | {pair(page, lambda r: r['warm']['bytes'] / 1024, 1)} "
            f"| {'met' if met else 'MISSED'} |")
    lines += ["", "Left of → the baseline, right of it the working tree. URLs: "
              + "; ".join(f"{page} `{now[page]['url']}`" for page in PAGES) + ".",
              f"Command: `{report['command']}`; run took {report['elapsed_s'] / 60:.1f} min."]
    return "\n".join(lines) + "\n"


DATA = """
import json
from django.db import connection
from practices.models import PracticePage
live = PracticePage.objects.live()
print(json.dumps({"database": connection.vendor, "practices": live.count(),
                  "fi_practices": live.filter(locale__language_code="fi").count()}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--synthetic", type=int, default=10000, help="without --database-url: practices to build")
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with, or none")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--cold", type=int, default=10)
    parser.add_argument("--name", default="results-render")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--first", help=argparse.SUPPRESS)
    parser.add_argument("--publish", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if not 1 <= args.repeat <= 1000 or not 0 <= args.cold <= 100:
        parser.error("--repeat 1..1000, --cold 0..100")

    started, load_before = time.perf_counter(), loadbench.load_average()
    tmp = Path(tempfile.mkdtemp(prefix="kb-render-"))
    env = {key: value for key, value in os.environ.items()
           if key not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CACHE_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="kb.settings.production", SECRET_KEY=secrets.token_urlsafe(64),
               ALLOWED_HOSTS="127.0.0.1", DEBUG="0", SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0",
               STATIC_ROOT=str(tmp / "static"), MEDIA_ROOT=str(tmp / "media"), PYTHONUNBUFFERED="1",
               DATABASE_URL=args.database_url or f"sqlite:///{tmp / 'render.sqlite3'}")
    code = {"git_head": loadbench.git("rev-parse", "HEAD"),
            "dirty": bool(loadbench.git("status", "--porcelain", "--", "kb", "search", "practices", "home",
                                        "highlights", "templates")),
            "fingerprint": loadbench.code_fingerprint(ROOT)}
    log("migrate" + ("" if args.database_url else f", load_demo --synthetic {args.synthetic} (minutes)"))
    loadbench.manage(ROOT, env, "migrate", "--noinput", "-v0")
    if not args.database_url:
        loadbench.manage(ROOT, env, "load_demo", "--synthetic", str(args.synthetic), "-v0")
    data = json.loads(loadbench.manage(ROOT, env, "shell", "-c", DATA, capture=True).strip().splitlines()[-1])

    runs = {"working tree": measure("working tree", ROOT, env, args, publish=True)}
    if args.baseline.lower() != "none":
        source = tmp / "baseline"
        full = loadbench.export_rev(args.baseline, source)
        loadbench.manage(source, env, "compilemessages", "-v0")
        # The baseline has no page cache: a publish changes nothing for it, so no publish samples
        # (and no writes by older code into a newer schema).
        runs[f"baseline {full[:12]}"] = measure("baseline", source, env, args, publish=False)
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": loadbench.machine(),
        "load_average_before": load_before, "load_average_after": loadbench.load_average(),
        "code": code, "baseline": args.baseline, "data": data,
        "config": {"repeat": args.repeat, "cold": args.cold, "goal_queries": GOAL_QUERIES, "goal_p95_ms": GOAL_P95_MS},
        "runs": runs, "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    text = markdown(report)
    (BENCH / f"{args.name}.md").write_text(text)
    (BENCH / f"{args.name}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(text)


if __name__ == "__main__":
    main()
