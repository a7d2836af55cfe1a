#!/usr/bin/env bash
# Re-runs (issue 11): an operator unsure whether an ingest finished runs it
# again. When the same source with the identical files (paths, times,
# SHA-256; an image: its SHA-256) is already complete in the case, it says
# so, records nothing (no rows, no custody entry) and exits 0 with
# "already_complete": true; --again records a new ingest; a changed source
# is a new ingest. The summary's counts add up: stored N new + M already in
# the vault + F failed = files, deduplicated files counted as already there.
. "$(dirname "$0")/lib/common.sh"

S=$T/card
make_files "$S" DCIM/A.JPG:20000 DCIM/B.JPG:30000 MISC/c.txt:100
V=$T/vault
new_vault "$V"
entries() { "$DV" --vault "$V" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
expect_exit 0 "$DV" --vault "$V" ingest --case R --operator tester "$S"
check "first run: 3 new" grep -q 'stored 3 new, 0 already in the vault, 0 failed' "$T/last.out"
n0=$(entries)
expect_exit 0 "$DV" --vault "$V" ingest --case R --operator tester --json "$S"
j=$(cat "$T/last.out")
check "re-run: already complete" grep -q '"already_complete":true' <<<"$j"
check "re-run: names the complete ingest" grep -q '"ingest":1,' <<<"$j"
check "re-run: N+M+F = files (0 + 3 + 0)" grep -q '"files":3,"files_new":0,"files_resumed":3,"files_deduplicated":0,"files_failed":0' <<<"$j"
check "re-run: no custody entry" test "$(entries)" = "$n0"
expect_exit 0 "$DV" --vault "$V" ingest --case R --operator tester "$S"
check "re-run: says so in words" grep -q '^already complete: ingest 1 of case R' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" ls --case R --json
check "re-run: still 3 files recorded" test "$(grep -o '"path"' "$T/last.out" | wc -l)" -eq 3
# --again: a new ingest, its files already in the vault by content
expect_exit 0 "$DV" --vault "$V" ingest --case R --operator tester --again --json "$S"
check "--again: a new ingest" grep -q '"ingest":2,.*"already_complete":false' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" ingest --case R --operator tester --again "$S"
check "--again: 0 new, 3 already in the vault" grep -q 'stored 0 new, 3 already in the vault, 0 failed' "$T/last.out"
# another case is another case
expect_exit 0 "$DV" --vault "$V" ingest --case OTHER --operator tester --json "$S"
check "other case: recorded" grep -q '"already_complete":false' "$T/last.out"
# a changed file (same size and time, other bytes) is a new ingest
m=$(stat -c %y "$S/MISC/c.txt")
head -c 100 /dev/urandom >"$S/MISC/c.txt"
touch -d "$m" "$S/MISC/c.txt"
expect_exit 0 "$DV" --vault "$V" ingest --case R --operator tester --json "$S"
check "changed content: a new ingest" grep -q '"already_complete":false' "$T/last.out"
check "changed content: 1 new, 2 already" grep -q '"files":3,"files_new":3,"files_resumed":0,"files_deduplicated":2,' "$T/last.out"
# an added file too
make_files "$S" MISC/d.txt:50
expect_exit 0 "$DV" --vault "$V" ingest --case R --operator tester --json "$S"
check "added file: a new ingest" grep -q '"already_complete":false' "$T/last.out"

# an image: by its SHA-256
img=$T/card.img
dd if=/dev/zero of="$img" bs=1M count=40 status=none
mkfs.vfat -F 32 "$img" >/dev/null
mcopy -i "$img" "$S/DCIM/A.JPG" ::
expect_exit 0 "$DV" --vault "$V" ingest --case IMG --operator tester "$img"
n1=$(entries)
expect_exit 0 "$DV" --vault "$V" ingest --case IMG --operator tester --json "$img"
check "image re-run: already complete" grep -q '"already_complete":true' "$T/last.out"
check "image re-run: no custody entry" test "$(entries)" = "$n1"
mcopy -i "$img" "$S/DCIM/B.JPG" ::
expect_exit 0 "$DV" --vault "$V" ingest --case IMG --operator tester --json "$img"
check "changed image: a new ingest of 2 files" grep -q '"already_complete":false.*"files":2,' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify
finish
