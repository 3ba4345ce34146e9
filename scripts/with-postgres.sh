#!/usr/bin/env bash
# Run a command against a private, throwaway PostgreSQL cluster (initdb + pg_ctl under a temp dir).
# DATABASE_URL points at it for the command; the cluster is removed afterwards.
# In CI (CI=true) a missing PostgreSQL fails; on a laptop it is skipped with a loud message.
set -euo pipefail
# shellcheck source=scripts/lib/postgres.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/postgres.sh"

if ! pg_find_bin; then
  if [ "${CI:-}" = "true" ]; then
    echo "ERROR: PostgreSQL (initdb/pg_ctl) is not installed; CI requires it." >&2
    exit 1
  fi
  echo "##############################################################" >&2
  echo "SKIPPED: PostgreSQL tests (initdb not found). Install postgresql-15." >&2
  echo "##############################################################" >&2
  exit 0
fi

workdir=$(mktemp -d /tmp/kb-pg.XXXXXX)
port=$(free_port)
pg_prepare_dir "$workdir"

cleanup() {
  pg_stop "$workdir" immediate
  rm -rf "$workdir"
}
trap cleanup EXIT

pg_initdb "$workdir"
# A throwaway cluster: no durability needed, so no waiting for the disk.
pg_start "$workdir" "$port" -c fsync=off -c synchronous_commit=off -c full_page_writes=off
pg_create_database "$port" kb
echo "PostgreSQL $(pg_version) running on 127.0.0.1:$port" >&2

export DATABASE_URL="postgres://postgres@127.0.0.1:$port/kb"
"$@"
