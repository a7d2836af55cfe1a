#!/usr/bin/env bash
# PostgreSQL dies in the middle of an ingest (pg_ctl stop -m immediate: no
# shutdown checkpoint, crash recovery at the next start), at a different
# point in each of DV_PG_KILL_TRIALS trials (10): the ingest stops with an
# error that says the database went away; once the server is back, a re-run
# completes (resuming the open ingest); nothing acknowledged is lost (the
# files committed before the crash are still there), verify is clean.
. "$(dirname "$0")/lib/common.sh"
pg_available || { echo "skipped: PostgreSQL 15 is not installed"; exit 77; }
[ -z "${DV_PG_HOST:-}" ] || { echo "skipped: needs its own cluster to kill (DV_PG_HOST is shared)"; exit 77; }
pg_start
trials=${DV_PG_KILL_TRIALS:-10}
seed=${DV_PG_KILL_SEED:-$RANDOM}
echo "catalog_pg_kill: $trials trials, seed $seed"
RANDOM=$seed
specs=()
for i in $(seq 1 300); do specs+=("DCIM/100MEDIA/F$(printf %04d "$i").JPG:20000"); done
make_files "$T/card" "${specs[@]}"
uri=$(pg_new_db)
db=${uri#postgresql:///}; db=${db%%\?*}
V=$T/v
expect_exit 0 "$DV" init --kdf-mem 8 --kdf-ops 1 --operator tester --catalog "$uri" "$V"
for t in $(seq 1 "$trials"); do
  case_name=KILL-$t
  "$DV" --vault "$V" ingest --case "$case_name" --operator o "$T/card" >"$T/ing.out" 2>"$T/ing.err" &
  pid=$!
  # crash once this trial's ingest has committed 1 to 4 batches (64 files
  # a batch), then a random 0 to 299 ms later: inside a batch, between
  # batches, or at its completion
  want=$(( 64 * ((t - 1) % 4 + 1) ))
  extra=$(( RANDOM % 300 ))
  for _ in $(seq 1 400); do
    n=$(pg_sql "$db" "SELECT count(*) FROM files f JOIN ingests i ON i.id = f.ingest_id WHERE i.state = 0" 2>/dev/null || echo 0)
    [ "$n" -ge "$want" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  sleep "$(printf '0.%03d' "$extra")"
  before=$(pg_sql "$db" "SELECT count(*) FROM files")
  echo "trial $t: PostgreSQL crashed after $want committed files + $extra ms"
  pg_crash
  rc=0
  wait "$pid" || rc=$?
  if [ "$rc" -eq 0 ]; then
    # it finished before the crash: nothing to resume, still a valid trial of recovery
    echo "trial $t: the ingest finished before the crash" >&2
  else
    sed "s/^/    ingest said: /" "$T/ing.err" | tail -3 >&2
    check "trial $t: the error says the database went away" \
      grep -q 'lost the connection to PostgreSQL' "$T/ing.err"
  fi
  pg_restart
  after=$(pg_sql "$db" "SELECT count(*) FROM files")
  check "trial $t: every committed file row survived the crash ($before <= $after)" test "$after" -ge "$before"
  expect_exit 0 "$DV" --vault "$V" ingest --case "$case_name" --operator o --json "$T/card"
  check "trial $t: the re-run completes" grep -q '"complete":true' "$T/last.out"
  expect_exit 0 "$DV" --vault "$V" verify
done
check "one blob row per distinct content" test "$(pg_sql "$db" 'SELECT count(*) FROM blobs')" -eq 300
check "every trial's ingest complete, all files" test \
  "$(pg_sql "$db" "SELECT count(*) FROM files f JOIN ingests i ON i.id = f.ingest_id WHERE i.state = 1")" -ge $((300 * trials))
expect_exit 0 "$DV" --vault "$V" verify
check "verify intact" grep -q 'vault intact' "$T/last.out"
finish
