"""A private Redis server for the tests: Debian's redis-server on a free loopback port, no persistence.

Use the session-scoped fixture in a test module:

    from tests.redis_server import redis_server  # noqa: F401  (a pytest fixture)

    def test_something(redis_server):
        settings.CACHES = redis_server.caches()  # or CACHE_URL=redis_server.url for a subprocess

`redis_server.stopped()` stops it for the body of a `with` block and starts it again on the same port
(a real outage, not a mock), `redis_server.frozen()` stops it with SIGSTOP (a hung server: every call
times out); `redis_server.flush()` empties it between tests. The server's log is in
its temp directory (`redis_server.logfile`), shown when it fails to start.

Without /usr/bin/redis-server the tests that need it are skipped with a loud message on a laptop and
FAIL in CI (CI=true), like PostgreSQL and Elasticsearch (apt-get install redis-server).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

HOST = "127.0.0.1"
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class RedisServer:
    def __init__(self, executable: str, directory: Path):
        self.executable = executable
        self.directory = directory
        self.logfile = directory / "redis.log"
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def caches(self, prefix: str = "kb-test") -> dict:
        """CACHES for the settings, as kb/settings/base.py builds them from CACHE_URL=self.url."""
        from kb.settings.base import redis_caches

        return redis_caches({"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": self.url}, prefix)

    def client(self) -> redis.Redis:
        return redis.Redis(host=HOST, port=self.port, socket_timeout=5, socket_connect_timeout=5)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--logfile", str(self.logfile), "--daemonize", "no"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)  # polling the health check, bounded by the deadline
        self.stop()
        raise RuntimeError(f"redis-server did not answer PING within {START_TIMEOUT_S} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    @contextmanager
    def stopped(self):
        """Redis really down inside the block (connections refused), up again after it."""
        self.stop()
        try:
            yield self
        finally:
            self.start()

    @contextmanager
    def frozen(self):
        """Redis stopped with SIGSTOP inside the block: connections open, nothing answers (timeouts)."""
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            yield self
        finally:
            os.kill(self.process.pid, signal.SIGCONT)

    def flush(self) -> None:
        self.client().flushall()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def redis_executable() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None)


@pytest.fixture(scope="session")
def redis_server():
    executable = redis_executable()
    if executable is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI requires the Redis tests.", pytrace=False)
        banner = "#" * 70
        sys.stderr.write(f"\n{banner}\nSKIPPED: tests on a real Redis ({message}).\n{banner}\n")
        pytest.skip(f"LOUD SKIP: {message}")
    with tempfile.TemporaryDirectory(prefix="kb-redis-") as directory:
        server = RedisServer(executable, Path(directory))
        server.start()
        try:
            yield server
        finally:
            server.stop()
