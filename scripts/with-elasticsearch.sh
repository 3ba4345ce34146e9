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
#   KB_CACHE_DIR           where the distribution is unpacked (default ~/.cache/kb; as root
#                          /var/cache/kb, since root's home is private and the node runs as kb-es)
#   KB_ELASTICSEARCH_HOME  use this unpacked Elasticsearch 8 distribution instead of Maven's
#   ES_JAVA_HOME           JDK to run it with (default: the one `java` on PATH belongs to; 17+)
set -euo pipefail

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
workdir=$(mktemp -d /tmp/kb-es.XXXXXX)
es_pid=""
cleanup() {
  # The pid file is the truth: a chaos test may have restarted the node (KB_ES_START).
  if [ -s "$workdir/es.pid" ]; then
    es_pid=$(cat "$workdir/es.pid")
  fi
  if [ -n "$es_pid" ] && kill "$es_pid" 2>/dev/null; then
    # Not our child (-d daemonizes), so poll instead of wait.
    for _ in $(seq 150); do
      kill -0 "$es_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$es_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
  # The JVM's per-user perf-data dir (the version check runs without our options); only if empty.
  if [ "${#as_es[@]}" -gt 0 ]; then rmdir /tmp/hsperfdata_kb-es 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ports=$(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
read -r port transport_port <<<"$ports"

mkdir "$workdir/config" "$workdir/data" "$workdir/logs" "$workdir/tmp"
cp -R "$es_home/config/." "$workdir/config/"
cat >"$workdir/config/elasticsearch.yml" <<EOF
cluster.name: kb-test
node.name: kb-test-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: $port
transport.port: $transport_port
path.data: $workdir/data
path.logs: $workdir/logs
# The integ-test distribution carries x-pack security; a test node is plain HTTP without auth.
xpack.security.enabled: false
action.destructive_requires_name: false
# Allocate shards however full the disk is.
cluster.routing.allocation.disk.threshold_enabled: false
EOF
if [ "${#as_es[@]}" -gt 0 ]; then chown -R kb-es: "$workdir"; fi

log="$workdir/logs/kb-test.log"
show_log() {
  echo "---- last 60 lines of the Elasticsearch log ----" >&2
  if [ -s "$log" ]; then tail -n 60 "$log" >&2; else tail -n 60 "$workdir/startup.out" >&2 || true; fi
  echo "------------------------------------------------" >&2
}

# --- Start and wait for yellow -----------------------------------------------------------------
started=$SECONDS
url="http://127.0.0.1:$port"
export KB_ES_WORKDIR="$workdir" KB_ES_HOME="$es_home" ES_JAVA_HOME ELASTICSEARCH_URL="$url"
export KB_ES_USER=""
if [ "${#as_es[@]}" -gt 0 ]; then KB_ES_USER=kb-es; fi
if ! "$here/elasticsearch/start-node.sh"; then
  show_log
  fail "Elasticsearch $es_version did not start"
fi
es_pid=$(cat "$workdir/es.pid")
extensions=$(curl -s "$url/_nodes/_local/plugins?filter_path=nodes.*.modules.name,nodes.*.plugins.name" |
  python3 -c '
import json, sys
nodes = json.load(sys.stdin).get("nodes", {})
for kind in ("modules", "plugins"):
    print(kind + ": " + (",".join(sorted(m["name"] for n in nodes.values() for m in n.get(kind, []))) or "none"), end="; ")
' 2>/dev/null || true)
echo "Elasticsearch $es_version running on 127.0.0.1:$port (up in $((SECONDS - started)) s; ${extensions:-?})" >&2

# For chaos tests: the node's pid file (SIGSTOP, SIGCONT, SIGTERM) and the command that starts it again.
export KB_ES_PIDFILE="$workdir/es.pid" KB_ES_START="$here/elasticsearch/start-node.sh"
set +e
"$@"
status=$?
set -e
exit "$status"
