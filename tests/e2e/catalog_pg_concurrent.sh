#!/usr/bin/env bash
# Four ingest processes at once into one vault whose catalog is PostgreSQL
# (one blob folder): distinct and overlapping sources, two of them into
# the same case. Every content is stored once (one blob row and one blob
# file per distinct content), every ingest completes, verify is clean.
# The processes share the vault directory and so its custody log: they
# take turns on the writer lock (--wait) for the log, while the catalog
# and its constraints are shared through PostgreSQL (the catalog-level
# race without that lock: test_catalog_pg; the log's: test_custody_pg).
. "$(dirname "$0")/lib/common.sh"
pg_available || { echo "skipped: PostgreSQL 15 is not installed"; exit 77; }
pg_start

"$DV" sample-card "$T/a" >/dev/null
cp -a "$T/a" "$T/b"                                   # the same card again
make_files "$T/c" DCIM/100MEDIA/DJI_0901.JPG:300000 DCIM/100MEDIA/DJI_0902.MP4:900000 MISC/x.txt:10
mkdir -p "$T/d/DCIM/101MEDIA"                         # half of a, half new
n=0
for f in $(cd "$T/a" && find . -type f | sort); do
  n=$((n + 1))
  if [ $((n % 2)) -eq 0 ]; then mkdir -p "$T/d/$(dirname "$f")" && cp -p "$T/a/$f" "$T/d/$f"; fi
done
make_files "$T/d" DCIM/101MEDIA/DJI_0950.JPG:200000 DCIM/101MEDIA/DJI_0951.JPG:200000
distinct=$(find "$T/a" "$T/b" "$T/c" "$T/d" -type f -print0 | xargs -0 sha256sum | cut -c1-64 | sort -u | wc -l)
total=$(find "$T/a" "$T/b" "$T/c" "$T/d" -type f | wc -l)

uri=$(pg_new_db)
db=${uri#postgresql:///}; db=${db%%\?*}
V=$T/v
expect_exit 0 "$DV" init --kdf-mem 8 --kdf-ops 1 --operator tester --catalog "$uri" "$V"
pids=()
i=0
for s in a b c d; do
  case_name=2026-07$((i % 3))                         # a and d share a case
  "$DV" --vault "$V" ingest --wait=120 --case "$case_name" --operator "station $s" --json "$T/$s" \
    >"$T/ingest-$s.out" 2>"$T/ingest-$s.err" &
  pids+=($!)
  i=$((i + 1))
done
expect_all_exit_0 ingest "${pids[@]}"
for s in a b c d; do
  check "ingest of $s complete" grep -q '"complete":true' "$T/ingest-$s.out"
done
check "one blob row per distinct content ($distinct)" test "$(pg_sql "$db" 'SELECT count(*) FROM blobs')" -eq "$distinct"
check "one blob file per distinct content" test "$(find "$V/blobs" -type f | wc -l)" -eq "$distinct"
check "a file row per source file ($total)" test "$(pg_sql "$db" 'SELECT count(*) FROM files')" -eq "$total"
check "four ingests, all complete" test "$(pg_sql "$db" 'SELECT count(*) FROM ingests WHERE state = 1')" -eq 4
check "three cases" test "$(pg_sql "$db" 'SELECT count(*) FROM cases')" -eq 3
check "blob names unique" test "$(pg_sql "$db" 'SELECT count(DISTINCT name) FROM blobs')" -eq "$distinct"
expect_exit 0 "$DV" --vault "$V" verify
check "verify intact" grep -q "vault intact: .* 4 ingests, $total files, $distinct blobs" "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log
check "four completed ingests in the log" test "$(grep -c ' ingest  ' "$T/last.out")" -eq 4
finish
