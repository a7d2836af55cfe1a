#!/usr/bin/env bash
# Stations of a shared (PostgreSQL) vault: 'station add' enrols a station
# directory of its own (vault.json with the master key wrapped under its
# own passphrase or key file, its own signing key registered and logged);
# three stations with their own keys ingest at once; log and verify name
# the station of every entry; station list; station revoke (the revoked
# station's writers refused, its earlier entries still valid, an entry it
# signs after the revocation a problem); the refusals (a name taken, an
# unknown station, the last station, a SQLite vault).
. "$(dirname "$0")/lib/common.sh"
pg_available || { echo "skipped: PostgreSQL 15 is not installed"; exit 77; }
pg_start

"$DV" sample-card "$T/a" >/dev/null
make_files "$T/b" DCIM/100MEDIA/DJI_0901.JPG:300000 DCIM/100MEDIA/DJI_0902.MP4:900000
make_files "$T/c" DCIM/101MEDIA/DJI_0950.JPG:200000
make_files "$T/d" DCIM/101MEDIA/DJI_0960.JPG:100000
make_files "$T/e" DCIM/101MEDIA/DJI_0970.JPG:100000
uri=$(pg_new_db)
db=${uri#postgresql:///}; db=${db%%\?*}
V1=$T/one V2=$T/two V3=$T/three
expect_exit 0 "$DV" init --kdf-mem 8 --kdf-ops 1 --operator admin --station one --catalog "$uri" "$V1"
# the blobs are shared (S3 in a real deployment): one folder for every station
mv "$V1/blobs" "$T/blobs" && ln -s "$T/blobs" "$V1/blobs"

export DRONEVAULT_NEW_PASSPHRASE='second station pass'
expect_exit 0 "$DV" --vault "$V1" station add two --kdf-mem 8 --kdf-ops 1 --operator admin "$V2"
check "enrolment said" grep -q 'station two enrolled' "$T/last.out"
unset DRONEVAULT_NEW_PASSPHRASE
head -c 64 /dev/urandom >"$T/three.key"
expect_exit 0 "$DV" --vault "$V1" station add three --key-file "$T/three.key" "$V3"
ln -s "$T/blobs" "$V2/blobs" && ln -s "$T/blobs" "$V3/blobs"
pk() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["station"]["public_key"])' "$1/vault.json"; }
check "own signing keys" test "$(pk "$V1")" != "$(pk "$V2")" -a "$(pk "$V2")" != "$(pk "$V3")"
check "vault.json 0600" test "$(stat -c %a "$V2/vault.json")" = 600
check "no custody.log" test ! -e "$V2/custody.log"
# each station's own key: the first one's passphrase does not open the second
expect_exit 3 "$DV" --vault "$V2" cases
expect_exit 3 "$DV" --vault "$V3" cases
export DRONEVAULT_PASSPHRASE='second station pass'
expect_exit 0 "$DV" --vault "$V2" cases
export DRONEVAULT_PASSPHRASE='test passphrase 123'

expect_exit 0 "$DV" --vault "$V1" station list --json
check "three stations listed" test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/last.out")" -eq 3
fp=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(bytes.fromhex("302a300506032b6570032100" + sys.argv[1])).hexdigest())' "$(pk "$V3")")
check "three's fingerprint is its key's" grep -q "\"fingerprint\":\"$fp\"" "$T/last.out"
check "enrolled by one" python3 -c 'import json,sys; s={x["name"]:x for x in json.load(open(sys.argv[1]))}; sys.exit(not (s["two"]["enrolled_by"]=="one" and s["one"]["enrolled_by"]=="" and s["two"]["revoked"] is None))' "$T/last.out"
check "the public key registered" grep -q "\"public_key\":\"$(pk "$V2")\"" "$T/last.out"
check "nothing in clear in the registry" bash -c "! '$PG_BIN/pg_dump' -h '$(pg_host)' -U postgres -d '$db' | grep -qaE 'three|$(pk "$V3")'"

# three stations, each its own key, ingesting at once (two into one case)
run_ingest() { # DIR PASSPHRASE|keyfile:F SOURCE CASE
  if [ "${2#keyfile:}" != "$2" ]; then
    "$DV" --vault "$1" ingest --key-file "${2#keyfile:}" --case "$4" --operator "op $3" --json "$T/$3"
  else
    DRONEVAULT_PASSPHRASE=$2 "$DV" --vault "$1" ingest --case "$4" --operator "op $3" --json "$T/$3"
  fi >"$T/ingest-$3.out" 2>"$T/ingest-$3.err"
}
run_ingest "$V1" 'test passphrase 123' a 2026-0001 & p1=$!
run_ingest "$V2" 'second station pass' b 2026-0001 & p2=$!
run_ingest "$V3" "keyfile:$T/three.key" c 2026-0002 & p3=$!
for p in $p1 $p2 $p3; do rc=0; wait "$p" || rc=$?; check "concurrent ingest exits 0 (got $rc)" test "$rc" -eq 0; done
expect_exit 0 "$DV" --vault "$V1" verify
check "verify intact" grep -q 'vault intact: .* 3 ingests' "$T/last.out"
for s in one two three; do check "verify counts station $s" grep -qE "entries signed by station: .*\b$s [0-9]+" "$T/last.err"; done
expect_exit 0 "$DV" --vault "$V3" verify --key-file "$T/three.key"
DRONEVAULT_PASSPHRASE='second station pass' expect_exit 0 "$DV" --vault "$V2" verify
expect_exit 0 "$DV" --vault "$V1" log
check "log: station.add by one" grep -qE ' one +admin +station.add' "$T/last.out"
check "log: two's ingest signed by two" grep -qE ' two +op b +ingest ' "$T/last.out"
check "log: three's ingest signed by three" grep -qE ' three +op c +ingest ' "$T/last.out"
expect_exit 0 "$DV" --vault "$V1" log --case 2026-0001 --package "$T/pkg"
sed -n '/^```sh$/,/^```$/p' "$T/pkg/VERIFY.md" | sed '1d;$d' >"$T/verify-pkg.sh"
check "the package of a case two stations wrote verifies" bash -c "cd '$T/pkg' && bash '$T/verify-pkg.sh' | grep -q 'all 4 entries verify'"
check "two station keys in it" test "$(cat "$T"/pkg/entries/*.pem | sort -u | grep -vc -- -----)" -eq 2
check "no single station.pem for a case of two stations" test ! -e "$T/pkg/station.pem"
expect_exit 0 "$DV" --vault "$V3" log --key-file "$T/three.key" --case 2026-0002 --package "$T/pkg3"
check "a case of one station: its key as station.pem" test "$(openssl pkey -pubin -in "$T/pkg3/station.pem" -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')" = "$(pk "$V3")"

# refusals
expect_exit 1 "$DV" --vault "$V1" station add two "$T/dup"
check "a name taken" grep -q "station 'two' exists already" "$T/last.err"
check "nothing left of the refused one" test ! -e "$T/dup"
expect_exit 2 "$DV" --vault "$V1" station add 'bad name' "$T/x"
check "a bad name said" grep -q 'station name: 1 to 63' "$T/last.err"
expect_exit 1 "$DV" --vault "$V1" station revoke nobody
check "unknown station" grep -q "no station 'nobody'" "$T/last.err"
new_vault "$T/sq"
if [ "$(catalog_backend "$T/sq")" = sqlite ]; then
  expect_exit 2 "$DV" --vault "$T/sq" station add x "$T/sqx"
  check "sqlite: stations need a shared catalog" grep -q 'stations need a shared catalog' "$T/last.err"
  expect_exit 2 "$DV" --vault "$T/sq" station list
fi

# revoke three: its writers are refused, its entries so far stay valid
side=$(pg_sql "$db" "SELECT string_agg(id || ':' || encode(sealed, 'hex'), ' ') FROM side_stations")
expect_exit 0 "$DV" --vault "$V1" station revoke three --operator admin
expect_exit 1 "$DV" --vault "$V3" ingest --key-file "$T/three.key" --case 2026-0003 --operator x "$T/d"
check "a revoked station writes no more" grep -q "station 'three' was revoked" "$T/last.err"
expect_exit 0 "$DV" --vault "$V1" station list
check "list: three revoked" grep -qE '^three .*revoked' "$T/last.out"
expect_exit 0 "$DV" --vault "$V1" verify
check "entries before the revocation still valid" grep -q 'vault intact' "$T/last.out"
expect_exit 0 "$DV" --vault "$V1" log
check "revocation logged" grep -qE ' one +admin +station.revoke .*station_name=three' "$T/last.out"
# the registry's row put back as it was before (a replayed sealed row):
# three writes again; once the revoked row is back, verify names the entry
revoked=$(pg_sql "$db" "SELECT string_agg(id || ':' || encode(sealed, 'hex'), ' ') FROM side_stations")
put_rows() { for r in $1; do pg_sql "$db" "UPDATE side_stations SET sealed = decode('${r#*:}', 'hex') WHERE id = ${r%%:*}" >/dev/null; done; }
put_rows "$side"
expect_exit 4 "$DV" --vault "$V1" verify
check "the registry held to the log's revocation" grep -q 'the log revokes station three, but the registry has it not revoked' "$T/last.out" "$T/last.err"
expect_exit 0 "$DV" --vault "$V3" ingest --key-file "$T/three.key" --case 2026-0003 --operator x "$T/d"
put_rows "$revoked"
expect_exit 4 "$DV" --vault "$V1" verify
check "an entry after the revocation named" grep -q 'signed by station three after its revocation' "$T/last.out" "$T/last.err"
# ... and with its clock set two days back (a forged time before the
# revocation): judged by its place in the chain, not by the time it claims
if command -v faketime >/dev/null 2>&1; then
  put_rows "$side"
  expect_exit 0 faketime -f '-2d' "$DV" --vault "$V3" config set map.tiles 'https://tiles.example/{z}/{x}/{y}.png' --key-file "$T/three.key"
  put_rows "$revoked"
  expect_exit 4 "$DV" --vault "$V1" verify
  check "a backdated entry after the revocation named (by its place)" grep -q 'whatever time it claims' "$T/last.out" "$T/last.err"
else
  echo "skipped part: a backdated entry (faketime is not installed: scripts/install-deps.sh)"
fi

# the last station not revoked cannot be
expect_exit 0 "$DV" --vault "$V1" station revoke two
expect_exit 1 "$DV" --vault "$V1" station revoke one
check "not the last one" grep -q "station 'one' is the last one not revoked" "$T/last.err"
finish
