"""Logs and error reporting: JSON lines with the request id under the production settings, ids from
outside kept only when safe, no query strings in the access log, and Sentry reports that reach a
real HTTP server without cookies, session or personal data (each in its own process: settings and
the Sentry client are process-global)."""

import gzip
import json
import logging
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" + "".join(chr(ord("a") + i % 26) for i in range(63))
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def run_production(script: str, tmp_path, **environment) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "ELASTICSEARCH_URL", "SENTRY_DSN",
                        "LOG_FORMAT", "LOG_LEVEL"}}
    env.update(DJANGO_SETTINGS_MODULE="kb.settings.production", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="testserver",
               SECURE_SSL_REDIRECT="false", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **environment)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


# --- Request ids --------------------------------------------------------------------------------------
@pytest.mark.parametrize("incoming", ["lb-7f3a.01_x", "a" * 64])
def test_a_safe_request_id_from_the_proxy_is_kept(client, incoming):
    assert client.get("/healthz", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["", "two words", "a" * 65, "x\ny", '{"level":"CRITICAL"}', "ääkköset", "<b>"])
def test_an_unsafe_request_id_is_replaced(client, incoming):
    answered = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]
    assert GENERATED_ID.fullmatch(answered) and answered != incoming


def test_every_request_gets_its_own_id(client):
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


@pytest.mark.django_db
def test_the_access_line_has_the_path_without_the_query_string(client, caplog):
    with caplog.at_level(logging.INFO, logger="kb.access"):
        response = client.get("/api/v1/search/", {"q": "Maija Meikäläinen", "lang": "fi"})
    assert response.status_code == 200
    [line] = [record for record in caplog.records if record.name == "kb.access"]
    assert (line.method, line.path, line.status) == ("GET", "/api/v1/search/", 200)
    assert line.duration_ms > 0
    assert "Meik" not in line.getMessage() and "q=" not in line.getMessage()


# --- JSON lines under the production settings ----------------------------------------------------------
REQUESTS = """
import json, django
django.setup()
from django.test import Client
client = Client()
answers = [client.get(path, HTTP_X_REQUEST_ID=given) for path, given in
           [("/readyz", "probe-7.a_b"), ("/readyz", 'spoofed\\n{"level": "CRITICAL"}')]]
print(json.dumps([[answer.status_code, answer["X-Request-ID"]] for answer in answers]))
"""


def test_production_logs_json_lines_that_carry_the_request_id(tmp_path):
    # An unmigrated database and an Elasticsearch nobody answers: /readyz logs failures with tracebacks.
    result = run_production(REQUESTS, tmp_path, ELASTICSEARCH_URL="http://127.0.0.1:9")
    [[ready_status, ready_id], [spoofed_status, spoofed_id]] = json.loads(result.stdout.strip().splitlines()[-1])
    assert (ready_status, ready_id) == (503, "probe-7.a_b")
    assert spoofed_status == 503 and GENERATED_ID.fullmatch(spoofed_id)

    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]  # every line is JSON
    assert lines
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
        assert ISO_UTC.fullmatch(line["time"]), line["time"]
        assert line["level"] != "CRITICAL"
    of_probe = [line for line in lines if line.get("request_id") == "probe-7.a_b"]
    [access] = [line for line in of_probe if line["logger"] == "kb.access"]
    assert (access["method"], access["path"], access["status"]) == ("GET", "/readyz", 503)
    assert isinstance(access["duration_ms"], float)
    # Django logs a 4xx/5xx after the middleware chain has returned: still within the request.
    [django_line] = [line for line in of_probe if line["logger"] == "django.request"]
    assert django_line["message"] == "Service Unavailable: /readyz"
    [elastic] = [line for line in of_probe if "elasticsearch check failed" in line["message"]]
    assert elastic["level"] == "ERROR" and elastic["logger"] == "operations.health"
    assert elastic["exc_info"].startswith("Traceback") and "ConnectionError" in elastic["exc_info"]
    accessed = [line["request_id"] for line in lines if line["logger"] == "kb.access"]
    assert accessed == ["probe-7.a_b", spoofed_id]


def test_log_format_text_gives_readable_lines_with_the_request_id(tmp_path):
    result = run_production(REQUESTS, tmp_path, LOG_FORMAT="text", ELASTICSEARCH_URL="http://127.0.0.1:9")
    assert re.search(r"^\S+ \S+ INFO kb\.access \[probe-7\.a_b\] GET /readyz 503 ", result.stderr, re.MULTILINE)
    assert not result.stderr.lstrip().startswith("{")


# --- Sentry -----------------------------------------------------------------------------------------------
class SentryStub(BaseHTTPRequestHandler):
    """Records what a Sentry client POSTs to /api/<project>/envelope/."""

    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        elif self.headers.get("Content-Encoding") == "br":
            import brotli

            body = brotli.decompress(body)
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    SentryStub.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SentryStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


FAILING_VIEW = """
import json, logging, sys, threading, urllib.error, urllib.parse, urllib.request, django
from wsgiref.simple_server import WSGIRequestHandler, make_server
django.setup()
sentry_imported = "sentry_sdk" in sys.modules
import sentry_sdk
from django.core.wsgi import get_wsgi_application
from django.test import override_settings
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

@csrf_exempt
def fail(request):
    logging.getLogger("coordination").error("Could not notify %s", request.POST["email"])
    raise ValueError(f"the view failed on purpose for {request.POST['email']}")

urlpatterns = [path("fail", fail)]

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

# Through a real WSGI server, as under gunicorn: Sentry reads the request from the WSGI environ.
with override_settings(ROOT_URLCONF="__main__"):
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    form = urllib.parse.urlencode({"email": "visitor@example.fi", "name": "Maija Meikäläinen"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.server_port}/fail?q=visitor%40example.fi", data=form,
        headers={"Host": "testserver", "Cookie": "sessionid=SESSIONSECRET123; csrftoken=CSRFSECRET456",
                 "X-Request-ID": "sentry-test-1", "Authorization": "Basic QUTHSECRET789"})
    try:
        status = urllib.request.urlopen(request, timeout=60).status
    except urllib.error.HTTPError as error:
        status = error.code
    server.shutdown()
sentry_sdk.flush(timeout=30)
print(json.dumps({"status": status, "imported": sentry_imported, "active": sentry_sdk.get_client().is_active()}))
"""


def test_an_error_reaches_sentry_without_personal_data(sentry_server, tmp_path):
    port = sentry_server.server_address[1]
    result = run_production(FAILING_VIEW, tmp_path, SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/42",
                            SENTRY_ENVIRONMENT="kb-test", SENTRY_RELEASE="kb@test")
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"status": 500, "imported": True, "active": True}
    assert SentryStub.received, "nothing reached the Sentry server"
    assert {path for path, _body in SentryStub.received} == {"/api/42/envelope/"}
    raw = b"".join(body for _path, body in SentryStub.received)
    for secret in (b"visitor@example.fi", b"visitor%40example.fi", b"SESSIONSECRET123", b"CSRFSECRET456",
                   b"QUTHSECRET789", b"Meik", b"sessionid", b"csrftoken", b"127.0.0.1"):
        assert secret not in raw, secret
    items = [json.loads(line) for _path, body in SentryStub.received for line in body.splitlines()
             if line.startswith(b"{")]
    # ERROR log lines are reported too, with their arguments masked.
    [logged] = [item for item in items if item.get("logentry", {}).get("message") == "Could not notify %s"]
    assert logged["logentry"]["params"] == ["[email]"]
    events = [item for item in items if "exception" in item]
    assert events, raw[:2000]
    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert event["exception"]["values"][-1]["value"] == "the view failed on purpose for [email]"
    assert event["environment"] == "kb-test" and event["release"] == "kb@test"
    assert event["tags"]["request_id"] == "sentry-test-1"
    assert event["request"]["url"] == "http://testserver/fail"
    assert event["request"]["method"] == "POST"
    assert "user" not in event or not event["user"].get("ip_address")


def test_without_a_dsn_sentry_is_not_even_imported(sentry_server, tmp_path):
    result = run_production(FAILING_VIEW, tmp_path)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"status": 500, "imported": False,
                                                                  "active": False}
    assert SentryStub.received == []


# --- Settings -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, value, message", [
    ("LOG_FORMAT", "xml", "LOG_FORMAT must be json or text"),
    ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of"),
    ("SENTRY_TRACES_SAMPLE_RATE", "2", "SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1"),
    ("READYZ_TIMEOUT", "0", "READYZ_TIMEOUT must be more than 0"),
    ("READYZ_MAX_INDEX_LAG", "nan", "READYZ_MAX_INDEX_LAG must be more than 0"),
])
def test_a_bad_setting_is_a_clear_error(name, value, message):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    env.update(DJANGO_SETTINGS_MODULE="kb.settings.production", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="kb.example",
               **{name: value})
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and message in result.stderr, result.stderr[-2000:]
