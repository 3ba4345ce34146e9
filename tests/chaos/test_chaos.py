"""Nothing lost, nothing stale: the search indexes under failures, one test per scenario.

Each test runs a scenario of bench/chaos.py (publisher processes editing, unpublishing and
republishing; searches through the HTTP API all along; the index worker and reindex as processes)
and requires what the harness measures: no committed edit missing from the database index or from
Elasticsearch once converged, no unpublished page served by a search that started after the
unpublish committed, convergence within 10 s of the fault's end, every search answered, and
`manage.py check_index` reporting 0 differences.
"""

import pytest

pytestmark = pytest.mark.chaos


def explain(chaos_module, result: dict) -> str:
    """What a failing assertion shows: the row, then the evidence."""
    lines = [" | ".join(f"{name}: {cell}" for name, cell in zip(chaos_module.HEADER, chaos_module.cells(result),
                                                                   strict=True))]
    lines += [f"error: {error}" for error in result["errors"]]
    lines += [f"note: {note}" for note in result["notes"]]
    lines += [f"left: {line}" for line in result["lost"][:10]]
    lines += [f"stale: {item}" for item in result["stale"][:5]]
    if result["publisher_errors"]:
        lines.append(f"publisher errors ({result['publisher_error_count']}): {result['publisher_errors'][:3]}")
    lines.append(f"during the fault: {result.get('during_fault')}")
    lines.append(f"timeline: {result['timeline']}")
    lines.append(f"check_index: {result['check_index']['output']}")
    lines.append("logs: artifacts/chaos/")
    return "\n".join(lines)


def assert_goals(chaos_module, result: dict):
    why = explain(chaos_module, result)
    assert not result["errors"], why
    assert result["edits_made"] > 0, why
    assert result["edits_lost"] == 0 and result["differences_left"] == 0, why
    assert result["stale_served"] == 0, why
    assert result["converge_s"] is not None and result["converge_s"] <= chaos_module.GOAL_CONVERGE_S, why
    assert result["searches"] > 0 and result["searches_failed"] == 0, why
    assert result["check_index"]["differences"] == 0 and result["check_index"]["status"] == 0, why


def test_reindex_twice_while_publishing(chaos, chaos_module):
    result = chaos.run_scenario("reindex")
    assert len(result.get("reindex_s", [])) == 2, explain(chaos_module, result)
    publishes = result["publishes_during_fault"]
    # Publishing never waits for a rebuild: each edit took less than a whole reindex.
    assert publishes["count"] > 0 and publishes["max_s"] < min(result["reindex_s"]), explain(chaos_module, result)
    assert_goals(chaos_module, result)


def test_elasticsearch_stopped_and_started_again(chaos, chaos_module):
    result = chaos.run_scenario("es-stopped")
    assert_goals(chaos_module, result)


def test_elasticsearch_frozen_searches_answered_from_the_database(chaos, chaos_module):
    result = chaos.run_scenario("es-frozen")
    during = result["during_fault"]
    assert during["searches"] > 0 and during["failed"] == 0, explain(chaos_module, result)
    assert sum(count for backend, count in during["by_backend"].items() if backend != "elasticsearch"), (
        explain(chaos_module, result))
    assert_goals(chaos_module, result)


def test_index_worker_killed_mid_batch(chaos, chaos_module):
    result = chaos.run_scenario("worker-killed")
    assert "worker_killed_in_state" in result, explain(chaos_module, result)  # there was a worker to kill
    assert_goals(chaos_module, result)


def test_database_index_failing_for_a_while(chaos, chaos_module):
    result = chaos.run_scenario("db-index-fails")
    assert_goals(chaos_module, result)
