"""Load benchmark through the real server: home page and practice pages under concurrent users,
with Elasticsearch up, frozen (SIGSTOP) and up again.

    scripts/with-elasticsearch.sh .venv/bin/python bench/load.py [--duration 30] [--users 20]
        [--synthetic N] [--workers 3] [--threads 4] [--phases up,frozen,recovered] [--name results-load]
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


def start_server(source, env, port, args, logfile):
    command = [
        str(Path(sys.executable).parent / "gunicorn"), "kb.wsgi:application",
        "--bind", f"{HOST}:{port}", "--workers", str(args.workers), "--threads", str(args.threads),
        "--worker-class", "gthread", "--timeout", "120", "--graceful-timeout", "5",
        "--log-level", "warning",
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

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    parser.add_argument("--name", default="results-load", help="output bench/<name>.md and .json")
    parser.add_argument("--rev", help="measure a git archive of this revision instead of the working tree")
    args = parser.parse_args()
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
        source = ROOT
        if args.rev:
            source = tmp / "src"
            full = export_rev(args.rev, source)
            log(f"measuring {args.rev} = {full[:12]} (git archive in {source})")
        env = {key: value for key, value in os.environ.items()
               if key not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
        env.update(
            DJANGO_SETTINGS_MODULE="kb.settings.production", SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS=HOST, DEBUG="0", SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0",
            STATIC_ROOT=str(tmp / "static"), MEDIA_ROOT=str(tmp / "media"), ELASTICSEARCH_INDEX_PREFIX=prefix,
            PYTHONUNBUFFERED="1",
        )
        env.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'load.sqlite3'}")
        database_label = "DATABASE_URL" if "DATABASE_URL" in os.environ else "a temp SQLite file"
        code = {"git_head": git("rev-parse", "HEAD"), "rev": args.rev,
                "dirty": not args.rev and bool(git("status", "--porcelain", "--", "kb", "search", "practices", "home")),
                "fingerprint": code_fingerprint(source)}
        if args.rev:
            code["git_head"] = full

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


if __name__ == "__main__":
    main()
