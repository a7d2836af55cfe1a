#!/usr/bin/env bash
# The shared custody log of a PostgreSQL vault: every entry goes to the
# catalog's chains (one per case, one per station), none to custody.log.
# Two station directories on one PostgreSQL catalog (the second enrolled
# with 'station add': its own key; more in tests/e2e/catalog_pg_stations.sh)
# ingest four sources at once, two of
# them into one case, without sharing a directory or its writer lock (only
# the blob folder, which stands for the S3 store):
# every content stored once, every case's chain valid, verify clean on
# both, log --head, a court package checked with sha256sum and openssl
# alone. Then the log and the catalog are held to each other: a case's
# last entry cut off cleanly (its head row moved back with it) leaves an
# ingest no entry completes, a flipped signature byte is named.
. "$(dirname "$0")/lib/common.sh"
pg_available || { echo "skipped: PostgreSQL 15 is not installed"; exit 77; }
pg_start

"$DV" sample-card "$T/a" >/dev/null
cp -a "$T/a" "$T/b"                                   # the same card again
make_files "$T/c" DCIM/100MEDIA/DJI_0901.JPG:300000 DCIM/100MEDIA/DJI_0902.MP4:900000
make_files "$T/d" DCIM/101MEDIA/DJI_0950.JPG:200000 DCIM/101MEDIA/DJI_0951.JPG:200000
distinct=$(find "$T/a" "$T/b" "$T/c" "$T/d" -type f -print0 | xargs -0 sha256sum | cut -c1-64 | sort -u | wc -l)

uri=$(pg_new_db)
db=${uri#postgresql:///}; db=${db%%\?*}
V1=$T/station1 V2=$T/station2
expect_exit 0 "$DV" init --kdf-mem 8 --kdf-ops 1 --operator tester --station one --catalog "$uri" "$V1"
check "no custody.log in a shared vault" test ! -e "$V1/custody.log"
check "vault.init in the shared log" test "$(pg_sql "$db" 'SELECT count(*) FROM custody_entries')" -eq 1
expect_exit 0 "$DV" --vault "$V1" station add two --kdf-mem 8 --kdf-ops 1 "$V2"   # (the same passphrase here)
# the blobs are shared (S3 in a real deployment: e2e_s3_vault); here one
# folder both directories point to
mv "$V1/blobs" "$T/blobs" && ln -s "$T/blobs" "$V1/blobs" && ln -s "$T/blobs" "$V2/blobs"
pids=()
for s in a:$V1:2026-0001 b:$V2:2026-0001 c:$V1:2026-0002 d:$V2:2026-0003; do
  IFS=: read -r src dir case_name <<<"$s"
  "$DV" --vault "$dir" ingest --wait=120 --case "$case_name" --operator "PC $src" --json "$T/$src" \
    >"$T/ingest-$src.out" 2>"$T/ingest-$src.err" &
  pids+=($!)
done
expect_all_exit_0 ingest "${pids[@]}"
for s in a b c d; do check "ingest of $s complete" grep -q '"complete":true' "$T/ingest-$s.out"; done
check "one blob row per distinct content ($distinct)" test "$(pg_sql "$db" 'SELECT count(*) FROM blobs')" -eq "$distinct"
check "still no custody.log in either directory" test ! -e "$V1/custody.log" -a ! -e "$V2/custody.log"
check "a chain per case and the station's" test "$(pg_sql "$db" 'SELECT count(*) FROM custody_heads')" -eq 4
check "the shared case's chain: 2 starts, 2 completions" \
  test "$(pg_sql "$db" "SELECT max(seq) FROM custody_entries WHERE chain NOT LIKE 'station-%' GROUP BY chain ORDER BY 1 DESC LIMIT 1")" -eq 4
for dir in "$V1" "$V2"; do
  expect_exit 0 "$DV" --vault "$dir" verify
  check "verify intact on $dir" grep -q 'vault intact: 10 custody entries, 4 ingests' "$T/last.out"
done
expect_exit 0 "$DV" --vault "$V2" log
check "four completed ingests in the log" test "$(grep -c ' ingest  ' "$T/last.out")" -eq 4
check "the log names the station" grep -q ' one  .*vault.init' "$T/last.out"
expect_exit 0 "$DV" --vault "$V2" log --json
check "log --json: a chain seq per entry" grep -q '"seq":4' "$T/last.out"

# heads: the vault's (over every chain's head) and a case's
expect_exit 0 "$DV" --vault "$V1" log --head
vhead=$(cat "$T/last.out")
check "vault head: 64 hex" grep -qE '^[0-9a-f]{64}$' "$T/last.out"
expect_exit 0 "$DV" --vault "$V2" log --head
check "both stations see one vault head" test "$(cat "$T/last.out")" = "$vhead"
expect_exit 0 "$DV" --vault "$V1" log --head --case 2026-0001
chead=$(cat "$T/last.out")
check "case head is its chain's last statement" test "$chead" = \
  "$(pg_sql "$db" "SELECT encode(hash, 'hex') FROM custody_heads WHERE seq = 4")"
expect_exit 0 "$DV" --vault "$V1" verify --head "$vhead"
expect_exit 0 "$DV" --vault "$V1" verify --head "$chead" --case 2026-0001

# a court package of the shared case, checked without any vault key
expect_exit 0 "$DV" --vault "$V2" log --case 2026-0001 --package "$T/pkg"
check "package: 4 entries" test "$(find "$T/pkg/entries" -name '*.stmt' | wc -l)" -eq 4
check "package: a station key per entry" test "$(find "$T/pkg/entries" -name '*.pem' | wc -l)" -eq 4
check "package head is the case head" test "$(cat "$T/pkg/HEAD")" = "$chead"
sed -n '/^```sh$/,/^```$/p' "$T/pkg/VERIFY.md" | sed '1d;$d' >"$T/verify-pkg.sh"
check "VERIFY.md's commands pass" bash -c "cd '$T/pkg' && bash '$T/verify-pkg.sh' | grep -q 'all 4 entries verify; case head $chead'"
cp -a "$T/pkg" "$T/pkg-bad"
printf 'X' | dd of="$T/pkg-bad/entries/000003.json" bs=1 seek=5 conv=notrunc status=none
check "VERIFY.md's commands catch an edited body" bash -c "cd '$T/pkg-bad' && ! bash '$T/verify-pkg.sh' >/dev/null 2>&1"
check "nothing sensitive in clear in the shared log" bash -c \
  "! '$PG_BIN/pg_dump' -h '$(pg_host)' -U postgres -d '$db' -t custody_entries | grep -qaE '2026-000|PC a'"

# the rollback witness: station two's directory put back to an older copy
# (two more writes since) is behind the vault's witness of it
cp -a "$V2" "$T/station2-old"
expect_exit 0 "$DV" --vault "$V2" ingest --case 2026-0005 --operator x "$T/d"
check "the witness counts two's writes" test "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["writes"])' "$V2/witness")" -eq 6
expect_exit 0 "$DV" --vault "$V2" verify
expect_exit 0 "$DV" --vault "$V2" log --head
vhead=$(cat "$T/last.out")
mv "$V2" "$T/station2-now" && cp -a "$T/station2-old" "$V2"
expect_exit 4 "$DV" --vault "$V2" verify
check "a rolled-back station directory is caught" grep -q 'holds its write 4, but the vault witnessed 6 writes by this station: the directory was rolled back' "$T/last.out" "$T/last.err"
expect_exit 4 "$DV" --vault "$V2" verify --head "$vhead"
check "verify --head on it says so too" grep -q 'the directory was rolled back' "$T/last.out" "$T/last.err"
# and its writer refuses: a write would move the witness past the rollback
expect_exit 1 "$DV" --vault "$V2" ingest --case 2026-0006 --operator x "$T/c"
check "a rolled-back station directory does not write" grep -q 'holds its write 4, the vault witnessed 6: one of them was rolled back' "$T/last.err"
expect_exit 0 "$DV" --vault "$V1" verify
rm -rf "$V2" && mv "$T/station2-now" "$V2"
expect_exit 0 "$DV" --vault "$V2" verify
# the witness file edited: its MAC fails
sed -i 's/"writes":6/"writes":9/' "$V2/witness"
expect_exit 4 "$DV" --vault "$V2" verify
check "an edited witness file named" grep -q 'witness file is malformed or fails its MAC' "$T/last.out" "$T/last.err"
sed -i 's/"writes":9/"writes":6/' "$V2/witness"
# the central witness put back (a replayed sealed row) behind the directory
saved=$(pg_sql "$db" "SELECT string_agg(id || ':' || encode(sealed, 'hex'), ' ') FROM side_witness")
expect_exit 0 "$DV" --vault "$V2" ingest --case 2026-0006 --operator x "$T/c"
after=$(pg_sql "$db" "SELECT string_agg(id || ':' || encode(sealed, 'hex'), ' ') FROM side_witness")
for r in $saved; do pg_sql "$db" "UPDATE side_witness SET sealed = decode('${r#*:}', 'hex') WHERE id = ${r%%:*}" >/dev/null; done
expect_exit 4 "$DV" --vault "$V2" verify
check "a central witness behind the directory" grep -q "the vault's witness (or the catalog) was rolled back" "$T/last.out" "$T/last.err"
expect_exit 1 "$DV" --vault "$V2" ingest --case 2026-0007 --operator x "$T/c"
check "nor does a station the vault's witness is behind" grep -q 'one of them was rolled back' "$T/last.err"
for r in $after; do pg_sql "$db" "UPDATE side_witness SET sealed = decode('${r#*:}', 'hex') WHERE id = ${r%%:*}" >/dev/null; done
expect_exit 0 "$DV" --vault "$V2" verify

# the two-way cross-check: the case's last entry (an ingest's completion)
# cut off with its head row moved back - the chain is consistent, the
# catalog's complete ingest is no longer accounted for
last=$(pg_sql "$db" "SELECT chain FROM custody_heads WHERE seq = 4")
# (kept as the statement that puts it back: a table of our own in the
# catalog's database would be an insider's edit of its schema, refused)
keep=$(pg_sql "$db" "SELECT format('INSERT INTO custody_entries VALUES(%L, %s, %L, %L, %L, %L, %L); UPDATE custody_heads SET seq = 4, hash = %L WHERE chain = %L',
  chain, seq, prev, hash, stmt, sig, sealed, hash, chain) FROM custody_entries WHERE chain = '$last' AND seq = 4")
pg_sql "$db" "DELETE FROM custody_entries WHERE chain = '$last' AND seq = 4;
  UPDATE custody_heads SET seq = 3, hash = (SELECT hash FROM custody_entries WHERE chain = '$last' AND seq = 3) WHERE chain = '$last'" >/dev/null
expect_exit 4 "$DV" --vault "$V1" verify
check "an ingest no entry completes" grep -q 'no custody entry records its completion' "$T/last.out" "$T/last.err"
expect_exit 4 "$DV" --vault "$V1" verify --head "$vhead"
check "the old vault head: not this state" grep -q 'the vault does not contain that state' "$T/last.out" "$T/last.err"
pg_sql "$db" "$keep" >/dev/null
expect_exit 0 "$DV" --vault "$V1" verify
# a flipped signature byte
pg_sql "$db" "UPDATE custody_entries SET sig = overlay(sig placing '\\x00'::bytea from 3 for 1) WHERE chain = '$last' AND seq = 2" >/dev/null
expect_exit 4 "$DV" --vault "$V2" verify
check "the bad signature named" grep -q "custody chain $last entry 2: signature does not verify" "$T/last.out" "$T/last.err"
expect_exit 1 "$DV" --vault "$V2" log --case 2026-0001 --package "$T/pkg2"
check "no package of a damaged chain" grep -q 'entry 2: signature does not verify; no package written' "$T/last.err"
finish
