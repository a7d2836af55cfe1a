#!/usr/bin/env bash
# The core flow on a PostgreSQL catalog (a throwaway cluster, Unix socket
# only): init --catalog, ingest the generated sample, verify, flights,
# export; nothing in clear in the database; a sealed row tampered with in
# PostgreSQL is named by verify; passwords never go into vault.json; an
# edited connection string is refused; an older schema is refused naming
# both versions until 'db upgrade' (logged).
. "$(dirname "$0")/lib/common.sh"
pg_available || { echo "skipped: PostgreSQL 15 is not installed"; exit 77; }
pg_start
TAMPER=${DV_BUILD_DIR:?}/src/vault/dv_tamper

"$DV" sample-card "$T/card" >/dev/null
uri=$(pg_new_db)
db=${uri#postgresql:///}; db=${db%%\?*}
V=$T/v
expect_exit 0 "$DV" init --kdf-mem 8 --kdf-ops 1 --operator tester --catalog "$uri" "$V"
check "no catalog.db beside vault.json" test ! -e "$V/catalog.db"
check "vault.json names the catalog" grep -q '"backend":"postgresql"' "$V/vault.json"
check "schema at this build's version" test "$(pg_sql "$db" 'SELECT max(version) FROM dv_schema')" = 2
check "catalog bound to the vault" test "$(pg_sql "$db" "SELECT v FROM dv_meta WHERE k = 'vault_id'")" = \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vault_id"])' "$V/vault.json")"

expect_exit 0 "$DV" --vault "$V" ingest --case 2026-0099 --operator 'PC Weber' --note 'seal 4711' --json "$T/card"
check "ingest complete" grep -q '"complete":true' "$T/last.out"
check "13 file rows in PostgreSQL" test "$(pg_sql "$db" 'SELECT count(*) FROM files')" = 13
check "13 blob rows" test "$(pg_sql "$db" 'SELECT count(*) FROM blobs')" = 13
expect_exit 0 "$DV" --vault "$V" verify
check "verify intact" grep -q 'vault intact: 3 custody entries, 1 ingests, 13 files, 13 blobs' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" flights --case 2026-0099
check "the sample's flight" grep -q 'SAMPLE0DRONE0001' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" cases
check "cases lists it" grep -q '2026-0099' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" ls --case 2026-0099
check "ls lists the SRT" grep -q '\.SRT' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" export --case 2026-0099 --to "$T/out"
check "export checks" bash -c "cd '$T/out' && sha256sum --quiet -c SHA256SUMS"
check "export identical to the card" bash -c "diff -r '$T/card' '$T/out' | grep -v SHA256SUMS | (! grep -q .)"
# a re-ingest of the same card stores no new blob (dedup through PostgreSQL)
expect_exit 0 "$DV" --vault "$V" ingest --case 2026-0100 --operator 'PC Weber' --json "$T/card"
check "still 13 blob rows" test "$(pg_sql "$db" 'SELECT count(*) FROM blobs')" = 13
check "26 file rows" test "$(pg_sql "$db" 'SELECT count(*) FROM files')" = 26

# nothing sensitive in clear in the database
"$PG_BIN/pg_dump" -h "$(pg_host)" -U postgres -d "$db" -f "$T/dump.sql"
check "dump has the tables" grep -q 'CREATE TABLE public.files' "$T/dump.sql"
for s in 2026-0099 Weber 'seal 4711' DJI_ "$T/card" SAMPLE0DRONE; do
  check "'$s' not in clear in PostgreSQL" bash -c "! grep -qaF -- '$s' '$T/dump.sql'"
done

# a sealed row changed inside PostgreSQL: verify names table and row
cp -a "$V" "$T/v-before"
fid=$(pg_sql "$db" 'SELECT min(id) FROM files')
expect_exit 0 "$TAMPER" --backend postgresql "$uri" flip-sealed files "$fid" 40
expect_exit 4 "$DV" --vault "$V" verify
check "verify names the row" grep -q "table files row $fid: sealed record fails authentication" "$T/last.out" "$T/last.err"
expect_exit 0 "$TAMPER" --backend postgresql "$uri" flip-sealed files "$fid" 40
expect_exit 0 "$DV" --vault "$V" verify
# an edited clear column (the ingest's state), straight in SQL
pg_sql "$db" "UPDATE ingests SET state = 0 WHERE id = 1" >/dev/null
expect_exit 4 "$DV" --vault "$V" verify
check "verify names the ingest" grep -q "table ingests row 1" "$T/last.out" "$T/last.err"
pg_sql "$db" "UPDATE ingests SET state = 1 WHERE id = 1" >/dev/null
expect_exit 0 "$DV" --vault "$V" verify

# passwords never reach vault.json
expect_exit 1 "$DV" init --kdf-mem 8 --kdf-ops 1 --catalog "postgresql://postgres:secret@/x?host=$(pg_host)" "$T/pw"
check "password refused, saying how" grep -q 'PGPASSFILE' "$T/last.err"
check "nothing made" test ! -e "$T/pw/vault.json"
# a database that already holds a catalog is not taken over
expect_exit 1 "$DV" init --kdf-mem 8 --kdf-ops 1 --catalog "$uri" "$T/second"
check "another vault's catalog refused" grep -q 'belongs to vault' "$T/last.err"
check "directory untouched" test ! -e "$T/second/vault.json"
# an unreachable server: a clear error
expect_exit 1 "$DV" init --kdf-mem 8 --kdf-ops 1 --catalog "postgresql:///x?host=$T/nowhere" "$T/third"
check "cannot connect said" grep -q 'cannot connect to the PostgreSQL catalog' "$T/last.err"

# the connection string is under vault.json's MAC
cp "$V/vault.json" "$T/vault.json.good"
sed -i "s/$db/${db}x/" "$V/vault.json"
expect_exit 1 "$DV" --vault "$V" ingest --case 2026-0101 --operator x "$T/card"
check "edited connection: a writer refuses" grep -q 'catalog connection is not authenticated' "$T/last.err"
expect_exit 1 "$DV" --vault "$V" verify
check "edited connection: a reader says where it could not go" grep -q "cannot connect.*${db}x" "$T/last.err"
cp "$T/vault.json.good" "$V/vault.json"

# an older schema: refused naming both versions, until db upgrade
pg_sql "$db" "DELETE FROM dv_schema WHERE version = 2; DROP TABLE custody_heads, custody_entries" >/dev/null
expect_exit 1 "$DV" --vault "$V" ingest --case 2026-0101 --operator x "$T/card"
check "older schema named" grep -q "schema is version 1, this dronevault needs version 2: run 'dronevault db upgrade'" "$T/last.err"
expect_exit 0 "$DV" --vault "$V" db upgrade --operator admin
check "upgrade says so" grep -q 'upgraded from version 1 to 2' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" db upgrade
check "second upgrade: nothing to do" grep -q 'nothing to do' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log
check "upgrade logged" grep -q 'db.upgrade.*from_version=1 to_version=2' "$T/last.out"
# a newer one: refused, untouched
pg_sql "$db" "INSERT INTO dv_schema(version, what) VALUES (9, 'future')" >/dev/null
expect_exit 1 "$DV" --vault "$V" cases
check "newer schema named" grep -q 'schema is version 9, newer than this dronevault' "$T/last.err"
expect_exit 1 "$DV" --vault "$V" db upgrade
pg_sql "$db" "DELETE FROM dv_schema WHERE version = 9" >/dev/null
# the tables dropped above held the vault's custody log (the shared log of
# version 2): verify says what went with them
expect_exit 4 "$DV" --vault "$V" verify
check "the dropped log is missed" grep -q "the vault's creation entry is missing" "$T/last.out" "$T/last.err"
check "and the ingests it recorded" grep -q "ingest 1 .* is in no custody entry" "$T/last.out" "$T/last.err"
# db upgrade on a SQLite vault: a usage error
# (a SQLite vault whatever the run's backend: new_vault would make it remote)
"$DV" init --kdf-mem 8 --kdf-ops 1 --operator tester "$T/sq" >/dev/null
expect_exit 2 "$DV" --vault "$T/sq" db upgrade
check "sqlite: nothing to upgrade" grep -q 'catalog is SQLite' "$T/last.err"
finish
