"""The proposal rate limit on the shared cache: the client's address behind proxies (kb/client_ip.py),
atomic counting (kb/ratelimit.py), CACHE_URL, and what happens when Redis goes away.

The several-process test runs gunicorn (kb/gunicorn.conf.py, 3 workers) on a temp SQLite database
with the private Redis of tests/redis_server.py; requests come from different loopback source
addresses (127.0.0.1 is the trusted proxy, 127.0.0.2/3/4 are clients that talk to the site directly).
"""

import http.client
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from coordination.models import Proposal
from coordination.views import RATE_LIMIT, RATE_WINDOW_SECONDS
from kb.client_ip import client_ip, rate_limit_subject
from kb.ratelimit import RateLimit
from kb.settings.env import parse_cache_url, parse_networks
from practices.models import TargetGroup
from tests.redis_server import HOST, free_port, redis_server  # noqa: F401  (redis_server: a fixture)

ROOT = Path(__file__).resolve().parent.parent
PROXY, UNTRUSTED, DIRECT, FRESH = "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"
NOT_ENFORCED = "Rate limit 'proposals' NOT ENFORCED"


@pytest.fixture(autouse=True)
def empty_local_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def redis_cache(redis_server, settings):  # noqa: F811
    """The Django cache on the private Redis (both aliases, as CACHE_URL would configure them)."""
    redis_server.flush()
    settings.CACHES = redis_server.caches(prefix=f"test-{uuid.uuid4().hex[:8]}")
    return redis_server


# --- The client's address -----------------------------------------------------------------------------

def address_of(remote_addr, forwarded_for=None, trusted=(), settings=None):
    settings.TRUSTED_PROXIES = list(trusted)
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client_ip(RequestFactory().get("/", **extra))


@pytest.mark.parametrize("remote,forwarded,trusted,expected", [
    # Nobody trusted (the default): the header changes nothing.
    ("192.0.2.10", "203.0.113.7", (), "192.0.2.10"),
    ("192.0.2.10", None, (), "192.0.2.10"),
    # Not from a trusted proxy: a spoofed header changes nothing.
    ("192.0.2.10", "203.0.113.7", ("10.0.0.0/8",), "192.0.2.10"),
    # From a trusted proxy: the rightmost address it did not add itself.
    ("10.0.0.2", "203.0.113.7", ("10.0.0.0/8",), "203.0.113.7"),
    # What the client wrote on the left is never believed; trusted hops are skipped from the right.
    ("10.0.0.2", "198.51.100.1, 203.0.113.7, 10.0.0.9", ("10.0.0.0/8",), "203.0.113.7"),
    ("10.0.0.2", "198.51.100.1,203.0.113.7", ("10.0.0.2", "fd00::/8"), "203.0.113.7"),
    # Every hop trusted: the furthest one.
    ("10.0.0.2", "10.0.0.5", ("10.0.0.0/8",), "10.0.0.5"),
    # Malformed entries end the walk at the last trusted hop: never a bucket of the client's choosing.
    ("10.0.0.2", "203.0.113.7, not-an-address", ("10.0.0.0/8",), "10.0.0.2"),
    ("10.0.0.2", "", ("10.0.0.0/8",), "10.0.0.2"),
    ("10.0.0.2", "203.0.113.7, 10.0.0.9, 999.1.1.1", ("10.0.0.0/8",), "10.0.0.2"),
    ("10.0.0.2", "garbage, 203.0.113.7", ("10.0.0.0/8",), "203.0.113.7"),
    ("10.0.0.2", "203.0.113.7\x00, 10.0.0.9", ("10.0.0.0/8",), "10.0.0.9"),
    # Ports and brackets removed, IPv6 normalised, IPv4-mapped IPv6 as IPv4.
    ("10.0.0.2", "203.0.113.7:51234", ("10.0.0.0/8",), "203.0.113.7"),
    ("10.0.0.2", "[2001:DB8:0:0::7]:443", ("10.0.0.0/8",), "2001:db8::7"),
    ("fd00::1", "2001:0db8:0000:0000:0000:0000:0000:0007", ("fd00::/8",), "2001:db8::7"),
    ("::ffff:10.0.0.2", "::ffff:203.0.113.7", ("10.0.0.0/8",), "203.0.113.7"),
    ("2001:DB8::1", None, (), "2001:db8::1"),
    # No usable REMOTE_ADDR at all.
    ("", "203.0.113.7", ("10.0.0.0/8",), ""),
    ("unix-socket", "203.0.113.7", ("10.0.0.0/8",), ""),
])
def test_client_ip(settings, remote, forwarded, trusted, expected):
    assert address_of(remote, forwarded, trusted, settings=settings) == expected


def test_ipv6_clients_are_limited_by_their_64(settings):
    settings.TRUSTED_PROXIES = []
    one = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    other = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2:bbbb::9")
    assert rate_limit_subject(one) == rate_limit_subject(other) == "2001:db8:1:2::/64"
    assert rate_limit_subject(RequestFactory().get("/", REMOTE_ADDR="192.0.2.1")) == "192.0.2.1"


def test_trusted_proxies_setting_is_parsed_and_checked():
    assert parse_networks("TRUSTED_PROXIES", ["10.0.0.5", "10.1.2.3/16", "FD00::/8"]) == [
        "10.0.0.5/32", "10.1.0.0/16", "fd00::/8"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES must list IP addresses.*'proxy.example'"):
        parse_networks("TRUSTED_PROXIES", ["10.0.0.5", "proxy.example"])


# --- CACHE_URL --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["", "locmem:", "locmem://"])
def test_cache_url_local(value):
    assert parse_cache_url(value) is None


@pytest.mark.parametrize("value", ["redis://127.0.0.1:6379/0", "redis://:s3cret@cache.internal:6380/2",
                                   "rediss://cache.internal", "redis://[::1]:6379"])
def test_cache_url_redis(value):
    assert parse_cache_url(value) == {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": value}


@pytest.mark.parametrize("value,message", [
    ("memcached://127.0.0.1:11211", "must start with redis://"),
    ("127.0.0.1:6379", "must start with redis://"),
    ("redis://", "names no host"),
    ("redis://127.0.0.1:notaport/0", "not a valid URL"),
    ("redis://127.0.0.1:99999/0", "not a valid URL"),
    ("redis://127.0.0.1:6379/zero", "database must be a number"),
    ("redis://127.0.0.1:6379/0?timeout=5", "no ?options"),
])
def test_cache_url_mistakes_are_clear(value, message):
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        parse_cache_url(value)


def settings_value(expression, **env):
    environment = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "TRUSTED_PROXIES"}}
    environment.update(DJANGO_SETTINGS_MODULE="kb.settings.dev", **env)
    return subprocess.run([sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; "
                           f"print({expression})"], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120)


def test_settings_from_the_environment():
    result = settings_value("settings.CACHES['default']['BACKEND'], settings.CACHES['strict']['LOCATION'], "
                            "settings.CACHES['strict']['KEY_PREFIX'], settings.SESSION_ENGINE, settings.TRUSTED_PROXIES",
                            CACHE_URL="redis://:pw@127.0.0.1:6390/3", CACHE_KEY_PREFIX="kb-site",
                            TRUSTED_PROXIES="10.0.0.1, 192.168.0.0/24")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ("kb.cache.TolerantRedisCache redis://:pw@127.0.0.1:6390/3 kb-site "
                                     "django.contrib.sessions.backends.cached_db ['10.0.0.1/32', '192.168.0.0/24']")
    result = settings_value("settings.CACHES['default']['BACKEND'], settings.SESSION_ENGINE, settings.TRUSTED_PROXIES")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache django.contrib.sessions.backends.db []"
    result = settings_value("1", CACHE_URL="memcached://127.0.0.1")
    assert result.returncode != 0 and "ImproperlyConfigured: CACHE_URL must start with redis://" in result.stderr
    result = settings_value("1", CACHE_URL="redis://:pw-secret@127.0.0.1:6390/x")
    assert "CACHE_URL's database must be a number" in result.stderr and "pw-secret" not in result.stderr


# --- The proposal form in this process (the demo database) --------------------------------------------

def form_data(title, target_group="adults"):
    return {
        "title": title, "summary": "Viikoittainen kielikahvila vastatulleille.", "problem": "Suomea on vaikea harjoitella.",
        "how_it_works": "Vapaaehtoiset ohjaavat keskustelua.", "region": "01", "themes": ["language"],
        "target_groups": [target_group], "organisation_name": "Testiyhdistys ry", "proposer_name": "Maija Meikäläinen",
        "email": "maija@yhdistys.example", "phone": "+358 40 123 4567", "consent_to_contact": "on", "website": "",
    }


def propose(client, title, remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/fi/propose/", form_data(title, TargetGroup.objects.order_by("code").first().code), **extra)


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    for number in range(RATE_LIMIT):
        assert propose(client, f"A {number}", "10.0.0.1", "203.0.113.7").status_code == 302
    refused = propose(client, "A liikaa", "10.0.0.1", "203.0.113.7")
    assert refused.status_code == 429 and "A liikaa" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= RATE_WINDOW_SECONDS
    # A spoofed address on the left of the proxy's entry does not open a new bucket.
    assert propose(client, "A naamioitu", "10.0.0.1", "198.51.100.200, 203.0.113.7").status_code == 429
    # Another client behind the same proxy is not affected.
    assert propose(client, "B 1", "10.0.0.1", "198.51.100.9").status_code == 302
    assert Proposal.objects.count() == RATE_LIMIT + 1


@pytest.mark.django_db
def test_spoofed_headers_from_an_untrusted_address_change_nothing(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    statuses = [propose(client, f"S {n}", "192.0.2.50", f"203.0.113.{n}").status_code for n in range(RATE_LIMIT + 3)]
    assert statuses == [302] * RATE_LIMIT + [429] * 3
    assert Proposal.objects.count() == RATE_LIMIT


@pytest.mark.django_db
def test_nothing_stored_means_nothing_counted(client, settings, monkeypatch):
    """A proposal the database could not store (503) is taken back from the count."""
    from django.db import OperationalError

    from coordination import views

    def busy(form):
        raise OperationalError("database is locked")

    monkeypatch.setattr(views, "_store", busy)
    assert propose(client, "Kiireinen", "192.0.2.60").status_code == 503
    monkeypatch.undo()
    statuses = [propose(client, f"K {n}", "192.0.2.60").status_code for n in range(RATE_LIMIT + 1)]
    assert statuses == [302] * RATE_LIMIT + [429]


# --- Counting on a real Redis ---------------------------------------------------------------------------

def test_counters_on_redis_expire_and_say_when_to_retry(redis_cache):
    limit = RateLimit("test", limit=3, window=120, fail_open=False)
    assert [limit.acquire("192.0.2.1") for _ in range(4)] == [True, True, True, False]
    assert 118 <= limit.retry_after("192.0.2.1") <= 120
    assert limit.retry_after("192.0.2.2") == 0
    keys = redis_cache.client().keys("*ratelimit:test:*")
    assert len(keys) == 2  # the counter and its end of window; no address in the key
    assert not any(b"192.0.2.1" in key for key in keys)
    assert all(0 < redis_cache.client().ttl(key) <= 120 for key in keys)  # nothing stays counted for ever
    limit.reset("192.0.2.1")
    assert limit.retry_after("192.0.2.1") == 0 and redis_cache.client().keys("*ratelimit:test:*") == []


def test_a_counter_recreated_by_incr_gets_an_expiry(redis_cache, monkeypatch):
    """Django's RedisCache.incr is EXISTS then INCR: when the key expires in between, INCR creates it again
    without an expiry. The race is forced on the real Redis (the key deleted between the two); the hit
    must give the counter its expiry back, or the address would stay counted for ever."""
    limit = RateLimit("race", limit=5, window=60, fail_open=True)
    limit.hit("192.0.2.1")
    redis = redis_cache.client()
    key = next(key for key in redis.keys("*ratelimit:race:*") if not key.endswith(b":until"))

    def incr_after_expiry(*args, **kwargs):
        redis.delete(key)  # expired just after Django's EXISTS ...
        return redis.incr(key)  # ... and Django's INCR creates it again

    monkeypatch.setattr(caches["strict"], "incr", incr_after_expiry)
    assert limit.hit("192.0.2.1") == 1
    assert 0 < redis.ttl(key) <= 60


@pytest.mark.django_db
def test_proposals_still_work_when_redis_is_down(client, redis_cache, caplog):
    """Fail open, loudly: the form answers and stores; every unlimited proposal is logged as an ERROR."""
    assert client.get("/fi/propose/").status_code == 200  # Redis up: a normal page
    for number in range(RATE_LIMIT):
        assert propose(client, f"R {number}", "192.0.2.70").status_code == 302
    assert propose(client, "R liikaa", "192.0.2.70").status_code == 429
    with caplog.at_level(logging.ERROR), redis_cache.stopped():
        assert client.get("/fi/propose/").status_code == 200
        response = propose(client, "Redis alhaalla", "192.0.2.70")
        assert response.status_code == 302 and response["Location"] == "/fi/propose/thanks/"
    assert Proposal.objects.filter(title="Redis alhaalla").exists()
    messages = [record.getMessage() for record in caplog.records]
    assert any(message.startswith(NOT_ENFORCED) and "ConnectionError" in message for message in messages), messages
    # Redis is back (empty: no persistence): counting starts again.
    assert propose(client, "Redis palasi", "192.0.2.70").status_code == 302


@pytest.mark.django_db
def test_a_frozen_redis_costs_seconds_not_an_error(client, redis_cache, caplog):
    """SIGSTOP: connections stay open and nothing answers; the socket timeouts (1 s) bound the wait."""
    with caplog.at_level(logging.ERROR), redis_cache.frozen():
        started = time.monotonic()
        response = propose(client, "Redis jäässä", "192.0.2.80")
        elapsed = time.monotonic() - started
    assert response.status_code == 302 and Proposal.objects.filter(title="Redis jäässä").exists()
    assert elapsed < 15, elapsed  # two cache calls of about 1 s each, plus a busy machine
    assert any(record.getMessage().startswith(NOT_ENFORCED) and "Timeout" in record.getMessage()
               for record in caplog.records), [record.getMessage() for record in caplog.records]


# --- Several processes: gunicorn with 3 workers ---------------------------------------------------------

SETUP_DATABASE = """
import django
from django.conf import settings

django.setup()
from django.apps import apps
from django.core.management import call_command
from wagtail.models import Locale, Page, Site

from practices.models import Region, RegionPage, TargetGroup, Theme

# The tables straight from the models (seconds, where the migrations take half a minute on a busy
# machine), and what the proposal form needs: a region with its page, a theme, a target group.
settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
call_command("migrate", run_syncdb=True, verbosity=0)
locale = Locale.objects.create(language_code="fi")
root = Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
Site.objects.create(hostname="127.0.0.1", root_page=root, is_default_site=True)
region = Region.objects.create(code="01", name_fi="Uusimaa", name_sv="Nyland", name_en="Uusimaa")
root.add_child(instance=RegionPage(title="Uusimaa", slug="uusimaa", region=region, locale=locale))
Theme.objects.create(code="language", name_fi="Kieli", name_sv="Språk", name_en="Language")
TargetGroup.objects.create(code="adults", name_fi="Aikuiset", name_sv="Vuxna", name_en="Adults")
"""


class Site:
    """gunicorn serving KB on a free loopback port; requests from a chosen loopback source address."""

    def __init__(self, workdir: Path, redis_url: str):
        self.workdir, self.port, self.process = workdir, free_port(), None
        self.log = workdir / "gunicorn.log"
        self.database = workdir / "kb.sqlite3"
        self.env = {k: v for k, v in os.environ.items() if k not in {"ELASTICSEARCH_URL", "DJANGO_SETTINGS_MODULE"}}
        self.env.update(
            DJANGO_SETTINGS_MODULE="kb.settings.dev", DEBUG="false", PYTHONPATH=str(ROOT), LOG_FORMAT="text",
            DATABASE_URL=f"sqlite:///{self.database}", CACHE_URL=redis_url,
            CACHE_KEY_PREFIX=f"kb-gunicorn-{uuid.uuid4().hex[:8]}", TRUSTED_PROXIES=PROXY,
            GUNICORN_BIND=f"{HOST}:{self.port}", GUNICORN_WORKERS="3", GUNICORN_THREADS="4",
            GUNICORN_GRACEFUL_TIMEOUT="2", PYTHONUNBUFFERED="1",
        )
        self.csrf = None

    def prepare(self):
        result = subprocess.run([sys.executable, "-c", SETUP_DATABASE], cwd=ROOT, env=self.env, capture_output=True,
                                text=True, timeout=180)
        assert result.returncode == 0, result.stderr[-3000:]

    def launch(self):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "kb" / "gunicorn.conf.py")],
                cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)

    def wait_until_serving(self):
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.log_tail()}"
            try:
                status, headers, body = self.request("GET", "/fi/propose/", DIRECT)
            except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected):
                time.sleep(0.2)  # polling the port, bounded by the deadline
                continue
            assert status == 200, f"GET /fi/propose/: {status}\n{self.log_tail()}"
            cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", "")) if not self.csrf else None
            if cookie:
                self.csrf = (cookie.group(1), re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1))
            return
        pytest.fail(f"gunicorn did not serve within 90 s:\n{self.log_tail()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def request(self, method, path, source, body=None, headers=None):
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60, source_address=(source, 0))
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()

    def propose(self, title, source, forwarded=None):
        cookie, token = self.csrf
        data = {**form_data(title), "csrfmiddlewaretoken": token}
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}"}
        if forwarded:
            headers["X-Forwarded-For"] = forwarded
        status, response_headers, html = self.request("POST", "/fi/propose/", source,
                                                      urllib.parse.urlencode(data, doseq=True), headers)
        if status == 429:
            assert title in html and 'role="alert"' in html, "the typed text is kept"
            assert 0 < int(response_headers["Retry-After"]) <= RATE_WINDOW_SECONDS
        return status

    def stored(self):
        with sqlite3.connect(self.database) as connection:
            return connection.execute("SELECT count(*) FROM coordination_proposal").fetchone()[0]

    def log_tail(self, lines=40):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


@pytest.fixture
def site(redis_server, tmp_path):  # noqa: F811
    site = Site(tmp_path, redis_server.url)
    site.launch()  # the workers import the code while the database is prepared
    site.prepare()
    site.wait_until_serving()
    try:
        yield site
    finally:
        site.stop()


def in_parallel(function, arguments, workers=8):
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda args: function(*args), arguments))


def test_the_limit_holds_across_gunicorn_workers_and_restarts(site, redis_server):  # noqa: F811
    started = time.monotonic()
    # 40 proposals from one address, 8 at a time over 3 worker processes: exactly 5 accepted.
    statuses = in_parallel(site.propose, [(f"Suora {n}", DIRECT) for n in range(40)])
    assert sorted(statuses) == [302] * RATE_LIMIT + [429] * 35, statuses
    assert site.stored() == RATE_LIMIT

    # Spoofed X-Forwarded-For from an address that is not a trusted proxy: still one bucket.
    statuses = in_parallel(site.propose, [(f"Huijaus {n}", UNTRUSTED, f"203.0.113.{n}") for n in range(12)])
    assert sorted(statuses) == [302] * RATE_LIMIT + [429] * 7, statuses

    # Through the trusted proxy: two clients, two buckets.
    statuses = in_parallel(site.propose, [(f"Välityspalvelin {n}", PROXY, client)
                                          for n in range(8) for client in ("198.51.100.7", "198.51.100.9")])
    assert sorted(statuses) == [302] * (2 * RATE_LIMIT) + [429] * 6, statuses
    # The client's own addition on the left is ignored: the proxy's entry counts.
    assert site.propose("Vasemmalta", PROXY, "192.0.2.99, 198.51.100.7") == 429
    assert site.stored() == 4 * RATE_LIMIT

    # A restart of every web process forgets nothing: the counters are in Redis.
    site.stop()
    site.launch()
    site.wait_until_serving()
    assert site.propose("Uudelleenkäynnistyksen jälkeen", DIRECT) == 429
    assert site.propose("Uudelleenkäynnistyksen jälkeen", PROXY, "198.51.100.9") == 429
    assert site.propose("Uusi osoite", FRESH) == 302
    assert site.stored() == 4 * RATE_LIMIT + 1

    # Redis really stopped while the site runs: the form still answers and stores (fail open), logged.
    log_size = site.log.stat().st_size
    with redis_server.stopped():
        assert site.request("GET", "/fi/propose/", FRESH)[0] == 200
        assert site.propose("Redis alhaalla", DIRECT) == 302
    assert site.stored() == 4 * RATE_LIMIT + 2
    with open(site.log, errors="replace") as log:
        log.seek(log_size)
        new_lines = log.read()
    assert NOT_ENFORCED in new_lines and "ConnectionError" in new_lines, new_lines[-3000:]
    assert " 500 " not in new_lines
    print(f"\ngunicorn rate-limit scenario: {time.monotonic() - started:.1f} s after the server was up")
