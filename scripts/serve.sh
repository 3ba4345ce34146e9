#!/usr/bin/env bash
# The production try-out (make serve): KB with its production settings on this machine's loopback,
# served by gunicorn (kb/gunicorn.conf.py), on a private PostgreSQL cluster and a private Redis
# kept under var/serve/, with the index worker. Ctrl-C stops all of it.
#
#   SERVE_PORT (or PORT)  gunicorn's port on 127.0.0.1 (default 8000)
#   KB_SERVE_DEMO         1 (default): the demo content (load_demo), so there is something to see;
#                         0: only what a real site starts with (manage.py bootstrap)
#   EMAIL_URL             where email goes (default console:, i.e. printed here)
#   ELASTICSEARCH_URL     used (and the index rebuilt at start) only when set
#   anything else of README's configuration table passes through.
#
# What is kept in var/serve/ between runs: postgres/ (the cluster), redis/, media/, static/ and
# secret_key (generated on the first run, private to its owner). Delete var/serve/ to start over.
#
#   scripts/serve.sh manage COMMAND…   runs manage.py COMMAND against the running try-out, from
#                                      another terminal (e.g. createsuperuser)
# Not for the internet: plain HTTP on 127.0.0.1 (SECURE_SSL_REDIRECT=0, no HSTS: there is no TLS
# here; a real site terminates TLS in the reverse proxy, README "Running in production").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib/postgres.sh
. scripts/lib/postgres.sh

python=$root/.venv/bin/python
port=${SERVE_PORT:-${PORT:-8000}}
var=$root/var/serve
mkdir -p "$var/redis" "$var/media" "$var/static"

if [ "${1:-}" = manage ]; then
  shift
  [ -f "$var/env" ] || { echo "ERROR: the try-out is not running (start it with make serve)." >&2; exit 1; }
  . "$var/env"
  exec "$python" manage.py "$@"
fi

if ! pg_find_bin; then
  echo "ERROR: make serve needs PostgreSQL (scripts/ensure-system-packages.sh serve installs it)." >&2
  exit 1
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "ERROR: make serve needs redis-server (scripts/ensure-system-packages.sh serve installs it)." >&2
  exit 1
fi

pids=()
redis_pid=""
stopping=""
stop_all() {
  [ -n "$stopping" ] && return
  stopping=1
  echo "Stopping KB…" >&2
  # gunicorn and the worker first (they finish requests and the current batch), then their stores.
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$redis_pid" ]; then kill -TERM "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  pg_stop "$var/postgres" fast
  rm -f "$var/env"
  echo "KB stopped." >&2
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- PostgreSQL: initdb on the first run, the same cluster afterwards -------------------------------
pg_prepare_dir "$var/postgres"
pg_stop "$var/postgres" fast  # a cluster left running by a run that was killed
pg_initdb "$var/postgres"
pg_port=$(free_port)
pg_start "$var/postgres" "$pg_port"
pg_create_database "$pg_port" kb
echo "PostgreSQL $(pg_version) on 127.0.0.1:$pg_port (data in var/serve/postgres)" >&2

# --- Redis: the shared cache (rate limits, sessions); nothing in it must survive a restart --------
redis_port=$(free_port)
setsid redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$var/redis" --save "" --appendonly no \
  --logfile "$var/redis/redis.log" --daemonize no &
redis_pid=$!
deadline=$((SECONDS + 60))
until redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; do
  kill -0 "$redis_pid" 2>/dev/null || { echo "ERROR: redis-server exited, see var/serve/redis/redis.log" >&2; exit 1; }
  [ "$SECONDS" -lt "$deadline" ] || { echo "ERROR: redis-server did not answer within 60 s" >&2; exit 1; }
  sleep 0.1
done
echo "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$redis_port" >&2

# --- The production settings, for this loopback try-out -------------------------------------------
if [ ! -s "$var/secret_key" ]; then
  (umask 077 && "$python" -c 'import secrets; print(secrets.token_urlsafe(64))' >"$var/secret_key")
fi
export DJANGO_SETTINGS_MODULE=kb.settings.production
export SECRET_KEY; SECRET_KEY=$(cat "$var/secret_key")
export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/kb"
export CACHE_URL="redis://127.0.0.1:$redis_port/0"
export ALLOWED_HOSTS=127.0.0.1,localhost
export BASE_URL="http://127.0.0.1:$port"
export SECURE_SSL_REDIRECT=0  # plain HTTP on loopback: there is no TLS to redirect to
export EMAIL_URL=${EMAIL_URL:-console:}
export STATIC_ROOT="$var/static" MEDIA_ROOT="$var/media"
export GUNICORN_BIND="127.0.0.1:$port"
# For `scripts/serve.sh manage …` from another terminal while this runs.
(umask 077 && for name in DJANGO_SETTINGS_MODULE SECRET_KEY DATABASE_URL CACHE_URL ALLOWED_HOSTS BASE_URL \
    SECURE_SSL_REDIRECT EMAIL_URL STATIC_ROOT MEDIA_ROOT ELASTICSEARCH_URL; do
    if [ -n "${!name:-}" ]; then printf 'export %s=%q\n' "$name" "${!name}"; fi
  done >"$var/env")
# The set-up commands log only warnings (unless LOG_LEVEL says otherwise): at INFO, loading the
# demo logs every page and task it creates.
setup() { LOG_LEVEL=${LOG_LEVEL:-WARNING} "$python" manage.py "$@"; }

setup migrate --noinput -v0
if [ "${KB_SERVE_DEMO:-1}" = "1" ]; then
  echo "Loading the demo content (the first time takes minutes)…" >&2
  setup load_demo
else
  setup bootstrap
fi
setup collectstatic --noinput -v0
if [ -n "${ELASTICSEARCH_URL:-}" ]; then
  setup reindex
fi
setup export_open_data  # /open-data/ serves it; production regenerates it hourly (deploy/systemd/kb-open-data.timer)

# --- The processes: the index worker and gunicorn, each in a session of its own, so Ctrl-C reaches
# this script only and stop_all stops them in order --------------------------------------------------
setsid "$python" manage.py run_index_worker &
pids+=($!)
setsid "$root/.venv/bin/gunicorn" -c kb/gunicorn.conf.py &
pids+=($!)
echo "KB (production settings) is starting at http://127.0.0.1:$port/  (admin: /admin/, health: /readyz)" >&2
echo "An administrator, from another terminal: scripts/serve.sh manage createsuperuser" >&2

# Runs until Ctrl-C, or until gunicorn or the worker ends (then the other one is stopped too).
status=0
wait -n "${pids[@]}" || status=$?
echo "A KB process ended (exit $status)." >&2
exit "$status"
