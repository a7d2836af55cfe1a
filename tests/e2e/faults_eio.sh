#!/usr/bin/env bash
# Unreadable media (EIO: a card image whose data area is cut off): the
# ingest names the file it could not read, exits 1, stores what it could
# read, logs the partial ingest, and the vault verifies with the earlier
# case intact. Skipped (77) without mkfs.vfat and mtools.
. "$(dirname "$0")/lib/common.sh"

for t in mkfs.vfat mmd mcopy; do
  command -v "$t" >/dev/null || { echo "skipped: no $t (dosfstools, mtools)"; exit 77; }
done

make_files "$T/small" DCIM/A.JPG:200000
make_files "$T/big" DCIM/B1.JPG:1500000 DCIM/B2.JPG:1500000 DCIM/B3.JPG:1500000 DCIM/B4.JPG:1500000

# the card image ends inside a file's data
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
