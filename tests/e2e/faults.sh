#!/usr/bin/env bash
# Disk full (ENOSPC, a tiny tmpfs holds the vault) and unreadable media
# (EIO: a card image whose data area is cut off) fail with a message naming
# the file, exit 1, and leave a vault that verifies with everything stored
# before intact; after space is freed the same ingest completes.
. "$(dirname "$0")/lib/common.sh"

make_files "$T/small" DCIM/A.JPG:200000
make_files "$T/big" DCIM/B1.JPG:1500000 DCIM/B2.JPG:1500000 DCIM/B3.JPG:1500000 DCIM/B4.JPG:1500000

mkdir -p "$T/tiny"
if mount -t tmpfs -o size=3m tmpfs "$T/tiny" 2>/dev/null; then
  trap 'umount "$T/tiny" 2>/dev/null; rm -rf "$T"' EXIT
  V=$T/tiny/vault
  new_vault "$V"
  expect_exit 0 "$DV" --vault "$V" ingest --case A --operator tester "$T/small"
  expect_exit 1 "$DV" --vault "$V" ingest --case B --operator tester "$T/big"
  check "ENOSPC explained" grep -qi 'no space left' "$T/last.err"
  check "ENOSPC names the file" grep -q 'tmp/blob-\|catalog.db\|custody.log' "$T/last.err"
  expect_exit 0 "$DV" --vault "$V" verify
  check "nothing left in tmp" test -z "$(ls -A "$V/tmp")"
  expect_exit 0 "$DV" --vault "$V" export --case A --to "$T/outA"
  check "case A intact" cmp "$T/small/DCIM/A.JPG" "$T/outA/DCIM/A.JPG"
  # more room: the same command completes what it started
  mount -o remount,size=20m "$T/tiny"
  expect_exit 0 "$DV" --vault "$V" ingest --case B --operator tester --json "$T/big"
  check "resumed after ENOSPC" grep -q '"resumed":true' "$T/last.out"
  expect_exit 0 "$DV" --vault "$V" verify
else
  echo "note: cannot mount a tmpfs here; ENOSPC part skipped"
fi

# EIO: the card image ends inside a file's data
img=$T/card.img
dd if=/dev/zero of="$img" bs=1M count=40 status=none
mkfs.vfat -F 32 "$img" >/dev/null
mmd -i "$img" ::DCIM
mcopy -i "$img" "$T/small/DCIM/A.JPG" "$T"/big/DCIM/* ::DCIM/
head -c 2M "$img" >"$T/cut.img"
V2=$T/v2
new_vault "$V2"
expect_exit 0 "$DV" --vault "$V2" ingest --case OK --operator tester "$T/small"
expect_exit 1 "$DV" --vault "$V2" ingest --case EIO --operator tester --json "$T/cut.img"
check "EIO names the file" grep -q 'DCIM/B[0-9].JPG.*cannot read from the image' "$T/last.err"
check "readable files still stored" grep -q '"files_new":[1-9]' "$T/last.out"
check "partial ingest logged" bash -c "'$DV' --vault '$V2' log --case EIO | grep -q ingest.incomplete"
expect_exit 0 "$DV" --vault "$V2" verify
expect_exit 0 "$DV" --vault "$V2" export --case OK --to "$T/outOK"
check "earlier case intact" cmp "$T/small/DCIM/A.JPG" "$T/outOK/DCIM/A.JPG"
finish
