"""ELASTICSEARCH_URL with several nodes, ELASTICSEARCH_SHARDS and ELASTICSEARCH_REPLICAS: parsed in
kb/settings/env.py (checked in a subprocess, as the environment is read once), and what the client and
the new indexes make of them."""

import json
import os
import socket
import subprocess
import sys

import pytest

from search.backends.elasticsearch import ElasticsearchBackend, _client, index_settings

from . import harness as cluster_harness

pytestmark = pytest.mark.cluster
READ = ("import json; from kb.settings import env; "
        "print(json.dumps([env.ELASTICSEARCH_URL, env.ELASTICSEARCH_SHARDS, env.ELASTICSEARCH_REPLICAS]))")


def read_env(**variables):
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"ELASTICSEARCH_URL", "ELASTICSEARCH_SHARDS", "ELASTICSEARCH_REPLICAS"}}
    result = subprocess.run([sys.executable, "-c", READ], cwd=cluster_harness.ROOT, capture_output=True, text=True,
                            env={**environment, **variables}, timeout=60)
    return (json.loads(result.stdout), "") if result.returncode == 0 else (None, result.stderr)


def test_one_url_several_urls_and_none():
    assert read_env()[0] == [[], 1, "0-1"]
    assert read_env(ELASTICSEARCH_URL="http://127.0.0.1:9200")[0][0] == ["http://127.0.0.1:9200"]
    urls = " http://es1:9200, http://es2:9200 ,https://user:pass@es3.example ,"
    assert read_env(ELASTICSEARCH_URL=urls)[0][0] == ["http://es1:9200", "http://es2:9200", "https://user:pass@es3.example"]


@pytest.mark.parametrize("url", ["es1:9200", "http://es1", "ftp://es1:21", "http://es1:9200,http://es2:99999",
                                 "http://user:hunter2@es1:0"])
def test_a_url_the_client_cannot_use_is_a_clear_error(url):
    values, error = read_env(ELASTICSEARCH_URL=url)
    assert values is None and "ELASTICSEARCH_URL must be http(s)://host:port" in error
    assert "hunter2" not in error


def test_shards_and_replicas():
    assert read_env(ELASTICSEARCH_SHARDS="3", ELASTICSEARCH_REPLICAS="1")[0][1:] == [3, 1]
    assert read_env(ELASTICSEARCH_REPLICAS="0-all")[0][2] == "0-all"
    for name, value in [("ELASTICSEARCH_SHARDS", "0"), ("ELASTICSEARCH_REPLICAS", "2-1"),
                        ("ELASTICSEARCH_REPLICAS", "one")]:
        values, error = read_env(**{name: value})
        assert values is None and f"{name} must be" in error, (name, value)


def test_new_indexes_take_the_shards_and_replicas_of_the_settings(settings):
    settings.KB_ELASTICSEARCH_SHARDS, settings.KB_ELASTICSEARCH_REPLICAS = 2, 1
    assert index_settings() == {"number_of_shards": 2, "number_of_replicas": 1, "gc_deletes": "1h"}
    settings.KB_ELASTICSEARCH_SHARDS, settings.KB_ELASTICSEARCH_REPLICAS = 1, "0-1"
    assert index_settings() == {"number_of_shards": 1, "auto_expand_replicas": "0-1", "gc_deletes": "1h"}


def test_one_node_no_retries_several_nodes_one_retry_on_another():
    single = _client(("http://127.0.0.1:9201",), 2.0)
    assert len(single.transport.node_pool.all()) == 1 and single._max_retries == 0 and not single._retry_on_timeout
    several = ElasticsearchBackend("http://127.0.0.1:9201, http://127.0.0.1:9202,http://127.0.0.1:9203", 2.0, "kb")
    client = several.client
    assert len(client.transport.node_pool.all()) == 3 and client._max_retries == 1 and client._retry_on_timeout
    # The search path's shorter budget keeps them (ElasticsearchBackend.search: client.options).
    assert client.options(request_timeout=0.5)._max_retries == 1
    # A list (KB_ELASTICSEARCH_URL) and the same URLs in a string share one client.
    listed = ElasticsearchBackend(["http://127.0.0.1:9201", "http://127.0.0.1:9202", "http://127.0.0.1:9203"], 2.0, "kb")
    assert listed.client is several.client


def test_a_node_that_refuses_is_skipped():
    """Against the real cluster: one URL of nothing listening and one node; every request is answered."""
    if not os.environ.get("KB_ES_CLUSTER_DIR"):
        pytest.skip("no test cluster (scripts/with-elasticsearch.sh --nodes 3)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    live = os.environ["ELASTICSEARCH_URL"].split(",")[0]
    backend = ElasticsearchBackend([dead, live], 5.0, "kb")
    assert all(backend.client.cluster.health()["number_of_nodes"] == cluster_harness.NODES for _ in range(10))
