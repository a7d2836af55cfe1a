#!/usr/bin/env bash
# kill -9 at random moments of a large ingest, 20 times; then the same
# command finishes it: every file stored exactly once, the vault verifies,
# the export matches the card.
. "$(dirname "$0")/lib/common.sh"

n=60
specs=()
for i in $(seq -w 1 $n); do specs+=("DCIM/100MEDIA/DJI_00$i.JPG:$(( (RANDOM % 3000 + 500) * 1000 ))"); done
make_files "$T/card" "${specs[@]}"
cp "$T/card/DCIM/100MEDIA/DJI_0001.JPG" "$T/card/DCIM/copy_of_0001.JPG"
total=$((n + 1))
V=$T/vault
new_vault "$V"
kills=0 finished=0
for round in $(seq 1 20); do
  "$DV" --vault "$V" ingest --case K --operator tester "$T/card" >/dev/null 2>"$T/round.err" &
  pid=$!
  # 20 ms .. 1.5 s into the run: opening, listing, mid-blob, mid-commit, logging
  sleep "0.$(printf '%03d' $(( (RANDOM % 1480) + 20 )))" 2>/dev/null || sleep 0.3
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null && finished=$((finished + 1)) || true
  # between kills nothing must be corrupt (an unfinished ingest is fine)
  if ! "$DV" --vault "$V" verify >"$T/v.out" 2>"$T/v.err"; then
    fail "verify after kill $round"
    cat "$T/v.err" >&2
  else ok; fi
  [ "$finished" -gt 0 ] && break
done
echo "killed $kills times"
check "killed at least 10 times" test "$kills" -ge 10
if [ "$finished" -eq 0 ]; then
  expect_exit 0 "$DV" --vault "$V" ingest --case K --operator tester --json "$T/card"
  check "finished complete" grep -q '"complete":true' "$T/last.out"
fi
expect_exit 0 "$DV" --vault "$V" verify --json
check "verify ok" grep -q '"ok":true' "$T/last.out"
check "no orphan blobs left" grep -q '"orphan_blobs":0' "$T/last.out"
blobs=$(find "$V/blobs" -type f | wc -l)
check "each content stored once ($blobs blobs for $n distinct)" test "$blobs" -eq "$n"
check "no temporary files left" test -z "$(ls -A "$V/tmp")"
expect_exit 0 "$DV" --vault "$V" ls --case K --json
rows=$(grep -o '"path"' "$T/last.out" | wc -l)
check "every file recorded once ($rows rows for $total files)" test "$rows" -eq "$total"
expect_exit 0 "$DV" --vault "$V" cases --json
check "one ingest, resumed" grep -q '"ingests":1,' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" export --case K --to "$T/out"
check "export matches card" bash -c "diff -r '$T/card' '$T/out' | grep -v SHA256SUMS | (! grep -q .)"
check "sha256sum -c" bash -c "cd '$T/out' && sha256sum --quiet -c SHA256SUMS"

# Ctrl-C (SIGINT) stops cleanly with exit 130 and a resumable ingest
make_files "$T/card2" big/a.bin:40000000 big/b.bin:40000000
"$DV" --vault "$V" ingest --case INT --operator tester "$T/card2" >"$T/int.out" 2>"$T/int.err" &
pid=$!
sleep 0.3
kill -INT "$pid"
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
expect_exit 0 "$DV" --vault "$V" ingest --case INT --operator tester "$T/card2"
expect_exit 0 "$DV" --vault "$V" verify
finish
