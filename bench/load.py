"""Load benchmarks through the real server (gunicorn, production settings), two scenarios:

--scenario capacity (the default): what the app serves. PostgreSQL from DATABASE_URL (run under
scripts/with-postgres.sh, or point it at a cluster of your own; prepared in place: migrate, load_demo,
synthetic practices up to --synthetic), Elasticsearch when ELASTICSEARCH_URL is set (e.g. also under
scripts/with-elasticsearch.sh; its own index prefix, deleted afterwards). A realistic mix of requests
(home, practice pages, region pages, search with 1–3 facets, search with text, the JSON API; fi and sv)
by 10, 50 and 100 users for 60 s each, every user thinking 1–5 s (uniform, like locust's default
users) between requests, then a closed-loop phase without think time (the saturation throughput).
An editor process republishes a practice every few seconds during every phase, so the page cache is
invalidated under load. Per phase: throughput, p50/p95/p99/max, errors, the CPU seconds of gunicorn
(master and workers, from /proc/<pid>/stat) and of the load generator, the load average; in
bench/results-load.md and .json:

    scripts/with-postgres.sh .venv/bin/python bench/load.py [--users 10,50,100] [--duration 60]
        [--think 1,5] [--saturation-users 20] [--publish-every 5] [--workers 3] [--threads 4] [--rev REV]

--scenario es-freeze: home page and practice pages under concurrent users, with Elasticsearch up,
frozen (SIGSTOP) and up again; bench/results-load-es-freeze.md and .json:

    scripts/with-elasticsearch.sh .venv/bin/python bench/load.py --scenario es-freeze [--duration 30] [--users 20]
        [--synthetic N] [--workers 3] [--threads 4] [--phases up,frozen,recovered] [--name results-load-es-freeze]
        [--rev GIT-REV]

Needs ELASTICSEARCH_URL and KB_ES_PIDFILE, which scripts/with-elasticsearch.sh exports (a private,
throwaway node whose process this script stops and continues). Steps:
  1. A database: DATABASE_URL if set (e.g. under scripts/with-postgres.sh; prepared in place with
     migrate + load_demo, which is idempotent), otherwise a temp SQLite file; `--synthetic N` adds
     N synthetic practices. The search index is built with `manage.py reindex` under a per-run
     ELASTICSEARCH_INDEX_PREFIX (its indexes are deleted afterwards). Static files are collected
     into a temp STATIC_ROOT and served by WhiteNoise; uploads go to a temp MEDIA_ROOT.
  2. The real server: gunicorn (requirements.txt) with kb.wsgi:application, gthread workers, on
     127.0.0.1 and a free port, production settings (random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1,
     DEBUG=0, no SSL redirect, no HSTS). ELASTICSEARCH_TIMEOUT / ELASTICSEARCH_COOLDOWN and the like
     pass through from the environment unchanged (the report lists them).
  3. A closed-loop load in Python threads: every user keeps one keep-alive connection
     (http.client, `--timeout` seconds per socket operation; a timeout or reset is an error, and the
     connection is opened again) and requests, without think time, the home page /fi/ and a
     practice page in turn (users start on alternate pages; the practice pages are a few live
     Finnish practices spread over the tree). After a warm-up (not reported), each phase runs for
     `--duration` seconds; requests under way at its end are waited for and belong to it.
       up         Elasticsearch answering
       frozen     Elasticsearch's process stopped with SIGSTOP for the whole phase (SIGCONT after it,
                  and in every exit path)
       recovered  after SIGCONT and the cluster answering its health check again
Per phase and page: requests, errors (non-200 or no response), throughput, p50/p95/p99/max of the
latency of every request (errors included, at the time they took), the ratio frozen/up of p95
(the goal: ≤ 2×), Elasticsearch searches counted by the node (`query_total`) and the server's
log lines naming Elasticsearch (its fallback warnings). The Markdown table goes to stdout and
bench/<name>.md, the numbers to bench/<name>.json.

--rev REV measures a `git archive` export of REV (in a temp dir, messages compiled there) instead
of the working tree, e.g. to compare two commits while the working tree holds other edits.
"""

import argparse
import hashlib
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
HOST = "127.0.0.1"
HOME = "/fi/"
GOAL_RATIO = 2.0
PHASES = {
    "up": "Elasticsearch up",
    "frozen": "Elasticsearch frozen (SIGSTOP)",
    "recovered": "Elasticsearch up again (after SIGCONT)",
}
PASSED_THROUGH = ("ELASTICSEARCH_TIMEOUT", "ELASTICSEARCH_COUNTS_TIMEOUT", "ELASTICSEARCH_COOLDOWN")


def log(message):
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Machine, code, percentiles --------------------------------------------------------------------

def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


def load_average():
    return [round(value, 2) for value in os.getloadavg()]


def git(*args):
    # GIT_OPTIONAL_LOCKS=0: never take the index lock (others work in this tree at the same time).
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    return result.stdout.strip() if result.returncode == 0 else ""


def code_fingerprint(source):
    """A hash of the application's Python sources, as bench/measure.py computes it."""
    digest = hashlib.sha256()
    for path in sorted(p for folder in ("kb", "search", "practices", "home") for p in (source / folder).rglob("*.py")):
        digest.update(str(path.relative_to(source)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def percentile(ordered, q):
    """Linear interpolation between closest ranks (numpy's default) over a sorted list."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- Elasticsearch ----------------------------------------------------------------------------------

class Elasticsearch:
    def __init__(self, url, pidfile):
        self.url, self.pidfile, self.frozen_pid = url.rstrip("/"), Path(pidfile), None

    def get(self, path, timeout=10):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
            return json.load(response)

    def pid(self):
        pid = int(self.pidfile.read_text().strip())
        os.kill(pid, 0)  # it exists and we may signal it
        return pid

    def version(self):
        # GET / is missing from the integration-test distribution; the nodes API has the version too.
        nodes = self.get("/_nodes/_local?filter_path=nodes.*.version").get("nodes", {})
        return next((node["version"] for node in nodes.values()), "?")

    def query_total(self, prefix):
        """Searches the node has run on this run's indexes (one shard each: one query per search)."""
        stats = self.get(f"/{prefix}_*/_stats/search?filter_path=_all.total.search.query_total")
        return stats.get("_all", {}).get("total", {}).get("search", {}).get("query_total", 0)

    def freeze(self):
        self.frozen_pid = self.pid()
        os.kill(self.frozen_pid, signal.SIGSTOP)

    def thaw(self):
        """SIGCONT the node we stopped (and, to be safe, the one the pid file names)."""
        pids = {self.frozen_pid}
        try:
            pids.add(int(self.pidfile.read_text().strip()))
        except (OSError, ValueError):
            pass
        for pid in pids - {None}:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.frozen_pid = None

    def wait_healthy(self, deadline_s=60):
        started = time.monotonic()
        while time.monotonic() - started < deadline_s:
            try:
                if self.get("/_cluster/health?wait_for_status=yellow&timeout=1s", timeout=3)["status"] in {
                        "yellow", "green"}:
                    return round(time.monotonic() - started, 2)
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"Elasticsearch at {self.url} not healthy {deadline_s} s after SIGCONT")

    def delete_indexes(self, prefix):
        try:
            names = list(self.get(f"/{prefix}_*/_alias", timeout=5))
            for name in names:
                request = urllib.request.Request(f"{self.url}/{name}", method="DELETE")
                urllib.request.urlopen(request, timeout=10).close()
        except OSError as error:
            log(f"could not delete the run's indexes ({prefix}_*): {error}")


# --- The load ---------------------------------------------------------------------------------------

class User(threading.Thread):
    """One closed-loop user: one keep-alive connection, the next request as soon as one is answered."""

    def __init__(self, index, plan, port, timeout, think, stop, samples):
        super().__init__(name=f"user-{index}", daemon=True)
        self.index, self.plan, self.port, self.timeout, self.think = index, plan, port, timeout, think
        self.stop, self.samples = stop, samples

    def run(self):
        connection, step = None, self.index
        while not self.stop.is_set():
            page, path = self.plan[step % len(self.plan)]
            step += 1
            started = time.perf_counter()
            status, error = None, None
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
                if connection is not None:
                    connection.close()
                connection = None
            finished = time.perf_counter()
            self.samples.append((page, started, finished - started, status, error))
            if self.think:
                self.stop.wait(self.think)
        if connection is not None:
            connection.close()


def plan_for(user, practice_urls):
    """A user's loop: home, practice page, home, another practice page, …; odd users start on a practice."""
    plan = []
    for url in practice_urls[user % len(practice_urls):] + practice_urls[:user % len(practice_urls)]:
        plan += [("home", HOME), ("practice", url)]
    return plan


def run_load(users, practice_urls, port, duration, timeout, think=0.0):
    """(samples, wall seconds, users still running after the grace period)."""
    stop, samples = threading.Event(), []
    threads = [User(index, plan_for(index, practice_urls), port, timeout, think, stop, samples) for index in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    try:
        stop.wait(duration)
    finally:
        stop.set()  # interrupted: return at once (the users are daemon threads), so ES is continued now
    grace = time.monotonic() + timeout + 10  # every request ends within its socket timeout
    for thread in threads:
        thread.join(max(0.0, grace - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    return [sample for sample in samples if sample[1] >= started], time.perf_counter() - started, stuck, started


def summarise(samples, wall, started, window):
    def stats(rows):
        latencies = sorted(row[2] * 1000 for row in rows)
        errors = [row for row in rows if row[3] != 200]
        kinds = {}
        for row in errors:
            kind = row[4] or f"HTTP {row[3]}"
            kinds[kind] = kinds.get(kind, 0) + 1
        return {
            "requests": len(rows), "errors": len(errors), "error_kinds": kinds,
            "throughput_rps": round(len(rows) / wall, 2) if wall else None,
            "p50_ms": percentile(latencies, 0.50), "p95_ms": percentile(latencies, 0.95),
            "p99_ms": percentile(latencies, 0.99), "max_ms": latencies[-1] if latencies else None,
        }

    pages = {"home": [s for s in samples if s[0] == "home"], "practice": [s for s in samples if s[0] == "practice"]}
    summary = {page: stats(rows) for page, rows in pages.items()} | {"all": stats(samples)}
    # How the phase went over time: requests finished per window and their p95, by page.
    timeline = []
    for start in range(0, max(1, math.ceil(wall / window))):
        low, high = started + start * window, started + (start + 1) * window
        row = {"from_s": start * window}
        for page, rows in pages.items():
            done = sorted(s[2] * 1000 for s in rows if low <= s[1] + s[2] < high)
            row[page] = {"requests": len(done), "p95_ms": percentile(done, 0.95)}
        timeline.append(row)
    return summary, timeline


# --- Preparing data and the server ------------------------------------------------------------------

def manage(source, env, *args, capture=False):
    command = [sys.executable, str(source / "manage.py"), *args]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=source, env=env, text=True,
                            stdout=subprocess.PIPE if capture else None)
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed (exit {result.returncode})")
    log(f"manage.py {args[0]}: {time.perf_counter() - started:.1f} s")
    return result.stdout


PICK_PAGES = """
import json
from django.db import connection
from practices.models import PracticePage
pages = list(PracticePage.objects.live().filter(locale__language_code="fi").order_by("path"))
count = {count}
step = max(1, len(pages) // count)
version = (connection.cursor().connection.info.server_version if connection.vendor == "postgresql"
           else connection.Database.sqlite_version)
print(json.dumps({{
    "urls": [page.get_url() for page in pages[::step][:count]],
    "fi_practices": len(pages),
    "all_practices": PracticePage.objects.live().count(),
    "database": connection.vendor, "database_version": str(version),
}}))
"""


def export_rev(rev, target):
    """`git archive` of rev into target, with its messages compiled; returns the full hash."""
    full = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    if not full:
        raise RuntimeError(f"unknown git revision {rev!r}")
    target.mkdir()
    archive = subprocess.Popen(["git", "archive", "--format=tar", full], cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
    if archive.wait():
        raise RuntimeError(f"git archive {rev} failed")
    return full


def measured_source(args, tmp):
    """The tree to measure: the working tree, or a `git archive` of --rev in tmp. Returns (path, hash)."""
    if not args.rev:
        return ROOT, None
    source = tmp / "src"
    full = export_rev(args.rev, source)
    log(f"measuring {args.rev} = {full[:12]} (git archive in {source})")
    return source, full


def production_env(tmp) -> dict:
    """The server's environment: this one without its Django settings, plus the production settings on
    loopback (random SECRET_KEY, no SSL redirect or HSTS) with static files and uploads in tmp."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    env.update(DJANGO_SETTINGS_MODULE="kb.settings.production", SECRET_KEY=secrets.token_urlsafe(64),
               ALLOWED_HOSTS=HOST, DEBUG="0", SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0",
               STATIC_ROOT=str(tmp / "static"), MEDIA_ROOT=str(tmp / "media"), PYTHONUNBUFFERED="1")
    return env


def code_identity(args, source, full, paths) -> dict:
    """Which code was measured, for the report: its commit, whether ``paths`` had uncommitted edits."""
    return {"git_head": full if args.rev else git("rev-parse", "HEAD"), "rev": args.rev,
            "dirty": not args.rev and bool(git("status", "--porcelain", "--", *paths)),
            "fingerprint": code_fingerprint(source)}


def start_server(source, env, port, args, logfile, app="kb.wsgi:application", extra=()):
    """gunicorn serving ``app`` (bench/scale.py passes its own wrapper of KB's application and
    ``extra`` options, e.g. a longer keep-alive)."""
    command = [
        str(Path(sys.executable).parent / "gunicorn"), app,
        "--bind", f"{HOST}:{port}", "--workers", str(args.workers), "--threads", str(args.threads),
        "--worker-class", "gthread", "--timeout", "120", "--graceful-timeout", "5",
        "--log-level", "warning", *extra,
    ]
    # gunicorn's log and the application's (Django logs to stderr) go to one file; a session of its
    # own, so that the whole process group is signalled at the end.
    with open(logfile, "ab") as log_handle:
        process = subprocess.Popen(command, cwd=source, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log_handle, stderr=log_handle, start_new_session=True)
    return process, command


def wait_until_serving(process, port, logfile, deadline_s=120):
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{tail(logfile)}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            connection.request("GET", HOME)
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status == 200:
                return round(time.monotonic() - started, 1)
            raise RuntimeError(f"GET {HOME}: HTTP {response.status}:\n{tail(logfile)}")
        except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected):
            time.sleep(0.3)
        except TimeoutError:  # a worker still starting on a busy machine (first page: lexicons, caches)
            continue
    raise RuntimeError(f"gunicorn did not answer within {deadline_s} s:\n{tail(logfile)}")


def stop_server(process):
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
    except ProcessLookupError:
        pass


def tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def log_lines_since(path, offset, keep=10):
    """({"elasticsearch": lines naming it, "all": lines, "first": the first few naming it}) written to the
    server's log since offset, new offset)."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode(errors="replace").splitlines()
        named = [line[:300] for line in lines if "elasticsearch" in line.lower()]
        return {"elasticsearch": len(named), "all": len(lines), "first": named[:keep]}, handle.tell()


def check_pages(port, urls, timeout):
    for url in urls:
        connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        connection.request("GET", url)
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"GET {url}: HTTP {response.status}")


# --- Report -------------------------------------------------------------------------------------------

def fmt(value, digits=0):
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown(report):
    config, info, data = report["config"], report["machine"], report["data"]
    lines = [
        "## Load benchmark: home page and practice pages with Elasticsearch up and frozen",
        "",
        f"{report['date']}; code {report['code']['git_head'][:12]}"
        + (f" (--rev {report['code']['rev']})" if report["code"]["rev"] else
           (" + uncommitted changes in kb/ search/ practices/ home/" if report["code"]["dirty"] else ""))
        + f", source hash {report['code']['fingerprint']}"
        + (" — SOURCES EDITED DURING THE RUN" if report["code"]["changed_during_run"] else "") + ".",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, {info['platform']}; "
        f"1/5/15-min load average {'/'.join(map(str, report['load_average_before']))} before the run, "
        f"{'/'.join(map(str, report['load_average_after']))} after "
        "(above the CPU count, other work shared the CPUs and the figures are pessimistic).",
        f"Server: gunicorn {config['gunicorn_version']}, {config['workers']} workers × {config['threads']} threads "
        f"(gthread) on 127.0.0.1, kb.settings.production, static files by WhiteNoise; "
        f"Elasticsearch {report['elasticsearch_version']} (private node, same machine); "
        f"{data['database']} {data['database_version']}; {data['fi_practices']:,} live Finnish practices "
        f"({data['all_practices']:,} in all languages; demo content"
        + (f" + {config['synthetic']:,} synthetic" if config["synthetic"] else "") + ").",
        "Settings passed through: "
        + ", ".join(f"{name}={value if value is not None else '(default)'}"
                    for name, value in config["passed_through"].items()) + ".",
        f"Load: {config['users']} concurrent users, closed loop "
        + (f"with {config['think_s']:g} s think time" if config["think_s"] else "without think time")
        + ", one keep-alive connection "
        f"each, alternating the home page {HOME} and one of {len(data['practice_urls'])} practice pages; "
        f"{config['warmup']} s warm-up (not reported), then {config['duration']} s per phase; "
        f"client timeout {config['timeout']} s per socket operation. Latency over every request, errors included.",
        "",
        "| phase | page | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for phase in report["phases"]:
        for page in ("home", "practice", "all"):
            row = phase["pages"][page]
            errors = str(row["errors"]) + (f" ({', '.join(f'{k} {v}' for k, v in row['error_kinds'].items())})"
                                           if row["errors"] else "")
            lines.append(f"| {phase['name']} | {page} | {row['requests']:,} | {errors} | {fmt(row['throughput_rps'], 1)} "
                         f"| {fmt(row['p50_ms'])} | {fmt(row['p95_ms'])} | {fmt(row['p99_ms'])} | {fmt(row['max_ms'])} |")
    lines += ["", "| page | p95 up ms | p95 frozen ms | p95 frozen / up | goal ≤ 2× | p50 frozen / up "
              "| req/s frozen / up | p95 recovered ms | p95 recovered / up |",
              "|---|--:|--:|--:|---|--:|--:|--:|--:|"]
    for page, ratio in report["ratios"].items():
        lines.append(f"| {page} | {fmt(ratio['p95_up_ms'])} | {fmt(ratio['p95_frozen_ms'])} "
                     f"| {fmt(ratio['frozen_over_up'], 1)}× | {'met' if ratio['goal_met'] else 'MISSED'} "
                     f"| {fmt(ratio['p50_frozen_over_up'], 1)}× | {fmt(ratio['throughput_frozen_over_up'], 2)}× "
                     f"| {fmt(ratio['p95_recovered_ms'])} | {fmt(ratio['recovered_over_up'], 1)}× |")
    lines += ["", "With no think time the users keep the server busy in every phase, so latency is mostly queueing "
              "(mean latency ≈ users / throughput): read the p95 ratio next to the throughput ratio."]
    for phase in report["phases"]:
        share = phase["es_searches_per_home_request"]
        if phase["name"] != "frozen" and share is not None and share < 0.9:
            lines.append(f"**Note:** in phase {phase['name']} only {share:.0%} of the home page's searches reached "
                         "Elasticsearch (the others were answered from the database, e.g. while a circuit breaker was "
                         f"open): that phase is not a pure \"{phase['label']}\" baseline.")
    lines += ["", "Per phase:", ""]
    for phase in report["phases"]:
        window = report["config"]["window"]
        lines.append(
            f"- **{phase['name']}** — {phase['label']}: {phase['wall_s']} s including the requests under way at "
            f"the end; load average {phase['load_average_before'][0]} → {phase['load_average_after'][0]}; "
            f"Elasticsearch searches run by the node: {phase['es_searches']} "
            f"({fmt(phase['es_searches_per_home_request'], 2)} per home page request"
            + ("; counted after SIGCONT, so requests queued while frozen may count)" if phase["name"] == "frozen"
               else ")")
            + f"; server log: {phase['server_log_lines']['elasticsearch']} lines naming Elasticsearch "
            f"(its fallback warnings), {phase['server_log_lines']['all']} in all"
            + (f"; {phase['stuck_users']} users still waiting after the grace period" if phase["stuck_users"] else "")
            + (f"; cluster healthy {phase['es_recovery_s']} s after SIGCONT" if "es_recovery_s" in phase else "")
            + ".")
        lines.append(f"  home p95 ms per {window} s: "
                     + " ".join(fmt(row["home"]["p95_ms"]) for row in phase["timeline"])
                     + "; practice p95 ms: " + " ".join(fmt(row["practice"]["p95_ms"]) for row in phase["timeline"]))
    lines += ["", f"Practice pages: {', '.join(data['practice_urls'])}.",
              f"Command: `{report['command']}`; run took {report['elapsed_s'] / 60:.1f} min "
              f"(data prepared in {report['prepare_s']} s)."]
    return "\n".join(lines) + "\n"


# --- Main ---------------------------------------------------------------------------------------------

def main_es_freeze(argv):
    parser = argparse.ArgumentParser(prog="bench/load.py --scenario es-freeze", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds per phase (default 30)")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of unreported load first (default 10)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--timeout", type=float, default=60, help="client timeout per socket operation, s")
    parser.add_argument("--think", type=float, default=0, help="seconds a user waits between requests (default 0)")
    parser.add_argument("--synthetic", type=int, default=0, help="also load N synthetic practices")
    parser.add_argument("--practice-pages", type=int, default=5, help="distinct practice pages (default 5)")
    parser.add_argument("--phases", default="up,frozen,recovered",
                        help="comma-separated, in order, from: up, frozen, recovered (default: all three)")
    parser.add_argument("--name", default="results-load-es-freeze", help="output bench/<name>.md and .json")
    parser.add_argument("--rev", help="measure a git archive of this revision instead of the working tree")
    args = parser.parse_args(argv)
    phases = [name.strip() for name in args.phases.split(",") if name.strip()]
    if not phases or set(phases) - set(PHASES):
        parser.error(f"--phases takes {', '.join(PHASES)}")
    if not 1 <= args.users <= 200 or not 1 <= args.duration <= 600 or args.timeout <= 0:
        parser.error("--users 1..200, --duration 1..600 s, --timeout > 0")
    if not re.fullmatch(r"[\w.-]+", args.name):
        parser.error("--name: letters, digits, dots, dashes")
    es_url, pidfile = os.environ.get("ELASTICSEARCH_URL", ""), os.environ.get("KB_ES_PIDFILE", "")
    if not es_url or not pidfile:
        sys.exit("bench/load.py needs ELASTICSEARCH_URL and KB_ES_PIDFILE: run it under scripts/with-elasticsearch.sh")

    # Every exit path below runs the finally (SIGTERM/SIGHUP too); only SIGKILL skips it.
    def terminate(signum, _frame):
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, terminate)

    es = Elasticsearch(es_url, pidfile)
    es.pid()
    prefix = f"kbload{os.getpid()}{secrets.token_hex(3)}"
    run_started, load_before = time.perf_counter(), load_average()
    tmp = Path(tempfile.mkdtemp(prefix="kb-load-"))
    server, report = None, None
    try:
        source, full = measured_source(args, tmp)
        env = production_env(tmp)
        env["ELASTICSEARCH_INDEX_PREFIX"] = prefix
        env.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'load.sqlite3'}")
        database_label = "DATABASE_URL" if "DATABASE_URL" in os.environ else "a temp SQLite file"
        code = code_identity(args, source, full, ("kb", "search", "practices", "home"))

        log(f"preparing {database_label}: migrate, load_demo"
            + (f" --synthetic {args.synthetic}" if args.synthetic else "") + ", reindex, collectstatic")
        prepare_started = time.perf_counter()
        if args.rev:
            manage(source, env, "compilemessages", "-v0")
        manage(source, env, "migrate", "--noinput", "-v0")
        manage(source, env, "load_demo", "-v0")
        if args.synthetic:
            manage(source, env, "load_demo", "--synthetic", str(args.synthetic), "-v0")
        manage(source, env, "reindex", "-v0")
        manage(source, env, "collectstatic", "--noinput", "-v0")
        data = json.loads(manage(source, env, "shell", "-c", PICK_PAGES.format(count=args.practice_pages),
                                 capture=True).strip().splitlines()[-1])
        data["practice_urls"] = [urllib.parse.urlsplit(url).path for url in data.pop("urls")]
        prepare_s = round(time.perf_counter() - prepare_started, 1)
        if not data["practice_urls"]:
            raise RuntimeError("no live Finnish practice pages in the database")

        port, logfile = free_port(), tmp / "gunicorn.log"
        server, command = start_server(source, env, port, args, logfile)
        up_s = wait_until_serving(server, port, logfile)
        check_pages(port, data["practice_urls"], args.timeout)
        gunicorn_version = subprocess.run([command[0], "--version"], capture_output=True, text=True).stdout.split()
        log(f"gunicorn serving on {HOST}:{port} after {up_s} s; warm-up {args.warmup} s with {args.users} users")
        if args.warmup:
            run_load(args.users, data["practice_urls"], port, args.warmup, args.timeout, args.think)

        es_version = es.version()
        window = max(1, round(args.duration / 10))
        warmup_log, offset = log_lines_since(logfile, 0)
        results = []
        for name in phases:
            if name == "frozen" and not es.pid():
                raise RuntimeError("no Elasticsearch process to freeze")
            searches_before, load_phase = es.query_total(prefix), load_average()
            phase = {"name": name, "label": PHASES[name], "load_average_before": load_phase}
            log(f"phase {name}: {PHASES[name]}, {args.duration} s")
            if name == "frozen":
                es.freeze()
            try:
                samples, wall, stuck, started = run_load(args.users, data["practice_urls"], port, args.duration,
                                                         args.timeout, args.think)
            finally:
                if name == "frozen":
                    es.thaw()
            if name == "frozen":
                phase["es_recovery_s"] = es.wait_healthy()
            phase["load_average_after"] = load_average()
            phase["es_searches"] = es.query_total(prefix) - searches_before
            phase["server_log_lines"], offset = log_lines_since(logfile, offset)
            phase["pages"], phase["timeline"] = summarise(samples, wall, started, window)
            phase.update(wall_s=round(wall, 1), stuck_users=stuck)
            # The home page runs one search (one Elasticsearch query: one shard per index); practice pages none.
            home_requests = phase["pages"]["home"]["requests"]
            phase["es_searches_per_home_request"] = round(phase["es_searches"] / home_requests, 2) if home_requests else None
            results.append(phase)
            home, practice = phase["pages"]["home"], phase["pages"]["practice"]
            log(f"  home p95 {fmt(home['p95_ms'])} ms ({home['requests']} req, {home['errors']} errors); "
                f"practice p95 {fmt(practice['p95_ms'])} ms ({practice['requests']} req, {practice['errors']} errors)")

        by_name = {phase["name"]: phase for phase in results}
        ratios = {}
        def figure(phase, page, key):
            return by_name.get(phase, {}).get("pages", {}).get(page, {}).get(key)

        def over(numerator, denominator):
            return numerator / denominator if numerator is not None and denominator else None

        for page in ("home", "practice"):
            up, frozen, recovered = (figure(phase, page, "p95_ms") for phase in PHASES)
            ratio = over(frozen, up)
            ratios[page] = {
                "p95_up_ms": up, "p95_frozen_ms": frozen, "p95_recovered_ms": recovered,
                "frozen_over_up": ratio, "goal_met": ratio is not None and ratio <= GOAL_RATIO,
                "recovered_over_up": over(recovered, up),
                "p50_frozen_over_up": over(figure("frozen", page, "p50_ms"), figure("up", page, "p50_ms")),
                "throughput_frozen_over_up": over(figure("frozen", page, "throughput_rps"),
                                                  figure("up", page, "throughput_rps")),
            }
        code["changed_during_run"] = not args.rev and code_fingerprint(source) != code["fingerprint"]
        report = {
            "date": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
            "command": " ".join(["bench/load.py", *sys.argv[1:]]),
            "machine": machine(), "load_average_before": load_before, "load_average_after": load_average(),
            "code": code, "elasticsearch_version": es_version,
            "config": {
                "users": args.users, "think_s": args.think, "duration": args.duration, "warmup": args.warmup, "timeout": args.timeout,
                "window": window, "workers": args.workers, "threads": args.threads, "worker_class": "gthread",
                "gunicorn_version": gunicorn_version[-1].strip("()") if gunicorn_version else "?",
                "gunicorn_command": " ".join(command[1:]), "synthetic": args.synthetic,
                "passed_through": {name: os.environ.get(name) for name in PASSED_THROUGH},
                "database_from": database_label,
            },
            "data": data, "prepare_s": prepare_s, "warmup_server_log_lines": warmup_log, "phases": results, "ratios": ratios,
            "goal": f"p95 frozen / p95 up <= {GOAL_RATIO} for home and practice",
            "goal_met": all(ratio["goal_met"] for ratio in ratios.values()),
        }
    finally:
        es.thaw()  # harmless when the node was never stopped
        stop_server(server)
        es.delete_indexes(prefix)
        shutil.rmtree(tmp, ignore_errors=True)

    report["elapsed_s"] = round(time.perf_counter() - run_started, 1)
    table = markdown(report)
    print(table)
    (BENCH / f"{args.name}.md").write_text(table)
    (BENCH / f"{args.name}.json").write_text(json.dumps(report, indent=1))
    log(f"wrote bench/{args.name}.md and .json in {report['elapsed_s'] / 60:.1f} min; "
        f"goal (p95 frozen ≤ {GOAL_RATIO:g}× up): {'met' if report['goal_met'] else 'MISSED'}")


# --- Scenario "capacity": what the app serves, a realistic mix under 10 / 50 / 100 users -----------------

CAPACITY_MIX = (  # (kind, weight): what a visitor asks for next
    ("home", 15), ("practice", 30), ("region", 10), ("search-facets", 20), ("search-text", 10), ("api", 15),
)
SEARCH_WORDS = ("kieli", "työ", "nuoret", "perhe", "kotoutuminen", "opiskelu", "terveys", "mentorointi",
                "neuvonta", "vapaaehtoinen", "språk", "arbete", "language")
CAPACITY_DATA = """
import json
from django.db import connection
from practices.models import PracticePage, RegionPage, Region, Theme, TargetGroup
live = PracticePage.objects.live()
fi = list(live.filter(locale__language_code="fi").order_by("path").values_list("url_path", flat=True))
step = max(1, len(fi) // {count})
region_pages = RegionPage.objects.live().filter(locale__language_code__in=["fi", "sv"])
version = (connection.cursor().connection.info.server_version if connection.vendor == "postgresql"
           else connection.Database.sqlite_version)
print(json.dumps({{
    "practices": [page.url for page in live.filter(locale__language_code__in=["fi", "sv"]).order_by("path")[::step][:{count}]],
    "regions": [page.url for page in region_pages],
    "facets": {{"region": list(Region.objects.values_list("code", flat=True)),
                "theme": list(Theme.objects.values_list("code", flat=True)),
                "target_group": list(TargetGroup.objects.values_list("code", flat=True))}},
    "fi_practices": len(fi), "all_practices": live.count(),
    "database": connection.vendor, "database_version": str(version),
}}))
"""
EDITOR = """
import os, sys, time
from django.core.exceptions import ValidationError
from practices.models import PracticePage
pages = []
for page in PracticePage.objects.live().filter(locale__language_code="fi").order_by("path")[:500]:
    try:  # the publish validates the page: some demo pages would not pass
        page.full_clean()
    except ValidationError:
        continue
    pages.append(page)
    if len(pages) == 20:
        break
titles = {{page.pk: page.title for page in pages}}


def publish(done, word=""):
    started = time.monotonic()
    page = PracticePage.objects.get(pk=pages[done % len(pages)].pk)
    if word:  # a word no other practice has: a search for it tells when this publish is searchable
        page.title = f"{{titles[page.pk]}} {{word}}"
    page.save_revision().publish()  # as an editor's publish
    print(f"published {{done + 1}} {{(time.monotonic() - started) * 1000:.0f}} {{page.pk}} {{word}}".rstrip(),
          flush=True)


if os.environ["KB_EDITOR_EVERY"] == "stdin":  # one publish per line read (bench/scale.py): the line is the word
    for done, line in enumerate(sys.stdin):
        publish(done, line.strip())
else:
    every, done = float(os.environ["KB_EDITOR_EVERY"]), 0
    until = time.monotonic() + float(os.environ["KB_EDITOR_SECONDS"])
    while time.monotonic() < until:
        started = time.monotonic()
        publish(done)
        done += 1
        time.sleep(max(0.0, every - (time.monotonic() - started)))
"""


def capacity_request(rng, data):
    """(kind, path) of a visitor's next request, drawn from the mix."""
    kind = rng.choices([kind for kind, _w in CAPACITY_MIX], [weight for _k, weight in CAPACITY_MIX])[0]
    language = rng.choice(("fi", "fi", "fi", "sv"))
    if kind == "home":
        return kind, f"/{language}/"
    if kind == "practice":
        return kind, urllib.parse.urlsplit(rng.choice(data["practices"])).path
    if kind == "region":
        page = rng.choice((1, 1, 1, 2, 3))
        return kind, urllib.parse.urlsplit(rng.choice(data["regions"])).path + (f"?page={page}" if page > 1 else "")
    facets = rng.sample(sorted(data["facets"]), rng.randint(1, 3))
    query = {name: rng.choice(data["facets"][name]) for name in facets}
    if kind == "search-text":
        query = {"q": rng.choice(SEARCH_WORDS), **dict(list(query.items())[:1])}
    if kind == "api":
        return kind, "/api/v1/search/?" + urllib.parse.urlencode({**query, "lang": language})
    return kind, f"/{language}/search/?" + urllib.parse.urlencode(query)


class Visitor(threading.Thread):
    """One user with its own keep-alive connection: a request from the mix, then think time drawn
    uniformly from [think_min, think_max] (0, 0: closed loop, the next request at once)."""

    def __init__(self, index, data, port, timeout, think, stop, samples, seed):
        super().__init__(name=f"visitor-{index}", daemon=True)
        self.data, self.port, self.timeout, self.think, self.stop, self.samples = data, port, timeout, think, stop, samples
        self.rng = __import__("random").Random(seed * 1000 + index)
        self.reconnects = 0

    def run(self):
        connection = None
        # Users arrive spread over the first think period, not all in the same millisecond.
        self.stop.wait(self.rng.uniform(0, self.think[1]))
        while not self.stop.is_set():
            kind, path = capacity_request(self.rng, self.data)
            started = time.perf_counter()
            status, error = None, None
            for attempt in (1, 2):
                reused = connection is not None
                try:
                    if connection is None:
                        connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                    connection.request("GET", path)
                    response = connection.getresponse()
                    response.read()
                    status, error = response.status, None
                    if response.will_close:
                        connection.close()
                        connection = None
                    break
                except (OSError, http.client.HTTPException) as exc:
                    error = type(exc).__name__
                    if connection is not None:
                        connection.close()
                    connection = None
                    # The server closed an idle keep-alive connection while the user was thinking
                    # (gunicorn's keepalive is a few seconds): a browser opens a new one and asks again.
                    stale = isinstance(exc, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError))
                    if not (reused and stale and attempt == 1):
                        break
                    self.reconnects += 1
            self.samples.append((kind, started, time.perf_counter() - started, status, error, path))
            if self.think[1]:
                self.stop.wait(self.rng.uniform(*self.think))
        if connection is not None:
            connection.close()


def cpu_seconds(pid):
    """user + system CPU seconds of a process and its children (gunicorn: master and workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pids = 0.0, {pid}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:  # ppid
                pids.add(int(entry.name))
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def own_cpu_seconds():
    times = os.times()
    return times.user + times.system


def capacity_phase(name, users, think, duration, args, data, port, server):
    stop, samples = threading.Event(), []
    visitors = [Visitor(index, data, port, args.timeout, think, stop, samples, args.seed) for index in range(users)]
    load_before, app_before, generator_before = load_average(), cpu_seconds(server.pid), own_cpu_seconds()
    started = time.perf_counter()
    for visitor in visitors:
        visitor.start()
    try:
        stop.wait(duration)
    finally:
        stop.set()
    grace = time.monotonic() + args.timeout + 10
    for visitor in visitors:
        visitor.join(max(0.0, grace - time.monotonic()))
    wall = time.perf_counter() - started
    rows = [row for row in samples if row[1] >= started]

    def stats(selected):
        latencies = sorted(row[2] * 1000 for row in selected)
        errors = [row for row in selected if row[3] != 200]
        kinds = {}
        for row in errors:
            kinds[row[4] or f"HTTP {row[3]}"] = kinds.get(row[4] or f"HTTP {row[3]}", 0) + 1
        return {"requests": len(selected), "errors": len(errors), "error_kinds": kinds,
                "error_examples": sorted({row[5] for row in errors})[:5],
                "throughput_rps": round(len(selected) / wall, 2) if wall else None,
                "p50_ms": percentile(latencies, 0.50), "p95_ms": percentile(latencies, 0.95),
                "p99_ms": percentile(latencies, 0.99), "max_ms": latencies[-1] if latencies else None}

    kinds = [kind for kind, _weight in CAPACITY_MIX]
    return {
        "name": name, "users": users, "think_s": list(think), "duration_s": duration, "wall_s": round(wall, 1),
        "load_average_before": load_before, "load_average_after": load_average(),
        "app_cpu_s": round(cpu_seconds(server.pid) - app_before, 1),
        "generator_cpu_s": round(own_cpu_seconds() - generator_before, 1),
        "stuck_users": sum(visitor.is_alive() for visitor in visitors),
        "reconnects": sum(visitor.reconnects for visitor in visitors),
        "pages": {kind: stats([row for row in rows if row[0] == kind]) for kind in kinds} | {"all": stats(rows)},
    }


def capacity_markdown(report):
    config, info, data = report["config"], report["machine"], report["data"]
    code = report["code"]
    lines = [
        "## Load benchmark: capacity of the app (realistic mix, 10 / 50 / 100 users, editor publishing)",
        "",
        f"{report['date']}; code {code['git_head'][:12]}"
        + (f" (--rev {code['rev']})" if code["rev"] else (" + uncommitted changes" if code["dirty"] else ""))
        + f", source hash {code['fingerprint']}.",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, {info['platform']}; 1/5/15-min "
        f"load average {'/'.join(map(str, report['load_average_before']))} before the run, "
        f"{'/'.join(map(str, report['load_average_after']))} after (above {info['nproc']}, other work shared "
        "the CPUs: the figures are pessimistic; the app's and the load generator's own CPU seconds are listed).",
        f"Server: gunicorn {config['gunicorn_version']}, {config['workers']} workers × {config['threads']} threads "
        f"(gthread) on 127.0.0.1, kb.settings.production, {config['cache']}, static files by WhiteNoise; "
        f"{data['database']} {data['database_version']}; search: {config['search']}; "
        f"{data['fi_practices']:,} live Finnish practices ({data['all_practices']:,} in all languages).",
        f"Mix per request: {', '.join(f'{kind} {weight}%' for kind, weight in CAPACITY_MIX)} (home and search "
        "in fi 3/4, sv 1/4; search with 1–3 facets of region/theme/target group; text search with a word and "
        f"a facet; practice pages: {len(data['practices'])} fi/sv pages over the tree; region pages 1–3). "
        f"Each user keeps a keep-alive connection and thinks {config['think'][0]:g}–{config['think'][1]:g} s "
        "(uniform, as locust's default users) between requests; when the server has closed an idle keep-alive "
        "connection meanwhile, the user opens a new one and asks again, as a browser does (counted as "
        "reconnects, not errors). An editor process republishes a practice every "
        f"{config['publish_every']:g} s during every phase (every publish invalidates the page cache). "
        f"{config['warmup']:g} s warm-up, not reported; client timeout {config['timeout']:g} s.",
        "",
        "| phase | users | think s | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms | app CPU s "
        "| generator CPU s | load avg | publishes | reconnects |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|",
    ]
    for phase in report["phases"]:
        row = phase["pages"]["all"]
        lines.append(
            f"| {phase['name']} | {phase['users']} | {phase['think_s'][0]:g}–{phase['think_s'][1]:g} | {row['requests']:,} "
            f"| {row['errors']} | {fmt(row['throughput_rps'], 1)} | {fmt(row['p50_ms'])} | {fmt(row['p95_ms'])} "
            f"| {fmt(row['p99_ms'])} | {fmt(row['max_ms'])} | {phase['app_cpu_s']} | {phase['generator_cpu_s']} "
            f"| {phase['load_average_before'][0]} → {phase['load_average_after'][0]} | {phase['publishes']} "
            f"| {phase['reconnects']} |")
    lines += ["", "Per page kind, p95 ms (requests):", "",
              "| phase | " + " | ".join(kind for kind, _w in CAPACITY_MIX) + " |",
              "|---|" + "--:|" * len(CAPACITY_MIX)]
    for phase in report["phases"]:
        lines.append(f"| {phase['name']} | " + " | ".join(
            f"{fmt(phase['pages'][kind]['p95_ms'])} ({phase['pages'][kind]['requests']})" for kind, _w in CAPACITY_MIX) + " |")
    goals = report["goals"]
    lines += ["", f"Goals: 0 errors at 100 users — {'met' if goals['no_errors_at_100'] else 'MISSED'}; "
              f"p95 ≤ 250 ms at 50 users — {'met' if goals['p95_at_50'] else 'MISSED'}.",
              "Errors: " + ("; ".join(f"{phase['name']}: {phase['pages']['all']['error_kinds']} e.g. "
                                      f"{phase['pages']['all']['error_examples']}"
                                      for phase in report["phases"] if phase["pages"]["all"]["errors"]) or "none") + ".",
              f"Command: `{report['command']}`; run took {report['elapsed_s'] / 60:.1f} min (data prepared in "
              f"{report['prepare_s']} s)."]
    return "\n".join(lines) + "\n"


def main_capacity(argv):
    parser = argparse.ArgumentParser(prog="bench/load.py [--scenario capacity]", description=(
        "Capacity: gunicorn with production settings on PostgreSQL (DATABASE_URL, e.g. under "
        "scripts/with-postgres.sh; Elasticsearch when ELASTICSEARCH_URL is set, e.g. under "
        "scripts/with-elasticsearch.sh), a realistic mix of pages, an editor publishing meanwhile."))
    parser.add_argument("--users", default="10,50,100", help="comma-separated users per phase (default 10,50,100)")
    parser.add_argument("--duration", type=float, default=60, help="seconds per phase (default 60)")
    parser.add_argument("--think", default="1,5", help="think time range in s, uniform (default 1,5)")
    parser.add_argument("--saturation-users", type=int, default=20,
                        help="users of the closed-loop phase without think time (default 20; 0: none)")
    parser.add_argument("--saturation-duration", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=15)
    parser.add_argument("--publish-every", type=float, default=5, help="seconds between an editor's publishes")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--synthetic", type=int, default=10000,
                        help="make sure the database has this many synthetic practices (default 10000)")
    parser.add_argument("--practice-pages", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--name", default="results-load")
    parser.add_argument("--rev", help="measure a git archive of this revision instead of the working tree")
    args = parser.parse_args(argv)
    try:
        users = [int(value) for value in args.users.split(",") if value.strip()]
        think = tuple(float(value) for value in args.think.split(","))
    except ValueError:
        parser.error("--users: numbers separated by commas; --think: two numbers, e.g. 1,5")
    if not users or any(not 1 <= value <= 500 for value in users) or len(think) != 2 or not 0 <= think[0] <= think[1]:
        parser.error("--users 1..500 each; --think MIN,MAX with 0 ≤ MIN ≤ MAX")
    if not re.fullmatch(r"[\w.-]+", args.name):
        parser.error("--name: letters, digits, dots, dashes")
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/load.py --scenario capacity needs DATABASE_URL of a PostgreSQL database: run it under "
                 "scripts/with-postgres.sh (a private cluster) or point DATABASE_URL at one.")

    def terminate(signum, _frame):
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, terminate)

    es_url = os.environ.get("ELASTICSEARCH_URL", "")
    es = Elasticsearch(es_url, os.environ.get("KB_ES_PIDFILE", "/nonexistent")) if es_url else None
    prefix = f"kbcap{os.getpid()}{secrets.token_hex(3)}"
    run_started, load_before = time.perf_counter(), load_average()
    tmp = Path(tempfile.mkdtemp(prefix="kb-capacity-"))
    server = editor = None
    try:
        source, full = measured_source(args, tmp)
        env = production_env(tmp)
        if es:
            env["ELASTICSEARCH_INDEX_PREFIX"] = prefix
        code = code_identity(args, source, full, ("kb", "search", "practices", "home", "highlights", "templates"))
        log("preparing the database: migrate, load_demo (idempotent), synthetic practices if missing, "
            + ("reindex, " if es else "") + "collectstatic")
        prepare_started = time.perf_counter()
        if args.rev:
            manage(source, env, "compilemessages", "-v0")
        manage(source, env, "migrate", "--noinput", "-v0")
        count = int(manage(source, env, "shell", "-c", "from practices.models import PracticePage; "
                           "print(PracticePage.objects.filter(slug__startswith='synthetic-').count())",
                           capture=True).strip().splitlines()[-1])
        if count < args.synthetic:
            manage(source, env, "load_demo", "--synthetic", str(args.synthetic - count), "-v0")
        else:
            manage(source, env, "load_demo", "-v0")
        if es:
            manage(source, env, "reindex", "-v0")
        manage(source, env, "collectstatic", "--noinput", "-v0")
        data = json.loads(manage(source, env, "shell", "-c", CAPACITY_DATA.format(count=args.practice_pages),
                                 capture=True).strip().splitlines()[-1])
        prepare_s = round(time.perf_counter() - prepare_started, 1)

        port, logfile = free_port(), tmp / "gunicorn.log"
        server, command = start_server(source, env, port, args, logfile)
        up_s = wait_until_serving(server, port, logfile)
        gunicorn_version = subprocess.run([command[0], "--version"], capture_output=True, text=True).stdout.split()
        log(f"gunicorn serving on {HOST}:{port} after {up_s} s; warm-up {args.warmup} s")
        plan = [(f"{count} users", count, think, args.duration) for count in users]
        if args.saturation_users:
            plan.append((f"saturation {args.saturation_users} users, no think time", args.saturation_users,
                         (0.0, 0.0), args.saturation_duration))
        if args.warmup:
            capacity_phase("warm-up", max(users), think, args.warmup, args, data, port, server)
        total = sum(phase[3] for phase in plan) + 60 * len(plan)
        editor_log = tmp / "editor.log"
        with open(editor_log, "w") as handle:
            editor = subprocess.Popen([sys.executable, str(source / "manage.py"), "shell", "-c",
                                       EDITOR.replace("{{", "{").replace("}}", "}")], cwd=source,
                                      env={**env, "KB_EDITOR_EVERY": str(args.publish_every),
                                           "KB_EDITOR_SECONDS": str(total)},
                                      stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        phases = []
        for name, count, phase_think, duration in plan:
            published_before = editor_log.read_text().count("published ")
            log(f"phase {name}: {duration:g} s")
            phase = capacity_phase(name, count, phase_think, duration, args, data, port, server)
            phase["publishes"] = editor_log.read_text().count("published ") - published_before
            if editor.poll() is not None:
                raise RuntimeError(f"the editor process ended early:\n{tail(editor_log)}")
            row = phase["pages"]["all"]
            log(f"  {row['requests']} requests, {row['errors']} errors, {fmt(row['throughput_rps'], 1)} req/s, "
                f"p95 {fmt(row['p95_ms'])} ms, app CPU {phase['app_cpu_s']} s, publishes {phase['publishes']}")
            phases.append(phase)
        by_users = {phase["users"]: phase for phase in phases if phase["think_s"][1]}
        report = {
            "scenario": "capacity", "date": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
            "command": " ".join(["bench/load.py", *sys.argv[1:]]), "machine": machine(),
            "load_average_before": load_before, "code": code,
            "config": {"users": users, "think": list(think), "duration": args.duration, "warmup": args.warmup,
                       "timeout": args.timeout, "workers": args.workers, "threads": args.threads,
                       "publish_every": args.publish_every, "seed": args.seed,
                       "gunicorn_version": gunicorn_version[-1].strip("()") if gunicorn_version else "?",
                       "gunicorn_command": " ".join(command[1:]),
                       "cache": "CACHE_URL (Redis)" if os.environ.get("CACHE_URL") else "local memory cache per worker",
                       "search": f"Elasticsearch {es.version()}" if es else "the database (no ELASTICSEARCH_URL)",
                       "mix": dict(CAPACITY_MIX)},
            "data": data, "prepare_s": prepare_s, "phases": phases,
            "server_log_tail": tail(logfile, 20),
            "goals": {"no_errors_at_100": 100 in by_users and by_users[100]["pages"]["all"]["errors"] == 0,
                      "p95_at_50": 50 in by_users and (by_users[50]["pages"]["all"]["p95_ms"] or 1e9) <= 250},
        }
        report["load_average_after"] = load_average()
    finally:
        for process in (editor, server):
            stop_server(process)
        if es:
            es.delete_indexes(prefix)
        shutil.rmtree(tmp, ignore_errors=True)
    report["elapsed_s"] = round(time.perf_counter() - run_started, 1)
    table = capacity_markdown(report)
    print(table)
    (BENCH / f"{args.name}.md").write_text(table)
    (BENCH / f"{args.name}.json").write_text(json.dumps(report, indent=1))
    log(f"wrote bench/{args.name}.md and .json in {report['elapsed_s'] / 60:.1f} min")


def main():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--scenario", choices=("capacity", "es-freeze"), default="capacity")
    known, rest = parser.parse_known_args()
    if known.scenario == "es-freeze":
        return main_es_freeze(rest)
    return main_capacity(rest)


if __name__ == "__main__":
    main()
