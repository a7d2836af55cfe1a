#!/usr/bin/env bash
# Disk full (ENOSPC: a tiny tmpfs holds the vault): the ingest fails with a
# message naming the file, exits 1, records the stop in the custody log
# (ingest.failed, with the error), and leaves a vault that verifies with
# everything stored before intact; after space is freed the same ingest
# completes. Skipped (77) where no tmpfs can be mounted (not root, or a
# container without CAP_SYS_ADMIN): skipped, never a silent pass.
. "$(dirname "$0")/lib/common.sh"

mkdir -p "$T/tiny"
if ! mount -t tmpfs -o size=3m tmpfs "$T/tiny" 2>"$T/mount.err"; then
  echo "skipped: cannot mount a tmpfs here ($(cat "$T/mount.err"))"
  exit 77
fi
trap 'umount "$T/tiny" 2>/dev/null; rm -rf "$T"' EXIT

make_files "$T/small" DCIM/A.JPG:200000
make_files "$T/big" DCIM/B1.JPG:1500000 DCIM/B2.JPG:1500000 DCIM/B3.JPG:1500000 DCIM/B4.JPG:1500000

V=$T/tiny/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case A --operator tester "$T/small"
expect_exit 1 "$DV" --vault "$V" ingest --case B --operator tester "$T/big"
check "ENOSPC explained" grep -qi 'no space left' "$T/last.err"
check "ENOSPC names the file" grep -q 'tmp/blob-\|tmp/s3put-\|catalog.db\|custody.log' "$T/last.err"
# the stop is custody, not only a line on the terminal
expect_exit 0 "$DV" --vault "$V" log --case B --json
check "ENOSPC stop in the custody log" python3 -c '
import json, sys
e = [x for x in json.load(open(sys.argv[1])) if x.get("action") == "ingest.failed"]
sys.exit(0 if e and "no space left" in e[-1].get("error", "").lower() and e[-1].get("code") else 1)' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify
check "nothing left in tmp" test -z "$(ls -A "$V/tmp")"
expect_exit 0 "$DV" --vault "$V" export --case A --to "$T/outA"
check "case A intact" cmp "$T/small/DCIM/A.JPG" "$T/outA/DCIM/A.JPG"
# more room: the same command completes what it started
mount -o remount,size=20m "$T/tiny"
expect_exit 0 "$DV" --vault "$V" ingest --case B --operator tester --json "$T/big"
check "resumed after ENOSPC" grep -q '"resumed":true' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify
finish
