"""Chaos tests: bench/chaos.py's scenarios as tests, on real processes (make test-chaos).

They need the private PostgreSQL and Elasticsearch of scripts/with-postgres.sh and
scripts/with-elasticsearch.sh (the node's pid file and restart command come from the latter):

    scripts/with-elasticsearch.sh scripts/with-postgres.sh .venv/bin/pytest tests/chaos -m chaos

One fresh database (migrate + load_demo), one set of Elasticsearch indexes (a prefix of their own)
and one gunicorn server serve the whole session; each test runs one scenario against them. The
figures go to artifacts/chaos/results.md and .json, the processes' logs next to them.

A default `pytest` run leaves this directory out (pyproject.toml: --ignore and the chaos marker).
In CI (CI=true) a missing PostgreSQL or Elasticsearch fails the run; elsewhere the tests are skipped
with a loud message.
"""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "chaos"


def _harness_module():
    spec = importlib.util.spec_from_file_location("kb_bench_chaos", ROOT / "bench" / "chaos.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def chaos_module():
    return _harness_module()


@pytest.fixture(scope="session")
def chaos(chaos_module):
    """The prepared harness: database, indexes and server, shared by the session's scenarios."""
    problem = chaos_module.environment_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chaos tests cannot run: {problem}; CI requires them.", pytrace=False)
        banner = "#" * 70
        sys.stderr.write(f"\n{banner}\nSKIPPED: chaos tests ({problem}).\n{banner}\n")
        pytest.skip(f"chaos tests need {problem}")
    harness = chaos_module.Harness(workdir=ARTIFACTS)
    try:
        harness.prepare()
        yield harness
    finally:
        harness.close()
        if harness.results:
            scenarios_s = sum(result["duration_s"] for result in harness.results)
            chaos_module.write_reports(harness, scenarios_s, ARTIFACTS / "results")
