"""Elasticsearch against a real node (scripts/with-elasticsearch.sh): the same answers as the
database, one request per search, atomic rebuilds that lose no edit, versioned writes, a circuit
breaker, and graceful failure when it is down or slow."""

import io
import os
import socket
import threading
import time
import uuid

import pytest
from django.core.management import call_command
from django.http import QueryDict
from django.test import TestCase, override_settings
from elastic_transport import ConnectionTimeout
from elasticsearch import helpers

from search import changelog
from search.backends.database import DatabaseBackend
from search.backends.elasticsearch import ElasticsearchBackend, document_source
from search.breaker import elasticsearch_breaker, elasticsearch_writes_breaker, reset_breakers
from search.models import IndexChange, SearchDocument
from search.query import parse_query, parse_request

from .factories import make_practice
from .search_helpers import run, titles

pytestmark = pytest.mark.django_db
URL = os.environ.get("ELASTICSEARCH_URL", "")


@pytest.fixture
def es_settings(settings):
    if not URL:
        if os.environ.get("CI") == "true":
            pytest.fail("ELASTICSEARCH_URL is not set in CI: run the tests through scripts/with-elasticsearch.sh")
        pytest.skip("LOUD SKIP: no Elasticsearch here (run via scripts/with-elasticsearch.sh)")
    settings.KB_ELASTICSEARCH_URL = URL
    # Generous on a busy machine: a slow answer is not what these tests are about (the breaker
    # tests set their own); administrative requests have KB_ELASTICSEARCH_ADMIN_TIMEOUT.
    settings.KB_ELASTICSEARCH_TIMEOUT = 30
    prefix = settings.KB_ELASTICSEARCH_INDEX_PREFIX = f"kbtest{uuid.uuid4().hex[:8]}"
    reset_breakers()
    yield settings
    reset_breakers()
    ElasticsearchBackend(URL, 60, prefix).client.indices.delete(index=f"{prefix}_*", ignore_unavailable=True)


@pytest.fixture
def es(es_settings):
    backend = ElasticsearchBackend.for_administration()
    backend.rebuild()
    return backend


def worker_drain():
    """What `manage.py run_index_worker` does in one round."""
    return changelog.drain(engine=ElasticsearchBackend.for_administration())


def both(locale, query_string):
    search_request = parse_request(QueryDict(query_string), locale, strict=True)
    parsed = parse_query(locale, search_request.text, search_request.operator)
    return ElasticsearchBackend.from_settings().search(search_request, parsed), DatabaseBackend().search(
        search_request, parsed)


@pytest.mark.parametrize("locale, query_string", [
    ("fi", ""),
    ("fi", "q=kielikahvilassa"),
    ("fi", "q=neuvonta&status=ongoing&status=permanent"),
    ("fi", "region=01&region=02&theme=language"),
    ("fi", "q=%22matalan+kynnyksen%22"),
    ("fi", "q=kirjasto+nuoret&operator=or&target_group=youth"),
    ("sv", "q=språkkaféer"),
    ("sv", "region=15&region=21&evidence_level=promising"),
    ("en", "q=library&language=fi&organisation_type=library"),
    ("en", "sort=title&page=2&page_size=10"),
])
def test_same_totals_counts_and_hits_as_the_database(es, locale, query_string):
    engine, database = both(locale, query_string)
    assert engine.total == database.total
    assert engine.counts == database.counts
    assert engine.totals_without == database.totals_without
    if "sort=title" in query_string:
        assert engine.ids == database.ids  # same order for a deterministic sort
    else:
        assert set(engine.ids) == set(database.ids)


def test_one_request_per_search(es, monkeypatch):
    sent = []
    original = es.client.transport.perform_request

    def counting(method, path, **kwargs):
        sent.append((method, path))
        return original(method, path, **kwargs)

    monkeypatch.setattr(es.client.transport, "perform_request", counting)
    search_request = parse_request(QueryDict("q=kirjasto&region=01&region=02&theme=language&status=ongoing"), "fi",
                                   strict=True)
    es.search(search_request, parse_query("fi", search_request.text))
    assert len(sent) == 1 and sent[0][1].endswith("/_search")


def test_the_service_uses_elasticsearch_when_configured(es):
    result = run(q="kielikahvila")
    assert result.backend == "elasticsearch" and not result.degraded and result.total >= 2


def test_publishing_reaches_elasticsearch(es, uusimaa):
    make_practice(uusimaa, title="Kantelekerho")
    result = run(q="kantelekerho")
    assert (result.backend, titles(result)) == ("elasticsearch", {"Kantelekerho"})


def unused_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_down_elasticsearch_falls_back_to_the_database(es_settings, client):
    es_settings.KB_ELASTICSEARCH_URL = f"http://127.0.0.1:{unused_port()}"
    result = run(q="kielikahvila", region=["01"])
    assert result.degraded and result.backend != "elasticsearch" and result.total >= 1
    response = client.get("/fi/search/", {"q": "kielikahvila"})
    assert response.status_code == 200 and 'class="notice"' in response.content.decode()
    assert client.get("/api/v1/search/", {"q": "kielikahvila"}).json()["degraded"] is True


def test_slow_elasticsearch_times_out_and_falls_back(es_settings):
    """A server that accepts connections but never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        es_settings.KB_ELASTICSEARCH_URL = f"http://127.0.0.1:{listener.getsockname()[1]}"
        es_settings.KB_ELASTICSEARCH_TIMEOUT = 0.5
        result = run(q="kielikahvila")
        assert result.degraded and result.total >= 2
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def test_editing_while_down_loses_nothing(es, es_settings, uusimaa):
    with override_settings(KB_ELASTICSEARCH_URL=f"http://127.0.0.1:{unused_port()}"):
        page = make_practice(uusimaa, title="Harmonikkakerho")  # publishing works while ES is down
        waiting = IndexChange.objects.get(translation_key=page.translation_key)
        assert (waiting.db_pending, waiting.engine_pending) == (False, True)
        assert titles(run(q="harmonikkakerho")) == {"Harmonikkakerho"}  # found through the database
    reset_breakers()
    assert run(q="harmonikkakerho").backend == "elasticsearch"
    assert run(q="harmonikkakerho").total == 0  # not there yet
    time.sleep(1.1)  # the first retry is due a second after the failure
    assert worker_drain().engine >= 1  # the change log catches up once ES is back
    assert titles(run(q="harmonikkakerho")) == {"Harmonikkakerho"}
    assert not IndexChange.objects.exists()


def test_rebuild_swaps_atomically_and_old_index_serves_meanwhile(es):
    alias = es.alias("fi")
    before = set(es.client.indices.get_alias(name=alias))
    expected = run(q="kielikahvila").total
    seen_during = []

    def progress(done, total):
        # While the new index fills, searches still hit the old, complete one.
        seen_during.append(run(q="kielikahvila").total)

    es.rebuild(progress=progress)
    after = set(es.client.indices.get_alias(name=alias))
    assert before.isdisjoint(after) and len(after) == 1
    assert not any(es.client.indices.exists(index=index) for index in before)
    assert seen_during and set(seen_during) == {expected}
    assert run(q="kielikahvila").total == expected


def test_reindex_elasticsearch_only_copies_the_database_index_as_it_is(es, monkeypatch):
    """New indexes from the database documents, which are neither analysed nor written again."""
    before = {locale: set(es.client.indices.get_alias(name=es.alias(locale))) for locale in ("fi", "sv", "en")}
    documents = list(SearchDocument.objects.order_by("pk").values_list("pk", "version", "fingerprint"))
    expected = run(q="kielikahvila").total
    monkeypatch.setattr("search.indexing.rebuild_index", lambda **kwargs: pytest.fail("the database index rebuilt"))
    out, err = io.StringIO(), io.StringIO()
    call_command("reindex", "--elasticsearch-only", stdout=out, stderr=err)
    assert "Database search index" not in out.getvalue() and "Elasticsearch: fi:" in out.getvalue()
    for locale, names in before.items():
        assert names.isdisjoint(es.client.indices.get_alias(name=es.alias(locale)))
    assert list(SearchDocument.objects.order_by("pk").values_list("pk", "version", "fingerprint")) == documents
    assert run(q="kielikahvila").backend == "elasticsearch" and run(q="kielikahvila").total == expected


def test_hits_come_from_elasticsearch_alone(es, monkeypatch):
    """A search is one Elasticsearch request and two small queries (the index token, for the
    labels, and the live check of the page of hits); its hits are those the database's rows give."""
    from dataclasses import replace

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from search.service import _hits

    params = {"q": "kielikahvila", "region": ["01", "02", "06"], "sort": "title", "page_size": "50"}
    run(**params)  # taxonomy labels are cached after the first search
    sent = []
    transport = ElasticsearchBackend.from_settings().client.transport  # the search path's client
    original = transport.perform_request
    monkeypatch.setattr(transport, "perform_request",
                        lambda method, path, **kwargs: sent.append(path) or original(method, path, **kwargs))
    with CaptureQueriesContext(connection) as queries:
        result = run(**params)
    assert result.backend == "elasticsearch" and result.hits
    assert (len(sent), len(queries)) == (1, 2), [q["sql"][:80] for q in queries]
    search_request = result.request
    parsed = parse_query("fi", search_request.text)
    raw = es.search(search_request, parsed)
    assert raw.documents is not None
    assert result.hits == _hits(replace(raw, documents=None), parsed, search_request)


def test_an_index_without_the_hit_fields_still_shows_hits(es):
    """Documents indexed before document_id and url were stored: the hits are read from the database."""
    from search.backends.elasticsearch import document_source
    from search.models import SearchDocument

    expected = run(q="kielikahvila", sort="title")
    for document in SearchDocument.objects.filter(locale="fi", page_id__in=[hit.id for hit in expected.hits]):
        source = document_source(document)
        del source["document_id"], source["url"]
        es.client.index(index=es.alias("fi"), id=str(document.translation_key), document=source)
    es.client.indices.refresh(index=es.alias("fi"))
    result = run(q="kielikahvila", sort="title")
    assert result.backend == "elasticsearch" and result.hits == expected.hits


committing = TestCase.captureOnCommitCallbacks


def publish_title(page, title):
    page.title = title
    with committing(execute=True):
        page.save_revision().publish()


def es_titles(backend, locale="fi"):
    """Titles in the locale's index right now, by translation key."""
    backend.client.indices.refresh(index=backend.alias(locale))
    return {key: source["title"] for key, _version, source in backend.documents(locale)}


def test_a_publish_during_rebuild_is_not_lost(es, uusimaa):
    """The rebuild replays what was applied while it ran: the edit reaches the new index."""
    page = make_practice(uusimaa, title="Ennen uudelleenrakennusta")
    edits = []

    def progress(done, total):
        if not edits:  # while the new indexes are being filled, an editor publishes
            publish_title(page, "Julkaistu kesken rakennuksen")
            edits.append(es_titles(es)[page.translation_key])

    es.rebuild(progress=progress)
    assert edits == ["Julkaistu kesken rakennuksen"]  # it reached the old index through the alias ...
    assert es_titles(es)[page.translation_key] == "Julkaistu kesken rakennuksen"  # ... and the new one
    assert titles(run(q="uudelleenrakennusta")) == set() and run(q="kesken").backend == "elasticsearch"
    assert not IndexChange.objects.exists()
    out = io.StringIO()
    call_command("check_index", stdout=out)
    assert out.getvalue().strip().endswith("0 differences")


def test_an_older_write_never_replaces_a_newer_one(es, uusimaa):
    page = make_practice(uusimaa, title="Versio yksi")
    key = page.translation_key
    stale = list(es._actions({key: 0}))  # a slow writer read version one ...
    publish_title(page, "Versio kaksi")  # ... and a newer publish overtook it
    assert es_titles(es)[key] == "Versio kaksi"
    assert max(action["version"] for action in stale) < min(d.version for d in SearchDocument.objects.filter(
        translation_key=key))
    _ok, failures = helpers.bulk(es.client, stale, raise_on_error=False, refresh=True)
    assert failures and {next(iter(f.values()))["status"] for f in failures} == {409}
    assert es_titles(es)[key] == "Versio kaksi"
    assert es.apply({key: 0}) == {}  # re-applying the same version is harmless


def test_unpublished_while_down_is_never_served_and_the_backlog_drains(es, es_settings, uusimaa, client):
    page = make_practice(uusimaa, title="Katoava kerho")
    with override_settings(KB_ELASTICSEARCH_URL=f"http://127.0.0.1:{unused_port()}"):
        with committing(execute=True):
            page.unpublish()
    reset_breakers()  # Elasticsearch is back, with the page still in it
    assert page.translation_key in es_titles(es)
    result = run(q="katoava")
    assert (result.backend, result.hits, result.suppressed) == ("elasticsearch", [], 1)
    assert client.get("/api/v1/search/", {"q": "katoava"}).json()["diagnostics"]["suppressed"] == 1
    # No other write: a request's drain (at most every KB_INDEX_DRAIN_INTERVAL s) sends the backlog.
    es_settings.KB_INDEX_DRAIN_INTERVAL = 0.01
    IndexChange.objects.update(next_attempt_at=None)
    changelog._request_drain["last"] = 0.0
    client.get("/fi/")
    assert page.translation_key not in es_titles(es) and not IndexChange.objects.exists()
    assert run(q="katoava").suppressed == 0


class Silent:
    """A server that accepts connections and never answers: a frozen Elasticsearch."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.accepted, self.stop = [], threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                self.accepted.append(self.listener.accept()[0])
            except OSError:
                pass

    @property
    def url(self):
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        for connection in self.accepted:
            connection.close()
        self.listener.close()


def test_the_breaker_answers_from_the_database_at_once_while_elasticsearch_hangs(es, es_settings):
    with Silent() as frozen:
        es_settings.KB_ELASTICSEARCH_URL = frozen.url
        es_settings.KB_ELASTICSEARCH_TIMEOUT = 0.5
        es_settings.KB_ELASTICSEARCH_COOLDOWN = 1.0
        started = time.monotonic()
        first = run(q="kielikahvila")
        assert first.degraded and first.total >= 2 and time.monotonic() - started >= 0.5  # waited once
        assert elasticsearch_breaker.state == "open"
        calls = len(frozen.accepted)
        started = time.monotonic()
        for _ in range(5):
            assert run(q="kielikahvila").degraded
        assert time.monotonic() - started < 0.5 * 5 / 2  # none of them waited for the timeout ...
        time.sleep(0.2)
        assert len(frozen.accepted) == calls  # ... nor even tried Elasticsearch
        time.sleep(1.0)  # the cool-down is over: one probe goes out, and fails
        assert run(q="kielikahvila").degraded and elasticsearch_breaker.state == "open"
    es_settings.KB_ELASTICSEARCH_URL, es_settings.KB_ELASTICSEARCH_TIMEOUT = URL, 30
    time.sleep(1.1)
    assert run(q="kielikahvila").backend == "elasticsearch" and elasticsearch_breaker.state == "closed"


def test_a_write_that_times_out_keeps_searches_on_elasticsearch(es, uusimaa, monkeypatch):
    """A bulk write with a refresh outlasts the search timeout on a loaded cluster: the change waits
    in the log for the worker, and searches stay on Elasticsearch."""
    transport = ElasticsearchBackend.from_settings().client.transport  # the request path's client
    original = transport.perform_request

    def slow_writes(method, path, **kwargs):
        if "_bulk" in path:
            raise ConnectionTimeout("Connection timed out (a loaded cluster)")
        return original(method, path, **kwargs)

    monkeypatch.setattr(transport, "perform_request", slow_writes)
    page = make_practice(uusimaa, title="Hidaskirjoituskerho")
    assert elasticsearch_writes_breaker.state == "open" and elasticsearch_breaker.state == "closed"
    assert IndexChange.objects.get(translation_key=page.translation_key).engine_pending
    result = run(q="kielikahvila")
    assert result.backend == "elasticsearch" and not result.degraded
    monkeypatch.undo()
    IndexChange.objects.update(next_attempt_at=None)
    assert worker_drain().engine == 1  # the worker applies it
    assert titles(run(q="hidaskirjoituskerho")) == {"Hidaskirjoituskerho"}
    assert run(q="hidaskirjoituskerho").backend == "elasticsearch"


def test_pages_that_show_counts_wait_only_a_short_budget(es_settings, client):
    with Silent() as frozen:
        es_settings.KB_ELASTICSEARCH_URL = frozen.url
        es_settings.KB_ELASTICSEARCH_TIMEOUT = 5
        es_settings.KB_ELASTICSEARCH_COUNTS_TIMEOUT = 0.3
        started = time.monotonic()
        assert client.get("/fi/").status_code == 200
        assert time.monotonic() - started < 3  # the map's counts waited 0.3 s, not 5


def test_a_failed_rebuild_removes_its_unfinished_index_and_keeps_the_old(es, monkeypatch):
    alias = es.alias("fi")
    before = set(es.client.indices.get_alias(name=alias))
    monkeypatch.setattr(type(es), "_copy", lambda *args: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError):
        es.rebuild()
    assert set(es.client.indices.get_alias(name=alias)) == before
    assert set(es.client.indices.get(index=f"{es.prefix}_practices_fi*")) == before
    from search.models import IndexRebuild

    assert not IndexRebuild.objects.exists() and run(q="kielikahvila").backend == "elasticsearch"


def test_check_index_finds_and_repairs_elasticsearch_differences(es, uusimaa):
    page = make_practice(uusimaa, title="Tarkastettava kerho")
    key = str(page.translation_key)
    source = document_source(SearchDocument.objects.get(page=page, locale="fi"))
    es.client.index(index=es.alias("fi"), id=key, document={**source, "title": "Väärä"}, version=10**9,
                    version_type="external", refresh=True)  # ahead of the database: e.g. a restored backup
    es.client.delete(index=es.alias("sv"), id=key, refresh=True)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("check_index", stdout=out)
    report = out.getvalue()
    assert "elasticsearch [fi]" in report and "Väärä" in report and "elasticsearch [sv]" in report
    out = io.StringIO()
    call_command("check_index", "--repair", stdout=out)
    assert out.getvalue().strip().endswith("0 differences")
    assert es_titles(es)[page.translation_key] == "Tarkastettava kerho"
