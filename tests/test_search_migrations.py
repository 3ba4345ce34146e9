"""Migration kb_search 0015 moves PostgreSQL's full-text vectors into SearchText rows of their own, and its
reverse moves them back: both copy the vectors (no re-analysis), so the rows after each direction must equal
the rows before, and text search must answer the same. On SQLite the table stays empty and search is
unchanged.

Like the restore drill, this runs in subprocesses against a database of its own (a copy of the session's
migrated and bootstrapped template, tests/databases.py), never the pytest transaction: a schema change back
and forth must not touch the suite's database. The PostgreSQL variant runs where DATABASE_URL is PostgreSQL.
"""

import json

from .test_backup_restore import CONTENT, manage, site  # noqa: F401  (site: the fixture)

# The full-text rows as they are on either side of the migration, and what text search answers.
ROWS = """
import json
from django.db import connection
from django.test import Client
from django.db.migrations.recorder import MigrationRecorder

migrated = ("kb_search", "0015_full_text_rows_of_their_own") in MigrationRecorder(connection).applied_migrations()
rows = []
if connection.vendor == "postgresql":
    # After 0015 the vectors are in SearchText; before it in the documents' own column.
    table = "kb_search_searchtext" if migrated else "kb_search_searchdocument WHERE vector IS NOT NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, locale, last_published_at::text, surface_terms, vector::text FROM {table} ORDER BY id")
        rows = cursor.fetchall()
found = {}
if migrated:
    client = Client()
    for query in ("kielikahvila", "mentorointi", "liikuntaryhmä"):
        answer = client.get("/api/v1/search/", {"q": query, "lang": "fi"}).json()
        found[query] = [hit["title"] for hit in answer["results"]]
print(json.dumps({"vendor": connection.vendor, "rows": rows, "found": found}))
"""


def rows_and_search(environment) -> dict:
    return json.loads(manage(environment, "shell", "-c", ROWS).stdout.strip().splitlines()[-1])


def test_migration_0015_copies_the_vectors_both_ways(site):  # noqa: F811  (the fixture imported above)
    manage(site, "shell", "-c", CONTENT)
    before = rows_and_search(site)
    assert before["found"]["kielikahvila"] == ["Kielikahvila kirjastossa"]
    if before["vendor"] == "postgresql":
        assert len(before["rows"]) == 12  # 4 practices × fi, sv, en
        assert all(row[4] for row in before["rows"])  # every row has its vector

    manage(site, "migrate", "kb_search", "0014", "-v0")
    backwards = rows_and_search(site)
    assert backwards["rows"] == before["rows"]  # the documents' own vector column again, row for row

    manage(site, "migrate", "kb_search", "-v0")
    forwards = rows_and_search(site)
    assert forwards == before
