#!/usr/bin/env bash
# test-e2e-catalog.sh BACKEND [BUILD_DIR] [ctest args...] - the e2e (CLI)
# suite with every vault (new_vault in tests/e2e/lib/common.sh) on BACKEND:
#   sqlite  the default backend, as plain ctest runs it
#   pg      each vault's catalog in a fresh database of one throwaway
#           PostgreSQL 15 cluster for the run (Unix socket only, stopped at
#           the end); blobs in the vault's folder
#   remote  "remote = S3 + PostgreSQL": the catalog as for pg, and the blobs
#           under a fresh prefix of one Object Lock bucket on one S3 gateway
#           for the run (scripts/s3-gateway.sh on its own ports, TLS with
#           the gateway's test CA), stopped at the end
# (A caller's own cluster and gateway, in the variables below, are used instead.)
# Left out of the pg and remote runs (the plain run has them): the suites
# that pick their own backend and servers (labels s3: their own gateway on
# fixed ports; package: installs a .deb system-wide), and the scripts that
# make no vault through new_vault (they would run exactly as in the plain
# run). Prints ctest's summary; exits with ctest's status (77 when
# PostgreSQL or the gateway is missing).
set -euo pipefail
backend=${1:?usage: test-e2e-catalog.sh sqlite|pg|remote [BUILD_DIR] [ctest args...]}
build=${2:-build}
shift $(( $# >= 2 ? 2 : 1 ))
src=$(cd "$(dirname "$0")/.." && pwd)
case $backend in
  sqlite) exec ctest --test-dir "$build" -L e2e "$@" ;;
  pg|remote) ;;
  *) echo "test-e2e-catalog.sh: backend is sqlite, pg or remote, not '$backend'" >&2; exit 2 ;;
esac
T=$(mktemp -d)
. "$src/tests/e2e/lib/pg.sh"
gw=
stop_all() {
  [ -z "$gw" ] || bash "$src/scripts/s3-gateway.sh" stop "$gw" >/dev/null 2>&1 || true
  pg_stop
  rm -rf "$T"
}
trap stop_all EXIT
pg_available || { echo "PostgreSQL 15 is not installed (scripts/install-deps.sh)" >&2; exit 77; }
pg_start
DV_PG_HOST=$(pg_host)
export DV_PG_HOST DV_TEST_BACKEND=$backend
# a cluster and a gateway given by the caller (DV_PG_HOST; DV_S3_HTTPS,
# DV_S3_CA, DV_S3_BUCKET and the AWS_* keys) are used as they are
if [ "$backend" = remote ] && [ -z "${DV_S3_BUCKET:-}" ]; then
  command -v radosgw >/dev/null 2>&1 || { echo "radosgw is not installed (scripts/install-deps.sh)" >&2; exit 77; }
  t0=$SECONDS
  if [ -n "${DV_S3_GW_DIR:-}" ]; then
    # the caller's running gateway (scripts/test.sh): a bucket of its own there
    gwenv=$(bash "$src/scripts/s3-gateway.sh" env "$DV_S3_GW_DIR") || exit $?
  else
    # ports of its own: the s3 suites' gateways (17480...) may run beside it
    export S3GW_HTTP_PORT=${S3GW_HTTP_PORT:-17580} S3GW_HTTPS_PORT=${S3GW_HTTPS_PORT:-17543} \
      S3GW_MON_PORT=${S3GW_MON_PORT:-17889} S3GW_OSD_PORTS=${S3GW_OSD_PORTS:-17900}
    gw=$T/gw
    gwenv=$(bash "$src/scripts/s3-gateway.sh" start "$gw") || exit $?
  fi
  eval "$gwenv"
  export DV_S3_BUCKET=dvsuite
  code=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    --cacert "$DV_S3_CA" -H 'x-amz-bucket-object-lock-enabled: true' -X PUT "$DV_S3_HTTPS/$DV_S3_BUCKET")
  [ "$code" = 200 ] || { echo "test-e2e-catalog.sh: could not make the bucket (HTTP $code)" >&2; exit 1; }
  echo "test-e2e-catalog.sh: gateway and bucket ready in $(( SECONDS - t0 )) s"
fi
if [ "$backend" = remote ]; then
  # every blob is a round trip to the gateway: the trial counts of the
  # heaviest scripts are lower here (the plain run keeps theirs); a
  # caller's own values win
  export DV_RACE_TRIALS=${DV_RACE_TRIALS:-6} DV_KILL_TRIALS=${DV_KILL_TRIALS:-5} \
    DV_READERS_FILES=${DV_READERS_FILES:-120}
fi
# scripts that make no vault through new_vault (or backend_args) run the same on every
# backend: the plain run has them
same=$(cd "$src/tests/e2e" && grep -L -e '^[^#]*new_vault ' -e '^[^#]*backend_args' -- *.sh | sed 's/\.sh$//' | paste -sd'|')
echo "test-e2e-catalog.sh: backend $backend; left to the plain run (no new_vault): ${same//|/ }"
ctest --test-dir "$build" -L e2e -LE 'package|s3' ${same:+-E "^e2e_($same)\$"} "$@"
