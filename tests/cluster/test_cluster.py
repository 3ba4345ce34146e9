"""A three-node Elasticsearch cluster loses a node, or restarts every node in turn, while editors publish
and visitors search: nothing fails, nothing is lost.

Each scenario (tests/cluster/harness.py) runs the chaos harness's load throughout: an editor's process
editing, unpublishing and republishing practices, two searchers calling the HTTP API without a pause
through gunicorn, the index worker. It requires:
- every search answered (HTTP 200): by Elasticsearch, whose other nodes hold a copy of every shard and
  take the requests a node cannot, or by the database fallback, which says so (backend "postgresql",
  "degraded": true); Elasticsearch answered searches while the node was away;
- edits committed while the node was away, none lost: once the edits stop, the database index and every
  Elasticsearch alias show each practice's last committed state, and `manage.py check_index` reports 0
  differences;
- no unpublished practice served after its unpublish committed;
- the cluster never red, and green with all three nodes again after the node returns.
"""

import pytest

from . import harness as cluster_harness

pytestmark = pytest.mark.cluster
chaos = cluster_harness.chaos
DATABASE_BACKENDS = {"postgresql", "sqlite"}  # the fallback's names in the API's "backend"


def explain(result: dict) -> str:
    """What a failing assertion shows: the row, then the evidence."""
    lines = [" | ".join(f"{name}: {cell}" for name, cell in zip(chaos.HEADER, chaos.cells(result), strict=True))]
    lines += [f"error: {error}" for error in result["errors"]]
    lines += [f"note: {note}" for note in result["notes"]]
    lines += [f"left: {line}" for line in result["lost"][:10]]
    lines += [f"stale: {item}" for item in result["stale"][:5]]
    lines.append(f"failed searches: {result['failed_examples']}")
    lines.append(f"by backend: {result['searches_by_backend']}, degraded {result['searches_degraded']}")
    lines.append(f"during the fault: {result.get('during_fault')}; edits: {result.get('publishes_during_fault')}")
    lines.append(f"cluster: {result.get('cluster')}")
    lines.append(f"server log: {result.get('server_log')}")
    lines.append(f"timeline: {result['timeline']}")
    lines.append(f"check_index: {result['check_index']['output']}")
    lines.append("logs: artifacts/cluster/")
    return "\n".join(lines)


def assert_nothing_failed_or_lost(result: dict):
    why = explain(result)
    assert not result["errors"], why
    # Searches: every one answered, by Elasticsearch or by the database fallback, which says so
    # ("degraded"); Elasticsearch answered while the node was away.
    during = result["during_fault"]
    assert result["searches"] > 0 and during["searches"] > 0, why
    assert result["searches_failed"] == 0 and during["failed"] == 0, why
    by_backend = result["searches_by_backend"]
    assert set(by_backend) <= {"elasticsearch", *DATABASE_BACKENDS}, why
    assert result["searches_degraded"] == sum(by_backend.get(name, 0) for name in DATABASE_BACKENDS), why
    assert during["by_backend"].get("elasticsearch", 0) > 0, why
    # Writes: made while the node was away, none lost, none stale, check_index clean.
    assert result["publishes_during_fault"]["count"] > 0, why
    assert result["edits_made"] > 0 and result["edits_lost"] == 0 and result["differences_left"] == 0, why
    assert result["stale_served"] == 0, why
    assert result["converge_s"] is not None, why  # within CONVERGE_TIMEOUT_S; the time is in the report
    assert result["check_index"]["differences"] == 0 and result["check_index"]["status"] == 0, why
    # The cluster: never red; green with every node again (the scenario waits for it or fails).
    health = result["cluster"]["health"]
    assert health["samples"] > 0 and health["red"] == 0, why


def test_every_index_has_one_shard_and_one_replica_on_other_nodes(cluster):
    layout = cluster.layout
    assert sorted(layout["indexes"]) and len(layout["indexes"]) == len(chaos.LOCALES), layout
    for name, values in layout["indexes"].items():
        assert values == {"number_of_shards": cluster_harness.SHARDS, "number_of_replicas": cluster_harness.REPLICAS}, name
    copies: dict[str, list] = {}
    for row in layout["shards"]:
        assert row["state"] == "STARTED", row
        copies.setdefault(row["index"], []).append(row["node"])
    for index, nodes in copies.items():
        assert len(nodes) == 2 and len(set(nodes)) == 2, (index, nodes)  # primary and replica apart


def test_a_node_stopped_under_load(cluster):
    result = cluster.run_scenario("node-stopped")
    assert_nothing_failed_or_lost(result)
    assert result["cluster"]["signal"] == "SIGTERM" and result["cluster"]["primaries_on_it"] > 0, explain(result)


def test_the_master_node_killed_under_load(cluster):
    result = cluster.run_scenario("node-killed")
    assert_nothing_failed_or_lost(result)
    assert result["cluster"]["signal"] == "SIGKILL" and result["cluster"]["was_master"], explain(result)


def test_a_rolling_restart_of_every_node_under_load(cluster):
    result = cluster.run_scenario("rolling-restart")
    assert_nothing_failed_or_lost(result)
    restarted = [restart["node"] for restart in result["cluster"]["restarts"]]
    assert restarted == [f"kb-test-{number}" for number in range(1, cluster_harness.NODES + 1)], explain(result)
