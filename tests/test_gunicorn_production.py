"""KB as it runs in production: gunicorn with kb/gunicorn.conf.py and kb.settings.production, on the
real PostgreSQL, fetched over HTTP.

Runs where DATABASE_URL is PostgreSQL (scripts/with-postgres.sh): a database of its own is created
on that server (a copy of the session's migrated template, tests/databases.py), bootstrapped and
given one practice in subprocesses, static files are collected into a temp STATIC_ROOT, and gunicorn
listens on a free loopback port. On an SQLite-only run the module is skipped (the PostgreSQL run of
`make test` covers it); in the PostgreSQL run nothing is skipped and a gunicorn that does not come up
fails.

The test client plays the reverse proxy: the server trusts 127.0.0.1 (TRUSTED_PROXIES), and the
requests say X-Forwarded-Proto: https, as nginx does for a visitor on HTTPS. So the production
security settings stay as they are (SSL redirect and HSTS on) and are checked on both paths: HTTPS
through the proxy, and plain HTTP, which is redirected.
Search uses the database (no ELASTICSEARCH_URL) and the cache is the local one (no CACHE_URL):
Elasticsearch and Redis have tests of their own; this one is about serving.
"""

import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
START_TIMEOUT_S = 120  # migrate and demo content are separate; this is gunicorn's import and first page
HTTPS = {"X-Forwarded-Proto": "https"}

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="gunicorn with the production settings is tested on PostgreSQL (scripts/with-postgres.sh)",
)

# The minimum a page of each kind needs: what `manage.py bootstrap` creates for a real site, and one
# practice (the demo's hundreds take minutes to load on PostgreSQL on a busy machine).
ADD_PRACTICE = """
import json
from practices.models import PracticeIndexPage, RegionPage
from tests.factories import make_practice
index = PracticeIndexPage.objects.get(locale__language_code="fi")
region = RegionPage.objects.child_of(index).get(region__code="01")
practice = make_practice(region, title="Kielikahvila gunicornin takana", regions=("01",))
print(json.dumps({"region": region.url, "practice": practice.url, "practice_title": practice.title}))
"""


class Server:
    """gunicorn as systemd would run it: `gunicorn -c kb/gunicorn.conf.py`, in a session of its own."""

    def __init__(self, env, port, log_path):
        self.env, self.port, self.log_path = env, port, log_path
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", "kb/gunicorn.conf.py"],
                cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def get(self, path, headers=HTTPS, timeout=60, source="127.0.0.1"):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout, source_address=(source, 0))
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def wait_until_serving(self, deadline_s=START_TIMEOUT_S):
        started = time.monotonic()
        while time.monotonic() - started < deadline_s:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            try:
                status, _, body = self.get("/fi/")
            except (ConnectionError, http.client.HTTPException, TimeoutError):
                time.sleep(0.2)  # polling for the port to open, not synchronisation with a guess
                continue
            assert status == 200, body[:500]
            return
        pytest.fail(f"gunicorn did not serve /fi/ within {deadline_s} s:\n{self.log()[-4000:]}")

    def worker_pids(self):
        """The worker processes: the master's children, read from /proc."""
        children = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # a process that ended while we looked
            if int(fields[1]) == self.process.pid:
                children.add(int(stat.parent.name))
        return children

    def holding(self, sock):
        """The worker that has accepted the connection ``sock`` (our client end), or None while it still
        waits in the listening socket's queue: the server end's inode among a worker's open files."""
        client_port = sock.getsockname()[1]
        inode = None
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local_port, remote_port = int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)
            if (local_port, remote_port) == (self.port, client_port) and fields[9] != "0":
                inode = fields[9]
        if inode is None:
            return None
        for pid in self.worker_pids():
            try:
                if any(link.readlink().name == f"socket:[{inode}]" for link in Path(f"/proc/{pid}/fd").iterdir()):
                    return pid
            except OSError:
                continue  # a descriptor closed while we looked
        return None

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args):
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def database_url(database_templates):
    """A database of its own on the test run's PostgreSQL server, already migrated (a copy of the
    session's template, tests/databases.py), dropped afterwards."""
    with database_templates.postgres("migrated", prefix="kb_gunicorn") as url:
        yield url


@pytest.fixture(scope="module")
def prepared(database_url, tmp_path_factory):
    """The production environment: the database (migrated) bootstrapped under the production settings, one
    practice, static files."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    drop = {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "ELASTICSEARCH_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE",
            "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "STATIC_ROOT", "MEDIA_ROOT", "TRUSTED_PROXIES"}
    env = {name: value for name, value in os.environ.items() if name not in drop and not name.startswith("GUNICORN_")}
    env.update(
        DJANGO_SETTINGS_MODULE="kb.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        TRUSTED_PROXIES="127.0.0.1",
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="2",
    )
    manage(env, "bootstrap")
    urls = json.loads(manage(env, "shell", "-c", ADD_PRACTICE).strip().splitlines()[-1])
    manage(env, "run_index_worker", "--once")  # the search index, as the worker keeps it in production
    manage(env, "collectstatic", "--noinput", "-v0")
    return env, urls, tmp


def start_server(prepared, name):
    env, _, tmp = prepared
    port = free_port()
    server = Server({**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, port, tmp / f"{name}.log")
    server.start()
    return server


@pytest.fixture(scope="module")
def site(prepared):
    server = start_server(prepared, "gunicorn")
    try:
        server.wait_until_serving()
        yield server, prepared[1], prepared[2] / "static"
    finally:
        server.stop()


def assert_security_headers(headers):
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


def test_pages_through_gunicorn(site):
    server, urls, _ = site
    status, headers, _ = server.get("/")
    assert status == 302 and headers["location"] == "/fi/"
    pages = {
        "/fi/": "</html>",
        urls["region"]: "</html>",
        urls["practice"]: urls["practice_title"],
        "/fi/search/?q=kielikahvila": urls["practice_title"],
        "/admin/login/": 'name="password"',
    }
    for path, expected in pages.items():
        status, headers, body = server.get(path)
        assert status == 200, (path, body[:500])
        assert expected.lower() in body.decode().lower(), path
        assert headers["content-type"].startswith("text/html"), path
        assert_security_headers(headers)

    status, headers, body = server.get("/api/v1/search/?q=kielikahvila&lang=fi")
    assert status == 200 and headers["content-type"] == "application/json"
    data = json.loads(body)
    assert data["count"] >= 1 and data["results"][0]["url"].startswith("https://")


def test_static_files_are_hashed_and_cached_for_ever(site):
    server, _, static_root = site
    _, _, body = server.get("/fi/")
    stylesheet = re.search(r'href="(/static/css/kb\.[0-9a-f]{12}\.css)"', body.decode())
    assert stylesheet, "the page links the hashed name from collectstatic's manifest"
    status, headers, css = server.get(stylesheet.group(1))
    assert status == 200 and headers["content-type"].startswith("text/css")
    assert "immutable" in headers["cache-control"] and "max-age=315360000" in headers["cache-control"]
    assert css == (static_root / stylesheet.group(1).removeprefix("/static/")).read_bytes()
    status, headers, _ = server.get("/static/css/kb.css")  # the unhashed name: served, but not for ever
    assert status == 200 and "immutable" not in headers.get("cache-control", "")


def test_plain_http_is_redirected_to_https(site):
    server, _, _ = site
    status, headers, _ = server.get("/fi/", headers={})
    assert status == 301 and headers["location"].startswith("https://127.0.0.1")
    assert "strict-transport-security" not in headers  # HSTS only ever over HTTPS


def test_only_a_trusted_proxy_says_https(site):
    """127.0.0.2 is not in TRUSTED_PROXIES: its X-Forwarded-Proto is ignored, so it is redirected."""
    server, _, _ = site
    status, headers, _ = server.get("/fi/", source="127.0.0.2")
    assert status == 301 and headers["location"].startswith("https://127.0.0.1")
    assert "strict-transport-security" not in headers


def test_debug_is_off_404_is_the_sites_page(site):
    server, _, _ = site
    status, headers, body = server.get("/fi/ei-tallaista-sivua/")
    text = body.decode()
    assert status == 404 and headers["content-type"].startswith("text/html")
    assert "Sivua ei löytynyt" in text  # templates/404.html in Finnish
    assert "Traceback" not in text and "URLconf" not in text and "DEBUG = True" not in text


def test_hup_reloads_workers_and_term_stops_gracefully(prepared):
    server = start_server(prepared, "signals")
    try:
        server.wait_until_serving()
        hup_then_term(server)
    finally:
        server.stop()


def hup_then_term(server):
    master = server.process.pid
    old_workers = server.worker_pids()
    assert len(old_workers) == 2, server.log()[-2000:]

    # SIGHUP: new workers (reading the code and configuration afresh) replace the old ones, the
    # master and its port stay.
    os.kill(master, signal.SIGHUP)
    deadline = time.monotonic() + 90
    while True:
        workers = server.worker_pids()
        if len(workers) == 2 and not workers & old_workers:
            break
        assert time.monotonic() < deadline, f"workers after HUP: {workers} (before {old_workers})\n{server.log()[-3000:]}"
        time.sleep(0.2)
    server.wait_until_serving()
    assert server.process.poll() is None

    # SIGTERM: a request already under way (its headers half sent) is still answered, then all exits.
    # Its worker waits for it; the other, idle worker exits at once: once it has, both have the signal.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.connect()
    connection.sock.sendall(b"GET /fi/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    # A connection still in the listening socket's queue when TERM arrives is never accepted (the
    # workers stop accepting) and is reset: that is not "under way". Wait until a worker holds it.
    deadline = time.monotonic() + 60
    while server.holding(connection.sock) is None:
        assert time.monotonic() < deadline, f"no worker accepted the connection\n{server.log()[-3000:]}"
        time.sleep(0.05)
    before_term = len(server.log())
    os.kill(master, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while server.log()[before_term:].count("Worker exiting") < 1:
        assert time.monotonic() < deadline, server.log()[-3000:]
        time.sleep(0.1)
    assert "Handling signal: term" in server.log()[before_term:]
    assert server.process.poll() is None, "the master waits for the request under way"
    connection.sock.sendall(b"X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n")
    response = http.client.HTTPResponse(connection.sock)
    response.begin()
    assert response.status == 200 and b"</html>" in response.read()
    connection.close()
    assert server.process.wait(60) == 0
    log = server.log()
    assert "Shutting down: Master" in log and log[before_term:].count("Worker exiting") == 2
    assert "WORKER TIMEOUT" not in log and "SIGKILL" not in log
