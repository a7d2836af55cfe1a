#!/usr/bin/env bash
# migrate and sync (issue 16): a laptop vault (SQLite + folder, its own
# master key) moved into a central vault made by migrate with init's flags
# (on the run's backend: SQLite, PostgreSQL, or PostgreSQL + S3 Object
# Lock), verified, logged on both sides, resumable after kill -9, a re-run
# sending nothing; an offline station's own vault pushed later with sync
# (only what is new; into a case the central vault already has); refusals
# before anything moves: a source log with a bad entry, a source catalog
# that lost a file row, the wrong key, the same vault twice.
. "$(dirname "$0")/lib/common.sh"
[ "$DV_TEST_BACKEND" = sqlite ] || pg_start
TAMPER=${DV_TAMPER:-$(find "${DV_BUILD_DIR:?}" -name dv_tamper -type f -perm -u+x -print -quit)}
[ -x "$TAMPER" ] || { echo "dv_tamper not built" >&2; exit 1; }
entries() { "$DV" --vault "$1" log --json | python3 -c 'import json,sys; e=json.load(sys.stdin); print(len(e if isinstance(e, list) else e["entries"]))'; }
jget() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/last.out" "$1"; }
tree_sums() { (cd "$1" && find . -type f -exec sha256sum {} + | sort -k2); }
export DRONEVAULT_NEW_PASSPHRASE='central station pass 1'
central_pass() { DRONEVAULT_PASSPHRASE=$DRONEVAULT_NEW_PASSPHRASE "$@"; }

# the laptop: two cases, a card each, one of them also a second card
L=$T/laptop C=$T/central
"$DV" sample-card "$T/card1" >/dev/null
make_files "$T/card2" DCIM/100MEDIA/DJI_0901.JPG:300000 DCIM/100MEDIA/DJI_0902.MP4:2500000
expect_exit 0 "$DV" init --kdf-mem 8 --kdf-ops 1 --operator tester "$L"
expect_exit 0 "$DV" --vault "$L" ingest --case 2026-0001 --operator 'PC Weber' "$T/card1"
expect_exit 0 "$DV" --vault "$L" ingest --case 2026-0002 --operator 'PC Weber' "$T/card2"
expect_exit 0 "$DV" --vault "$L" ingest --case 2026-0002 --operator 'PC Weber' "$T/card1/DCIM"
read -ra BACKEND <<<"$(backend_args)"

# refusals first: nothing moves
expect_exit 2 "$DV" --vault "$L" migrate --operator tester
check "migrate names its missing NEWDIR" grep -q NEWDIR "$T/last.err"
expect_exit 2 "$DV" --vault "$L" migrate --s3-endpoint https://127.0.0.1:1 "$T/x"
expect_exit 1 "$DV" --vault "$L" sync --to "$T/nothing"
check "sync names a directory that is no vault" grep -q "no vault" "$T/last.err"
expect_exit 0 "$DV" --vault "$L" migrate --help
check "help says how the copy is checked" grep -q "manifest and telemetry digests" "$T/last.out"

# 1. migrate: a new central vault from init's flags
n_laptop=$(entries "$L")
expect_exit 0 "$DV" --vault "$L" migrate --operator 'Sgt Kaya' --station hq --kdf-mem 8 --kdf-ops 1 \
  ${BACKEND[@]+"${BACKEND[@]}"} --json "$C"
case $DV_TEST_BACKEND in
  pg) check "the central vault's catalog is in PostgreSQL" vault_catalog_remote "$C" ;;
  remote) check "the central vault's catalog is in PostgreSQL" vault_catalog_remote "$C"
    check "the central vault's blobs are in S3" vault_blobs_remote "$C" ;;
  *) check "the central vault is SQLite + folder" test -f "$C/catalog.db" ;;
esac
check "migrate sent the three ingests" test "$(jget ingests_sent)" = 3 -a "$(jget ingests)" = 3 -a "$(jget cases)" = 2
check "the central vault has its own master key (the laptop's passphrase does not open it)" \
  bash -c "! '$DV' --vault '$C' cases >/dev/null 2>&1"
expect_exit 0 central_pass "$DV" --vault "$C" verify
check "central vault intact" grep -q "vault intact" "$T/last.out"
expect_exit 0 "$DV" --vault "$L" verify
check "laptop vault intact after the move" grep -q "vault intact" "$T/last.out"
check "the laptop logged vault.migrated (one entry)" test "$(entries "$L")" -eq $((n_laptop + 1))
expect_exit 0 "$DV" --vault "$L" log --json
check "vault.migrated names the central vault" grep -q '"action":"vault.migrated"' "$T/last.out"
lid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vault_id"])' "$L/vault.json")
expect_exit 0 central_pass "$DV" --vault "$C" log --json
check "the central ingest entries carry the laptop's word (vault id, its entry's seq and hash)" python3 -c '
import json,sys
e = json.load(open(sys.argv[1])); e = e if isinstance(e, list) else e["entries"]
ing = [x for x in e if x.get("action") == "ingest"]
ok = len(ing) == 3 and all(x["from"]["vault"] == sys.argv[2] and len(x["from"]["entry_sha256"]) == 64 and x["from"]["seq"] > 0 for x in ing)
ok = ok and any(x.get("action") == "vault.migrate" and x["from"]["vault"] == sys.argv[2] for x in e)
sys.exit(not ok)' "$T/last.out" "$lid"
expect_exit 0 central_pass "$DV" --vault "$C" export --case 2026-0002 --to "$T/out2"
(tree_sums "$T/card2"; tree_sums "$T/card1/DCIM") | cut -c1-64 | sort >"$T/want"
find "$T/out2" -path '*/ingest-*' -type f -exec sha256sum {} + | cut -c1-64 | sort >"$T/got"
check "the central copy of case 2026-0002 exports byte for byte" cmp "$T/want" "$T/got"
expect_exit 0 central_pass "$DV" --vault "$C" flights --case 2026-0001
check "telemetry moved with the photos (a flight listed)" grep -qi "DJI\|flight" "$T/last.out"

# 2. a re-run sends nothing, records nothing
n_central=$(central_pass entries "$C"); n_laptop=$(entries "$L")
expect_exit 0 "$DV" --vault "$L" migrate --operator 'Sgt Kaya' ${BACKEND[@]+"${BACKEND[@]}"} --json "$C"
check "re-run: nothing sent, all three checked" test "$(jget ingests_sent)" = 0 -a "$(jget ingests_present)" = 3
check "re-run recorded nothing on either side" test "$(central_pass entries "$C")" -eq "$n_central" -a "$(entries "$L")" -eq "$n_laptop"
if [ ${#BACKEND[@]} -gt 0 ]; then
  expect_exit 2 "$DV" --vault "$L" migrate --catalog "postgresql:///other?host=/nonexistent" "$C"
  check "an existing NEWDIR of another catalog is refused" grep -q "another catalog" "$T/last.err"
fi
# an insider with the database's password cuts the last entry of a case's
# chain (a copied ingest's completion) and moves its head row back: the
# chains are whole again, but the copy is in no entry; a re-run must not
# lay a second copy over it
if vault_catalog_remote "$C"; then
  vault_snapshot "$C" before_cut
  # case 2026-0001's chain: its ingest.start and ingest (2026-0002's ends with an export)
  chain=$(vault_pg_sql "$C" "SELECT chain FROM custody_heads WHERE chain NOT LIKE 'station-%' AND seq = 2")
  vault_pg_sql "$C" "DELETE FROM custody_entries WHERE chain = '$chain' AND seq = (SELECT max(seq) FROM custody_entries WHERE chain = '$chain');
    UPDATE custody_heads SET seq = seq - 1, hash = (SELECT hash FROM custody_entries e WHERE e.chain = '$chain' ORDER BY seq DESC LIMIT 1)
    WHERE chain = '$chain'" >/dev/null
  n_cut=$(central_pass entries "$C")
  expect_exit 4 central_pass "$DV" --vault "$C" verify
  check "verify names the copy no entry records" grep -q "no custody entry records its completion" "$T/last.err"
  expect_exit 1 "$DV" --vault "$L" migrate --operator 'Sgt Kaya' "$C"
  check "the re-run refuses to copy it again" grep -q "holds a complete copy of it" "$T/last.err"
  check "nothing recorded by the refused re-run" test "$(central_pass entries "$C")" -eq "$n_cut"
  vault_restore "$C" before_cut
  expect_exit 0 central_pass "$DV" --vault "$C" verify
fi

# 3. an offline station: its own vault (its own master key), pushed later
F=$T/field
"$DV" sample-card --photos 6 --lat 47.1 --lon 8.2 "$T/card3" >/dev/null
make_files "$T/card4" DCIM/101MEDIA/DJI_0950.JPG:150000
expect_exit 0 "$DV" init --kdf-mem 8 --kdf-ops 1 --station field-7 --operator tester "$F"
expect_exit 0 "$DV" --vault "$F" ingest --case 2026-0002 --operator 'PC Roth' "$T/card3"
export DRONEVAULT_TO_PASSPHRASE=$DRONEVAULT_NEW_PASSPHRASE
expect_exit 0 "$DV" --vault "$F" sync --to "$C" --operator 'PC Roth' --json
check "sync pushed the offline ingest" test "$(jget ingests_sent)" = 1
expect_exit 0 "$DV" --vault "$F" sync --to "$C" --json
check "sync again: nothing new" test "$(jget ingests_sent)" = 0 -a "$(jget ingests_present)" = 1
cp -a "$F" "$T/field-old"
expect_exit 0 "$DV" --vault "$F" ingest --case 2026-0003 --operator 'PC Roth' "$T/card4"
expect_exit 0 "$DV" --vault "$F" sync --to "$C" --json
check "sync after a new ingest: only it sent" test "$(jget ingests_sent)" = 1 -a "$(jget ingests_present)" = 1
# the station vault put back to its copy from before that push: the central
# vault witnessed a later head, which the old copy's log does not hold
n_central=$(central_pass entries "$C")
expect_exit 1 "$DV" --vault "$T/field-old" sync --to "$C"
check "a station vault rolled back to an older copy is caught at sync" grep -q "rolled back" "$T/last.err"
# ... and the old copy with new work of its own (its log diverges from the witnessed one)
expect_exit 0 "$DV" --vault "$T/field-old" ingest --case 2026-0009 --operator 'PC Roth' "$T/card4"
expect_exit 0 "$DV" --vault "$T/field-old" ingest --case 2026-0009 --again --operator 'PC Roth' "$T/card4"
expect_exit 1 "$DV" --vault "$T/field-old" sync --to "$C"
check "a rolled-back station vault that went on is caught too" grep -q "rolled back" "$T/last.err"
check "nothing recorded centrally for the rolled-back copy" test "$(central_pass entries "$C")" -eq "$n_central"
# verify on the station, against the central vault's witness
expect_exit 0 "$DV" --vault "$F" verify --witness "$C"
check "verify --witness: the station's log holds the witnessed head" grep -q "witnessed this vault's head at entry .*held" "$T/last.err"
expect_exit 4 "$DV" --vault "$T/field-old" verify --witness "$C"
check "verify --witness catches the rolled-back station vault" grep -q "rolled back" "$T/last.err"
expect_exit 0 central_pass "$DV" --vault "$C" verify
check "central vault intact after the pushes" grep -q "vault intact" "$T/last.out"
expect_exit 0 central_pass "$DV" --vault "$C" ls --case 2026-0002 --json
check "the shared case holds the laptop's and the field station's files" \
  python3 -c 'import json,sys; t=open(sys.argv[1]).read(); sys.exit(not ("DJI_0901.JPG" in t and t.count("DJI_0001.JPG") >= 2))' "$T/last.out"
expect_exit 2 env DRONEVAULT_TO_PASSPHRASE='test passphrase 123' "$DV" --vault "$F" sync --to "$F"
check "a vault is not synced into itself" grep -q "same vault" "$T/last.err"
expect_exit 3 env DRONEVAULT_TO_PASSPHRASE='wrong wrong wrong' "$DV" --vault "$F" sync --to "$C"

# 4. a source the central vault must not believe: refused whole, nothing sent
n_central=$(central_pass entries "$C")
"$DV" sample-card --photos 3 "$T/card5" >/dev/null
expect_exit 0 "$DV" --vault "$F" ingest --case 2026-0004 --operator 'PC Roth' "$T/card5"
cp -a "$F" "$T/f-bad"
# the newest file row (ids run 1..N over the field vault's three cards)
fid=$(find "$T/card3" "$T/card4" "$T/card5" -type f | wc -l)
expect_exit 0 "$TAMPER" --backend sqlite "$T/f-bad/catalog.db" delete files "$fid"
expect_exit 1 "$DV" --vault "$T/f-bad" sync --to "$C"
check "a source catalog that lost a file row is refused (its signed manifest)" grep -q "manifest" "$T/last.err"
cp -a "$F" "$T/f-log"
size=$(stat -c %s "$T/f-log/custody.log")
printf 'X' | dd of="$T/f-log/custody.log" bs=1 seek=$((size - 40)) conv=notrunc status=none
expect_exit 1 "$DV" --vault "$T/f-log" sync --to "$C"
check "a source log with a damaged entry is refused" grep -q "custody log has" "$T/last.err"
check "nothing recorded centrally by the refused pushes" test "$(central_pass entries "$C")" -eq "$n_central"

# an init stopped before its first entry leaves a vault no writer may use
mkdir -p "$T/half"
cp "$L/vault.json" "$T/half/vault.json"
expect_exit 1 "$DV" --vault "$T/half" ingest --case X --operator tester "$T/card4"
check "a vault whose init never finished is refused for writing" grep -q "never finished" "$T/last.err"

# 5. kill -9 in the middle of a move, then the same command again
trials=${DV_MIGRATE_KILL_TRIALS:-3}
mkdir -p "$T/big/DCIM/100MEDIA"
for i in $(seq -w 1 120); do head -c 60000 /dev/urandom >"$T/big/DCIM/100MEDIA/DJI_0$i.JPG"; done
head -c 12000000 /dev/urandom >"$T/big/DCIM/100MEDIA/DJI_0999.MP4"
B=$T/busy
expect_exit 0 "$DV" init --kdf-mem 8 --kdf-ops 1 --station busy --operator tester "$B"
expect_exit 0 "$DV" --vault "$B" ingest --case 2026-0100 --operator tester "$T/big"
for t in $(seq 1 "$trials"); do
  D=$T/central-k$t
  read -ra BK <<<"$(backend_args)"
  "$DV" --vault "$B" migrate --operator tester --kdf-mem 8 --kdf-ops 1 ${BK[@]+"${BK[@]}"} "$D" >"$T/k.out" 2>&1 &
  pid=$!
  sleep "0.$(( (t * 37) % 9 + 1 ))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rc=0
  [ -f "$D/vault.json" ] && { "$DV" --vault "$B" migrate --operator tester ${BK[@]+"${BK[@]}"} --json "$D" >"$T/last.out" 2>"$T/last.err" || rc=$?; }
  if [ ! -f "$D/vault.json" ] || grep -q "never finished" "$T/last.err"; then
    # killed inside init (before the station directory, or before its first
    # entry): refused as unfinished, made again, as the message says
    echo "kill trial $t: killed inside init; made again" >&2
    rm -rf "$D"
    read -ra BK <<<"$(backend_args)"
    expect_exit 0 "$DV" --vault "$B" migrate --operator tester --kdf-mem 8 --kdf-ops 1 ${BK[@]+"${BK[@]}"} --json "$D"
  else
    check "kill trial $t: the re-run went on (exit $rc)" test "$rc" -eq 0
  fi
  check "kill trial $t: the re-run completed the move" test "$(jget ingests)" = 1 -a "$(( $(jget ingests_sent) + $(jget ingests_present) ))" = 1
  expect_exit 0 central_pass "$DV" --vault "$D" verify
  check "kill trial $t: central vault intact" grep -q "vault intact" "$T/last.out"
  expect_exit 0 central_pass "$DV" --vault "$D" export --case 2026-0100 --to "$T/kout$t"
  tree_sums "$T/big" | cut -c1-64 | sort >"$T/want"
  find "$T/kout$t" -path '*/DCIM/*' -type f -exec sha256sum {} + | cut -c1-64 | sort >"$T/got"
  check "kill trial $t: every file there, byte for byte" cmp "$T/want" "$T/got"
done
expect_exit 0 "$DV" --vault "$B" verify
check "the source vault intact after the killed moves" grep -q "vault intact" "$T/last.out"
finish
