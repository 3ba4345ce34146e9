"""The chaos harness of bench/chaos.py on a three-node Elasticsearch cluster.

Everything bench/chaos.py sets up is reused: a fresh PostgreSQL database (migrate + load_demo),
gunicorn serving the site, the index worker, a publisher process editing, unpublishing and republishing
practices (one editor here, at a human pace: PUBLISHERS, PUBLISHER_PAUSE_S), a monitor searching through
the HTTP API without a pause (one searcher here: SEARCHERS), and the oracle that compares every index with the committed edits and
runs `manage.py check_index`.
What changes is Elasticsearch: the three nodes of `scripts/with-elasticsearch.sh --nodes 3`, every
process of the site given all three URLs (ELASTICSEARCH_URL) and indexes with ELASTICSEARCH_REPLICAS=1,
and three scenarios of its own:

  node-stopped     the node holding the most primary shards of the site's indexes gets SIGTERM (an
                   orderly shutdown), stays away for NODE_OUT_S, is started again; the cluster must be
                   green with three nodes again
  node-killed      the elected master node gets SIGKILL (a crash: no shutdown at all; the others must
                   notice, elect a new master and promote replicas), then the same
  rolling-restart  every node in turn, as docs/search.md tells operators: shard allocation limited to
                   primaries, a flush, SIGTERM, start, allocation enabled again, wait for green, next

Publishers and searches run from before the first stop until the cluster is green again; only then do
the edits stop and the oracle waits for the indexes to converge. Waiting is always on the cluster's
health API or on a process, never on a fixed sleep (the sleeps only let load run). A sampler records
the cluster's health every HEALTH_EVERY_S from a node that is up: the status seen while a node was away,
and how long the cluster was without an elected master.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "cluster"
NODES = 3
SHARDS = 1  # per language index: the production default (docs/search.md)
REPLICAS = 1  # one copy of every shard on another node: any one node may go
NODE_OUT_S = 6.0  # how long a stopped node stays away while edits and searches go on
GREEN_TIMEOUT_S = 300.0  # a node's start and recovery on a loaded two-core machine
NODE_TIMEOUT_S = 300.0  # a node's stop (SIGTERM) or start until it has joined
HEALTH_EVERY_S = 0.5
# One editor publishing all the time, pausing this long between edits (bench/chaos.py: three as fast as
# they can), so that the two cores keep room to restart a node under the load.
PUBLISHERS = 1
PUBLISHER_PAUSE_S = 0.3
# One searcher without a pause (bench/chaos.py: two): about a search every 0.1-0.2 s, hundreds while a
# node is away, and half the CPU the web server would spend on two.
SEARCHERS = 1
# How long the oracle waits for the indexes to show every committed edit once the edits stop: a node's
# recovery on a loaded machine can hold the index worker's requests (bench/chaos.py: 30 s).
CONVERGE_TIMEOUT_S = 120.0
CLUSTER_SCENARIOS = ("node-stopped", "node-killed", "rolling-restart")


def environment_problem() -> str | None:
    """Why the cluster harness cannot run here, or None."""
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL is not a PostgreSQL URL (run under scripts/with-postgres.sh)"
    urls = [url for url in os.environ.get("ELASTICSEARCH_URL", "").split(",") if url]
    if len(urls) != NODES or not os.environ.get("KB_ES_CLUSTER_DIR"):
        return (f"ELASTICSEARCH_URL does not name a {NODES}-node test cluster "
                f"(run under scripts/with-elasticsearch.sh --nodes {NODES})")
    hosts = {urllib.parse.urlsplit(url).hostname for url in [*urls, database_url]}
    if not hosts <= {"127.0.0.1", "localhost", "::1"}:
        return "PostgreSQL and Elasticsearch must be on 127.0.0.1: the harness stops and kills them"
    helper = os.environ.get("KB_ES_NODE", "")
    if not helper or not os.access(helper, os.X_OK):
        return "KB_ES_NODE is not set (the nodes must come from scripts/with-elasticsearch.sh --nodes 3)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    return None


def _load_chaos():
    """bench/chaos.py as a module of its own, with the cluster's scenarios, environment check and load
    (this copy only: tests/chaos and bench/chaos.py keep theirs)."""
    spec = importlib.util.spec_from_file_location("kb_bench_chaos_cluster", ROOT / "bench" / "chaos.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.SCENARIOS = (*module.SCENARIOS, *CLUSTER_SCENARIOS)
    module.environment_problem = environment_problem
    module.PUBLISHERS, module.PUBLISHER_PAUSE_S = PUBLISHERS, PUBLISHER_PAUSE_S

    class Monitor(module.Monitor):
        def __init__(self, base_url: str, threads: int = SEARCHERS):
            super().__init__(base_url, threads)

    module.Monitor = Monitor
    return module


chaos = _load_chaos()
SetupError = chaos.SetupError


class HealthSampler:
    """The cluster's health every HEALTH_EVERY_S, asked of a node that is up: (s, status, nodes) rows."""

    def __init__(self, harness: "ClusterHarness"):
        self.harness = harness
        self.samples: list[tuple[float, str, int | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="health-sampler")
        self.started = time.time()

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> list:
        self._stop.set()
        self._thread.join(10)
        return self.samples

    def _run(self):
        while not self._stop.is_set():
            at = round(time.time() - self.started, 2)
            try:
                health = chaos._http_json("GET", f"{self.harness.es_url}/_cluster/health?timeout=1s&master_timeout=1s",
                                          timeout=3)
                self.samples.append((at, health.get("status", "?"), health.get("number_of_nodes")))
            except OSError as error:  # 503: no elected master; or the node asked went away meanwhile
                status = "no master" if getattr(error, "code", None) == 503 else "unreachable"
                self.samples.append((at, status, None))
            except ValueError:
                self.samples.append((at, "unreadable", None))
            self._stop.wait(HEALTH_EVERY_S)


def health_summary(samples: list) -> dict:
    """What the samples show: the statuses seen, and the longest time without an elected master (from
    the first sample that found none to the next that found one: at most that long)."""
    seen: dict[str, int] = {}
    longest, since = 0.0, None
    for at, status, _nodes in samples:
        seen[status] = seen.get(status, 0) + 1
        if status == "no master":
            since = at if since is None else since
        elif since is not None and status not in ("unreachable", "unreadable"):
            longest, since = max(longest, at - since), None
    return {"samples": len(samples), "statuses": seen, "red": seen.get("red", 0),
            "longest_without_master_s": round(longest, 2)}


class ClusterHarness(chaos.Harness):
    """bench/chaos.py's Harness with a three-node cluster in place of the single node."""

    def __init__(self, workdir: Path = ARTIFACTS, converge_timeout: float = CONVERGE_TIMEOUT_S, **kwargs):
        self.urls = [url.rstrip("/") for url in os.environ.get("ELASTICSEARCH_URL", "").split(",") if url]
        self.down: set[int] = set()  # nodes stopped by a scenario
        self.node_log: list[str] = []
        super().__init__(workdir=workdir, converge_timeout=converge_timeout, **kwargs)
        self.prefix = f"cluster{self.run_id}"
        self.dbname = f"kb_cluster_{self.run_id}"
        self.layout: dict = {}

    # --- where the harness itself talks to Elasticsearch: a node that is up --------------------
    @property
    def es_url(self) -> str:
        return next(url for number, url in enumerate(self.urls, 1) if number not in self.down)

    @es_url.setter
    def es_url(self, _value):  # the base class stores ELASTICSEARCH_URL here; the list is self.urls
        pass

    def child_env(self, application_name: str, **overrides) -> dict:
        """The site's processes know every node, and their new indexes get a replica."""
        overrides.setdefault("ELASTICSEARCH_URL", ",".join(self.urls))
        overrides.setdefault("ELASTICSEARCH_SHARDS", str(SHARDS))
        overrides.setdefault("ELASTICSEARCH_REPLICAS", str(REPLICAS))
        return super().child_env(application_name, **overrides)

    # --- nodes ----------------------------------------------------------------------------------
    def node(self, action: str, number: int) -> str:
        started = time.time()
        result = subprocess.run([os.environ["KB_ES_NODE"], action, str(number)], cwd=ROOT, capture_output=True,
                                text=True, timeout=2 * NODE_TIMEOUT_S + 60)
        self.node_log.append(f"{time.strftime('%H:%M:%S')} {action} {number}: exit {result.returncode} "
                             f"after {time.time() - started:.1f} s {result.stderr.strip()[-300:]}")
        if result.returncode != 0:
            raise SetupError(f"KB_ES_NODE {action} {number} failed (exit {result.returncode}): {result.stderr[-2000:]}")
        return result.stdout.strip()

    def stop_node(self, number: int, hard: bool = False) -> float:
        """SIGTERM (or SIGKILL when ``hard``); returns the seconds until the process was gone."""
        self.down.add(number)  # from now on the harness asks another node
        started = time.time()
        self.node("kill" if hard else "stop", number)
        return round(time.time() - started, 2)

    def start_node(self, number: int) -> float:
        """Start the node again; returns the seconds until it had joined the cluster."""
        started = time.time()
        self.node("start", number)
        self.down.discard(number)
        return round(time.time() - started, 2)

    def wait_green(self, timeout: float = GREEN_TIMEOUT_S) -> float:
        """Until the cluster is green with every node; returns the seconds it took."""
        started, last = time.time(), None
        while time.time() - started < timeout:
            try:
                last = chaos._http_json("GET", f"{self.es_url}/_cluster/health?wait_for_status=green"
                                        f"&wait_for_nodes={NODES}&timeout=5s", timeout=15)
                if last.get("status") == "green" and last.get("number_of_nodes") == NODES and not last.get("timed_out"):
                    return round(time.time() - started, 2)
            except (OSError, ValueError) as error:  # 408 while waiting, 503 without a master
                last = f"{type(error).__name__}: {error}"
            time.sleep(0.2)
        raise SetupError(f"the cluster was not green with {NODES} nodes within {timeout:.0f} s: {last}")

    def set_allocation(self, value: str | None):
        """cluster.routing.allocation.enable: "primaries" before a node's planned restart, None (the
        default, "all") once it is back."""
        chaos._http_json("PUT", f"{self.es_url}/_cluster/settings",
                         {"persistent": {"cluster.routing.allocation.enable": value}}, timeout=60)

    def master(self) -> int:
        rows = chaos._http_json("GET", f"{self.es_url}/_cat/master?format=json", timeout=10)
        return int(rows[0]["node"].rsplit("-", 1)[1])

    def shards(self) -> list[dict]:
        return chaos._http_json("GET", f"{self.es_url}/_cat/shards/{self.prefix}_*?format=json"
                                "&h=index,shard,prirep,state,node,docs,store", timeout=10)

    def node_with_most_primaries(self) -> int:
        counts = {number: 0 for number in range(1, NODES + 1)}
        for row in self.shards():
            if row["prirep"] == "p" and row.get("node"):
                counts[int(row["node"].rsplit("-", 1)[1])] += 1
        return max(counts, key=lambda number: (counts[number], -number))

    # --- preparation and the end ----------------------------------------------------------------
    def prepare(self):
        super().prepare()
        started = time.time()
        self.wait_green()  # the replicas of the new indexes allocated
        settings = chaos._http_json("GET", f"{self.es_url}/{self.prefix}_practices_*/_settings"
                                    "?filter_path=*.settings.index.number_of_shards,*.settings.index.number_of_replicas",
                                    timeout=10)
        self.layout = {
            "indexes": {name: {key: int(value) for key, value in body["settings"]["index"].items()}
                        for name, body in settings.items()},
            "shards": self.shards(),
            "master": f"kb-test-{self.master()}",
            "green_after_reindex_s": round(time.time() - started, 2),
        }
        self.machine["cluster"] = f"{NODES} nodes, {SHARDS} shard + {REPLICAS} replica per index"

    def close(self):
        for number in sorted(self.down):  # never leave a node down for the next run
            try:
                self.start_node(number)
            except (SetupError, subprocess.SubprocessError) as error:
                self.say(f"cluster: could not start node {number} again: {error}")
        try:
            self.set_allocation(None)
        except (OSError, ValueError):
            pass
        super().close()

    def run_scenario(self, name: str) -> dict:
        """As the base class, after making sure every node is up and the cluster green (a scenario that
        failed must not take the next one with it); adds what the server's log says about Elasticsearch."""
        heal = []
        for number in sorted(self.down):
            self.start_node(number)
            heal.append(f"node {number} started")
        self.set_allocation(None)
        self.wait_green()
        began = time.time()
        result = super().run_scenario(name)
        result["server_log"] = self.server_log_events(began, time.time())
        if heal:
            result["notes"].append("before the scenario: " + ", ".join(heal))
        return result

    def server_log_events(self, since: float, until: float) -> dict:
        """From gunicorn's JSON log, between two moments: how often the circuit breaker opened, how often a
        drain after a response found Elasticsearch unreachable, and the client's retries on another node."""
        counts = {"breaker_opened": 0, "drain_failed": 0, "retried_on_another_node": 0, "node_marked_dead": 0}
        reasons: dict[str, int] = {}
        try:
            lines = (self.workdir / "server.log").read_text(errors="replace").splitlines()
        except OSError:
            return counts
        for line in lines:
            if not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
                at = datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()
            except (ValueError, KeyError):
                continue
            if not since <= at <= until:
                continue
            logger, message = entry.get("logger", ""), entry.get("message", "")
            if logger == "search.breaker" and entry.get("level") == "ERROR":
                counts["breaker_opened"] += 1
                reason = "timeout" if "timeout" in message.lower() else message.split("(", 1)[0][:60]
                reasons[reason] = reasons.get(reason, 0) + 1
            elif logger == "search.changelog" and "unreachable" in message:
                counts["drain_failed"] += 1
            elif logger == "elastic_transport.transport" and message.startswith("Retrying request"):
                counts["retried_on_another_node"] += 1
            elif logger == "elastic_transport.node_pool" and "has failed" in message:
                counts["node_marked_dead"] += 1
        return {**counts, "breaker_reasons": reasons}

    def _undo_fault(self, fault: dict):
        if fault.get("allocation"):
            self.set_allocation(None)
            fault["allocation"] = False
        if fault.get("down"):
            self.start_node(fault["down"])
            fault["down"] = None
        if fault.get("health"):
            fault["health"].stop()
        super()._undo_fault(fault)

    # --- scenarios ------------------------------------------------------------------------------
    def _node_away(self, result, mark, stop_file, fault, number: int, hard: bool) -> float:
        """One node stopped (or killed), away for NODE_OUT_S under load, started again; edits and
        searches go on until the cluster is green with every node."""
        sampler = fault["health"] = HealthSampler(self).start()
        time.sleep(2.0)  # load on the whole cluster first
        was_master = self.master() == number
        primaries = sum(row["prirep"] == "p" and row.get("node") == f"kb-test-{number}" for row in self.shards())
        fault["down"] = number
        result["fault_window"] = [time.time(), None]
        stop_s = self.stop_node(number, hard)
        mark(f"node {number} {'killed (SIGKILL)' if hard else 'stopped (SIGTERM)'}")
        time.sleep(NODE_OUT_S)
        mark(f"node {number} starting again")
        join_s = self.start_node(number)
        fault["down"] = None
        mark(f"node {number} joined")
        green_s = self.wait_green()
        result["fault_window"][1] = time.time()
        mark("cluster green with every node")
        done = self.stop_edits(stop_file)
        mark("publishers stopped")
        samples = sampler.stop()
        fault["health"] = None
        result["cluster"] = {"node": f"kb-test-{number}", "signal": "SIGKILL" if hard else "SIGTERM",
                             "was_master": was_master, "primaries_on_it": primaries, "stop_s": stop_s,
                             "away_s": round(NODE_OUT_S + join_s, 1), "join_s": join_s, "green_after_join_s": green_s,
                             "health": health_summary(samples), "new_master": f"kb-test-{self.master()}"}
        return done

    def _scenario_node_stopped(self, result, mark, stop_file, fault) -> float:
        return self._node_away(result, mark, stop_file, fault, self.node_with_most_primaries(), hard=False)

    def _scenario_node_killed(self, result, mark, stop_file, fault) -> float:
        return self._node_away(result, mark, stop_file, fault, self.master(), hard=True)

    def _scenario_rolling_restart(self, result, mark, stop_file, fault) -> float:
        sampler = fault["health"] = HealthSampler(self).start()
        time.sleep(2.0)
        result["fault_window"] = [time.time(), None]
        restarts = []
        for number in range(1, NODES + 1):
            began = time.time()
            fault["allocation"] = True
            self.set_allocation("primaries")  # the replicas of the node wait for it instead of moving
            chaos._http_json("POST", f"{self.es_url}/{self.prefix}_*/_flush", timeout=60)
            was_master = self.master() == number
            fault["down"] = number
            stop_s = self.stop_node(number)
            mark(f"node {number} stopped (SIGTERM)")
            join_s = self.start_node(number)
            fault["down"] = None
            mark(f"node {number} joined")
            self.set_allocation(None)
            fault["allocation"] = False
            green_s = self.wait_green()
            mark(f"green after node {number}")
            restarts.append({"node": f"kb-test-{number}", "was_master": was_master, "stop_s": stop_s,
                             "join_s": join_s, "green_after_join_s": green_s,
                             "total_s": round(time.time() - began, 1)})
        result["fault_window"][1] = time.time()
        done = self.stop_edits(stop_file)
        mark("publishers stopped")
        samples = sampler.stop()
        fault["health"] = None
        result["cluster"] = {"restarts": restarts, "health": health_summary(samples),
                             "new_master": f"kb-test-{self.master()}"}
        return done

    # --- figures --------------------------------------------------------------------------------
    def index_sizes(self) -> dict:
        """Per language index, once merged to one segment (the edits' deleted versions gone): documents,
        their average _source in bytes, and the store size of the primaries and with the replicas."""
        chaos._http_json("POST", f"{self.es_url}/{self.prefix}_*/_forcemerge?max_num_segments=1", timeout=300)
        rows = chaos._http_json("GET", f"{self.es_url}/_cat/indices/{self.prefix}_*?format=json&bytes=b"
                                "&h=index,docs.count,pri.store.size,store.size", timeout=10)
        sizes = {}
        for row in rows:
            hits = chaos._http_json("POST", f"{self.es_url}/{row['index']}/_search",
                                    {"size": 1000, "query": {"match_all": {}}}, timeout=30)["hits"]["hits"]
            source = sum(len(json.dumps(hit["_source"], ensure_ascii=False).encode()) for hit in hits)
            sizes[row["index"]] = {"docs": int(row["docs.count"]), "source_bytes_per_doc": source // max(len(hits), 1),
                                   "primary_bytes": int(row["pri.store.size"]), "total_bytes": int(row["store.size"])}
        return sizes


def report_markdown(harness: ClusterHarness, scenarios_s: float) -> str:
    machine, layout = harness.machine, harness.layout
    lines = [
        "# Elasticsearch cluster: a node lost, a rolling restart, under search and publish load",
        "",
        f"`make test-cluster` (tests/cluster) on {machine['date']}, git {machine['git']}; {machine['cores']} cores "
        f"({machine['cpu']}), 1-minute load average {machine['loadavg_start'][0]:.2f} at the start, ≤ "
        f"{max(harness._load_samples, default=os.getloadavg()[0]):.2f} during the run; Elasticsearch "
        f"{machine.get('elasticsearch', '?')} ({machine.get('cluster', '?')}), PostgreSQL {machine.get('postgresql', '?')}, "
        f"{machine.get('server', '?')}, Python {machine['python']}.",
        f"Preparation {harness.prepare_s} s (green with replicas {layout.get('green_after_reindex_s')} s after the "
        f"reindex); scenarios {scenarios_s:.0f} s. Master at the start: {layout.get('master')}.",
        "",
        chaos.table(harness.results),
        "",
    ]
    for result in harness.results:
        cluster = result.get("cluster", {})
        lines += [f"## {result['scenario']}", ""]
        lines.append("Timeline (s from start): " + "; ".join(f"{event} {at}" for event, at in result["timeline"].items()))
        lines.append("")
        if "restarts" in cluster:
            for restart in cluster["restarts"]:
                lines.append(f"- {restart['node']}{' (master)' if restart['was_master'] else ''}: stopped in "
                             f"{restart['stop_s']} s, joined {restart['join_s']} s after its start, green "
                             f"{restart['green_after_join_s']} s later; {restart['total_s']} s in all")
        elif cluster:
            lines.append(f"- {cluster['node']} ({'the elected master' if cluster['was_master'] else 'not the master'}, "
                         f"{cluster['primaries_on_it']} primary shard{'' if cluster['primaries_on_it'] == 1 else 's'}) got {cluster['signal']}: gone in "
                         f"{cluster['stop_s']} s, away {cluster['away_s']} s, joined {cluster['join_s']} s after its "
                         f"start, green {cluster['green_after_join_s']} s later")
        if cluster:
            health = cluster["health"]
            lines.append(f"- cluster health every {HEALTH_EVERY_S} s: {health['statuses']}; without an elected master "
                         f"for at most {health['longest_without_master_s']} s; master afterwards "
                         f"{cluster['new_master']}")
        during = result.get("during_fault") or {}
        lines.append(f"- searches while a node was away or recovering: {during.get('searches')}, failed "
                     f"{during.get('failed')}, by backend {during.get('by_backend')}, degraded {during.get('degraded')}, "
                     f"latency p50 {during.get('latency_p50_s')} s, max {during.get('latency_max_s')} s")
        log = result.get("server_log") or {}
        if log:
            lines.append(f"- gunicorn's log: the client retried {log['retried_on_another_node']} requests on another "
                         f"node; the circuit breaker opened {log['breaker_opened']} times {log['breaker_reasons'] or ''} "
                         f"(after-response drains that found Elasticsearch unreachable or slow: {log['drain_failed']})")
        publishes = result.get("publishes_during_fault") or {}
        lines.append(f"- edits started meanwhile: {publishes.get('count')}, each until its request would return: "
                     f"p50 {publishes.get('p50_s')} s, max {publishes.get('max_s')} s")
        lines.append(f"- all searches: {result['searches']}, failed {result['searches_failed']}, by backend "
                     f"{result['searches_by_backend']}; edits {result['edits_by_action']}; converged "
                     f"{result['converge_s']} s after the edits stopped; check_index {result['check_index']['differences']} "
                     "differences")
        for note in result["notes"] + result["errors"]:
            lines.append(f"- {note.splitlines()[0]}")
        lines.append("")
    sizes = layout.get("sizes") or {}
    if sizes:
        lines += ["## Index sizes at the end (demo content, merged to one segment)", "",
                  "| index | documents | _source per document | primary store | with the replica |",
                  "|---|--:|--:|--:|--:|"]
        lines += [f"| {name} | {size['docs']} | {size['source_bytes_per_doc'] / 1024:.1f} KiB | "
                  f"{size['primary_bytes'] / 1024:.0f} KiB | {size['total_bytes'] / 1024:.0f} KiB |"
                  for name, size in sorted(sizes.items())]
        lines.append("")
    return "\n".join(lines)


def write_reports(harness: ClusterHarness, scenarios_s: float, stem: Path = ARTIFACTS / "results"):
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".md").write_text(report_markdown(harness, scenarios_s))
    payload = {"machine": harness.machine, "layout": harness.layout, "prepare_s": harness.prepare_s,
               "scenarios_s": round(scenarios_s, 1), "loadavg_max": max(harness._load_samples, default=None),
               "node_actions": harness.node_log, "scenarios": harness.results}
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=1, default=str) + "\n")


def copy_node_logs(destination: Path = ARTIFACTS / "nodes"):
    """The nodes' own logs next to the figures (the cluster's temp dir is removed afterwards)."""
    cluster_dir = Path(os.environ.get("KB_ES_CLUSTER_DIR", ""))
    for number in range(1, NODES + 1):
        for log in (cluster_dir / f"node-{number}" / "logs").glob("*.log"):
            target = destination / f"node-{number}"
            target.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copy(log, target / log.name)
            except OSError:
                pass
