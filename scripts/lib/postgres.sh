# Shell functions for a private PostgreSQL cluster (initdb + pg_ctl), shared by
# scripts/with-postgres.sh (a throwaway cluster per run) and scripts/serve.sh (one kept under
# var/serve/). Source it from bash; the functions set and use these globals:
#   pg_bin  the directory of initdb, pg_ctl, postgres and psql (set by pg_find_bin)
#   as_pg   the command prefix that runs a server command as its owner (set by pg_prepare_dir)

# Finds PostgreSQL's programs (Debian's newest /usr/lib/postgresql/*/bin, else initdb on PATH).
# Returns 1 when PostgreSQL is not installed.
pg_find_bin() {
  pg_bin=""
  local candidate
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && pg_bin="$candidate"
  done
  if [ -z "$pg_bin" ] && command -v initdb >/dev/null 2>&1; then
    pg_bin=$(dirname "$(command -v initdb)")
  fi
  [ -n "$pg_bin" ]
}

# pg_prepare_dir DIR: DIR will hold the cluster (DIR/data), its log and socket. initdb refuses to
# run as root: as root the server runs as the postgres system user, which must own DIR.
pg_prepare_dir() {
  local dir=$1
  as_pg=()
  mkdir -p "$dir"
  if [ "$(id -u)" = "0" ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$dir"
    as_pg=(runuser -u postgres --)
  fi
}

# pg_initdb DIR: creates the cluster DIR/data unless it exists (trust authentication: the server
# listens on 127.0.0.1 and a socket in DIR only).
pg_initdb() {
  local dir=$1
  [ -f "$dir/data/PG_VERSION" ] && return 0
  "${as_pg[@]}" "$pg_bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
}

# pg_start DIR PORT [SERVER OPTIONS…]: starts the cluster on 127.0.0.1:PORT and waits until it
# accepts connections; the server's log is DIR/server.log. The server runs in a session of its own,
# so a Ctrl-C in the terminal reaches the script, whose clean-up stops it in its turn.
pg_start() {
  local dir=$1 port=$2
  shift 2
  setsid -w "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-h 127.0.0.1 -p $port -k $dir $*" start >/dev/null
}

# pg_stop DIR [MODE]: stops the cluster if it runs (mode fast: sessions end, data is flushed;
# immediate: for a throwaway cluster). Never fails.
pg_stop() {
  local dir=$1 mode=${2:-fast}
  [ -f "$dir/data/postmaster.pid" ] || return 0
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m "$mode" -w stop >/dev/null 2>&1 || true
}

# pg_create_database PORT NAME: creates database NAME unless it exists.
pg_create_database() {
  local port=$1 name=$2
  if [ -z "$("$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
    "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE \"$name\"" >/dev/null
  fi
}

# pg_version: the server's version number, e.g. 15.14.
pg_version() {
  "$pg_bin/postgres" --version | awk '{print $3}'
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
