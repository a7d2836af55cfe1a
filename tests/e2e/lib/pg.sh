# Sourced by tests/e2e/*.sh (through common.sh) for a PostgreSQL catalog:
# a throwaway PostgreSQL 15 cluster, as tests/geo/pg_throwaway.h makes it
# for the C tests: initdb in a temporary directory, Unix socket only (no
# TCP), run as nobody when we are root, stopped and removed at exit.
#
#   pg_available || exit 77      # PostgreSQL absent: skipped
#   pg_start                     # once per script (reuses $DV_PG_HOST if set)
#   uri=$(pg_new_db)             # a fresh database: postgresql:///NAME?host=...
#   pg_sql DBNAME "SQL"          # psql -c on it
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
pg_dir=
pg_started=

pg_available() {
  [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/psql" ] &&
    { [ "$(id -u)" -ne 0 ] || command -v runuser >/dev/null 2>&1; }
}

pg_runas() { if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }

pg_stop() {
  if [ -n "$pg_started" ]; then
    pg_runas "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    pg_started=
  fi
  if [ -n "$pg_dir" ]; then rm -rf "$pg_dir"; pg_dir=; fi
}

# The cluster's socket directory (PGHOST) on stdout after pg_start.
pg_host() { echo "${DV_PG_HOST:-$pg_dir}"; }

pg_start() {
  if [ -n "${DV_PG_HOST:-}" ] || [ -n "$pg_dir" ]; then return 0; fi
  pg_dir=$(mktemp -d /tmp/dv-e2e-pg-XXXXXX)
  chmod 755 "$pg_dir"
  [ "$(id -u)" -ne 0 ] || chown nobody "$pg_dir"
  pg_runas "$PG_BIN/initdb" -D "$pg_dir/data" -A trust -U postgres --no-sync >"$pg_dir/initdb.log" 2>&1 ||
    { cat "$pg_dir/initdb.log" >&2; return 1; }
  pg_runas "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/pg.log" -w \
    -o "-c listen_addresses='' -k $pg_dir -c fsync=off -c max_connections=60" start >/dev/null ||
    { cat "$pg_dir/pg.log" >&2; return 1; }
  pg_started=1
}

pg_sql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$(pg_host)" -U postgres -d "$1" -At -c "$2"; }

# A fresh, empty database; its URI on stdout.
pg_new_db() {
  local name
  name=dv_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
  pg_sql postgres "CREATE DATABASE $name" >/dev/null
  echo "postgresql:///$name?host=$(pg_host)&user=postgres"
}

# The server dies as in a crash (no shutdown checkpoint), and comes back.
pg_crash() { pg_runas "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null; }
pg_restart() {
  pg_runas "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/pg.log" -w \
    -o "-c listen_addresses='' -k $pg_dir -c fsync=off -c max_connections=60" start >/dev/null
}
