"""Settings are code too: production refuses weak configuration and passes Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" + "".join(chr(ord("a") + i % 26) for i in range(63))


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    environment.update(DJANGO_SETTINGS_MODULE="kb.settings.production", **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("key", ["", "django-insecure-abc", "short", "dev-only-insecure-key-never-use-in-production"])
def test_production_refuses_a_weak_secret_key(key):
    result = run_manage("check", SECRET_KEY=key, ALLOWED_HOSTS="kb.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set to a random value" in result.stderr


def test_production_refuses_debug():
    result = run_manage("check", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="kb.example", DEBUG="true")
    assert result.returncode != 0 and "DEBUG must be off" in result.stderr


# A real site's environment as README's "Running in production" describes it (the services need not
# answer: the checks read settings only).
REAL_SITE = dict(DATABASE_URL="postgres://kb@127.0.0.1:5432/kb", CACHE_URL="redis://127.0.0.1:6379/0",
                 EMAIL_URL="smtp+tls://kb:secret@mail.kb.example:587", TRUSTED_PROXIES="127.0.0.1",
                 BASE_URL="https://kb.example", ELASTICSEARCH_URL="http://127.0.0.1:9200")


@pytest.mark.parametrize("site", [{}, REAL_SITE], ids=["minimal", "real-site"])
def test_production_passes_the_deploy_checks(site):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=GOOD_KEY,
                        ALLOWED_HOSTS="kb.example", **site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_malformed_boolean_is_a_clear_error():
    result = run_manage("check", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="kb.example", DEBUG="maybe")
    assert result.returncode != 0 and "DEBUG must be one of" in result.stderr


def test_database_connections_are_persistent_and_checked():
    """docs/operations.md, "Database connections with several workers": each thread keeps its connection
    60 s and checks it before reusing it; timeouts given on DATABASE_URL reach psycopg."""
    url = "postgres://kb@127.0.0.1:5432/kb?connect_timeout=5&options=-c%20statement_timeout%3D30s"
    code = ("import json; from django.conf import settings; d = settings.DATABASES['default']; "
            "print(json.dumps([d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], d['OPTIONS']]))")
    result = run_manage("shell", "-c", code, SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="kb.example",
                        **{**REAL_SITE, "DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        '[60, true, {"connect_timeout": 5, "options": "-c statement_timeout=30s"}]')
