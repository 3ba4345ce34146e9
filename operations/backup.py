"""Backups of the database and the media files, and their restore. See docs/operations.md.

A backup is a directory: the database (``database.pgdump``, ``pg_dump --format=custom``, or
``database.sqlite3``, a copy made with SQLite's online backup API), ``media.tar.gz`` (MEDIA_ROOT)
and ``manifest.json`` (time, code commit, database vendor, applied migrations per app, size and
sha256 of every file). The manifest is written last: a directory without one is not a backup.

Restore checks everything before it touches anything (manifest, vendor, checksums, migrations not
newer than the code), then replaces the database and the media, runs ``migrate`` (a backup made by
older code), rebuilds the search indexes from the database (``manage.py reindex``: the database
index, then new Elasticsearch indexes built from the database's documents and versions and swapped
in, so no document from before the restore survives) and clears the caches.
"""

import datetime
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar.gz"
DATABASE_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
FORMAT = 1  # of the manifest; a restore refuses formats it does not know


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why, for the operator."""


# -- helpers -------------------------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_commit() -> str | None:
    """The git commit of the running code, when it is a git checkout (None otherwise)."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True,
                                text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        logger.info("No git commit recorded in the backup manifest: %s", error)
        return None
    return result.stdout.strip() or None


def applied_migrations() -> dict[str, list[str]]:
    applied = {}
    for app_label, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def unknown_migrations(recorded: dict[str, list[str]]) -> list[str]:
    """Migrations the backup's database had applied that this code does not have (a newer backup)."""
    disk_migrations = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    on_disk = set(disk_migrations)
    on_disk.update(replaced for migration in disk_migrations.values() for replaced in migration.replaces)
    return [f"{app}.{name}" for app, names in sorted(recorded.items()) for name in names if (app, name) not in on_disk]


def database_vendor() -> str:
    if connection.vendor not in DATABASE_FILES:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
    return connection.vendor


# -- PostgreSQL ----------------------------------------------------------------------------------

def _postgres_environment() -> dict[str, str]:
    """Connection parameters for pg_dump/pg_restore as libpq environment variables: the password
    never appears in a process list."""
    database = settings.DATABASES["default"]
    environment = {**os.environ, "PGDATABASE": database["NAME"]}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if database.get(key):
            environment[variable] = str(database[key])
    if database.get("OPTIONS", {}).get("sslmode"):
        environment["PGSSLMODE"] = database["OPTIONS"]["sslmode"]
    return environment


def _server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def postgres_tool(name: str) -> str:
    """pg_dump, pg_restore or psql of the server's major version (Debian keeps one per version under
    /usr/lib/postgresql/N/bin), else one on PATH that is at least as new as the server."""
    major = _server_major()
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if versioned.is_file():
        return str(versioned)
    found = shutil.which(name)
    if found:
        version = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout
        tool_major = int(version.split()[-1].split(".")[0])
        if tool_major >= major:
            return found
        raise BackupError(f"{found} is version {tool_major}, older than the PostgreSQL server ({major}): "
                          f"install postgresql-client-{major}.")
    raise BackupError(f"{name} not found (neither {versioned} nor on PATH): install postgresql-client-{major}.")


def _run(command: list[str], what: str, stdout=subprocess.DEVNULL):
    result = subprocess.run(command, env=_postgres_environment(), stdout=stdout, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit status {result.returncode}): {result.stderr.strip()[-3000:]}")


def dump_postgres(target: Path):
    _run([postgres_tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}"], "pg_dump")


def restore_postgres(source: Path):
    """Replace the configured database's tables with the dump's, in ONE transaction (psql
    --single-transaction): every current table is dropped first, so tables made by migrations newer
    than the backup (and their foreign keys into restored tables) cannot get in the way; migrate
    creates them again afterwards. The SQL is written to a temp file first: psql never runs a
    truncated script."""
    pg_restore, psql = postgres_tool("pg_restore"), postgres_tool("psql")
    drops = "".join(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE;\n"
                    for table in connection.introspection.table_names())
    connections.close_all()
    with tempfile.NamedTemporaryFile("w+b", suffix=".sql") as script:
        script.write(drops.encode())
        script.flush()
        _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--file=-", str(source)], "pg_restore",
             stdout=script)
        _run([psql, "--no-psqlrc", "--quiet", "--no-password", "--single-transaction", "--set=ON_ERROR_STOP=1",
              f"--file={script.name}"], "psql (restoring the dump)")


# -- SQLite --------------------------------------------------------------------------------------

def _sqlite_copy(source: str | Path, target: str | Path):
    """SQLite's online backup API: a consistent copy even while others read or write (WAL included)."""
    source_db, target_db = sqlite3.connect(source), sqlite3.connect(target)
    try:
        with target_db:
            source_db.backup(target_db)
    finally:
        source_db.close()
        target_db.close()


def dump_sqlite(target: Path):
    _sqlite_copy(settings.DATABASES["default"]["NAME"], target)


def restore_sqlite(source: Path):
    """Copy the backup over the database file (through the backup API, which takes SQLite's locks
    and leaves no stale WAL behind). The site must be stopped: a writer would be overwritten."""
    connections.close_all()
    _sqlite_copy(source, settings.DATABASES["default"]["NAME"])


# -- media ---------------------------------------------------------------------------------------

def archive_media(target: Path):
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(target, "w:gz") as archive:
        if media.is_dir():
            for path in sorted(media.rglob("*")):
                archive.add(path, arcname=str(path.relative_to(media)), recursive=False)


def unpacked_media(source: Path):
    """The archive unpacked into a temp directory next to MEDIA_ROOT (a context manager), before
    anything is replaced: a broken archive leaves the site untouched."""
    media = Path(settings.MEDIA_ROOT)
    media.parent.mkdir(parents=True, exist_ok=True)
    unpacked = tempfile.TemporaryDirectory(dir=media.parent, prefix=".kb-restore-")
    try:
        with tarfile.open(source, "r:gz") as archive:
            archive.extractall(unpacked.name, filter="data")
    except BaseException:
        unpacked.cleanup()
        raise
    return unpacked


def replace_media(unpacked: Path):
    """Replace MEDIA_ROOT's content with ``unpacked``'s (the directory itself stays: it may be a mount)."""
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    for child in media.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    for child in Path(unpacked).iterdir():
        shutil.move(str(child), media / child.name)


# -- backup and restore --------------------------------------------------------------------------

def create_backup(directory: Path) -> dict:
    """Write a backup into ``directory`` (created; must be new or empty). Returns the manifest."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: back up into a new directory (e.g. one per date).")
    vendor = database_vendor()
    directory.mkdir(parents=True, exist_ok=True)
    database_file = directory / DATABASE_FILES[vendor]
    started = datetime.datetime.now(datetime.UTC)
    # The database first, then the media: every file the database refers to is in the archive.
    (dump_postgres if vendor == "postgresql" else dump_sqlite)(database_file)
    archive_media(directory / MEDIA_ARCHIVE)
    manifest = {
        "format": FORMAT,
        "created_at": started.isoformat(timespec="seconds"),
        "kb_commit": code_commit(),
        "database_vendor": vendor,
        "migrations": applied_migrations(),
        "files": {path.name: {"size": path.stat().st_size, "sha256": sha256_of(path)}
                  for path in (database_file, directory / MEDIA_ARCHIVE)},
    }
    partial = directory / f"{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(directory / MANIFEST)
    return manifest


def read_manifest(directory: Path) -> dict:
    directory = Path(directory)
    if not directory.is_dir():
        raise BackupError(f"No backup directory at {directory}.")
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{directory} has no {MANIFEST}: not a backup, or one that did not finish.") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"{directory / MANIFEST} is not valid JSON ({error}): the backup is damaged.") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{directory / MANIFEST} has format {manifest.get('format')!r}; this code reads {FORMAT}.")
    return manifest


def verify_backup(directory: Path) -> dict:
    """Everything restore checks before it changes anything; returns the manifest."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    vendor = database_vendor()
    if manifest["database_vendor"] != vendor:
        raise BackupError(f"The backup is of a {manifest['database_vendor']} database; this site uses {vendor}. "
                          f"Restore it into a {manifest['database_vendor']} database.")
    for name, expected in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise BackupError(f"{path} is missing from the backup.")
        if path.stat().st_size != expected["size"] or sha256_of(path) != expected["sha256"]:
            raise BackupError(f"{path} is corrupt: its size or sha256 checksum differs from the manifest's.")
    newer = unknown_migrations(manifest["migrations"])
    if newer:
        raise BackupError(
            f"The backup was made by newer code (commit {manifest.get('kb_commit') or 'unknown'}): this code "
            f"lacks the migrations {', '.join(newer)}. Deploy that version (or newer), then restore.")
    return manifest


def restore_backup(directory: Path, out=None) -> dict:
    """Replace the database and the media with the backup's, migrate, rebuild the search indexes."""
    directory = Path(directory)
    manifest = verify_backup(directory)
    database_file = directory / DATABASE_FILES[manifest["database_vendor"]]
    with unpacked_media(directory / MEDIA_ARCHIVE) as media:
        (restore_postgres if manifest["database_vendor"] == "postgresql" else restore_sqlite)(database_file)
        replace_media(Path(media))
    call_command("migrate", interactive=False, verbosity=0)
    call_command("reindex", stdout=out, stderr=out)
    for alias in settings.CACHES:
        caches[alias].clear()  # pages, labels and counters cached from the replaced content
    return manifest
