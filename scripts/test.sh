#!/usr/bin/env bash
# test.sh - install what is needed, build twice and run every test:
#   1. build/      gcc Release, -Werror, benchmarks compiled, every ctest
#                  test (fuzz targets replay their corpus, the Debian
#                  package is built, installed, used and removed); then the
#                  e2e (CLI) suite again on the remote backend, S3 +
#                  PostgreSQL (scripts/test-e2e-catalog.sh remote)
#   2. build-san/  clang Debug with AddressSanitizer + UndefinedBehaviorSanitizer
#                  and libFuzzer: every ctest test again, short fuzz smoke
#                  runs, and the allocation-failure test
# Tests that need ../shared skip (not pass) when it is absent.
# Package installation, configure and compiler output go to build/logs/;
# ctest's own output stays on the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/progress.sh
phase "installing packages" "$DV_LOG_DIR/install.log" bash scripts/install-deps.sh

jobs=$(nproc)
export CTEST_OUTPUT_ON_FAILURE=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
common=(-DDV_WERROR=ON -DDV_BUILD_TESTS=ON -DDV_BUILD_BENCH=ON)

# a packager's configuration (no tests, no benchmarks) must configure too
phase "configuring without tests" "$DV_LOG_DIR/configure-notests.log" \
  cmake -S . -B build-notests -DDV_BUILD_TESTS=OFF -DDV_BUILD_BENCH=OFF

echo "== build (gcc Release) =="
phase "configuring" "$DV_LOG_DIR/configure.log" cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${common[@]}"
phase "building" "$DV_LOG_DIR/build.log" cmake --build build -j"$jobs"
# One S3 gateway (a one-node Ceph RADOS Gateway, scripts/s3-gateway.sh) for
# this build's S3 suites and its remote-backend run: started once (about
# 18 s) instead of once per suite; the suites take turns on it and use
# buckets of their own (tests/e2e/lib/s3.sh). Without radosgw, or if it
# does not come up, each suite starts its own (or reports skipped).
gw_dir=
stop_gateway() {
  [ -z "$gw_dir" ] || { bash scripts/s3-gateway.sh stop "$gw_dir" >/dev/null 2>&1; rmdir "$(dirname "$gw_dir")" 2>/dev/null; } || true
  gw_dir=
}
trap stop_gateway EXIT
if command -v radosgw >/dev/null 2>&1; then
  gw_dir=$(mktemp -d "${TMPDIR:-/tmp}/dv-gw-XXXXXX")/gw
  if S3GW_MEM_BYTES=${S3GW_MEM_BYTES:-4294967296} bash scripts/s3-gateway.sh start "$gw_dir" >/dev/null; then
    export DV_S3_GW_DIR=$gw_dir
  else
    echo "the shared S3 gateway did not start: each S3 suite starts its own" >&2
    stop_gateway
  fi
fi
ctest --test-dir build -j"$jobs" --timeout 900
# the whole CLI suite again with every vault remote (S3 + PostgreSQL: one
# cluster for the run, and the shared gateway above, else one of its own);
# once, in this build (the sanitizer build keeps the plain run)
echo "== build: e2e suite on the remote backend (S3 + PostgreSQL) =="
rc=0
bash scripts/test-e2e-catalog.sh remote build -j"$jobs" --timeout 900 || rc=$?
case $rc in
  0) ;;
  77) echo "skipped: the remote backend run (PostgreSQL 15 or radosgw missing: scripts/install-deps.sh)" ;;
  *) exit "$rc" ;;
esac
stop_gateway
unset DV_S3_GW_DIR

echo "== build-san (clang Debug, ASan+UBSan, libFuzzer) =="
phase "configuring" "$DV_LOG_DIR/configure-san.log" \
  env CC=clang cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Debug -DDV_SANITIZE=ON -DDV_FUZZ=ON "${common[@]}"
phase "building" "$DV_LOG_DIR/build-san.log" cmake --build build-san -j"$jobs"
ctest --test-dir build-san -j"$jobs" --timeout 900
