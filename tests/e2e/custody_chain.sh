#!/usr/bin/env bash
# The custody log's structure (issue 11): a chain per case and the vault's;
# `log --head [--case]` and `verify --head` anchor the vault outside itself
# (passes on a grown vault, fails on a rolled-back copy of the whole
# directory); the court package checks with VERIFY.md's commands exactly as
# written (coreutils + openssl) and fails on a tampered entry; exports
# record the head they were made from; a version 1 log is converted by the
# first writer, logged and verified.
. "$(dirname "$0")/lib/common.sh"
command -v openssl >/dev/null || { echo "skipped: no openssl"; exit 77; }

"$DV" sample-card "$T/cardA" >/dev/null
"$DV" sample-card --photos 2 --lat 50 --lon 8 "$T/cardB" >/dev/null
make_files "$T/cardA2" DCIM/X.JPG:4000 DCIM/Y.JPG:5000
V=$T/v
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case CASE-ALPHA --operator o "$T/cardA"
expect_exit 0 "$DV" --vault "$V" ingest --case CASE-BRAVO --operator o "$T/cardB"

# heads: 64 hex digits
expect_exit 0 "$DV" --vault "$V" log --head
vhead=$(cat "$T/last.out")
check "vault head is 64 hex" grep -qxE '[0-9a-f]{64}' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log --head --case CASE-ALPHA
ahead=$(cat "$T/last.out")
check "case head is 64 hex" grep -qxE '[0-9a-f]{64}' "$T/last.out"
check "case head differs from the vault head" test "$ahead" != "$vhead"
expect_exit 1 "$DV" --vault "$V" log --head --case NO-SUCH-CASE

# an older copy of the whole vault directory, then the vault grows. A
# PostgreSQL catalog is not in the directory: its older copy is a copy of
# the database (an administrator restoring last week's backup of the central
# server along with a station's directory); the S3 store cannot be rolled
# back (locked), it keeps the newer blobs
cp -a "$V" "$T/old"
if vault_catalog_remote "$V"; then
  db=$(vault_pg_db "$V")
  pg_sql postgres "CREATE DATABASE ${db}_old TEMPLATE $db" >/dev/null
fi
expect_exit 0 "$DV" --vault "$V" ingest --case CASE-ALPHA --operator o "$T/cardA2"
expect_exit 0 "$DV" --vault "$V" export --case CASE-ALPHA --to "$T/exp"
expect_exit 0 "$DV" --vault "$V" log --head
vhead2=$(cat "$T/last.out")
expect_exit 0 "$DV" --vault "$V" log --head --case CASE-ALPHA
ahead2=$(cat "$T/last.out")
check "case head moved" test "$ahead2" != "$ahead"
# the export.start entry records the heads it was made from
expect_exit 0 "$DV" --vault "$V" log --json --case CASE-ALPHA
check "export records the vault head" grep -qE '"action":"export.start"[^}]*"vault_head":"[0-9a-f]{64}"' "$T/last.out"
check "export records the case head" grep -qE '"action":"export.start"[^}]*"case_head":"[0-9a-f]{64}"' "$T/last.out"

# verify --head: the grown vault still contains the old state, by full digest or prefix
expect_exit 0 "$DV" --vault "$V" verify --head "$vhead"
check "grown vault contains the old head" grep -q "still contains that state" "$T/last.err"
expect_exit 0 "$DV" --vault "$V" verify --head "${vhead:0:16}"
expect_exit 0 "$DV" --vault "$V" verify --head "$(echo "${vhead:0:20}" | tr a-f A-F)"
expect_exit 0 "$DV" --vault "$V" verify --case CASE-ALPHA --head "$ahead"
expect_exit 0 "$DV" --vault "$V" verify --case CASE-ALPHA --head "$ahead2"
expect_exit 2 "$DV" --vault "$V" verify --head "${vhead:0:15}"
expect_exit 2 "$DV" --vault "$V" verify --head "zz${vhead:2:30}"
# the rolled-back copy is consistent on its own, but lacks the newer heads
if vault_catalog_remote "$V"; then
  pg_sql postgres "ALTER DATABASE $db RENAME TO ${db}_new" >/dev/null
  pg_sql postgres "ALTER DATABASE ${db}_old RENAME TO $db" >/dev/null
fi
expect_exit 0 "$DV" --vault "$T/old" verify
expect_exit 4 "$DV" --vault "$T/old" verify --head "$vhead2"
# (the log's name in the message: custody.log while it is that file)
logname=custody.log
vault_log_is_file "$T/old" || logname='[^:]*'
check "rolled-back vault named" grep -q "PROBLEM: $logname: the vault head ${vhead2} is not in this vault's log" "$T/last.err"
expect_exit 4 "$DV" --vault "$T/old" verify --case CASE-ALPHA --head "${ahead2:0:16}"
check "rolled-back case named" grep -q "PROBLEM: $logname: the case head" "$T/last.err"
if vault_catalog_remote "$V"; then # the newer database back
  pg_sql postgres "ALTER DATABASE $db RENAME TO ${db}_old" >/dev/null
  pg_sql postgres "ALTER DATABASE ${db}_new RENAME TO $db" >/dev/null
  expect_exit 0 "$DV" --vault "$V" verify --head "$vhead2"
fi
# a case head is not a vault head, nor another case's
expect_exit 4 "$DV" --vault "$V" verify --head "$ahead"
expect_exit 4 "$DV" --vault "$V" verify --case CASE-BRAVO --head "$ahead"

# the court package: VERIFY.md's commands exactly as written
expect_exit 0 "$DV" --vault "$V" log --case CASE-ALPHA --package "$T/pkg"
P=$T/pkg
check "package has the key" test -s "$P/station.pem"
check "package HEAD is the case head" test "$(cat "$P/HEAD")" = "$ahead2"
sed -n '/^```sh$/,/^```$/p' "$P/VERIFY.md" | sed '1d;$d' >"$T/verify-cmds.sh"
check "VERIFY.md has commands" test -s "$T/verify-cmds.sh"
runpkg() { (cd "$1" && bash "$T/verify-cmds.sh") >"$T/pkg.out" 2>&1; }
check "intact package verifies" runpkg "$P"
check "intact package: every entry" grep -q "all [0-9]* entries verify; case head $ahead2" "$T/pkg.out"
n=$(ls "$P/entries" | grep -c '\.stmt$')
check "package holds the case's entries only" test "$n" -ge 5
check "nothing of the other case" bash -c "! grep -rq 'CASE-BRAVO' '$P'"
# the station key is the vault's
pk=$(sed -n 's/.*"public_key": *"\([0-9a-f]*\)".*/\1/p' "$V/vault.json")
check "station key in PEM is the vault's" test "$(openssl pkey -pubin -in "$P/station.pem" -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')" = "$pk"
tampered() { # tampered WHAT COMMAND-ON-$Q: the package no longer verifies
  rm -rf "$T/q"; cp -a "$P" "$T/q"; Q=$T/q
  eval "$2"
  if runpkg "$Q"; then fail "$1: tampered package verified"; else ok; fi
}
tampered "body edited" 'sed -i "s/\"operator\":\"o\"/\"operator\":\"x\"/" "$Q/entries/000002.json"'
tampered "statement edited (time)" 'sed -i "6s/$/0/" "$Q/entries/000002.stmt"'
tampered "salt changed" 'head -c 32 /dev/urandom >"$Q/entries/000001.salt"'
tampered "signature of another entry" 'cp "$Q/entries/000001.sig" "$Q/entries/000002.sig"'
tampered "entry removed" 'rm "$Q"/entries/000002.*'
tampered "last entry removed" 'last=$(ls "$Q/entries" | tail -1); rm "$Q/entries/${last%.*}".*'
# another key: the file log's package has one station.pem; the shared log's
# names each entry's key (entries/NNNNNN.pem, the statement's station line)
if vault_log_is_file "$V"; then
  tampered "other key" 'openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout >"$Q/station.pem"'
else
  tampered "other key" 'openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout >"$Q/entries/000002.pem"'
fi
expect_exit 1 "$DV" --vault "$V" log --case CASE-ALPHA --package "$P"

# a version 1 log (made before this format: tests/e2e/data/vault-premac.tar.gz)
mkdir "$T/o1"
tar xzf "$DV_SOURCE_DIR/tests/e2e/data/vault-premac.tar.gz" -C "$T/o1"
O=$T/o1/vault
check "fixture log is version 1" test "$(head -c 4 "$O/custody.log")" = DVL1
expect_exit 0 "$DV" --vault "$O" log --head
ohead=$(cat "$T/last.out")
expect_exit 1 "$DV" --vault "$O" log --head --case OLD-1
check "v1 log has no case heads" grep -q "version 1" "$T/last.err"
old_sha=$(sha256sum <"$O/custody.log" | cut -c1-64)
expect_exit 0 "$DV" --vault "$O" verify
# the first writer converts it
expect_exit 0 "$DV" --vault "$O" ingest --case OLD-2 --operator o "$T/cardA2"
check "converted log is version 2" test "$(head -c 4 "$O/custody.log")" = DVL2
check "version 1 file kept" test "$(sha256sum <"$O/custody.log.v1" | cut -c1-64)" = "$old_sha"
expect_exit 0 "$DV" --vault "$O" log --json
check "conversion logged" grep -qE "\"action\":\"log.migrate\"[^}]*\"v1_head\":\"$ohead\"[^}]*\"v1_log_sha256\":\"$old_sha\"" "$T/last.out"
check "old entries keep their v1 sequence" grep -q '"action":"vault.init".*"v1_seq":1' "$T/last.out"
expect_exit 0 "$DV" --vault "$O" verify
expect_exit 0 "$DV" --vault "$O" verify --head "$ohead"
check "a head taken before the conversion still proves its state" grep -q "still contains that state" "$T/last.err"
expect_exit 0 "$DV" --vault "$O" log --case OLD-1 --package "$T/opkg"
# (this fixture is a file-log vault whatever the backend: its own VERIFY.md)
sed -n '/^```sh$/,/^```$/p' "$T/opkg/VERIFY.md" | sed '1d;$d' >"$T/verify-cmds.sh"
check "converted case package verifies" runpkg "$T/opkg"
expect_exit 0 "$DV" --vault "$O" export --case OLD-1 --to "$T/oexp"
finish
