"""A rebuild with builder processes (rebuild_index(workers=N), manage.py reindex --workers): the pages are
read and the documents built outside the index lock, ahead of the chunk being written. What it writes
must equal the serial rebuild's, and a group written or applied from the change log after its pages
were read must be read again under the chunk's lock, or the older text would win.

The race is staged in this process (a chunk built, then a publish, then the chunk written); the
processes run for real in a site of its own (tests/test_backup_restore.py's ``site``: a database on
disk that forked builders can open, SQLite and PostgreSQL)."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import TestCase

from search import changelog, indexing
from search.models import IndexChange, SearchDocument

from .factories import make_practice
from .search_helpers import run, titles
from .test_backup_restore import CONTENT, manage, site  # noqa: F401  (site: the fixture)

committing = TestCase.captureOnCommitCallbacks


def publish_title(page, title, apply=True):
    """Publish a new title; ``apply``: the change log applied on commit (else it stays pending)."""
    page.title = title
    with committing(execute=apply):
        page.save_revision().publish()


def check_index_clean():
    out = io.StringIO()
    call_command("check_index", stdout=out)
    assert out.getvalue().strip().endswith("0 differences"), out.getvalue()


@pytest.fixture
def two_groups(db, uusimaa):
    pages = [make_practice(uusimaa, title="Verstaskerho"), make_practice(uusimaa, title="Pyöräpaja")]
    indexing.rebuild_index()
    return pages


def write_built_chunk(pages, between):
    """One chunk as a rebuild with builders writes it: built (as a builder process does), then
    ``between`` (what other writers do meanwhile), then written under the chunk's lock."""
    batch = [page.translation_key for page in pages]
    marker = changelog.start_rebuild()
    try:
        prebuilt = indexing._prebuild(batch)
        between()
        indexing._rebuild_chunk(batch, {}, prebuilt)
    finally:
        changelog.end_rebuild(marker)


def test_a_group_published_after_its_pages_were_read_is_read_again(two_groups):
    workshop, bikes = two_groups
    write_built_chunk(two_groups, lambda: publish_title(workshop, "Puutyöverstas"))
    assert run(q="verstaskerho").total == 0  # the text read before the publish did not come back
    assert titles(run(q="puutyöverstas")) == {"Puutyöverstas"} and titles(run(q="pyöräpaja")) == {"Pyöräpaja"}
    check_index_clean()


def test_a_change_applied_without_new_documents_still_counts(two_groups):
    """A builder reads an organisation's new name before the change is applied; the name is then put
    back, and applying both leaves the documents as they are (same fingerprint: no row written, no new
    version). Only the change log, kept by the rebuild's marker, says the group was applied after the read."""
    workshop, _bikes = two_groups
    organisation = workshop.lead_organisation
    organisation.name = "Verstasyhdistys"
    with committing(execute=True):
        organisation.save()
    versions = set(SearchDocument.objects.values_list("version", flat=True))
    organisation.name = "Pajaosuuskunta"
    with committing(execute=False):  # renamed, the change not applied yet
        organisation.save()

    def named_back():
        organisation.name = "Verstasyhdistys"
        with committing(execute=True):
            organisation.save()
        assert not IndexChange.objects.filter(db_pending=True).exists()
        assert set(SearchDocument.objects.values_list("version", flat=True)) == versions  # nothing rewritten

    write_built_chunk(two_groups, named_back)
    assert run(q="pajaosuuskunta").total == 0
    assert titles(run(q="verstasyhdistys")) == {"Verstaskerho"}
    check_index_clean()


# In a site of its own: a rebuild with two builder processes and a chunk per group, then the serial one;
# the documents (by page and locale, with their fingerprints) and the processes that built them. Then a
# builder that fails: the rebuild must fail with its error, not wait for it; and builders that cannot be
# forked. (Builders are forked: what is patched here before the rebuild is what they run.)
REBUILD = """
import json, os
from search import indexing
from search.models import IndexRebuild, SearchDocument

parent, builders, build, write = os.getpid(), set(), indexing.build_documents, indexing._rebuild_chunk

def tagged(pairs, region_urls):
    documents = build(pairs, region_urls)
    for document in documents:
        document.built_by = os.getpid()
    return documents

def noted(batch, region_urls, prebuilt=None):
    builders.add(prebuilt.documents[0].built_by if prebuilt else None)
    return write(batch, region_urls, prebuilt)

indexing.build_documents, indexing._rebuild_chunk = tagged, noted
def documents():
    return sorted(SearchDocument.objects.values_list("page_id", "locale", "fingerprint"))
parallel = indexing.rebuild_index(chunk=1, workers=2)
after_parallel = documents()
serial = indexing.rebuild_index(chunk=1, workers=1)

def broken(pairs, region_urls):
    if os.getpid() != parent:
        raise RuntimeError("a builder failed")
    return build(pairs, region_urls)

indexing.build_documents, failure = broken, ""
try:
    indexing.rebuild_index(chunk=1, workers=2)
except RuntimeError as error:
    failure = str(error)
markers_after_failure = IndexRebuild.objects.count()

def no_fork(method):
    raise OSError("no processes left")

indexing.build_documents, indexing.multiprocessing.get_context, no_pool = build, no_fork, ""
try:
    indexing.rebuild_index(chunk=1, workers=2)
except OSError as error:
    no_pool = str(error)
print(json.dumps({"parent": parent, "builders": sorted(builders, key=str), "made": [parallel, serial],
                  "parallel": after_parallel, "serial": documents(), "failure": failure,
                  "markers": [markers_after_failure, IndexRebuild.objects.count()], "no_pool": no_pool}))
"""


def test_builder_processes_write_what_the_serial_rebuild_writes(site):  # noqa: F811  (the fixture imported above)
    manage(site, "shell", "-c", CONTENT)
    result = json.loads(manage(site, "shell", "-c", REBUILD).stdout.strip().splitlines()[-1])
    assert result["made"] == [12, 12]  # 4 practices × fi, sv, en
    assert result["parallel"] == result["serial"]
    builders = set(result["builders"])
    # Every chunk of the first rebuild came from a builder process (which of the two is the pool's choice).
    assert None in builders and builders - {None} and result["parent"] not in builders, builders
    assert result["failure"] == "a builder failed"
    # Neither a failed builder nor builders that could not be started leave the rebuild's marker behind.
    assert result["no_pool"] == "no processes left" and result["markers"] == [0, 0]
    done = manage(site, "reindex", "--workers", "2")
    assert "Database search index: 12 documents" in done.stdout
    assert manage(site, "check_index").stdout.strip().endswith("0 differences")
    refused = manage(site, "reindex", "--workers", "0", check=False)
    assert refused.returncode == 1 and "--workers: at least 1" in refused.stderr
