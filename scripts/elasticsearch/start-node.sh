#!/usr/bin/env bash
# Start the private test node prepared by scripts/with-elasticsearch.sh and wait until the cluster is
# yellow or green. with-elasticsearch.sh calls it once; chaos tests call it again (as $KB_ES_START)
# after stopping the node with SIGTERM: same data, port and settings.
#   KB_ES_WORKDIR  the node's temp dir (config/, data/, logs/, tmp/; es.pid is written there)
#   KB_ES_HOME     the unpacked distribution;  ES_JAVA_HOME  the JDK
#   KB_ES_USER     run the node as this user (Elasticsearch refuses root); empty: as ourselves
#   ELASTICSEARCH_URL  where the node answers
set -u
started=$SECONDS
as_es=()
if [ -n "${KB_ES_USER:-}" ]; then as_es=(runuser -u "$KB_ES_USER" --); fi
rm -f "$KB_ES_WORKDIR/es.pid"
# -d daemonizes after startup, -p writes the node's pid; the CLI's JVM temp files go to the temp dir.
if ! (cd "$KB_ES_WORKDIR" && "${as_es[@]}" env -u JAVA_HOME \
  ES_JAVA_HOME="$ES_JAVA_HOME" ES_PATH_CONF="$KB_ES_WORKDIR/config" ES_TMPDIR="$KB_ES_WORKDIR/tmp" \
  ES_JAVA_OPTS="-Xms512m -Xmx512m -XX:-UsePerfData" \
  CLI_JAVA_OPTS="-Djava.io.tmpdir=$KB_ES_WORKDIR/tmp -XX:-UsePerfData" \
  timeout 180 "$KB_ES_HOME/bin/elasticsearch" -d -p "$KB_ES_WORKDIR/es.pid") >"$KB_ES_WORKDIR/startup.out" 2>&1; then
  cat "$KB_ES_WORKDIR/startup.out" >&2
  echo "Elasticsearch did not start" >&2
  exit 1
fi
until curl -sf "$ELASTICSEARCH_URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; do
  if ! kill -0 "$(cat "$KB_ES_WORKDIR/es.pid" 2>/dev/null)" 2>/dev/null || [ $((SECONDS - started)) -ge 180 ]; then
    echo "Elasticsearch did not answer on $ELASTICSEARCH_URL within 180 s" >&2
    exit 1
  fi
  sleep 0.5
done
