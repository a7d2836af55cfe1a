#!/usr/bin/env bash
# A killed export is visible in the custody log: export.start (destination,
# files planned) is written before the first byte leaves, so kill -9 in the
# middle of the copy leaves a start with no completion, which `log` shows and
# `verify` names as a note (custody, not tampering: exit 0). A later export
# of the same case completes normally.
. "$(dirname "$0")/lib/common.sh"

V=$T/vault
new_vault "$V"
S=$T/src
for i in $(seq 1 40); do make_files "$S" "DCIM/100MEDIA/F$i.MP4:2000000"; done
expect_exit 0 "$DV" --vault "$V" ingest --case K --operator o "$S"
"$DV" --vault "$V" export --case K --operator 'PC Kill' --to "$T/out" >/dev/null 2>&1 &
pid=$!
# kill it once the copy has begun (a file exists) and before it is complete
for _ in $(seq 1 2000); do
  [ -d "$T/out/DCIM/100MEDIA" ] && [ "$(ls "$T/out/DCIM/100MEDIA" | wc -l)" -ge 2 ] && break
  sleep 0.005
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
n=$(ls "$T/out/DCIM/100MEDIA" 2>/dev/null | wc -l)
check "killed mid-copy ($n of 40 files, no SHA256SUMS)" test "$n" -ge 1 -a ! -e "$T/out/SHA256SUMS"
expect_exit 0 "$DV" --vault "$V" log --case K --json
check "log has export.start" grep -q '"action":"export.start"' "$T/last.out"
check "export.start names the destination and the files planned" grep -qF "\"destination\":\"$T/out\",\"files\":40," "$T/last.out"
check "no completion logged" bash -c "! grep -q '\"action\":\"export\"' '$T/last.out'"
expect_exit 0 "$DV" --vault "$V" log --case K
check "log text shows the start" grep -q ' export.start ' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify
check "verify names the unfinished export" grep -q 'export of case K to .*/out (40 files) began at entry [0-9]* and never completed' "$T/last.err" "$T/last.out"
expect_exit 0 "$DV" --vault "$V" export --case K --to "$T/out2"
check "second export complete" bash -c "cd '$T/out2' && sha256sum --quiet -c SHA256SUMS"
expect_exit 0 "$DV" --vault "$V" verify --json
check "verify --json counts one unfinished export" grep -q '"exports_unfinished":1' "$T/last.out"
finish
