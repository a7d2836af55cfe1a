#!/usr/bin/env bash
# fuzz-smoke.sh FUZZER SECONDS CORPUS_DIR... - a short libFuzzer run (CI).
# Seeds are copied to a scratch corpus so the tree is never written.
set -euo pipefail
fuzzer=$1 secs=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
for d in "$@"; do
  [ -d "$d" ] && find "$d" -maxdepth 2 -type f -size -4M -exec cp -t "$work/corpus" {} + 2>/dev/null || true
done
exec "$fuzzer" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 \
  -print_final_stats=1 "$work/corpus"
