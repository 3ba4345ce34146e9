"""Chaos harness: does the search index lose edits or serve unpublished pages when things break?

    scripts/with-elasticsearch.sh scripts/with-postgres.sh .venv/bin/python bench/chaos.py [--scenario NAME ...]

Everything runs as real processes on the private PostgreSQL and Elasticsearch the two wrappers start
(loopback only), set up once and shared by every scenario: a fresh database (migrate + load_demo) and
a per-run Elasticsearch index prefix, gunicorn serving the site, `manage.py run_index_worker`, and
three publisher processes that edit titles (a unique marker per edit, "... #p2-e17"), unpublish and
republish the Finnish-only demo practices, each publisher owning its own pages so that the last
committed edit of a page is well defined. A monitor searches through the HTTP API without a pause
and records when each search started and which pages it returned. Production settings throughout.

Scenarios (publishers and monitor running throughout; no edits once the fault is over):
  reindex         `manage.py reindex` twice, back to back
  es-stopped      Elasticsearch stopped (SIGTERM), edits go on for 4 s, edits stop, node started again
  es-frozen       Elasticsearch frozen (SIGSTOP) for 5 s, then SIGCONT
  worker-killed   a backlog builds while Elasticsearch is frozen; the index worker is SIGKILLed with its
                  batch in flight (inside a database transaction when caught in one), Elasticsearch
                  thawed, a new worker started
  db-index-fails  every write to the database index fails for 3 s (a PostgreSQL trigger raises)

Measured per scenario:
  edits made       committed title edits, unpublishes and republishes (the publishers log the commit
                   time from an on_commit hook registered before the edit's own)
  edits lost       pages whose final state (title, or absence when unpublished) is missing from an index
                   (the database index or an Elasticsearch alias) once the wait for convergence ends
  stale served     hits of a page returned by a search that started more than 50 ms after the page's
                   unpublish committed (and no republish committed before that search ended)
  converge (s)     from the end of the fault, with no edits in flight, until the database index and every
                   Elasticsearch alias agree with the committed edits (read with SQL and _search: what
                   users see); then `manage.py check_index` must report 0 differences
  searches failed  searches without a 200 answer within 15 s (they must fall back to the database)
Goals: 0 lost, 0 stale, convergence <= 10 s, 0 failed searches, check_index 0. The exit status is 1 when
a goal is missed, 2 when PostgreSQL or Elasticsearch is not available. The table goes to stdout and to
bench/results-chaos.md, the details to bench/results-chaos.json; process logs to artifacts/chaos/.
tests/chaos runs the same scenarios as tests (make test-chaos).
"""

import argparse
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ARTIFACTS = ROOT / "artifacts" / "chaos"
SCENARIOS = ("reindex", "es-stopped", "es-frozen", "worker-killed", "db-index-fails")
LOCALES = ("fi", "sv", "en")
GOAL_CONVERGE_S = 10.0
CONVERGE_TIMEOUT_S = 30.0  # how long to wait before declaring the indexes diverged
STALE_MARGIN_S = 0.05  # clock margin between the publishers' commit times and the monitor's start times
SEARCH_TIMEOUT_S = 15.0  # a search without an answer by then has failed
PUBLISHERS = 3
PUBLISHER_PAUSE_S = 0.05
UNPUBLISH_SHARE = 0.15
MONITOR_THREADS = 2
TAIL_S = 1.5  # the monitor keeps searching this long after convergence
SETUP_TIMEOUT_S = 600
# Setup and repair commands (not measured) get generous Elasticsearch timeouts: a busy machine is slow.
SETUP_ES_TIMEOUTS = {"ELASTICSEARCH_TIMEOUT": "60", "ELASTICSEARCH_ADMIN_TIMEOUT": "120"}
DOC_TABLE = "kb_search_searchdocument"
FAIL_FUNCTION = "kb_chaos_fail"
FAIL_TRIGGER = "kb_chaos_fail"


class Unavailable(Exception):
    """PostgreSQL or Elasticsearch (or the means to control it) is missing."""


class SetupError(Exception):
    pass


# --------------------------------------------------------------------------------------------------
# Child process role: a publisher (Django set up in the child, production settings)
# --------------------------------------------------------------------------------------------------
def role_publisher(args):
    """Edit the pages given, as fast as allowed, while the control directory names a scenario.

    control/scenario holds the current scenario's name (edits go to <workdir>/<name>-publisher-<id>.jsonl);
    control/<name>.stop ends that scenario's edits: the edit in progress is finished (and logged) first,
    then control/<name>.done-<id> says so; control/exit ends the process. One process serves the whole session: Django starts once, not per scenario."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from practices.models import PracticePage

    # A superuser: publishing rights everywhere (the review workflow is not what is tested here).
    user, _ = get_user_model().objects.get_or_create(
        username=f"chaos-publisher-{args.id}",
        defaults={"email": "chaos-publisher@kb.invalid", "is_superuser": True, "is_staff": True})
    pages = [int(pk) for pk in args.pages.split(",")]
    rng = random.Random(args.seed)
    deadline = time.time() + args.max_seconds
    control, workdir = Path(args.control), Path(args.workdir)
    (control / f"ready-{args.id}").touch()
    number = 0
    while not (control / "exit").exists() and time.time() < deadline:
        try:
            scenario = (control / "scenario").read_text().strip()
        except FileNotFoundError:
            scenario = ""
        if not scenario or (control / f"{scenario}.stop").exists():
            if scenario:  # acknowledged: no edit of this scenario is in flight any more
                (control / f"{scenario}.done-{args.id}").touch()
            time.sleep(0.05)
            continue
        page = PracticePage.objects.get(pk=rng.choice(pages))
        base = page.title.split(" #p", 1)[0]
        number += 1
        committed = {}
        started, error = time.time(), None
        if page.live and rng.random() < args.unpublish_share:
            action, title, live = "unpublish", page.title, False
        else:
            action, title, live = ("edit" if page.live else "republish"), f"{base} #p{args.id}-e{number}", True
        try:
            with transaction.atomic():
                # Registered before the edit's own on-commit work: runs first, right after COMMIT.
                transaction.on_commit(lambda done=committed: done.setdefault("t", time.time()))
                if action == "unpublish":
                    page.unpublish(user=user)
                else:
                    page.title = title
                    page.save_revision(user=user).publish(user=user)
        except Exception as exc:  # noqa: BLE001 - recorded; an error after COMMIT still counts as committed
            error = f"{type(exc).__name__}: {exc}"[:300]
        with open(workdir / f"{scenario}-publisher-{args.id}.jsonl", "a") as log:
            log.write(json.dumps({"t_commit": committed.get("t"), "t_start": started, "t_end": time.time(),
                                  "page": page.pk, "action": action, "title": title, "live": live,
                                  "error": error}) + "\n")
        time.sleep(args.pause)


# --------------------------------------------------------------------------------------------------
# Harness
# --------------------------------------------------------------------------------------------------
def _loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    return host in {"127.0.0.1", "localhost", "::1"}


def environment_problem() -> str | None:
    """Why the harness cannot run here, or None."""
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL is not a PostgreSQL URL (run under scripts/with-postgres.sh)"
    es_url = os.environ.get("ELASTICSEARCH_URL", "")
    if not es_url:
        return "ELASTICSEARCH_URL is not set (run under scripts/with-elasticsearch.sh)"
    if not (_loopback(database_url) and _loopback(es_url)):
        return "PostgreSQL and Elasticsearch must be on 127.0.0.1: the harness stops and freezes them"
    for name in ("KB_ES_PIDFILE", "KB_ES_START"):
        if not os.environ.get(name) or not Path(os.environ[name]).exists():
            return f"{name} is not set (the node must come from scripts/with-elasticsearch.sh)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Straight to 127.0.0.1, whatever http_proxy says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _http_json(method: str, url: str, body=None, timeout=5.0):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    with _OPENER.open(request, timeout=timeout) as response:
        return json.load(response)


def _git_hash() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + ("+dirty" if dirty else "") if head else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine_info() -> dict:
    cpu = "?"
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "?")
    except OSError:
        pass
    return {"cores": len(os.sched_getaffinity(0)), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "git": _git_hash(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "loadavg_start": os.getloadavg()}


class Proc:
    """A child process in its own session, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path):
        self.name, self.log = name, log
        self._out = open(log, "ab")
        self.started = time.time()
        self.popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float):
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def signal_group(self, sig):
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 20.0):
        """SIGTERM to its process group; SIGKILL after ``timeout``. Returns (exit status, seconds)."""
        started = time.time()
        if self.alive():
            self.signal_group(signal.SIGTERM)
            if self.wait(timeout) is None:
                self.signal_group(signal.SIGKILL)
                self.wait(10)
        self._out.close()
        return self.popen.returncode, round(time.time() - started, 2)

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Monitor:
    """Searches through the HTTP API without a pause, in a few threads, recording every answer."""

    def __init__(self, base_url: str, threads: int = MONITOR_THREADS):
        self.base_url, self.threads = base_url, threads
        self.records: list[dict] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []

    def start(self):
        for number in range(self.threads):
            thread = threading.Thread(target=self._run, args=(number,), daemon=True, name=f"monitor-{number}")
            thread.start()
            self._workers.append(thread)

    def stop(self):
        self._stop.set()
        for thread in self._workers:
            thread.join(SEARCH_TIMEOUT_S + 5)

    def _run(self, number: int):
        languages = LOCALES[number % len(LOCALES):] + LOCALES[:number % len(LOCALES)]
        turn = 0
        while not self._stop.is_set():
            language = languages[turn % len(languages)]
            turn += 1
            url = f"{self.base_url}/api/v1/search/?lang={language}&page_size=100"
            record = {"lang": language, "start": time.time()}
            try:
                with _OPENER.open(url, timeout=SEARCH_TIMEOUT_S) as response:
                    data = json.load(response)
                record.update(status=response.status, backend=data.get("backend"), degraded=data.get("degraded"),
                              ids=[hit["id"] for hit in data.get("results", [])],
                              titles={str(hit["id"]): hit["title"] for hit in data.get("results", [])},
                              suppressed=(data.get("diagnostics") or {}).get("suppressed"))
            except urllib.error.HTTPError as error:
                record.update(status=error.code, error=f"HTTP {error.code}")
            except Exception as error:  # noqa: BLE001 - a failed search is a measurement
                record.update(status=None, error=f"{type(error).__name__}: {error}"[:200])
            record["end"] = time.time()
            with self._lock:
                self.records.append(record)


class Harness:
    """One database and one server for a session; ``run_scenario(name)`` returns that scenario's figures."""

    def __init__(self, workdir: Path = ARTIFACTS, converge_timeout: float = CONVERGE_TIMEOUT_S, keep: bool = False,
                 log=None):
        self.workdir = Path(workdir)
        self.converge_timeout = converge_timeout
        self.keep = keep
        self.say = log or (lambda message: print(message, file=sys.stderr, flush=True))
        self.run_id = secrets.token_hex(3)
        self.prefix = f"chaos{self.run_id}"
        self.dbname = f"kb_chaos_{self.run_id}"
        self.es_url = os.environ.get("ELASTICSEARCH_URL", "").rstrip("/")
        self.procs: list[Proc] = []
        self.server: Proc | None = None
        self.publishers: list[Proc] = []
        self.worker: Proc | None = None
        self.workers_started = 0
        self.control = self.workdir / "control"
        self.targets: dict[int, str] = {}  # page id -> translation key
        self.results: list[dict] = []
        self.machine = machine_info()
        self.prepare_s = None
        self._load_samples: list[float] = []
        self._sampling = threading.Event()
        self.capabilities = {}
        self._secret = secrets.token_urlsafe(64)

    # --- environment ---------------------------------------------------------------------------
    def _admin_dsn(self) -> str:
        return os.environ["DATABASE_URL"]

    def dsn(self, application_name="chaos-harness") -> str:
        parts = urllib.parse.urlsplit(self._admin_dsn())
        return urllib.parse.urlunsplit(parts._replace(path=f"/{self.dbname}",
                                                      query=urllib.parse.urlencode({"application_name": application_name})))

    def child_env(self, application_name: str, **overrides) -> dict:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="kb.settings.production", SECRET_KEY=self._secret, DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1,localhost", SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0",
            DATABASE_URL=self.dsn(application_name), ELASTICSEARCH_URL=self.es_url,
            ELASTICSEARCH_INDEX_PREFIX=self.prefix, PYTHONUNBUFFERED="1",
            MEDIA_ROOT=str(self.workdir / "media"), STATIC_ROOT=str(self.workdir / "static"),
        )
        env.update(overrides)
        return env

    def manage(self, *args, application_name="chaos-manage", timeout=SETUP_TIMEOUT_S, check=True, **env):
        """Run a setup or repair command (generous Elasticsearch timeouts unless given)."""
        env = {**SETUP_ES_TIMEOUTS, **env}
        log = self.workdir / "manage.log"
        started = time.time()
        with open(log, "a") as out:
            out.write(f"\n$ manage.py {' '.join(args)}\n")
            out.flush()
            result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.child_env(
                application_name, **env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                timeout=timeout)
            out.write(result.stdout)
        if check and result.returncode != 0:
            raise SetupError(f"manage.py {' '.join(args)} failed (exit {result.returncode}):\n{result.stdout[-3000:]}")
        result.elapsed = time.time() - started
        return result

    def spawn(self, name: str, argv: list[str], env: dict) -> Proc:
        proc = Proc(name, argv, env, self.workdir / f"{name}.log")
        self.procs.append(proc)
        return proc

    def _sample_load(self):
        while not self._sampling.wait(2.0):
            self._load_samples.append(os.getloadavg()[0])

    # --- Elasticsearch control ------------------------------------------------------------------
    def es_pid(self) -> int:
        return int(Path(os.environ["KB_ES_PIDFILE"]).read_text().strip())

    def es_healthy(self, timeout=2.0) -> bool:
        try:
            health = _http_json("GET", f"{self.es_url}/_cluster/health?wait_for_status=yellow&timeout=1s",
                                timeout=timeout)
            return health.get("status") in {"yellow", "green"} and not health.get("timed_out")
        except (OSError, ValueError):
            return False

    def es_wait_healthy(self, timeout: float) -> float:
        started = time.time()
        while not self.es_healthy():
            if time.time() - started > timeout:
                raise SetupError(f"Elasticsearch not healthy after {timeout:.0f} s")
            time.sleep(0.2)
        return time.time()

    def es_signal(self, sig):
        os.kill(self.es_pid(), sig)

    def es_stop(self) -> float:
        pid = self.es_pid()
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 90
        while Path(f"/proc/{pid}").exists():
            if time.time() > deadline:
                raise SetupError("Elasticsearch did not stop within 90 s of SIGTERM")
            time.sleep(0.1)
        return time.time()

    def es_start(self) -> float:
        started = time.time()
        result = subprocess.run([os.environ["KB_ES_START"]], cwd=ROOT, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise SetupError(f"KB_ES_START failed (exit {result.returncode}): {result.stderr[-2000:]}")
        self.es_wait_healthy(60)
        self.say(f"  Elasticsearch started again in {time.time() - started:.1f} s")
        return time.time()

    # --- preparation ----------------------------------------------------------------------------
    def prepare(self):
        problem = environment_problem()
        if problem:
            raise Unavailable(problem)
        import psycopg

        started = time.time()
        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        self.workdir.mkdir(parents=True)
        self._sampling.clear()
        threading.Thread(target=self._sample_load, daemon=True).start()
        self.capabilities = {
            "run_index_worker": (ROOT / "search/management/commands/run_index_worker.py").exists(),
            "check_index": (ROOT / "search/management/commands/check_index.py").exists(),
            "changelog": (ROOT / "search/changelog.py").exists(),
        }
        self.say(f"chaos: run {self.run_id}, database {self.dbname}, index prefix {self.prefix}, "
                 f"capabilities {self.capabilities}")
        self.es_wait_healthy(180)
        with psycopg.connect(self._admin_dsn(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.dbname}"')
            self.machine["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]
        nodes = _http_json("GET", f"{self.es_url}/_nodes/_local?filter_path=nodes.*.version")["nodes"]
        self.machine["elasticsearch"] = next(iter(nodes.values()))["version"]
        self.manage("migrate", "--noinput", "-v0")
        # Demo content without Elasticsearch (faster), then the engine's indexes from a full reindex.
        self.manage("load_demo", ELASTICSEARCH_URL="")
        self.manage("reindex")
        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            rows = connection.execute(
                "SELECT p.id, p.translation_key FROM wagtailcore_page p"
                " JOIN practices_practicepage pp ON pp.page_ptr_id = p.id"
                " JOIN wagtailcore_locale l ON l.id = p.locale_id"
                " WHERE l.language_code = 'fi' AND p.live"
                " AND (SELECT count(*) FROM wagtailcore_page q WHERE q.translation_key = p.translation_key) = 1"
                " ORDER BY p.id").fetchall()
        if len(rows) < PUBLISHERS * 2:
            raise SetupError(f"only {len(rows)} Finnish-only practices in the demo content")
        self.targets = {page_id: str(key) for page_id, key in rows}
        self._start_server()
        self._start_publishers()
        self.worker = self.start_worker()
        self.prepare_s = round(time.time() - started, 1)
        self.say(f"chaos: prepared in {self.prepare_s} s ({len(self.targets)} practices edited by "
                 f"{PUBLISHERS} publishers)")

    def _start_server(self):
        port = _free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        env = self.child_env("chaos-server")
        try:
            import gunicorn  # noqa: F401

            argv = [sys.executable, "-m", "gunicorn", "kb.wsgi:application", "--bind", f"127.0.0.1:{port}",
                    "--workers", "2", "--threads", "4", "--timeout", "60", "--graceful-timeout", "5"]
            self.machine["server"] = "gunicorn, 2 workers x 4 threads"
        except ImportError:
            argv = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
            self.machine["server"] = "runserver (threaded)"
        self.server = self.spawn("server", argv, env)
        deadline = time.time() + 120
        while True:
            try:
                _http_json("GET", f"{self.base_url}/api/v1/search/?lang=fi", timeout=10)
                return
            except (OSError, ValueError) as error:
                if not self.server.alive() or time.time() > deadline:
                    raise SetupError(f"the server did not answer ({error}):\n{self.server.tail()}") from None
                time.sleep(0.3)

    def close(self):
        self._sampling.set()
        if self.control.exists():
            (self.control / "exit").touch()
            for proc in self.publishers:
                proc.wait(30)
        if self.worker is not None and self.worker.alive():
            status, seconds = self.worker.stop(30)
            self.machine["worker_exit_on_sigterm"] = {"status": status, "seconds": seconds}
        for proc in reversed(self.procs):
            if proc.alive():
                proc.stop(10)
        try:
            if self.es_pid() and Path(f"/proc/{self.es_pid()}").exists():
                self.es_signal(signal.SIGCONT)  # never leave the node frozen
        except (OSError, ValueError, KeyError):
            pass
        if self.keep:
            return
        try:
            for row in _http_json("GET", f"{self.es_url}/_cat/indices/{self.prefix}_*?format=json", timeout=30):
                _http_json("DELETE", f"{self.es_url}/{row['index']}", timeout=30)
        except (OSError, ValueError):
            pass
        try:
            import psycopg

            with psycopg.connect(self._admin_dsn(), autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        except Exception as error:  # noqa: BLE001 - cleanup only
            self.say(f"chaos: could not drop {self.dbname}: {error}")

    # --- the oracle: what is committed vs what each index holds ---------------------------------
    def truth(self) -> dict[int, tuple[str, bool]]:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            rows = connection.execute("SELECT id, title, live FROM wagtailcore_page WHERE id = ANY(%s)",
                                      [list(self.targets)]).fetchall()
        return {page_id: (title, live) for page_id, title, live in rows}

    def index_contents(self) -> dict[str, dict[str, dict[int, str]]]:
        """{'db' | 'es': {locale: {page id: title}}}; an unreadable alias shows as an error entry."""
        import psycopg

        contents = {"db": {locale: {} for locale in LOCALES}, "es": {locale: {} for locale in LOCALES}}
        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            for page_id, locale, title in connection.execute(f"SELECT page_id, locale, title FROM {DOC_TABLE}"):
                contents["db"].setdefault(locale, {})[page_id] = title
        for locale in LOCALES:
            alias = f"{self.prefix}_practices_{locale}"
            try:
                response = _http_json("POST", f"{self.es_url}/{alias}/_search", {
                    "size": 1000, "_source": ["page_id", "title"], "query": {"match_all": {}}}, timeout=3)
                contents["es"][locale] = {hit["_source"]["page_id"]: hit["_source"]["title"]
                                          for hit in response["hits"]["hits"]}
            except (OSError, ValueError, KeyError) as error:
                contents["es"][locale] = {"error": f"{type(error).__name__}: {error}"}
        return contents

    def differences(self, expected: dict[int, tuple[str, bool]]) -> list[str]:
        """Every way the indexes differ from ``expected`` (page -> (title, live)) and from each other."""
        found = []
        contents = self.index_contents()
        for kind, by_locale in contents.items():
            for locale in LOCALES:
                documents = by_locale.get(locale, {})
                if "error" in documents:
                    found.append(f"{kind} {locale}: unreadable ({documents['error']})")
                    continue
                for page_id, (title, live) in expected.items():
                    if live and page_id not in documents:
                        found.append(f"{kind} {locale}: page {page_id} missing (expected {title!r})")
                    elif live and documents[page_id] != title:
                        found.append(f"{kind} {locale}: page {page_id} is {documents[page_id]!r}, expected {title!r}")
                    elif not live and page_id in documents:
                        found.append(f"{kind} {locale}: unpublished page {page_id} present as {documents[page_id]!r}")
        for locale in LOCALES:  # every other practice: the engine must agree with the database index
            db, es = contents["db"].get(locale, {}), contents["es"].get(locale, {})
            if "error" in es:
                continue
            for page_id in sorted((set(db) | set(es)) - set(expected)):
                if db.get(page_id) != es.get(page_id):
                    found.append(f"es {locale}: page {page_id} is {es.get(page_id)!r}, database index "
                                 f"{db.get(page_id)!r}")
        return found

    def change_log(self) -> dict | None:
        """The change log's backlog (search.models.IndexChange), or None where there is none."""
        import psycopg

        try:
            with psycopg.connect(self.dsn(), autocommit=True) as connection:
                row = connection.execute(
                    "SELECT count(*) FILTER (WHERE db_pending), count(*) FILTER (WHERE engine_pending),"
                    " max(attempts), EXTRACT(EPOCH FROM min(next_attempt_at) - now())"
                    " FROM kb_search_indexchange WHERE db_pending OR engine_pending").fetchone()
        except psycopg.Error:
            return None
        return {"db_pending": row[0], "engine_pending": row[1], "max_attempts": row[2],
                "next_attempt_in_s": None if row[3] is None else round(float(row[3]), 2)}

    def wait_converged(self, expected, since: float, on_poll=None, trace=None) -> tuple[float | None, list[str]]:
        """Poll the indexes until they show ``expected``; ``trace`` gets (s, differences, change log) rows."""
        deadline = since + self.converge_timeout
        while True:
            if on_poll:
                on_poll()
            found = self.differences(expected)
            now = time.time()
            if trace is not None:
                trace.append([round(now - since, 2), len(found), self.change_log()])
            if not found:
                return round(now - since, 2), []
            if now > deadline:
                return None, found
            time.sleep(0.2)

    def check_index(self) -> dict:
        if not self.capabilities.get("check_index"):
            return {"differences": None, "status": None, "output": "manage.py check_index does not exist"}
        result = self.manage("check_index", application_name="chaos-check", timeout=180, check=False)
        lines = result.stdout.strip().splitlines()
        match = re.search(r"(\d+) differences?", lines[-1]) if lines else None
        return {"differences": int(match.group(1)) if match else None, "status": result.returncode,
                "output": "\n".join(lines[-20:])}

    def baseline(self) -> str:
        """Start each scenario from indexes that agree with the database; say what it took."""
        if not self.differences(self.truth()):
            return "clean"
        steps = []
        if self.capabilities.get("run_index_worker"):
            self.manage("run_index_worker", "--once", application_name="chaos-baseline", timeout=300, check=False)
            steps.append("run_index_worker --once")
            if not self.differences(self.truth()):
                return "; ".join(steps)
        if self.capabilities.get("check_index"):
            self.manage("check_index", "--repair", application_name="chaos-baseline", timeout=300, check=False)
            steps.append("check_index --repair")
        else:
            self.manage("reindex", application_name="chaos-baseline", timeout=300)
            steps.append("reindex")
        time.sleep(1.5)  # an Elasticsearch refresh interval
        left = self.differences(self.truth())
        if left:
            raise SetupError(f"indexes still differ from the database after {steps}: {left[:10]}")
        return "; ".join(steps)

    # --- processes of a scenario ----------------------------------------------------------------
    def start_worker(self) -> Proc | None:
        if not self.capabilities.get("run_index_worker"):
            return None
        self.workers_started += 1
        number = self.workers_started
        proc = self.spawn(f"worker-{number}", [sys.executable, "manage.py", "run_index_worker"],
                          self.child_env(f"chaos-worker-{number}"))
        proc.db_name = f"chaos-worker-{number}"
        return proc

    def _start_publishers(self):
        self.control.mkdir(parents=True, exist_ok=True)
        pages = sorted(self.targets)
        for number in range(1, PUBLISHERS + 1):
            mine = pages[number - 1::PUBLISHERS]
            argv = [sys.executable, str(Path(__file__).resolve()), "_publisher", "--id", str(number),
                    "--pages", ",".join(map(str, mine)), "--control", str(self.control),
                    "--workdir", str(self.workdir), "--seed", f"{self.run_id}-{number}",
                    "--max-seconds", "3600", "--pause", str(PUBLISHER_PAUSE_S),
                    "--unpublish-share", str(UNPUBLISH_SHARE)]
            self.publishers.append(self.spawn(f"publisher-{number}", argv, self.child_env(f"chaos-publisher-{number}")))
        deadline = time.time() + SETUP_TIMEOUT_S
        while not all((self.control / f"ready-{number}").exists() for number in range(1, PUBLISHERS + 1)):
            dead = [proc for proc in self.publishers if not proc.alive()]
            if dead or time.time() > deadline:
                raise SetupError("a publisher did not start:\n" + "\n".join(p.tail(8) for p in dead or self.publishers))
            time.sleep(0.2)

    def start_edits(self, scenario: str) -> Path:
        stop_file = self.control / f"{scenario}.stop"
        stop_file.unlink(missing_ok=True)
        (self.control / "scenario").write_text(scenario)
        return stop_file

    def wait_ready(self, scenario: str, timeout=120.0):
        """Until every publisher has committed an edit of this scenario and the worker is connected."""
        deadline = time.time() + timeout
        while True:
            busy = {event["publisher"] for event in self.publisher_events(scenario) if event["t_commit"] is not None}
            if len(busy) == len(self.publishers):
                break
            dead = [proc for proc in self.publishers if not proc.alive()]
            if dead or time.time() > deadline:
                problem = f"{dead[0].name} exited" if dead else f"not every publisher committed within {timeout:.0f} s"
                raise SetupError(problem + ":\n" + "\n".join(p.tail(8) for p in dead or self.publishers))
            time.sleep(0.1)
        if self.worker is not None:
            while self.worker_db_state(self.worker.db_name) is None and self.worker.alive() and time.time() < deadline:
                time.sleep(0.1)
            if not self.worker.alive():
                raise SetupError(f"the index worker exited (status {self.worker.popen.returncode}):\n"
                                 f"{self.worker.tail()}")

    def stop_edits(self, stop_file: Path, timeout=120.0) -> float:
        """No new edits; returns once every publisher has finished (and logged) its edit in progress."""
        stop_file.touch()
        scenario = stop_file.stem
        deadline = time.time() + timeout
        while not all((self.control / f"{scenario}.done-{n}").exists() for n in range(1, len(self.publishers) + 1)):
            dead = [proc for proc in self.publishers if not proc.alive()]
            if dead or time.time() > deadline:
                raise SetupError(("a publisher exited" if dead else f"publishers still editing after {timeout:.0f} s")
                                 + ":\n" + "\n".join(p.tail(8) for p in dead or self.publishers))
            time.sleep(0.05)
        return time.time()

    def publisher_events(self, scenario: str) -> list[dict]:
        events = []
        for number in range(PUBLISHERS):
            path = self.workdir / f"{scenario}-publisher-{number + 1}.jsonl"
            if path.exists():
                for line in path.read_text().splitlines():
                    event = json.loads(line) if line.endswith("}") else {}
                    if "page" in event:
                        events.append({**event, "publisher": number + 1})
        return sorted(events, key=lambda event: event["t_commit"] or event["t_end"])

    def worker_db_state(self, application_name: str) -> str | None:
        """The worker's PostgreSQL session state: 'active', 'idle in transaction', 'idle' or None."""
        import psycopg

        with psycopg.connect(self.dsn("chaos-probe"), autocommit=True) as connection:
            rows = connection.execute(
                "SELECT state, xact_start IS NOT NULL FROM pg_stat_activity WHERE application_name = %s",
                [application_name]).fetchall()
        if not rows:
            return None
        in_transaction = [state for state, in_xact in rows if in_xact]
        return in_transaction[0] if in_transaction else rows[0][0]

    def _set_db_index_failing(self, failing: bool):
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            connection.execute("SET lock_timeout = '20s'")
            if failing:
                connection.execute(
                    f"CREATE OR REPLACE FUNCTION {FAIL_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$"
                    " BEGIN RAISE EXCEPTION 'chaos: the database index is failing'; END $$")
                connection.execute(
                    f"CREATE TRIGGER {FAIL_TRIGGER} BEFORE INSERT OR UPDATE OR DELETE ON {DOC_TABLE}"
                    f" FOR EACH STATEMENT EXECUTE FUNCTION {FAIL_FUNCTION}()")
            else:
                connection.execute(f"DROP TRIGGER IF EXISTS {FAIL_TRIGGER} ON {DOC_TABLE}")
                connection.execute(f"DROP FUNCTION IF EXISTS {FAIL_FUNCTION}()")

    # --- scenarios ------------------------------------------------------------------------------
    def run_scenario(self, name: str) -> dict:
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
        self.say(f"chaos: scenario {name}")
        result = {"scenario": name, "errors": [], "notes": [], "timeline": {}}
        began = time.time()

        def mark(event: str):
            result["timeline"][event] = round(time.time() - began, 2)

        result["baseline"] = self.baseline()
        initial = self.truth()
        if self.worker is None:
            result["notes"].append("no index worker: manage.py run_index_worker does not exist")
        monitor = Monitor(self.base_url)
        monitor.start()
        stop_file = self.start_edits(name)
        fault = {}
        try:
            self.wait_ready(name)
            mark("publishers editing")
            t_ref = getattr(self, f"_scenario_{name.replace('-', '_')}")(result, mark, stop_file, fault)
        except Exception as error:  # noqa: BLE001 - reported as the scenario's error, cleanup follows
            result["errors"].append(f"{type(error).__name__}: {error}")
            t_ref = time.time()
        finally:
            try:
                self._undo_fault(fault)
            except Exception as error:  # noqa: BLE001
                result["errors"].append(f"undoing the fault failed: {type(error).__name__}: {error}")
            try:
                self.stop_edits(stop_file)  # already stopped by the scenario: returns at once
            except SetupError as error:
                result["errors"].append(str(error))
        mark("fault over, no edits in flight")
        events = self.publisher_events(name)
        committed = [event for event in events if event["t_commit"] is not None]
        expected = dict(initial)
        for event in committed:
            expected[event["page"]] = (event["title"], event["live"])
        truth = self.truth()
        if truth != expected:
            wrong = {page: (expected[page], truth.get(page)) for page in expected if truth.get(page) != expected[page]}
            result["errors"].append(f"the database differs from the publishers' log: {list(wrong.items())[:5]}")
            expected = truth
        result["convergence_trace"] = []
        converge_s, left = self.wait_converged(expected, t_ref, on_poll=fault.get("on_poll"),
                                               trace=result["convergence_trace"])
        mark("converged" if converge_s is not None else "gave up waiting for convergence")
        time.sleep(TAIL_S)
        monitor.stop()
        check = self.check_index()
        if self.worker is not None and not self.worker.alive():
            result["errors"].append(f"the index worker exited (status {self.worker.popen.returncode}):\n"
                                    f"{self.worker.tail()}")
        stale = stale_results(monitor.records, events, initial)
        searches = monitor.records
        failed = [record for record in searches if record.get("status") != 200]
        lost_pages = sorted({int(m.group(1)) for line in left if (m := re.search(r"page (\d+)", line))
                             and int(m.group(1)) in expected})
        if not committed:
            result["errors"].append("no edit was committed:\n" + "\n".join(
                proc.tail(5) for proc in self.publishers))
        result.update(
            edits_made=len(committed),
            edits_failed=sum(event["t_commit"] is None for event in events),
            edits_by_action={action: sum(e["action"] == action for e in committed)
                             for action in ("edit", "unpublish", "republish")},
            publisher_errors=[e["error"] for e in events if e["error"]][:10],
            publisher_error_count=sum(bool(e["error"]) for e in events),
            edits_lost=len(lost_pages),
            lost=left[:40],
            differences_left=len(left),
            stale_served=len(stale),
            stale_pages=sorted({item["page"] for item in stale}),
            stale=stale[:20],
            converge_s=converge_s,
            searches=len(searches),
            searches_failed=len(failed),
            failed_examples=[record.get("error") for record in failed[:5]],
            searches_degraded=sum(bool(record.get("degraded")) for record in searches),
            searches_by_backend={backend: sum(r.get("backend") == backend for r in searches)
                                 for backend in sorted({str(r.get("backend")) for r in searches if r.get("backend")})},
            search_latency_max_s=round(max((r["end"] - r["start"] for r in searches), default=0), 2),
            suppressed=sum(r.get("suppressed") or 0 for r in searches),
            during_fault=search_summary([r for r in searches if _within(r["start"], result.get("fault_window"))]),
            publishes_during_fault=publish_summary([e for e in committed if _within(e["t_start"],
                                                                                     result.get("fault_window"))]),
            check_index=check,
            duration_s=round(time.time() - began, 1),
            loadavg_end=os.getloadavg()[0],
        )
        result["goals_met"] = goals_met(result)
        self.results.append(result)
        self.say(f"  {format_row(result)}")
        for error in result["errors"]:
            self.say(f"  error: {error}")
        return result

    def _undo_fault(self, fault: dict):
        if fault.get("frozen"):
            self.es_signal(signal.SIGCONT)
            fault["frozen"] = False
        if fault.get("stopped"):
            self.es_start()
            fault["stopped"] = False
        if fault.get("db_failing"):
            self._set_db_index_failing(False)
            fault["db_failing"] = False

    def _scenario_reindex(self, result, mark, stop_file, fault) -> float:
        time.sleep(1.0)
        result["reindex_s"] = []
        result["fault_window"] = [time.time(), None]
        for number in (1, 2):
            mark(f"reindex {number} started")
            proc = self.spawn(f"reindex-{number}", [sys.executable, "manage.py", "reindex"],
                              self.child_env(f"chaos-reindex-{number}"))
            status = proc.wait(300)
            if status is None:
                proc.stop(10)
            result["reindex_s"].append(round(time.time() - proc.started, 1))
            mark(f"reindex {number} finished")
            if status != 0:
                result["errors"].append(f"manage.py reindex {number} exited with {status}:\n{proc.tail()}")
        result["fault_window"][1] = time.time()
        return self.stop_edits(stop_file)

    def _scenario_es_stopped(self, result, mark, stop_file, fault) -> float:
        time.sleep(2.0)
        fault["stopped"] = True
        result["fault_window"] = [time.time(), None]
        self.es_stop()
        mark("Elasticsearch stopped (SIGTERM)")
        time.sleep(4.0)
        self.stop_edits(stop_file)
        mark("publishers stopped")
        healthy = self.es_start()
        fault["stopped"] = False
        result["fault_window"][1] = healthy
        mark("Elasticsearch healthy again")
        return healthy

    def _scenario_es_frozen(self, result, mark, stop_file, fault) -> float:
        time.sleep(2.0)
        fault["frozen"] = True
        self.es_signal(signal.SIGSTOP)
        result["fault_window"] = [time.time(), None]
        mark("Elasticsearch frozen (SIGSTOP)")
        time.sleep(5.0)
        stop_file.touch()  # no new edits once the node is back
        self.es_signal(signal.SIGCONT)
        fault["frozen"] = False
        result["fault_window"][1] = time.time()
        mark("Elasticsearch thawed (SIGCONT)")
        done = self.stop_edits(stop_file)
        mark("publishers stopped")
        return max(self.es_wait_healthy(60), done)

    def _scenario_worker_killed(self, result, mark, stop_file, fault) -> float:
        time.sleep(1.5)
        fault["frozen"] = True
        self.es_signal(signal.SIGSTOP)
        result["fault_window"] = [time.time(), None]
        mark("Elasticsearch frozen (SIGSTOP): a backlog builds")
        time.sleep(3.0)
        worker = self.worker
        if worker is None:
            result["notes"].append("nothing to kill: no index worker")
        else:
            state, deadline = None, time.time() + 1.5
            while time.time() < deadline:  # inside a database transaction, if it opens one meanwhile
                state = self.worker_db_state(worker.db_name)
                if state in {"active", "idle in transaction"}:
                    break
                time.sleep(0.01)
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
            result["worker_killed_in_state"] = state
            mark(f"worker SIGKILLed (its database session: {state})")
        stop_file.touch()
        self.es_signal(signal.SIGCONT)
        fault["frozen"] = False
        result["fault_window"][1] = time.time()
        mark("Elasticsearch thawed (SIGCONT)")
        done = self.stop_edits(stop_file)
        healthy = self.es_wait_healthy(60)
        mark("publishers stopped")
        if worker is not None:
            self.worker = self.start_worker()
            restarted = time.time()
            mark("worker restarted")

            def connected():  # how long the new worker takes to reach the database (Django's start-up)
                if "worker_connected_after_s" not in result and self.worker_db_state(self.worker.db_name):
                    result["worker_connected_after_s"] = round(time.time() - restarted, 2)
            fault["on_poll"] = connected
        return max(time.time(), done, healthy)

    def _scenario_db_index_fails(self, result, mark, stop_file, fault) -> float:
        time.sleep(1.5)
        fault["db_failing"] = True
        self._set_db_index_failing(True)
        result["fault_window"] = [time.time(), None]
        mark("database index failing (trigger raises on every write)")
        time.sleep(3.0)
        self._set_db_index_failing(False)
        fault["db_failing"] = False
        result["fault_window"][1] = time.time()
        mark("database index writable again")
        time.sleep(1.0)
        done = self.stop_edits(stop_file)
        mark("publishers stopped")
        return done


def stale_results(searches: list[dict], events: list[dict], initial: dict) -> list[dict]:
    """(search, page) pairs where a page was returned by a search that started after its unpublish
    committed (plus the clock margin), with no republish committed before that search ended."""
    history: dict[int, list[tuple[float, bool]]] = {}
    for page_id, (_title, live) in initial.items():
        history[page_id] = [(float("-inf"), live)]
    for event in events:
        if event["t_commit"] is not None:
            history.setdefault(event["page"], []).append((event["t_commit"], event["live"]))
    for changes in history.values():
        changes.sort()
    stale = []
    for search in searches:
        if search.get("status") != 200:
            continue
        for page_id in search.get("ids", []):
            changes = history.get(page_id)
            if not changes:
                continue
            before = [change for change in changes if change[0] + STALE_MARGIN_S < search["start"]]
            if not before or before[-1][1]:
                continue
            unpublished_at = before[-1][0]
            if any(live and unpublished_at < at <= search["end"] for at, live in changes):
                continue
            stale.append({"page": page_id, "lang": search["lang"], "backend": search.get("backend"),
                          "search_started_after_unpublish_s": None if unpublished_at == float("-inf")
                          else round(search["start"] - unpublished_at, 3),
                          "title": search.get("titles", {}).get(str(page_id))})
    return stale


def _within(moment: float, window) -> bool:
    return bool(window) and window[0] <= moment <= (window[1] or float("inf"))


def publish_summary(events: list[dict]) -> dict:
    """How long editors' publishes took, from start to the end of the after-commit index update."""
    took = sorted(event["t_end"] - event["t_start"] for event in events)
    if not took:
        return {"count": 0}
    return {"count": len(took), "p50_s": round(took[len(took) // 2], 2), "max_s": round(took[-1], 2)}


def search_summary(searches: list[dict]) -> dict:
    """Searches of a window: how many, failed, by backend, degraded, latency."""
    latencies = sorted(record["end"] - record["start"] for record in searches)
    return {
        "searches": len(searches),
        "failed": sum(record.get("status") != 200 for record in searches),
        "by_backend": {backend: sum(r.get("backend") == backend for r in searches)
                       for backend in sorted({str(r.get("backend")) for r in searches if r.get("backend")})},
        "degraded": sum(bool(record.get("degraded")) for record in searches),
        "latency_p50_s": round(latencies[len(latencies) // 2], 3) if latencies else None,
        "latency_max_s": round(latencies[-1], 3) if latencies else None,
    }


def goals_met(result: dict) -> bool:
    check = result["check_index"]
    return (not result["errors"] and result["edits_lost"] == 0 and result["differences_left"] == 0
            and result["stale_served"] == 0 and result["converge_s"] is not None
            and result["converge_s"] <= GOAL_CONVERGE_S and result["searches_failed"] == 0
            and check["differences"] == 0 and check["status"] == 0)


def _converge_cell(result: dict) -> str:
    return f"{result['converge_s']:.1f}" if result.get("converge_s") is not None else (
        f"> {CONVERGE_TIMEOUT_S:.0f} (not converged)")


def _check_cell(result: dict) -> str:
    check = result.get("check_index") or {}
    if check.get("differences") is None:
        return "missing" if check.get("status") is None else f"exit {check['status']}"
    return str(check["differences"])


HEADER = ("scenario", "edits made", "edits lost", "stale results served", "time to converge (s)",
          "searches (failed)", "check_index differences", "goals")


def format_row(result: dict) -> str:
    return " | ".join(cells(result))


def cells(result: dict) -> list[str]:
    return [result["scenario"], str(result["edits_made"]), str(result["edits_lost"]), str(result["stale_served"]),
            _converge_cell(result), f"{result['searches']} ({result['searches_failed']})", _check_cell(result),
            "met" if result["goals_met"] else "MISSED"]


def table(results: list[dict]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|" + "--:|" * (len(HEADER) - 2) + "---|"]
    lines += ["| " + " | ".join(cells(result)) + " |" for result in results]
    return "\n".join(lines)


def report_markdown(harness: Harness, chaos_s: float) -> str:
    machine = harness.machine
    peak = max(harness._load_samples, default=os.getloadavg()[0])
    lines = [
        "# Chaos: edits lost and stale results under failures",
        "",
        f"`bench/chaos.py` on {machine['date']}, git {machine['git']}; {machine['cores']} cores ({machine['cpu']}), "
        f"1-minute load average {machine['loadavg_start'][0]:.2f} at the start, ≤ {peak:.2f} during the run; "
        f"PostgreSQL {machine.get('postgresql', '?')}, Elasticsearch {machine.get('elasticsearch', '?')}, "
        f"server: {machine.get('server', '?')}, Python {machine['python']}.",
        f"Preparation (database, migrate, load_demo, reindex, server) {harness.prepare_s} s; "
        f"scenarios {chaos_s:.0f} s. Components present: "
        + ", ".join(f"{name} {'yes' if present else 'NO'}" for name, present in harness.capabilities.items()) + ".",
        "",
        f"Goals: 0 edits lost, 0 stale results served, convergence ≤ {GOAL_CONVERGE_S:.0f} s, every search "
        "answered, `check_index` 0 differences.",
        "",
        table(harness.results),
        "",
        "- **edits made**: committed title edits, unpublishes and republishes by "
        f"{PUBLISHERS} publisher processes ({len(harness.targets)} Finnish-only practices, each owned by one publisher).",
        "- **edits lost**: practices whose last committed state is missing from the database index or from an "
        "Elasticsearch alias (fi, sv, en) when the wait for convergence ends.",
        "- **stale results served**: hits of a page in a search (HTTP API, "
        f"{MONITOR_THREADS} searchers) that started > {STALE_MARGIN_S * 1000:.0f} ms after the page's unpublish "
        "committed.",
        "- **time to converge**: from the end of the fault (Elasticsearch healthy again, worker restarted, "
        "database index writable, reindex done) with no edits in flight, until every index shows the committed "
        "state.",
    ]
    worker_exit = machine.get("worker_exit_on_sigterm")
    if worker_exit:
        lines.append(f"- **index worker**: SIGTERM at the end of the run, exit status {worker_exit['status']} after "
                     f"{worker_exit['seconds']} s.")
    lines += ["", "## Per scenario"]
    for result in harness.results:
        lines += ["", f"### {result['scenario']}", ""]
        lines.append("Timeline (s from start): " + "; ".join(f"{event} {at}" for event, at in result["timeline"].items()))
        lines.append("")
        lines.append(f"- edits: {result['edits_by_action']}; not committed: {result['edits_failed']}; "
                     f"publisher errors (after COMMIT included): {result['publisher_error_count']}"
                     + (f" (e.g. {result['publisher_errors'][0]})" if result["publisher_errors"] else ""))
        lines.append(f"- searches: {result['searches']}, failed {result['searches_failed']}, degraded "
                     f"{result['searches_degraded']}, by backend {result['searches_by_backend']}, slowest "
                     f"{result['search_latency_max_s']} s, hits suppressed {result['suppressed']}")
        during = result.get("during_fault") or {}
        if during.get("searches"):
            lines.append(f"- searches during the fault: {during['searches']}, failed {during['failed']}, by backend "
                         f"{during['by_backend']}, latency p50 {during['latency_p50_s']} s, max "
                         f"{during['latency_max_s']} s")
        publishes = result.get("publishes_during_fault") or {}
        if publishes.get("count"):
            lines.append(f"- edits started during the fault: {publishes['count']}, each until its request would "
                         f"return (commit and the index update after it): p50 {publishes['p50_s']} s, max "
                         f"{publishes['max_s']} s")
        if result.get("reindex_s"):
            lines.append(f"- reindex durations: {result['reindex_s']} s")
        if "worker_killed_in_state" in result:
            lines.append(f"- the worker's database session when it was killed: {result['worker_killed_in_state']}; "
                         f"the restarted worker reached the database after "
                         f"{result.get('worker_connected_after_s', '?')} s (Python and Django start-up)")
        if result["stale_served"]:
            lines.append(f"- stale results: {result['stale_served']} on pages {result['stale_pages']}")
        if result["lost"]:
            lines.append(f"- differences left ({result['differences_left']}), first ones:")
            lines += [f"  - {line}" for line in result["lost"][:8]]
        trace = result.get("convergence_trace") or []
        if trace:
            shown = trace if len(trace) <= 8 else trace[:3] + trace[len(trace) // 2:len(trace) // 2 + 1] + trace[-4:]
            lines.append("- convergence (s after the fault: differences, change log db/engine pending, next try in s): "
                         + "; ".join(f"{at}: {count}" + (f", {log['db_pending']}/{log['engine_pending']}, "
                                                         f"{log['next_attempt_in_s']}" if log else "")
                                     for at, count, log in shown))
        for note in result["notes"] + result["errors"]:
            lines.append(f"- {note.splitlines()[0]}")
        lines.append(f"- baseline before the scenario: {result['baseline']}")
    return "\n".join(lines) + "\n"


def write_reports(harness: Harness, chaos_s: float, stem: Path):
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".md").write_text(report_markdown(harness, chaos_s))
    payload = {"machine": harness.machine, "capabilities": harness.capabilities, "prepare_s": harness.prepare_s,
               "chaos_s": round(chaos_s, 1), "loadavg_max": max(harness._load_samples, default=None),
               "goals": {"edits_lost": 0, "stale_served": 0, "converge_s": GOAL_CONVERGE_S, "searches_failed": 0,
                         "check_index_differences": 0},
               "scenarios": harness.results}
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=1, default=str) + "\n")


def main(argv=None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["_publisher"]:
        parser = argparse.ArgumentParser()
        for name in ("--id", "--pages", "--control", "--workdir", "--seed"):
            parser.add_argument(name, required=True)
        parser.add_argument("--max-seconds", type=float, default=3600)
        parser.add_argument("--pause", type=float, default=PUBLISHER_PAUSE_S)
        parser.add_argument("--unpublish-share", type=float, default=UNPUBLISH_SHARE)
        role_publisher(parser.parse_args(argv[1:]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", action="append", choices=SCENARIOS,
                        help="run only this scenario (repeatable); default: all")
    parser.add_argument("--out", default=str(BENCH / "results-chaos"),
                        help="report path without suffix (.md and .json are written)")
    parser.add_argument("--converge-timeout", type=float, default=CONVERGE_TIMEOUT_S)
    parser.add_argument("--keep", action="store_true", help="keep the database and the Elasticsearch indexes")
    args = parser.parse_args(argv)
    harness = Harness(converge_timeout=args.converge_timeout, keep=args.keep)
    try:
        harness.prepare()
    except Unavailable as error:
        print(f"chaos: cannot run: {error}", file=sys.stderr)
        harness.close()
        return 2
    started = time.time()
    try:
        for name in args.scenario or SCENARIOS:
            harness.run_scenario(name)
    finally:
        chaos_s = time.time() - started
        harness.close()
    print(table(harness.results))
    print(f"\nchaos phase {chaos_s:.0f} s (preparation {harness.prepare_s} s); logs in {harness.workdir}")
    write_reports(harness, chaos_s, Path(args.out))
    return 0 if all(result["goals_met"] for result in harness.results) else 1


if __name__ == "__main__":
    sys.exit(main())
