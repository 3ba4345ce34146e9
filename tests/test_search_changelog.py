"""The change log of the search index (search/changelog.py): written with the content, applied
after commit, retried when applying fails, never showing an unpublished page, following taxonomy
deletes and other processes' label changes; check_index and the worker command."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from practices.models import Organisation, Theme
from search import changelog, indexing
from search.facets import FACETS_BY_NAME, value_labels
from search.models import IndexChange, SearchDocument, SearchWord

from .factories import make_organisation, make_practice
from .search_helpers import run, titles

pytestmark = pytest.mark.django_db
committing = TestCase.captureOnCommitCallbacks


def publish_title(page, title):
    page.title = title
    with committing(execute=True):
        page.save_revision().publish()


def test_a_change_is_written_with_the_content_and_applied_after_commit(uusimaa):
    page = make_practice(uusimaa, title="Lokikerho", publish=False)
    with committing(execute=False) as callbacks:
        page.save_revision().publish()
        change = IndexChange.objects.get(translation_key=page.translation_key)  # same transaction
        assert change.db_pending and run(q="lokikerho").total == 0
    for callback in callbacks:
        callback()
    assert titles(run(q="lokikerho")) == {"Lokikerho"}
    assert not IndexChange.objects.exists()  # applied everywhere, so forgotten
    assert set(SearchDocument.objects.filter(page=page).values_list("version", flat=True)) == {
        indexing.index_version()}


def test_a_failing_index_build_is_retried_until_it_succeeds(uusimaa, monkeypatch, caplog):
    page = make_practice(uusimaa, title="Virhekerho")
    real_build = indexing.build_document

    def broken(*args, **kwargs):
        raise RuntimeError("analysis unavailable")

    monkeypatch.setattr(indexing, "build_document", broken)
    publish_title(page, "Korjattu kerho")  # the publish itself succeeds
    change = IndexChange.objects.get(translation_key=page.translation_key)
    assert change.db_pending and change.attempts == 1 and "analysis unavailable" in change.last_error
    assert change.next_attempt_at > timezone.now()
    assert str(page.translation_key) in caplog.text and "retried" in caplog.text  # logged, with what happens next
    assert titles(run(q="virhekerho")) == {"Virhekerho"}  # the old text until it is applied

    monkeypatch.setattr(indexing, "build_document", real_build)
    assert changelog.drain().applied == 0  # not before its next try
    IndexChange.objects.update(next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))
    assert changelog.drain().database == 1
    # literal=1: the word as typed (else it is corrected to a close word, "perhekerho", which exists)
    assert run(q="virhekerho", literal="1").total == 0 and titles(run(q="korjattu")) == {"Korjattu kerho"}
    assert not IndexChange.objects.exists()


def test_an_unpublished_page_is_never_served_even_by_a_stale_index(uusimaa, monkeypatch, client):
    page = make_practice(uusimaa, title="Vanhentunut kerho")
    monkeypatch.setattr(indexing, "index_group", lambda *args: (_ for _ in ()).throw(RuntimeError("down")))
    with committing(execute=True):
        page.unpublish()
    assert SearchDocument.objects.filter(page=page).exists()  # the index is stale ...
    result = run(q="vanhentunut")
    assert (result.total, result.hits, result.suppressed) == (1, [], 1)  # ... but the page is not shown
    body = client.get("/api/v1/search/", {"q": "vanhentunut"}).json()
    assert body["results"] == [] and body["diagnostics"]["suppressed"] == 1
    assert "Vanhentunut" not in client.get("/fi/search/", {"q": "vanhentunut"}).content.decode()
    assert client.get("/api/v1/autocomplete/", {"q": "Vanhentu"}).json()["suggestions"] == []


def test_deleting_a_theme_reindexes_its_practices(uusimaa):
    theme = Theme.objects.create(code="kokeilu", name_fi="Kokeiluteema", name_sv="Försökstema",
                                 name_en="Trial theme", sort_order=99)
    page = make_practice(uusimaa, title="Teematon kerho", themes=["language", "kokeilu"])
    assert titles(run(theme=["kokeilu"])) == {"Teematon kerho"}
    with committing(execute=True):
        theme.delete()
    document = SearchDocument.objects.get(page=page, locale="fi")
    assert document.facets["theme"] == ["language"] and "kokeiluteema" not in document.meta_terms
    assert run(q="kokeiluteema").total == 0 and "kokeilu" not in {b.value for b in run().facets["theme"]}


def test_deleting_an_organisation_reindexes_its_practices(uusimaa):
    organisation = make_organisation("Poistuva yhdistys")
    make_practice(uusimaa, title="Orpo kerho", lead_organisation=organisation)
    assert titles(run(q="poistuva")) == {"Orpo kerho"}
    with committing(execute=True):
        Organisation.objects.get(pk=organisation.pk).delete()
    assert run(q="poistuva").total == 0 and titles(run(q="orpo")) == {"Orpo kerho"}


def test_labels_follow_the_labels_token_of_other_processes():
    run()  # labels cached in this process
    assert value_labels(FACETS_BY_NAME["theme"], "fi")["sport"] != "Liikunta ja pelit"
    with connection.cursor() as cursor:  # another process renames a theme and adds one
        cursor.execute("UPDATE practices_theme SET name_fi = %s WHERE code = %s", ["Liikunta ja pelit", "sport"])
        cursor.execute("INSERT INTO practices_theme (code, name_fi, name_sv, name_en, sort_order)"
                       " VALUES ('uusi', 'Uusi teema', 'Nytt tema', 'New theme', 50)")
        cursor.execute("UPDATE kb_search_searchindexstate SET token = 'other-process', labels_token = 'relabelled'"
                       " WHERE id = 1")
    assert run(theme=["uusi"]).total == 0  # a new term is accepted at once, not "Unknown value"
    assert "Liikunta ja pelit" in {b.label for b in run().facets["theme"]}


def test_a_publish_keeps_the_cached_labels(uusimaa):
    run()  # labels cached in this process
    make_practice(uusimaa, title="Nimilappukerho")
    with CaptureQueriesContext(connection) as queries:
        assert titles(run(q="nimilappukerho")) == {"Nimilappukerho"}
    assert not [q["sql"] for q in queries if "practices_theme" in q["sql"]]


def test_check_index_reports_and_repairs_differences(uusimaa):
    page = make_practice(uusimaa, title="Tarkistuskerho")
    out = io.StringIO()
    call_command("check_index", stdout=out)
    assert out.getvalue().strip().endswith("0 differences")
    SearchDocument.objects.filter(page=page, locale="sv").update(title="Väärä otsikko")
    indexing.delete_documents(SearchDocument.objects.filter(page=page, locale="en"))
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("check_index", stdout=out)
    report = out.getvalue()
    assert "[sv]" in report and "Väärä otsikko" in report and "[en]" in report and "missing" in report
    assert report.strip().endswith("2 differences")
    out = io.StringIO()
    call_command("check_index", "--repair", stdout=out)
    assert out.getvalue().strip().endswith("0 differences")


def test_check_index_repairs_a_document_without_its_full_text_row(uusimaa):
    page = make_practice(uusimaa, title="Tekstiriviton kerho")
    document = SearchDocument.objects.get(page=page, locale="fi")
    with connection.cursor() as cursor:
        table, key = indexing.fulltext_table()
        cursor.execute(f"DELETE FROM {table} WHERE {key} = %s", [document.pk])
    assert run(q="tekstiriviton").total == 0
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("check_index", stdout=out)
    assert f"database [fi] {page.translation_key}: no full-text row" in out.getvalue()
    assert out.getvalue().strip().endswith("1 differences")
    out = io.StringIO()
    call_command("check_index", "--repair", stdout=out)
    assert out.getvalue().strip().endswith("0 differences")
    assert titles(run(q="tekstiriviton")) == {"Tekstiriviton kerho"}


def test_check_index_recounts_a_miscounted_vocabulary(uusimaa):
    make_practice(uusimaa, title="Laskukerho")
    SearchWord.objects.filter(locale="fi", word="laskukerho").update(documents=5)
    SearchWord.objects.create(locale="sv", word="spökord", documents=1)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("check_index", stdout=out)
    report = out.getvalue()
    assert "vocabulary [fi]: 1 words miscounted ('laskukerho' counted in 5, is in 1)" in report
    assert "vocabulary [sv]: 1 words miscounted ('spökord' counted in 1, is in 0)" in report
    assert report.strip().endswith("2 differences")
    out = io.StringIO()
    call_command("check_index", "--repair", stdout=out)
    assert out.getvalue().strip().endswith("0 differences")
    assert SearchWord.objects.get(locale="fi", word="laskukerho").documents == 1
    assert not SearchWord.objects.filter(word="spökord").exists()


def test_the_worker_drains_the_log_and_exits_with_once(uusimaa):
    page = make_practice(uusimaa, title="Työläiskerho")
    with committing(execute=False):  # committed, but nothing applied it (a process died)
        page.title = "Työväenkerho"
        page.save_revision().publish()
    assert IndexChange.objects.filter(db_pending=True).exists()
    out = io.StringIO()
    call_command("run_index_worker", "--once", stdout=out)
    assert "Applied 1 groups" in out.getvalue() and not IndexChange.objects.exists()
    assert titles(run(q="työväenkerho")) == {"Työväenkerho"}


def test_requests_drain_the_log_at_most_every_interval(uusimaa, client, settings):
    page = make_practice(uusimaa, title="Pyyntökerho")
    with committing(execute=False):
        page.title = "Vastauskerho"
        page.save_revision().publish()
    settings.KB_INDEX_DRAIN_INTERVAL = 0.01
    changelog._request_drain["last"] = 0.0
    client.get("/fi/")
    assert not IndexChange.objects.exists() and titles(run(q="vastauskerho")) == {"Vastauskerho"}


def test_rebuild_lets_publishing_go_on_between_chunks(uusimaa):
    """The database rebuild commits a chunk at a time: a publish between chunks is kept."""
    page = make_practice(uusimaa, title="Rakennuskerho")
    seen = []

    def progress(done, total):
        if not seen:
            publish_title(page, "Remonttikerho")
        seen.append(done)

    indexing.rebuild_index(progress=progress, chunk=10)
    assert len(seen) > 2
    assert run(q="rakennuskerho").total == 0 and titles(run(q="remonttikerho")) == {"Remonttikerho"}
    out = io.StringIO()
    call_command("check_index", stdout=out)
    assert out.getvalue().strip().endswith("0 differences")
