"""Cluster tests: bench/chaos.py's harness on a three-node Elasticsearch cluster (make test-cluster).

They need the private PostgreSQL of scripts/with-postgres.sh and the three nodes of
`scripts/with-elasticsearch.sh --nodes 3` (ELASTICSEARCH_URL lists them; KB_ES_NODE stops and starts one):

    scripts/with-elasticsearch.sh --nodes 3 scripts/with-postgres.sh .venv/bin/pytest tests/cluster -m cluster

One fresh database, one set of indexes (one shard and one replica each) and one gunicorn server serve the
whole session; each scenario test stops nodes under load (tests/cluster/harness.py). The figures go to
artifacts/cluster/results.md and .json, the processes' and the nodes' logs next to them.

A default `pytest` run leaves this directory out (pyproject.toml: --ignore and the cluster marker).
In CI (CI=true) a missing cluster or PostgreSQL fails the run; elsewhere the tests are skipped with a
loud message.
"""

import os
import sys

import pytest

from . import harness as cluster_harness


def require_cluster():
    problem = cluster_harness.environment_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Cluster tests cannot run: {problem}; CI requires them.", pytrace=False)
        banner = "#" * 70
        sys.stderr.write(f"\n{banner}\nSKIPPED: Elasticsearch cluster tests ({problem}).\n{banner}\n")
        pytest.skip(f"cluster tests need {problem}")


@pytest.fixture(scope="session")
def cluster():
    """The prepared harness: database, indexes on three nodes and the server, shared by the scenarios."""
    require_cluster()
    harness = cluster_harness.ClusterHarness()
    try:
        harness.prepare()
        yield harness
    finally:
        try:
            harness.layout["sizes"] = harness.index_sizes()
        except (OSError, ValueError, StopIteration):
            pass
        harness.close()
        cluster_harness.copy_node_logs()
        if harness.results:
            cluster_harness.write_reports(harness, sum(result["duration_s"] for result in harness.results))
