#!/usr/bin/env bash
# The custody log and the catalog account for each other both ways (issue
# 11): verify names each of these insider edits (exit 4) where it used to
# say "vault intact", and a writer refuses to roll the head forward over
# them. Deletions go through the backend hook (dv_tamper); finding row ids
# and dropping a table are SQL on the vault's catalog (SQLite or PostgreSQL,
# lib/remote.sh); a remote vault's blobs are deleted in S3 (delete markers)
# and its older catalog is a copy of its database. Putting back an old row
# (5) uses SQLite's ATTACH: the SQLite backend's scenario only.
. "$(dirname "$0")/lib/common.sh"
command -v python3 >/dev/null || { echo "skipped: no python3"; exit 77; }
TAMPER=${DV_TAMPER:-$(find "${DV_BUILD_DIR:?}" -name dv_tamper -type f -perm -u+x -print -quit)}
[ -x "$TAMPER" ] || { echo "dv_tamper not built" >&2; exit 1; }
tamper() { "$TAMPER" --backend "$(catalog_backend "$T/v")" "$(catalog_of "$T/v")" "$@"; }
sql() {
  if vault_catalog_remote "$T/v"; then
    vault_pg_sql "$T/v" "$1" | tr '|' ' '
  else
    python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for r in c.execute(sys.argv[2]): print(*r)
c.commit()' "$T/v/catalog.db" "$1"
  fi
}

"$DV" sample-card "$T/cardA" >/dev/null
"$DV" sample-card --photos 2 --lat 50 --lon 8 "$T/cardB" >/dev/null
V0=$T/v0
new_vault "$V0"
"$DV" --vault "$V0" ingest --case A --operator o "$T/cardA" >/dev/null
cp -a "$V0" "$T/v-after-A"        # an older copy, for the rollback scenarios
vault_snapshot "$V0" after_a
vault_blob_names "$V0" | sort >"$T/blobs-A"
"$DV" --vault "$V0" ingest --case B --operator o "$T/cardB" >/dev/null
expect_exit 0 "$DV" --vault "$V0" verify
vault_snapshot "$V0" pristine
fresh() { rm -rf "$T/v"; cp -a "$V0" "$T/v"; vault_restore "$V0" pristine; }
problem() { # problem DESCRIPTION REGEX: verify exits 4 and names it
  expect_exit 4 "$DV" --vault "$T/v" verify
  check "$1" grep -qE "PROBLEM: .*$2" "$T/last.err"
}
writer_refuses() { # a writer opens nothing over it and writes nothing
  local before
  before=$(log_state)
  expect_exit 1 "$DV" --vault "$T/v" ingest --case C --operator o "$T/cardB"
  check "$1: writer refuses" test "$before" = "$(log_state)"
}
# what a writer would change: the custody log's bytes (or, where the log is
# the shared chains in PostgreSQL, their entries and heads)
log_state() {
  if vault_log_is_file "$T/v"; then
    sha256sum "$T/v/custody.log"
  else
    sql "SELECT chain, seq, encode(hash, 'hex') FROM custody_entries ORDER BY 1, 2;
         SELECT chain, seq, encode(hash, 'hex') FROM custody_heads ORDER BY 1" | sha256sum
  fi
}
delete_ingest_rows() { # delete_ingest_rows INGEST: its files, blob rows, itself
  local f b
  for f in $(sql "select id from files where ingest_id = $1"); do tamper delete files "$f"; done
  for b in $(sql "select id from blobs where id not in (select blob_id from files)"); do tamper delete blobs "$b"; done
  tamper delete ingests "$1"
}

# 1. an ingest's rows deleted (files, blobs rows, the ingest row)
fresh
delete_ingest_rows 2
problem "deleted ingest named" "ingest 2 of case B: custody entry [0-9]+ \(and its completion\) records it, but the catalog has no such ingest"

# 2. a whole case: its case row, ingests, files, blob rows and blob files
fresh
delete_ingest_rows 2
tamper delete cases 2
for b in $(vault_blob_names "$T/v" | sort | comm -13 "$T/blobs-A" - ); do
  vault_blob_delete "$T/v" "$b"
done
problem "deleted case named" "case B: custody entry [0-9]+ and later record it, but the catalog has no such case"
check "deleted case: its ingest too" grep -q "ingest 2 of case B" "$T/last.err"

# 3. the head record deleted, then the last entry cut off the log (the
# shared log of a PostgreSQL vault: a chain's head row deleted, then its
# last entry cut with the head moved back)
fresh
if vault_log_is_file "$T/v"; then
  tamper delete log_head 1
  problem "missing head record" "record of the custody log head is missing"
else
  ch=$(sql "SELECT chain FROM custody_heads ORDER BY seq DESC, chain LIMIT 1")
  sql "DELETE FROM custody_heads WHERE chain = '$ch'" >/dev/null
  problem "missing head record" "chains hold entries but [0-9]+ have a head"
fi
if vault_log_is_file "$T/v"; then
  writer_refuses "missing head record"
else
  # a writer of another case's chain touches nothing of that chain: the
  # problem stays for verify (the chain's own writer fails on its entries)
  expect_exit 0 "$DV" --vault "$T/v" ingest --case C --operator o "$T/cardB"
  problem "missing head record: not written over" "chains hold entries but [0-9]+ have a head"
fi
if vault_log_is_file "$T/v"; then
  start=$(grep -obUa 'DVL2' "$T/v/custody.log" | tail -1 | cut -d: -f1)
  truncate -s "$start" "$T/v/custody.log"
  problem "head deleted and log cut" "record of the custody log head is missing"
else
  n=$(sql "SELECT max(seq) FROM custody_entries WHERE chain = '$ch'")
  sql "DELETE FROM custody_entries WHERE chain = '$ch' AND seq = $n;
    INSERT INTO custody_heads SELECT chain, seq, hash FROM custody_entries WHERE chain = '$ch' AND seq = $((n - 1))" >/dev/null
  problem "head deleted and log cut" "no custody entry records its completion|not accounted for|the catalog has"
fi

# 4. catalog.db alone rolled back to an older copy (log kept); PostgreSQL:
# the database put back from its copy after ingest A
fresh
if vault_catalog_remote "$T/v"; then
  vault_restore "$T/v" after_a
else
  rm -f "$T/v"/catalog.db*
  cp -a "$T/v-after-A"/catalog.db* "$T/v/"
fi
if vault_log_is_file "$T/v"; then
  problem "catalog rolled back: ingest B missing" "ingest 2 of case B: .* the catalog has no such ingest"
else # the shared log went back with its database: the station's witness says so
  problem "catalog rolled back: behind the station's witness" "the vault's witness \(or the catalog\) was rolled back"
fi
writer_refuses "catalog rolled back"
expect_exit 4 "$DV" --vault "$T/v" verify   # and nothing "rolled forward" it away

# 5. an older copy of an ingest row (state open) put back, then a file row
# deleted. An open ingest: a card image cut inside a file's data (EIO), then
# completed by re-running it with the whole image at the same path.
fresh
if vault_catalog_remote "$T/v"; then
  skip_part "old open ingest row put back" "uses SQLite's ATTACH on copies of catalog.db"
elif command -v mkfs.vfat >/dev/null && command -v mmd >/dev/null && command -v mcopy >/dev/null; then
  make_files "$T/o" DCIM/O1.JPG:200000 DCIM/O2.JPG:1500000 DCIM/O3.JPG:1500000 DCIM/O4.JPG:1500000
  dd if=/dev/zero of="$T/full.img" bs=1M count=40 status=none
  mkfs.vfat -F 32 "$T/full.img" >/dev/null
  mmd -i "$T/full.img" ::DCIM
  mcopy -i "$T/full.img" "$T"/o/DCIM/* ::DCIM/
  head -c 2M "$T/full.img" >"$T/card.img"
  expect_exit 1 "$DV" --vault "$T/v" ingest --case O --operator o "$T/card.img"
  oid=$(sql "select max(id) from ingests")
  sql "select hex(sealed), state from ingests where id = $oid" >"$T/open-row"
  cp "$T/full.img" "$T/card.img"
  cp -a "$T/v" "$T/v-open"
  expect_exit 0 "$DV" --vault "$T/v" ingest --case O --operator o "$T/card.img"
  expect_exit 0 "$DV" --vault "$T/v" verify
  # 5a. the legitimate twin: a crash after the completion entry was appended
  # and before the catalog committed it (row still open, head behind): a
  # note, and the next writer rolls forward (completes the row) - the log
  # signed it and the files are exactly its manifest
  rm -rf "$T/crash"; cp -a "$T/v" "$T/crash"
  python3 -c 'import sqlite3, sys
new = sqlite3.connect(sys.argv[1]); new.execute("attach ? as old", (sys.argv[2],))
new.execute("update ingests set sealed = (select sealed from old.ingests where id = ?), state = 0 where id = ?", (int(sys.argv[3]),) * 2)
new.execute("update log_head set sealed = (select sealed from old.log_head where id = 1)")
new.commit()' "$T/crash/catalog.db" "$T/v-open/catalog.db" "$oid"
  expect_exit 0 "$DV" --vault "$T/crash" verify
  check "crash window: a note, not a problem" grep -q "completed it after the catalog's head" "$T/last.err"
  expect_exit 0 "$DV" --vault "$T/crash" export --case O --to "$T/crash-exp"
  expect_exit 0 "$DV" --vault "$T/crash" verify --json
  check "rolled forward: the ingest is complete" bash -c "! grep -q 'completed it after' '$T/last.out'"
  expect_exit 0 "$DV" --vault "$T/crash" cases --json
  check "rolled forward: no unfinished ingest" grep -q '"case":"O",[^}]*"unfinished_ingests":0' "$T/last.out"
  read -r hex st <"$T/open-row"
  check "the saved row is open" test "$st" = 0
  sql "update ingests set sealed = x'$hex', state = $st where id = $oid"
  tamper delete files "$(sql "select max(id) from files where ingest_id = $oid")"
  problem "old open ingest row put back" "ingest $oid .*custody entry [0-9]+ records it complete, but the catalog has it open"
else
  echo "note: no mkfs.vfat/mtools: the old-open-row scenario is skipped"
fi

# 6. derived telemetry: a row deleted, a table dropped, a row of another file copied over
fresh
tamper delete side_points 3
problem "deleted points row" "ingest 1 \(.*\): its telemetry rows .* no longer match the digest custody entry"
fresh
sql "drop table side_telemetry"
problem "dropped telemetry table" "ingest 1 \(.*\): its telemetry rows"
check "dropped telemetry table: ingest 2 too" grep -q "ingest 2 (.*): its telemetry rows" "$T/last.err"
fresh
for f in $(sql "select id from files where ingest_id = 2"); do tamper delete side_telemetry "$f"; tamper delete side_points "$f"; done
problem "one ingest's telemetry deleted" "ingest 2 \(.*\): its telemetry rows"

# 7. rows the log does not account for: a telemetry row of no file, a blob row of no file
fresh
delete_ingest_rows 2
problem "blob rows of deleted files" "telemetry rows .* belong to no file row"

# 8. torn tail: an interrupted append (never acknowledged) is cut by the
# next writer and the cut is logged; a cut into an acknowledged entry is
# refused with the log untouched
fresh
if vault_log_is_file "$T/v"; then
start=$(grep -obUa 'DVL2' "$T/v/custody.log" | tail -1 | cut -d: -f1)
bytes "$T/v/custody.log" "$start" 40 >"$T/torn.part" && cat "$T/torn.part" >>"$T/v/custody.log"
expect_exit 4 "$DV" --vault "$T/v" verify
check "torn tail named by verify" grep -q "incomplete entry at the end of the log" "$T/last.err"
expect_exit 0 "$DV" --vault "$T/v" ingest --case C --operator o "$T/cardB"
expect_exit 0 "$DV" --vault "$T/v" log --json
check "repair logged" grep -q '"action":"log.repair"' "$T/last.out"
check "repair says what it cut" grep -q '"cut_bytes":40' "$T/last.out"
expect_exit 0 "$DV" --vault "$T/v" verify
fresh
start=$(grep -obUa 'DVL2' "$T/v/custody.log" | tail -1 | cut -d: -f1)
truncate -s "$((start + 40))" "$T/v/custody.log"
writer_refuses "acknowledged entry torn"
check "acknowledged entry torn: nothing cut" test "$(stat -c %s "$T/v/custody.log")" = "$((start + 40))"
expect_exit 4 "$DV" --vault "$T/v" verify
check "acknowledged entry torn: named" grep -q "entries removed from the end" "$T/last.err"
else
  skip_part "torn tail of custody.log" "the vault's custody log is not a file"
fi

# 9. verify --deep re-derives telemetry from the blobs (sandboxed reader)
fresh
expect_exit 0 "$DV" --vault "$T/v" verify --deep
check "deep: intact vault re-derives every file" grep -qE "telemetry re-derived from 16 files' blobs: 0 differ" "$T/last.out"
# (rows 14 and 15 on SQLite; ids come from the backend: ask it)
pf=$(sql "select max(id) from side_points where id in (select id from files where ingest_id = 2)")
tf=$(sql "select max(id) from side_telemetry where id in (select id from files where ingest_id = 2) and id <> $pf")
tamper delete side_points "$pf"
tamper delete side_telemetry "$tf"
expect_exit 4 "$DV" --vault "$T/v" verify --deep
check "deep: missing points named by file" grep -qE "PROBLEM: catalog: file '[^']*' \(ingest 2, row $pf\): its track points differ" "$T/last.err"
check "deep: missing record named by file" grep -qE "PROBLEM: catalog: file '[^']*' \(ingest 2, row $tf\): its telemetry record" "$T/last.err"
# reindex is a writer: it records the digests it leaves (telemetry.reindex)
fresh
expect_exit 0 "$DV" --vault "$T/v" reindex
expect_exit 0 "$DV" --vault "$T/v" log --json
check "reindex logged" grep -q '"action":"telemetry.reindex"' "$T/last.out"
expect_exit 0 "$DV" --vault "$T/v" verify --deep

vault_restore "$V0" pristine
expect_exit 0 "$DV" --vault "$V0" verify
finish
