"""SQLite runs in WAL mode with a busy timeout (kb/settings/base.py): a writer waits for another
writer's lock, up to SQLITE_BUSY_TIMEOUT seconds, instead of failing with "database is locked".

The suite's own test database is in memory (where WAL does not apply) or PostgreSQL, so these tests
start Django with the production settings in a subprocess on a SQLite file of their own, and take
the lock with a second, plain sqlite3 connection to that file: they run on both databases.
"""

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from kb.settings import env

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" + "".join(chr(ord("a") + i % 26) for i in range(63))

# Reports the connection's pragmas, waits for a line on stdin (the test then holds a write lock),
# and writes in a transaction, as a view would.
WRITER = """
import json, sys, time
import django
django.setup()
from django.db import connection, transaction

with connection.cursor() as cursor:
    pragmas = {}
    for name in ("journal_mode", "synchronous", "busy_timeout"):
        cursor.execute(f"PRAGMA {name}")
        pragmas[name] = cursor.fetchone()[0]
    cursor.execute("CREATE TABLE IF NOT EXISTS probe (value INTEGER)")
print(json.dumps({"pragmas": pragmas, "transaction_mode": connection.transaction_mode}), flush=True)
sys.stdin.readline()
started = time.monotonic()
try:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO probe VALUES (1)")
    outcome = "stored"
except Exception as error:
    outcome = f"{type(error).__name__}: {error}"
print(json.dumps({"outcome": outcome, "waited": time.monotonic() - started}), flush=True)
"""


def environment(**variables):
    environ = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "ELASTICSEARCH_URL"}}
    environ.update(DJANGO_SETTINGS_MODULE="kb.settings.production", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="kb.example",
                   **variables)
    return environ


def write_while_locked(database: Path, busy_timeout: str, hold_seconds: float) -> tuple[dict, dict]:
    """Start the writer on ``database``, hold a write lock for ``hold_seconds`` while it writes."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER], cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=environment(DATABASE_URL=f"sqlite:///{database}", SQLITE_BUSY_TIMEOUT=busy_timeout),
    )
    try:
        ready = writer.stdout.readline()
        assert ready, writer.stderr.read()
        locker = sqlite3.connect(database, isolation_level=None, timeout=0)
        locker.execute("BEGIN IMMEDIATE")  # another editor's write in progress
        locker.execute("INSERT INTO probe VALUES (0)")
        writer.stdin.write("\n")
        writer.stdin.flush()
        time.sleep(hold_seconds)
        locker.execute("COMMIT")
        locker.close()
        done = writer.stdout.readline()
        assert done, writer.stderr.read()
        writer.wait(timeout=30)
    finally:
        writer.kill()
        writer.wait()
    return json.loads(ready), json.loads(done)


def test_a_writer_waits_for_a_lock_held_less_than_the_busy_timeout(tmp_path):
    database = tmp_path / "kb.sqlite3"
    ready, done = write_while_locked(database, busy_timeout="10", hold_seconds=1.5)
    assert ready["pragmas"] == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 10_000}  # 1 = NORMAL
    assert ready["transaction_mode"] == "IMMEDIATE"
    assert done["outcome"] == "stored"
    assert 1.0 <= done["waited"] < 10
    # WAL is a property of the file: every later connection (and process) finds it in WAL mode.
    reader = sqlite3.connect(database)
    assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sorted(value for (value,) in reader.execute("SELECT value FROM probe")) == [0, 1]
    reader.close()


def test_a_writer_gives_up_after_the_busy_timeout(tmp_path):
    database = tmp_path / "kb.sqlite3"
    ready, done = write_while_locked(database, busy_timeout="0.3", hold_seconds=2.0)
    assert ready["pragmas"]["busy_timeout"] == 300
    assert done["outcome"] == "OperationalError: database is locked"
    assert 0.25 <= done["waited"] < 1.5


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf", "86400"])
def test_a_malformed_busy_timeout_is_a_clear_error(value):
    result = subprocess.run([sys.executable, "-c", "import kb.settings.env"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env=environment(SQLITE_BUSY_TIMEOUT=value))
    assert result.returncode != 0 and "SQLITE_BUSY_TIMEOUT must be" in result.stderr


def test_the_suites_own_database_has_the_same_options():
    options = settings.DATABASES["default"]["OPTIONS"]
    if connection.vendor == "sqlite":
        assert options["transaction_mode"] == "IMMEDIATE" and options["timeout"] == env.SQLITE_BUSY_TIMEOUT
        assert options["init_command"] == "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"
    else:
        assert "init_command" not in options and "transaction_mode" not in options
