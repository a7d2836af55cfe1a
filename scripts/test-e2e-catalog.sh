#!/usr/bin/env bash
# test-e2e-catalog.sh BACKEND [BUILD_DIR] [ctest args...] - the e2e suite
# with every vault's catalog on BACKEND: "sqlite" (the default backend, as
# plain ctest runs it) or "pg" (one throwaway PostgreSQL 15 cluster for the
# run, Unix socket only, stopped at the end; each vault a fresh database,
# through new_vault in tests/e2e/lib/common.sh). Prints ctest's summary;
# exits with ctest's status.
set -euo pipefail
backend=${1:?usage: test-e2e-catalog.sh sqlite|pg [BUILD_DIR] [ctest args...]}
build=${2:-build}
shift $(( $# >= 2 ? 2 : 1 ))
case $backend in
  sqlite) exec ctest --test-dir "$build" -L e2e "$@" ;;
  pg) ;;
  *) echo "test-e2e-catalog.sh: backend is sqlite or pg, not '$backend'" >&2; exit 2 ;;
esac
T=$(mktemp -d)
. "$(dirname "$0")/../tests/e2e/lib/pg.sh"
trap 'pg_stop; rm -rf "$T"' EXIT
pg_available || { echo "PostgreSQL 15 is not installed (scripts/install-deps.sh)" >&2; exit 77; }
pg_start
export DV_PG_HOST=$pg_dir DV_TEST_CATALOG=pg
# the package test installs a .deb system-wide: not part of a backend run
# (its own pg tests run too, against the shared cluster or skipping)
ctest --test-dir "$build" -L e2e -LE package "$@"
