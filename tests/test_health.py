"""/healthz and /readyz against real parts: the test database, a private Redis server that is really
stopped, a database that cannot be opened, an Elasticsearch port nobody listens on, an old change in
the search change log and a failed email in the queue."""

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from mailqueue.models import OutgoingEmail
from search.analysis import analyzer_name
from search.backends.elasticsearch import ElasticsearchBackend
from search.breaker import reset_breakers
from search.models import IndexChange
from tests.redis_server import free_port, redis_server  # noqa: F401  (redis_server: a fixture)

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db
REQUIRED = {"database", "migrations"}
OPTIONAL = {"cache", "elasticsearch", "index_lag", "voikko", "lexicon", "email_queue"}


def missing(binary_or_component: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{binary_or_component} is missing in CI")
    pytest.skip(f"LOUD SKIP: {binary_or_component} is not installed here")


def readyz(client):
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response, response.json()


# --- /healthz ---------------------------------------------------------------------------------------
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies  # no session, no CSRF cookie


def test_probes_are_answered_over_plain_http_while_the_site_redirects_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/api/v1/openapi.json").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_probes_answer_get_and_head_only(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/readyz").status_code == 405


# --- /readyz: everything up -----------------------------------------------------------------------
def test_readyz_is_ok_on_the_embedded_site(client):
    if analyzer_name("fi") != "voikko":
        missing("Voikko (libvoikko1 + voikko-fi)")
    response, body = readyz(client)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert body["status"] == "ok", body
    assert set(body["checks"]) == REQUIRED | OPTIONAL
    for name, check in body["checks"].items():
        assert check["ok"] is True, name
        assert check["required"] is (name in REQUIRED), name
        assert isinstance(check["latency_ms"], float) and check["latency_ms"] >= 0
    assert body["checks"]["database"]["detail"] == {"vendor": connection.vendor}
    assert body["checks"]["cache"]["detail"] == {"backend": "LocMemCache"}
    assert body["checks"]["elasticsearch"]["detail"] == {"configured": False}
    assert body["checks"]["voikko"]["detail"] == {"finnish_analyzer": "voikko"}
    assert min(body["checks"]["lexicon"]["detail"].values()) > 100_000  # word forms per language
    assert body["checks"]["index_lag"]["detail"]["pending_changes"] == 0
    assert body["checks"]["email_queue"]["detail"]["failed"] == 0


# --- /readyz: the database ------------------------------------------------------------------------
READYZ_IN_A_PROCESS = """
import json, django
django.setup()
from django.test import Client
client = Client()
print(json.dumps({path: {"status": (r := client.get(path)).status_code, "body": r.json()}
                  for path in ("/healthz", "/readyz")}))
"""


def run_readyz_process(**environment) -> dict:
    """/healthz and /readyz in a fresh process with ``environment`` (settings are process-global)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ELASTICSEARCH_URL", "SENTRY_DSN"}}
    env.update(DJANGO_SETTINGS_MODULE="kb.settings.test", **environment)
    result = subprocess.run([sys.executable, "-c", READYZ_IN_A_PROCESS], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return {"answers": json.loads(result.stdout.strip().splitlines()[-1]), "log": result.stderr}


@pytest.mark.parametrize("kind", ["sqlite file that cannot be opened", "postgresql nobody listens on"])
def test_database_down_is_503_unavailable_but_the_process_is_alive(kind):
    if kind.startswith("sqlite"):
        database_url = f"sqlite:///{tempfile.gettempdir()}/kb-no-such-directory-{os.getpid()}/db.sqlite3"
    else:
        database_url = f"postgres://kb:hunter2secret@127.0.0.1:{free_port()}/kb?connect_timeout=5"
    run = run_readyz_process(DATABASE_URL=database_url)
    assert run["answers"]["/healthz"] == {"status": 200, "body": {"status": "ok"}}
    ready = run["answers"]["/readyz"]
    assert ready["status"] == 503
    assert ready["body"]["status"] == "unavailable"
    database = ready["body"]["checks"]["database"]
    assert database["ok"] is False and database["required"] is True
    assert database["detail"] == {"error": "OperationalError"}
    assert ready["body"]["checks"]["cache"]["ok"] is True  # the other checks still ran
    for name in ("migrations", "index_lag", "email_queue"):  # except those that need the database
        assert ready["body"]["checks"][name]["detail"] == {"error": "skipped: the database is unavailable"}
    # The reason is in the log (with its traceback), never in the answer.
    assert "Readiness: database check failed (503, not ready)" in run["log"]
    assert "Traceback" in run["log"]
    answer = json.dumps(ready)
    assert "hunter2secret" not in answer and "no-such-directory" not in answer and "127.0.0.1" not in answer


# --- /readyz: the cache ---------------------------------------------------------------------------
@pytest.fixture
def redis_cache(redis_server, settings):  # noqa: F811
    """The caches as CACHE_URL configures them, on the private Redis server."""
    settings.CACHES = redis_server.caches(prefix=f"kbready{uuid.uuid4().hex[:8]}")
    return redis_server


def test_cache_down_is_degraded_not_unavailable(client, redis_cache):
    response, body = readyz(client)
    assert response.status_code == 200
    assert body["checks"]["cache"]["ok"] is True
    backend = body["checks"]["cache"]["detail"]["backend"]
    assert "Redis" in backend

    with redis_cache.stopped():  # connections refused
        response, body = readyz(client)
    assert response.status_code == 200
    assert body["status"] == "degraded"
    cache = body["checks"]["cache"]
    assert cache["ok"] is False and cache["required"] is False
    assert cache["detail"]["error"] == "ConnectionError"
    assert cache["detail"]["backend"] == backend
    assert str(redis_cache.port) not in response.content.decode()
    assert body["checks"]["database"]["ok"] is True

    response, body = readyz(client)  # started again by the fixture
    assert response.status_code == 200 and body["checks"]["cache"]["ok"] is True


def test_a_frozen_cache_costs_the_probe_seconds_not_minutes(client, redis_cache):
    with redis_cache.frozen():  # SIGSTOP: connections open, nothing answers
        started = time.monotonic()
        response, body = readyz(client)
        elapsed = time.monotonic() - started
    assert response.status_code == 200 and body["status"] == "degraded" and body["checks"]["cache"]["ok"] is False
    assert elapsed < 15, elapsed  # the cache client's 1 s socket timeouts, a few calls


# --- /readyz: optional parts degrade ----------------------------------------------------------------
@pytest.fixture
def unreachable_elasticsearch(settings):
    port = free_port()  # nothing listens there: every request is refused
    settings.KB_ELASTICSEARCH_URL = f"http://elastic:hunter2secret@127.0.0.1:{port}"
    reset_breakers()
    yield port
    reset_breakers()


def test_elasticsearch_down_is_degraded_with_the_breaker_state(client, unreachable_elasticsearch):
    response, body = readyz(client)
    assert response.status_code == 200
    assert body["status"] == "degraded"
    elastic = body["checks"]["elasticsearch"]
    assert elastic["ok"] is False and elastic["required"] is False
    assert elastic["detail"] == {"configured": True, "breaker": "closed", "writes_breaker": "closed",
                                 "error": "ConnectionError"}

    # A visitor's search meets the dead cluster, is answered from the database, and opens the breaker.
    search = client.get("/api/v1/search/", {"q": "kieli", "lang": "fi"})
    assert search.status_code == 200
    assert search.json()["backend"] != "elasticsearch" and search.json()["degraded"] is True
    _response, body = readyz(client)
    assert body["checks"]["elasticsearch"]["detail"]["breaker"] == "open"
    assert "hunter2secret" not in json.dumps(body) and str(unreachable_elasticsearch) not in json.dumps(body)


def test_index_worker_lag_above_the_threshold_is_degraded(client, index_fi, settings):
    settings.READYZ_MAX_INDEX_LAG = 300
    fresh = IndexChange.objects.create(translation_key=index_fi.translation_key)
    _response, body = readyz(client)
    lag = body["checks"]["index_lag"]
    assert lag["ok"] is True and lag["detail"]["pending_changes"] == 1 and lag["detail"]["oldest_seconds"] < 300

    IndexChange.objects.filter(pk=fresh.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    response, body = readyz(client)
    assert response.status_code == 200 and body["status"] == "degraded"
    lag = body["checks"]["index_lag"]
    assert lag["ok"] is False and lag["required"] is False
    assert lag["detail"]["pending_changes"] == 1 and lag["detail"]["pending_groups"] == 1
    assert 1200 <= lag["detail"]["oldest_seconds"] < 1500
    assert lag["detail"]["max_lag_seconds"] == 300


def test_a_failed_email_is_degraded(client):
    OutgoingEmail.objects.create(message={}, subject="Uusi ehdotus", recipients="coordinator@example.fi",
                                 status=OutgoingEmail.Status.FAILED, attempts=30, next_attempt_at=timezone.now(),
                                 last_error="550 mailbox unavailable")
    response, body = readyz(client)
    assert response.status_code == 200 and body["status"] == "degraded"
    queue = body["checks"]["email_queue"]
    assert queue["ok"] is False and queue["detail"]["failed"] == 1
    assert "coordinator@example.fi" not in response.content.decode()


def test_elasticsearch_aliases_are_checked_on_a_real_node(client, settings):
    """Against scripts/with-elasticsearch.sh: missing index aliases are degraded, built ones are ok."""
    url = os.environ.get("ELASTICSEARCH_URL", "")
    if not url:
        missing("Elasticsearch (run via scripts/with-elasticsearch.sh)")
    settings.KB_ELASTICSEARCH_URL = url
    settings.KB_ELASTICSEARCH_INDEX_PREFIX = prefix = f"kbready{uuid.uuid4().hex[:8]}"
    reset_breakers()
    try:
        _response, body = readyz(client)
        elastic = body["checks"]["elasticsearch"]
        assert elastic["ok"] is False and body["status"] == "degraded"
        assert elastic["detail"]["missing_aliases"] == [f"{prefix}_practices_{code}" for code in ("en", "fi", "sv")]
        assert elastic["detail"]["cluster_status"] in {"green", "yellow"}

        ElasticsearchBackend.for_administration().rebuild()
        _response, body = readyz(client)
        elastic = body["checks"]["elasticsearch"]
        assert elastic["ok"] is True, elastic
        assert elastic["detail"]["missing_aliases"] == [] and elastic["detail"]["breaker"] == "closed"
    finally:
        reset_breakers()
        ElasticsearchBackend(url, 60, prefix).client.indices.delete(index=f"{prefix}_*", ignore_unavailable=True)
