#!/usr/bin/env bash
# Run a command against a private, throwaway Elasticsearch 8 node on 127.0.0.1.
# The distribution (Maven Central's integ-test zip, pinned in scripts/elasticsearch/pom.xml) is
# fetched once through Maven into ~/.m2 and unpacked once into the cache dir, which stays read-only;
# that zip lacks the analysis-common module, so the node gets scripts/elasticsearch/language-analyzers
# (Lucene's Finnish, Swedish and English analyzers under the built-in names), built once with it;
# data, logs and a copy of config/ live in a temp dir that is removed afterwards.
# ELASTICSEARCH_URL points at the node for the command; the command's exit code is kept.
# In CI (CI=true) a missing Java or Maven, or a node that does not come up, fails; on a laptop a
# missing Java or Maven is skipped with a loud message.
#
#   scripts/with-elasticsearch.sh [--nodes N] command [args...]
#
# --nodes N (1-9, default 1) starts a cluster of N nodes of the same distribution instead, each with its
# own HTTP and transport ports on 127.0.0.1 and its own config, data and logs under <temp dir>/node-<n>/,
# and waits until the cluster is green with N nodes. ELASTICSEARCH_URL is then the nodes' URLs separated
# by commas, and the command gets KB_ES_CLUSTER_DIR (the temp dir), KB_ES_NODES (N) and KB_ES_NODE, the
# helper that stops and starts one node (scripts/elasticsearch/node.sh):
#   "$KB_ES_NODE" stop|kill|start|pid|url|log <n>
#
#   KB_CACHE_DIR           where the distribution is unpacked (default ~/.cache/kb; as root
#                          /var/cache/kb, since root's home is private and the node runs as kb-es)
#   KB_ELASTICSEARCH_HOME  use this unpacked Elasticsearch 8 distribution instead of Maven's
#   ES_JAVA_HOME           JDK to run it with (default: the one `java` on PATH belongs to; 17+)
#   KB_ES_HEAP             each node's heap (default 512m; the test indexes are small)
#   KB_ES_CLUSTER_TIMEOUT  seconds a cluster may take to become green (default 300: a loaded CI machine)
#   KB_ES_JAVA_OPTS        more JVM options for every node; a cluster's default is -XX:TieredStopAtLevel=1
#                          (the quick compiler only: half the CPU to start a node, which tests that restart
#                          nodes under load on two cores need more than the last bit of search speed)
set -euo pipefail

nodes=1
if [ "${1:-}" = "--nodes" ]; then
  nodes=${2:-}
  shift 2 || true
fi
case $nodes in
  [1-9]) ;;
  *)
    echo "usage: $0 [--nodes 1-9] command [args...]" >&2
    exit 2
    ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pom="$here/elasticsearch/pom.xml"
es_version=$(sed -n 's:.*<es.version>\(.*\)</es.version>.*:\1:p' "$pom")

unavailable() {
  if [ "${CI:-}" = "true" ]; then
    echo "ERROR: cannot provide Elasticsearch: $1; CI requires it." >&2
    exit 1
  fi
  echo "##############################################################" >&2
  echo "SKIPPED: Elasticsearch tests ($1). Install openjdk-17-jdk-headless and maven." >&2
  echo "##############################################################" >&2
  exit 0
}
fail() {
  echo "ERROR: cannot provide Elasticsearch: $1" >&2
  exit 1
}

# --- Java --------------------------------------------------------------------------------------
if [ -z "${ES_JAVA_HOME:-}" ]; then
  command -v java >/dev/null 2>&1 || unavailable "java not found"
  ES_JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
fi
[ -x "$ES_JAVA_HOME/bin/java" ] || unavailable "no java in ES_JAVA_HOME=$ES_JAVA_HOME"

# --- Distribution: unpacked once, reused afterwards ----------------------------------------------
if [ -n "${KB_ELASTICSEARCH_HOME:-}" ]; then
  es_home=$KB_ELASTICSEARCH_HOME
  [ -x "$es_home/bin/elasticsearch" ] || fail "KB_ELASTICSEARCH_HOME=$es_home has no bin/elasticsearch"
else
  if [ -n "${KB_CACHE_DIR:-}" ]; then
    cache_dir=$KB_CACHE_DIR
  elif [ "$(id -u)" = "0" ]; then
    cache_dir=/var/cache/kb
  else
    cache_dir=$HOME/.cache/kb
  fi
  analyzers="$here/elasticsearch/language-analyzers"
  # A new directory whenever the plugin's sources change.
  analyzers_hash=$(find "$analyzers/pom.xml" "$analyzers/plugin" "$analyzers/src" -type f | LC_ALL=C sort |
    xargs cat | md5sum | cut -c1-8)
  es_home="$cache_dir/elasticsearch-$es_version-kb$analyzers_hash"
  if [ ! -x "$es_home/bin/elasticsearch" ]; then
    command -v mvn >/dev/null 2>&1 || unavailable "mvn not found, needed once to fetch Elasticsearch $es_version"
    mkdir -p "$cache_dir"
    exec 9>"$cache_dir/.elasticsearch-$es_version.lock"
    flock 9  # another run may be unpacking the same version
    if [ ! -x "$es_home/bin/elasticsearch" ]; then
      echo "Fetching Elasticsearch $es_version through Maven into $es_home ..." >&2
      staging=$(mktemp -d "$cache_dir/.unpack.XXXXXX")
      if ! JAVA_HOME="${JAVA_HOME:-$ES_JAVA_HOME}" mvn -B -q -f "$pom" dependency:unpack \
        -Dkb.es.unpack.dir="$staging" >"$staging.log" 2>&1; then
        tail -n 40 "$staging.log" >&2
        rm -rf "$staging" "$staging.log"
        fail "mvn dependency:unpack of Elasticsearch $es_version failed"
      fi
      if ! JAVA_HOME="${JAVA_HOME:-$ES_JAVA_HOME}" mvn -B -q -f "$analyzers/pom.xml" package \
        -Dkb.build.dir="$staging/analyzers-build" >"$staging.log" 2>&1; then
        tail -n 40 "$staging.log" >&2
        rm -rf "$staging" "$staging.log"
        fail "building the test node's language analyzers plugin failed"
      fi
      plugin_dir="$staging/elasticsearch-$es_version/plugins/kb-language-analyzers"
      mkdir -p "$plugin_dir"
      cp "$staging/analyzers-build/kb-language-analyzers.jar" "$analyzers"/plugin/* "$plugin_dir/"
      chmod -R a+rX "$staging/elasticsearch-$es_version"
      mv "$staging/elasticsearch-$es_version" "$es_home"
      rm -rf "$staging" "$staging.log"
    fi
    exec 9>&-
  fi
fi

as_es=()
if [ "$(id -u)" = "0" ]; then
  # Elasticsearch refuses to run as root: run the node as the kb-es system user.
  id kb-es >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin kb-es
  as_es=(runuser -u kb-es --)
  "${as_es[@]}" test -r "$es_home/lib/elasticsearch-$es_version.jar" -a -x "$es_home/bin" ||
    fail "user kb-es cannot read $es_home; set KB_CACHE_DIR to a directory it can read"
fi

# --- A temp dir for config, data and logs ------------------------------------------------------
# One node: config/, data/, logs/ and es.pid directly in it; a cluster: the same in node-<n>/ each.
workdir=$(mktemp -d /tmp/kb-es.XXXXXX)
node_dirs=()
if [ "$nodes" = 1 ]; then
  node_dirs=("$workdir")
else
  for n in $(seq "$nodes"); do node_dirs+=("$workdir/node-$n"); done
fi
cleanup() {
  # The pid files are the truth: a test may have restarted a node (KB_ES_START, KB_ES_NODE).
  local pids=() dir pid alive
  for dir in "${node_dirs[@]}"; do
    if [ -s "$dir/es.pid" ]; then
      pid=$(cat "$dir/es.pid")
      if kill "$pid" 2>/dev/null; then pids+=("$pid"); fi
    fi
  done
  # Not our children (-d daemonizes), so poll instead of wait: 30 s for them all, then SIGKILL.
  for _ in $(seq 150); do
    alive=0
    for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$workdir"
  # The JVM's per-user perf-data dir (the version check runs without our options); only if empty.
  if [ "${#as_es[@]}" -gt 0 ]; then rmdir /tmp/hsperfdata_kb-es 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# An HTTP and a transport port per node, free on 127.0.0.1 now.
read -r -a ports <<<"$(python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(2 * int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))' "$nodes")"

cluster_name=kb-test
seed_hosts=""
master_nodes=""
if [ "$nodes" -gt 1 ]; then
  cluster_name="kb-test-${workdir##*.}"  # a name of its own: two test clusters on one machine never merge
  for n in $(seq "$nodes"); do
    seed_hosts+="${seed_hosts:+, }127.0.0.1:${ports[$((2 * n - 1))]}"
    master_nodes+="${master_nodes:+, }kb-test-$n"
  done
fi
urls=()
for n in $(seq "$nodes"); do
  dir=${node_dirs[$((n - 1))]}
  port=${ports[$((2 * n - 2))]}
  transport_port=${ports[$((2 * n - 1))]}
  urls+=("http://127.0.0.1:$port")
  mkdir -p "$dir/config" "$dir/data" "$dir/logs" "$dir/tmp"
  cp -R "$es_home/config/." "$dir/config/"
  echo "http://127.0.0.1:$port" >"$dir/url"
  {
    echo "cluster.name: $cluster_name"
    echo "node.name: kb-test-$n"
    if [ "$nodes" = 1 ]; then
      echo "discovery.type: single-node"
    else
      echo "discovery.seed_hosts: [$seed_hosts]"
      echo "# Only for the first start: removed once the cluster has formed, as in production."
      echo "cluster.initial_master_nodes: [$master_nodes]"
      echo "# Thread pools sized for one core each: the nodes share the machine."
      echo "node.processors: 1"
    fi
    echo "network.host: 127.0.0.1"
    echo "http.port: $port"
    echo "transport.port: $transport_port"
    echo "path.data: $dir/data"
    echo "path.logs: $dir/logs"
    echo "# The integ-test distribution carries x-pack security; a test node is plain HTTP without auth."
    echo "xpack.security.enabled: false"
    echo "action.destructive_requires_name: false"
    echo "# Allocate shards however full the disk is."
    echo "cluster.routing.allocation.disk.threshold_enabled: false"
  } >"$dir/config/elasticsearch.yml"
done
if [ "${#as_es[@]}" -gt 0 ]; then chown -R kb-es: "$workdir"; fi

show_log() {  # the log of the node whose directory is $1
  local log="$1/logs/$cluster_name.log"
  echo "---- last 60 lines of the Elasticsearch log ($1) ----" >&2
  if [ -s "$log" ]; then tail -n 60 "$log" >&2; else tail -n 60 "$1/startup.out" >&2 || true; fi
  echo "------------------------------------------------" >&2
}
extensions() {  # the modules and plugins the node at $1 has loaded
  curl -s "$1/_nodes/_local/plugins?filter_path=nodes.*.modules.name,nodes.*.plugins.name" |
    python3 -c '
import json, sys
nodes = json.load(sys.stdin).get("nodes", {})
for kind in ("modules", "plugins"):
    print(kind + ": " + (",".join(sorted(m["name"] for n in nodes.values() for m in n.get(kind, []))) or "none"), end="; ")
' 2>/dev/null || true
}

started=$SECONDS
export KB_ES_HOME="$es_home" ES_JAVA_HOME KB_ES_USER=""
if [ "${#as_es[@]}" -gt 0 ]; then KB_ES_USER=kb-es; fi

if [ "$nodes" = 1 ]; then
  # --- One node: start it and wait for yellow ---------------------------------------------------
  url=${urls[0]}
  export KB_ES_WORKDIR="$workdir" ELASTICSEARCH_URL="$url"
  if ! "$here/elasticsearch/start-node.sh"; then
    show_log "$workdir"
    fail "Elasticsearch $es_version did not start"
  fi
  echo "Elasticsearch $es_version running on 127.0.0.1:${url##*:} (up in $((SECONDS - started)) s;" \
    "$(extensions "$url"))" >&2
  # For chaos tests: the node's pid file (SIGSTOP, SIGCONT, SIGTERM) and the command that starts it again.
  export KB_ES_PIDFILE="$workdir/es.pid" KB_ES_START="$here/elasticsearch/start-node.sh"
else
  # --- A cluster: every node at once (none can elect a master alone), then wait for green -------
  export KB_ES_JAVA_OPTS="${KB_ES_JAVA_OPTS--XX:TieredStopAtLevel=1}"
  starters=()
  for n in $(seq "$nodes"); do
    KB_ES_WORKDIR=${node_dirs[$((n - 1))]} ELASTICSEARCH_URL=${urls[$((n - 1))]} KB_ES_WAIT=none \
      "$here/elasticsearch/start-node.sh" &
    starters+=("$!")
  done
  for n in $(seq "$nodes"); do
    if ! wait "${starters[$((n - 1))]}"; then
      show_log "${node_dirs[$((n - 1))]}"
      fail "Elasticsearch $es_version node $n did not start"
    fi
  done
  timeout=${KB_ES_CLUSTER_TIMEOUT:-300}
  until curl -sf "${urls[0]}/_cluster/health?wait_for_status=green&wait_for_nodes=$nodes&timeout=5s" \
    >/dev/null 2>&1; do
    for n in $(seq "$nodes"); do
      if ! kill -0 "$(cat "${node_dirs[$((n - 1))]}/es.pid" 2>/dev/null)" 2>/dev/null; then
        show_log "${node_dirs[$((n - 1))]}"
        fail "Elasticsearch node $n exited before the cluster formed"
      fi
    done
    if [ $((SECONDS - started)) -ge "$timeout" ]; then
      for dir in "${node_dirs[@]}"; do show_log "$dir"; done
      fail "the $nodes-node cluster was not green with $nodes nodes within $timeout s"
    fi
    sleep 1
  done
  for dir in "${node_dirs[@]}"; do
    sed -i '/cluster.initial_master_nodes\|^# Only for the first start/d' "$dir/config/elasticsearch.yml"
    if [ "${#as_es[@]}" -gt 0 ]; then chown kb-es: "$dir/config/elasticsearch.yml"; fi
  done
  master=$(curl -s "${urls[0]}/_cat/master?h=node" 2>/dev/null || true)
  echo "Elasticsearch $es_version: a $nodes-node cluster on ${urls[*]} (green in $((SECONDS - started)) s;" \
    "master ${master:-?}; $(extensions "${urls[0]}"))" >&2
  ELASTICSEARCH_URL=$(IFS=,; echo "${urls[*]}")
  export ELASTICSEARCH_URL KB_ES_CLUSTER_DIR="$workdir" KB_ES_NODES="$nodes" KB_ES_NODE="$here/elasticsearch/node.sh"
fi

set +e
"$@"
status=$?
set -e
exit "$status"
