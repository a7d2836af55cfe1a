#!/usr/bin/env bash
# kill -9 at random moments of a large ingest, DV_KILL_TRIALS times (CI
# default 20; the remote backend run takes 5); then the same command
# finishes it: every file stored exactly once, the vault verifies, the
# export matches the card.
. "$(dirname "$0")/lib/common.sh"

# Cards of 40 files (~80 MB) are made as needed: when an ingest finishes
# between two kills the next kill goes to a new card, so there are always
# that many kills at random moments of unfinished work.
n=40
mkcard() {
  local specs=()
  for i in $(seq -w 1 $n); do specs+=("DCIM/100MEDIA/DJI_00$i.JPG:$(( (RANDOM % 3000 + 500) * 1000 ))"); done
  make_files "$1" "${specs[@]}"
  cp "$1/DCIM/100MEDIA/DJI_0001.JPG" "$1/DCIM/copy_of_0001.JPG"
}
total=$((n + 1))
V=$T/vault
new_vault "$V"
trials=${DV_KILL_TRIALS:-20}
kills=0 card=1 rounds=0
declare -A done_card
mkcard "$T/card1"
while [ $kills -lt "$trials" ] && [ $rounds -lt $((trials * 3)) ]; do
  rounds=$((rounds + 1))
  "$DV" --vault "$V" ingest --case K$card --operator tester "$T/card$card" >/dev/null 2>"$T/round.err" &
  pid=$!
  # 10 ms .. 0.3 s into the run: opening, listing, mid-blob, mid-commit, logging
  sleep "0.$(printf '%03d' $(( (RANDOM % 290) + 10 )))"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  finished=0
  wait "$pid" 2>/dev/null && finished=1
  # killed after it had completed (while exiting): the card is done
  "$DV" --vault "$V" cases --json | grep -q "\"case\":\"K$card\",[^}]*\"ingests\":1,\"unfinished_ingests\":0" && finished=1
  if [ $finished = 1 ]; then
    done_card[$card]=1
    card=$((card + 1))
    mkcard "$T/card$card"
  fi
  # between kills nothing must be corrupt (an unfinished ingest is fine)
  if ! "$DV" --vault "$V" verify >"$T/v.out" 2>"$T/v.err"; then
    fail "verify after kill $kills"
    cat "$T/v.err" >&2
  else ok; fi
done
echo "killed $kills times over $card cards"
check "killed $trials times" test "$kills" -eq "$trials"
cards=$card
for c in $(seq 1 $cards); do
  [ -n "${done_card[$c]:-}" ] && continue
  # killed after it completed (while exiting): nothing left to resume
  "$DV" --vault "$V" cases --json | grep -q "\"case\":\"K$c\",[^}]*\"unfinished_ingests\":0" && continue
  expect_exit 0 "$DV" --vault "$V" ingest --case K$c --operator tester --json "$T/card$c"
  check "card $c complete after resume" grep -q '"complete":true' "$T/last.out"
done
expect_exit 0 "$DV" --vault "$V" verify --json
check "verify ok" grep -q '"ok":true' "$T/last.out"
check "no orphan blobs left" grep -q '"orphan_blobs":0' "$T/last.out"
blobs=$(vault_blob_count "$V")
check "each content stored once ($blobs blobs for $((cards * n)) distinct)" test "$blobs" -eq $((cards * n))
check "no temporary files left" test -z "$(ls -A "$V/tmp")"
for c in $(seq 1 $cards); do
  expect_exit 0 "$DV" --vault "$V" ls --case K$c --json
  rows=$(grep -o '"path"' "$T/last.out" | wc -l)
  check "card $c: every file recorded once ($rows rows for $total files)" test "$rows" -eq "$total"
  expect_exit 0 "$DV" --vault "$V" export --case K$c --to "$T/out$c"
  check "card $c: export matches" bash -c "diff -r '$T/card$c' '$T/out$c' | grep -v SHA256SUMS | (! grep -q .)"
  check "card $c: sha256sum -c" bash -c "cd '$T/out$c' && sha256sum --quiet -c SHA256SUMS"
done
expect_exit 0 "$DV" --vault "$V" cases --json
check "one ingest per card (resumed, never restarted)" test "$(grep -o '"ingests":1,' "$T/last.out" | wc -l)" -eq "$cards"

# Ctrl-C (SIGINT) stops cleanly with exit 130 and a resumable ingest
make_files "$T/cardi" big/a.bin:150000000 big/b.bin:150000000
"$DV" --vault "$V" ingest --case INT --operator tester "$T/cardi" >"$T/int.out" 2>"$T/int.err" &
pid=$!
sleep 0.3
kill -INT "$pid" 2>/dev/null || true
code=0
wait "$pid" || code=$?
if [ "$code" -eq 130 ]; then
  ok
  check "says how to resume" grep -q 'run the same command again' "$T/int.err"
  expect_exit 0 "$DV" --vault "$V" log --case INT
  check "interruption logged" grep -q 'ingest.interrupted' "$T/last.out"
elif [ "$code" -eq 0 ]; then
  echo "note: the ingest finished before SIGINT arrived"
else
  fail "SIGINT exit code $code, expected 130"
fi
expect_exit 0 "$DV" --vault "$V" ingest --case INT --operator tester "$T/cardi"
expect_exit 0 "$DV" --vault "$V" verify

# kill -9 of the sandboxed reader mid-file: the parent outlives it, says so,
# keeps what it stored, and the same command completes the open ingest
make_files "$T/cardr" a/1.bin:40000000 a/2.bin:120000000 a/3.bin:40000000
"$DV" --vault "$V" ingest --case RDR --operator tester --json "$T/cardr" >"$T/rdr.out" 2>"$T/rdr.err" &
pid=$!
child=
for _ in $(seq 1 200); do
  child=$(pgrep -P "$pid" -x dv-reader || true)
  [ -n "$child" ] && grep -q . /proc/"$child"/status 2>/dev/null && break
  sleep 0.01
done
# Once the first blob is being written (the ingest is open), stop the
# reader at once, so that a fast machine cannot finish the ingest first,
# then kill it.
for _ in $(seq 1 500); do
  [ -n "$(ls -A "$V/tmp" 2>/dev/null)" ] && break
  sleep 0.01
done
code=0
if [ -n "$child" ] && kill -STOP "$child" 2>/dev/null && sleep 0.2 && kill -9 "$child" 2>/dev/null; then
  wait "$pid" || code=$?
  if grep -q '"complete":true' "$T/rdr.out"; then
    echo "note: the ingest finished before the reader was killed"
  else
    check "reader killed: exit 1 (got $code)" test "$code" -eq 1
    check "reader killed: says the reader died" grep -q 'reader died (signal 9' "$T/rdr.err"
    expect_exit 0 "$DV" --vault "$V" ingest --case RDR --operator tester --json "$T/cardr"
    check "reader killed: the same command completes it" grep -q '"resumed":true,' "$T/last.out"
    check "reader killed: complete" grep -q '"complete":true' "$T/last.out"
  fi
else
  wait "$pid" || true
  fail "no dv-reader child of the ingest to kill"
fi
expect_exit 0 "$DV" --vault "$V" verify
expect_exit 0 "$DV" --vault "$V" log --case RDR
check "custody: read in the sandboxed reader" grep -q 'sandbox=true' "$T/last.out"
finish
