"""Fresh databases for tests that run the site in subprocesses (manage.py, gunicorn), without running
the migrations for each of them.

`manage.py migrate` takes half a minute on a busy machine. Here it runs once per pytest session, into
a template, and every caller gets a copy of it:

- SQLite: the template is a file (its WAL checkpointed into it, closed: one file holds all of it);
  a copy is a file copy.
- PostgreSQL (the server of DATABASE_URL, scripts/with-postgres.sh): the template is a database of
  its own; a copy is `CREATE DATABASE ... TEMPLATE ...`, dropped when its caller is done.

Two levels, each built from the one before on first use (only the tests that need one pay for it):
"migrated" (`manage.py migrate`) and "bootstrapped" (then `manage.py bootstrap`), both with the test
settings (kb.settings.test: the Site is http://testserver). Callers that need other settings for a
step (gunicorn under kb.settings.production bootstraps itself) start from "migrated". The templates
are removed at the end of the session (the fixture `database_templates`, in tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 1800  # per build command: migrate on PostgreSQL on a loaded 2-core machine can take minutes
LEVELS = ("migrated", "bootstrapped")
# Variables of the calling environment that the templates must not inherit: they are built with the
# test settings, their own database and media directory, and without Elasticsearch or Redis.
NOT_INHERITED = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "MEDIA_ROOT", "ELASTICSEARCH_URL", "CACHE_URL"}


def postgres_url() -> str:
    """DATABASE_URL when it is PostgreSQL, else ""."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def with_database_name(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


class BuildFailed(RuntimeError):
    """A command that builds a template failed; the message has its output."""


@dataclass
class Template:
    location: str  # SQLite: the file; PostgreSQL: the database name
    media: Path  # MEDIA_ROOT while it was built (empty unless a step stored files)
    output: str  # stdout of the step that made this level (e.g. what `manage.py bootstrap` printed)


class Templates:
    """The session's template databases, built on first use and removed by close()."""

    def __init__(self, workdir: Path, server_url: str = ""):
        self.workdir = workdir
        self.server_url = server_url  # PostgreSQL DATABASE_URL of the run, "" on an SQLite-only run
        self.tag = uuid.uuid4().hex[:10]
        self.built: dict[tuple[str, str], Template] = {}
        self.failed: dict[tuple[str, str], BuildFailed] = {}
        self.postgres_templates: list[str] = []  # created, built or not: all dropped by close()

    # --- for callers ----------------------------------------------------------------------------
    def sqlite(self, level: str, destination: Path, media_root: Path | None = None) -> Path:
        """A fresh SQLite file at ``destination``, a copy of the template ``level``; its media (if the
        level stored any) copied into ``media_root``."""
        template = self.template("sqlite", level)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template.location, destination)
        copy_media(template, media_root)
        return destination

    @contextmanager
    def postgres(self, level: str, prefix: str = "kb_test", media_root: Path | None = None) -> Iterator[str]:
        """The URL of a fresh database on the run's PostgreSQL server, a copy of the template ``level``,
        dropped afterwards (WITH (FORCE): whatever a test left connected)."""
        if not self.server_url:
            raise RuntimeError("a PostgreSQL copy needs DATABASE_URL to be PostgreSQL (scripts/with-postgres.sh)")
        template = self.template("postgresql", level)
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.copy_postgres(template.location, name)
        copy_media(template, media_root)
        try:
            yield with_database_name(self.server_url, name)
        finally:
            self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def output(self, vendor: str, level: str) -> str:
        """What the step that made ``level`` printed (building it if need be)."""
        return self.template(vendor, level).output

    def close(self):
        """Drop the PostgreSQL templates; remove the SQLite ones (and the media) with the directory."""
        for name in reversed(self.postgres_templates):
            self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.postgres_templates.clear()
        self.built.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- building -------------------------------------------------------------------------------
    def template(self, vendor: str, level: str) -> Template:
        if level not in LEVELS:
            raise ValueError(f"no template level {level!r}; there are {LEVELS}")
        key = (vendor, level)
        if key in self.failed:  # built once per session: a failure is not retried by every caller
            raise self.failed[key]
        if key not in self.built:
            started = time.monotonic()
            try:
                self.built[key] = self.build(vendor, level)
            except BuildFailed as error:
                self.failed[key] = error
                raise
            print(f"\n[tests/databases.py] {vendor} template {level!r} built in {time.monotonic() - started:.1f} s",
                  file=sys.stderr)
        return self.built[key]

    def build(self, vendor: str, level: str) -> Template:
        media = self.workdir / f"{vendor}-{level}-media"
        media.mkdir(exist_ok=True)
        if vendor == "sqlite":
            location = self.workdir / f"{level}.sqlite3"
            if level == "migrated":
                url = f"sqlite:///{location}"
                output = manage(url, media, "migrate", "--no-input", "-v0")
            else:
                previous = self.template(vendor, LEVELS[LEVELS.index(level) - 1])
                shutil.copyfile(previous.location, location)
                copy_media(previous, media)
                output = manage(f"sqlite:///{location}", media, "bootstrap")
            finish_sqlite(location)
            return Template(str(location), media, output)

        if vendor != "postgresql" or not self.server_url:
            raise RuntimeError(f"cannot build a {vendor} template here (DATABASE_URL={os.environ.get('DATABASE_URL')!r})")
        name = f"kb_template_{self.tag}_{level}"
        self.postgres_templates.append(name)
        if level == "migrated":
            self.admin(f'CREATE DATABASE "{name}"')
            output = manage(with_database_name(self.server_url, name), media, "migrate", "--no-input", "-v0")
        else:
            previous = self.template(vendor, LEVELS[LEVELS.index(level) - 1])
            self.copy_postgres(previous.location, name)
            copy_media(previous, media)
            output = manage(with_database_name(self.server_url, name), media, "bootstrap")
        # Nobody connects to a template again: copying needs it to have no connections at all.
        self.admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        return Template(name, media, output)

    # --- PostgreSQL -----------------------------------------------------------------------------
    def admin(self, statement: str, *params):
        import psycopg

        with psycopg.connect(with_database_name(self.server_url, "postgres"), autocommit=True,
                             connect_timeout=60) as connection:
            connection.execute(statement, params or None)

    def copy_postgres(self, template: str, name: str):
        """CREATE DATABASE name TEMPLATE template. The build's subprocess has exited, but its server
        process may still be ending: such leftovers are terminated, and the copy retried meanwhile."""
        import psycopg

        deadline = time.monotonic() + 120
        while True:
            self.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                       "AND pid <> pg_backend_pid()", template)
            try:
                self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                return
            except psycopg.errors.ObjectInUse:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)  # bounded by the deadline: waiting for a server process to end


def environment(database_url: str, media_root: Path, settings: str = "kb.settings.test") -> dict:
    """The environment of a subprocess on ``database_url`` (no Elasticsearch, no Redis)."""
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    env.update(DJANGO_SETTINGS_MODULE=settings, DATABASE_URL=database_url, MEDIA_ROOT=str(media_root))
    return env


def manage(database_url: str, media_root: Path, *args: str) -> str:
    """Run manage.py with the test settings on ``database_url``; its stdout, or BuildFailed with all
    a person needs to see why."""
    command = [sys.executable, "manage.py", *args]
    started = time.monotonic()
    try:
        result = subprocess.run(command, cwd=ROOT, env=environment(database_url, media_root), capture_output=True,
                                text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as error:
        raise BuildFailed(f"building a template database: `manage.py {' '.join(args)}` on {database_url} did not "
                          f"finish within {TIMEOUT_S} s:\n{tail(error.stdout)}\n{tail(error.stderr)}") from None
    if result.returncode != 0:
        raise BuildFailed(f"building a template database: `manage.py {' '.join(args)}` on {database_url} exited "
                          f"with {result.returncode} after {time.monotonic() - started:.0f} s:\n"
                          f"--- stdout ---\n{tail(result.stdout)}\n--- stderr ---\n{tail(result.stderr)}")
    return result.stdout


def tail(text, limit: int = 6000) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return (text or "")[-limit:]


def finish_sqlite(path: Path):
    """Everything in the one file: the WAL checkpointed into it and removed, so a plain file copy is the
    whole database. The journal mode stays as migrate left it (WAL, as the site's connections set it),
    so a copy is the same file a fresh `migrate` would have made."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()  # the last connection: SQLite removes the -wal and -shm files
    leftovers = [p.name for p in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")) if p.exists()]
    if leftovers:
        raise BuildFailed(f"the SQLite template {path} is not self-contained: {leftovers} remain")


def copy_media(template: Template, media_root: Path | None):
    if media_root is not None:
        shutil.copytree(template.media, media_root, dirs_exist_ok=True)


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory) -> Iterator[Templates]:
    """The session's template databases (nothing is built until a test asks for a copy)."""
    templates = Templates(tmp_path_factory.mktemp("database-templates"), postgres_url())
    try:
        yield templates
    finally:
        templates.close()
