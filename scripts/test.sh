#!/usr/bin/env bash
# test.sh - install what is needed, build twice and run every test:
#   1. build/      gcc, -Werror, every ctest test (fuzz targets replay their corpus)
#   2. build-san/  clang with AddressSanitizer + UndefinedBehaviorSanitizer and
#                  libFuzzer: every ctest test again, plus short fuzz smoke runs
# Tests that need ../shared skip (not pass) when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

jobs=$(nproc)
export CTEST_OUTPUT_ON_FAILURE=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== build (gcc) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build -j"$jobs" --timeout 900

echo "== build-san (clang, ASan+UBSan, libFuzzer) =="
CC=clang cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Debug -DDV_SANITIZE=ON -DDV_FUZZ=ON >/dev/null
cmake --build build-san -j"$jobs"
ctest --test-dir build-san -j"$jobs" --timeout 900
