#!/usr/bin/env bash
# Stop and start one node of the test cluster of `scripts/with-elasticsearch.sh --nodes N`, which
# exports this script as $KB_ES_NODE and what it reads:
#   KB_ES_CLUSTER_DIR  the cluster's temp dir: node-<n>/ with config/, data/, logs/, es.pid and url
#   KB_ES_HOME, ES_JAVA_HOME, KB_ES_USER  as for start-node.sh
#
#   node.sh stop <n>    SIGTERM (Elasticsearch's orderly shutdown); returns once the process is gone
#   node.sh kill <n>    SIGKILL (a crash: no shutdown at all); returns once the process is gone
#   node.sh start <n>   start the node again (same data, ports and settings) and return once it has
#                       joined the cluster (it answers a yellow or green cluster health)
#   node.sh pid <n> | url <n> | log <n>   the node's process id, URL and log file
# Whether the cluster is green again is for the caller to wait for (_cluster/health?wait_for_status=green).
set -euo pipefail

usage() {
  echo "usage: $0 stop|kill|start|pid|url|log <node number>" >&2
  exit 2
}
[ $# -eq 2 ] || usage
action=$1
dir="${KB_ES_CLUSTER_DIR:?run under scripts/with-elasticsearch.sh --nodes N}/node-$2"
[ -d "$dir" ] || {
  echo "no node $2 in $KB_ES_CLUSTER_DIR" >&2
  exit 2
}

pid() { cat "$dir/es.pid" 2>/dev/null || true; }
gone_within() {  # wait up to $2 seconds for process $1 to exit
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

case $action in
  stop | kill)
    p=$(pid)
    if [ -z "$p" ] || ! kill -0 "$p" 2>/dev/null; then
      echo "node $2 is not running" >&2
      exit 1
    fi
    if [ "$action" = stop ]; then
      kill -TERM "$p"
      if ! gone_within "$p" 120; then
        echo "node $2 did not stop within 120 s of SIGTERM: killed" >&2
        kill -KILL "$p" 2>/dev/null || true
        gone_within "$p" 30
      fi
    else
      kill -KILL "$p"
      gone_within "$p" 30
    fi
    rm -f "$dir/es.pid"
    ;;
  start)
    p=$(pid)
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
      echo "node $2 is already running (pid $p)" >&2
      exit 1
    fi
    KB_ES_WORKDIR=$dir ELASTICSEARCH_URL=$(cat "$dir/url") KB_ES_WAIT=yellow \
      "$(dirname "${BASH_SOURCE[0]}")/start-node.sh"
    ;;
  pid) pid ;;
  url) cat "$dir/url" ;;
  log) echo "$dir/logs/$(sed -n 's/^cluster.name: *//p' "$dir/config/elasticsearch.yml").log" ;;
  *) usage ;;
esac
