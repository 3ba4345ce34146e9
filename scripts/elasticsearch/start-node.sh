#!/usr/bin/env bash
# Start a private test node prepared by scripts/with-elasticsearch.sh and wait until the cluster is
# yellow or green. with-elasticsearch.sh calls it once per node; chaos tests call it again (as
# $KB_ES_START) after stopping the node with SIGTERM, and scripts/elasticsearch/node.sh for a node of a
# test cluster: same data, ports and settings.
#   KB_ES_WORKDIR  the node's temp dir (config/, data/, logs/, tmp/; es.pid is written there)
#   KB_ES_HOME     the unpacked distribution;  ES_JAVA_HOME  the JDK
#   KB_ES_USER     run the node as this user (Elasticsearch refuses root); empty: as ourselves
#   KB_ES_HEAP     the node's heap (default 512m);  KB_ES_JAVA_OPTS  more options for its JVMs
#   KB_ES_START_TIMEOUT  seconds the start may take (default 300: a JVM starting on a loaded machine)
#   KB_ES_WAIT     yellow (default): return once the node answers a yellow or green cluster health,
#                  which means it has joined a cluster with an elected master; none: return once the
#                  process has started (the first start of a cluster, whose nodes form it together)
#   ELASTICSEARCH_URL  where the node answers
set -u
started=$SECONDS
as_es=()
if [ -n "${KB_ES_USER:-}" ]; then as_es=(runuser -u "$KB_ES_USER" --); fi
heap=${KB_ES_HEAP:-512m}
limit=${KB_ES_START_TIMEOUT:-300}
rm -f "$KB_ES_WORKDIR/es.pid"
# -d daemonizes after startup, -p writes the node's pid; the CLI's JVM temp files go to the temp dir.
if ! (cd "$KB_ES_WORKDIR" && "${as_es[@]}" env -u JAVA_HOME \
  ES_JAVA_HOME="$ES_JAVA_HOME" ES_PATH_CONF="$KB_ES_WORKDIR/config" ES_TMPDIR="$KB_ES_WORKDIR/tmp" \
  ES_JAVA_OPTS="-Xms$heap -Xmx$heap -XX:-UsePerfData ${KB_ES_JAVA_OPTS:-}" \
  CLI_JAVA_OPTS="-Djava.io.tmpdir=$KB_ES_WORKDIR/tmp -XX:-UsePerfData ${KB_ES_JAVA_OPTS:-}" \
  timeout "$limit" "$KB_ES_HOME/bin/elasticsearch" -d -p "$KB_ES_WORKDIR/es.pid") >"$KB_ES_WORKDIR/startup.out" 2>&1; then
  cat "$KB_ES_WORKDIR/startup.out" >&2
  echo "Elasticsearch did not start" >&2
  exit 1
fi
if [ "${KB_ES_WAIT:-yellow}" = none ]; then
  exit 0
fi
until curl -sf "$ELASTICSEARCH_URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; do
  if ! kill -0 "$(cat "$KB_ES_WORKDIR/es.pid" 2>/dev/null)" 2>/dev/null || [ $((SECONDS - started)) -ge "$limit" ]; then
    echo "Elasticsearch did not answer on $ELASTICSEARCH_URL within $limit s" >&2
    exit 1
  fi
  sleep 0.5
done
