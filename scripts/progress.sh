# progress.sh - sourced by demo.sh and test.sh: one line per phase, the
# phase's own output in a log file, and on failure the log's path and its
# last 30 lines.
#   phase "building" build/logs/build.log cmake --build build
DV_LOG_DIR=${DV_LOG_DIR:-build/logs}
mkdir -p "$DV_LOG_DIR"
phase() {
  local what=$1 log=$2 rc=0
  shift 2
  printf '%s… ' "$what"
  "$@" >"$log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    echo ok
    return 0
  fi
  echo "FAILED (exit $rc)"
  echo "-- last 30 lines of $log:" >&2
  tail -n 30 "$log" >&2
  echo "-- the whole log: $log" >&2
  exit "$rc"
}
