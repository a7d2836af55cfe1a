#!/usr/bin/env bash
# Deleted files (issue 12): `ingest --recover-deleted` of a FAT32 image
# (files written with mcopy, deleted with mdel) and of an exFAT image
# (written and removed through exfat-fuse on a loop device, where this
# machine allows it) stores the deleted entries as an ingest of their own,
# kind "recovered", never mixed with the card's allocated files (export:
# each ingest under its own ingest-N/): the content as it was, how much of
# each lay in still-free clusters, and whether its clusters were
# reallocated to a later file. A directory source is refused.
. "$(dirname "$0")/lib/common.sh"

make_files "$T/src" DEL1.JPG:300000 DEL2.MP4:200000 KEEP.JPG:50000 LATER.BIN:100000
img=$T/card.img
dd if=/dev/zero of="$img" bs=1M count=40 status=none
mkfs.vfat -F 32 "$img" >/dev/null
mmd -i "$img" ::DCIM ::MISC
mcopy -i "$img" "$T/src/KEEP.JPG" "$T/src/DEL1.JPG" "$T/src/DEL2.MP4" ::DCIM/
# fill the card but 64 KiB, so that LATER.BIN (100 kB, in another
# directory) can only go where DEL2 was: DEL2 deleted first, its clusters
# reallocated; DEL1 deleted last, its clusters still free
free=$(mdir -i "$img" ::/ | sed -n 's/^ *\([0-9 ]*\) bytes free.*/\1/p' | tr -d ' ')
head -c $((free - 65536)) /dev/zero >"$T/filler"
mcopy -i "$img" "$T/filler" ::MISC/FILLER
mdel -i "$img" ::DCIM/DEL2.MP4
mcopy -i "$img" "$T/src/LATER.BIN" ::MISC/
mdel -i "$img" ::DCIM/DEL1.JPG
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case D --operator tester --json "$img"
check "allocated: 3 files" grep -q '"files":3,' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" ingest --case D --operator tester --recover-deleted --json "$img"
j=$(cat "$T/last.out")
check "recovered: its own ingest, kind recovered" grep -q '"ingest":2,.*"kind":"recovered"' <<<"$j"
check "recovered: the 2 deleted files" grep -q '"files":2,' <<<"$j"
check "recovered: one reallocated" grep -q '"files_reallocated":1,' <<<"$j"
expect_exit 0 "$DV" --vault "$V" log --case D --json
python3 - "$T/last.out" >"$T/rec.out" <<'PY' || true
import json, sys
e = [x for x in json.load(open(sys.argv[1])) if x.get("action") == "ingest" and x.get("kind") == "recovered"][0]
for r in e["recovered"]:
    print(r["path"], r["size"], r["recovered"], r["reallocated"])
PY
check "custody: DEL1 fully recoverable, not reallocated" grep -q '^DCIM/_EL1.JPG 300000 300000 False$' "$T/rec.out"
check "custody: DEL2 reallocated, partly recovered" grep -Eq '^DCIM/_EL2.MP4 200000 [0-9]+ True$' "$T/rec.out"
n2=$(sed -n 's/^DCIM\/_EL2.MP4 200000 \([0-9]*\) True$/\1/p' "$T/rec.out")
expect_exit 0 "$DV" --vault "$V" export --case D --to "$T/out"
check "export: DEL1's bytes as they were" cmp "$T/src/DEL1.JPG" "$T/out/ingest-2/DCIM/_EL1.JPG"
check "DEL2: what was recovered is DEL2's own first bytes" cmp -n "${n2:-1}" "$T/src/DEL2.MP4" "$T/out/ingest-2/DCIM/_EL2.MP4"
check "export: allocated files apart" cmp "$T/src/KEEP.JPG" "$T/out/ingest-1/DCIM/KEEP.JPG"
check "export: no deleted file among the allocated" test ! -e "$T/out/ingest-1/DCIM/_EL1.JPG"
check "export: no allocated file among the recovered" test ! -e "$T/out/ingest-2/DCIM/KEEP.JPG"
check "export: LATER.BIN intact beside" cmp "$T/src/LATER.BIN" "$T/out/ingest-1/MISC/LATER.BIN"
expect_exit 1 "$DV" --vault "$V" ingest --case D --operator tester --recover-deleted "$T/src"
check "directory refused" grep -q 'not from a directory' "$T/last.err"

# a whole folder deleted with its photos (mdeltree): its entries still lie
# in its first cluster, and recovery reads them there
dimg=$T/deldir.img
dd if=/dev/zero of="$dimg" bs=1M count=40 status=none
mkfs.vfat -F 32 "$dimg" >/dev/null
mmd -i "$dimg" ::DCIM ::DCIM/101MEDIA
mcopy -i "$dimg" "$T/src/DEL1.JPG" ::DCIM/101MEDIA/DJI_0101.JPG
mcopy -i "$dimg" "$T/src/DEL2.MP4" ::DCIM/101MEDIA/DJI_0102.MP4
mcopy -i "$dimg" "$T/src/KEEP.JPG" ::DCIM/KEEP.JPG
mdeltree -i "$dimg" ::DCIM/101MEDIA
expect_exit 0 "$DV" --vault "$V" ingest --case DD --operator tester --recover-deleted --json "$dimg"
check "deleted folder: both of its files recovered" grep -q '"files":2,' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" export --case DD --to "$T/outdd"
check "deleted folder: the photo's bytes as they were" cmp "$T/src/DEL1.JPG" "$T/outdd/DCIM/_01MEDIA/_JI_0101.JPG"
check "deleted folder: the video's bytes as they were" cmp "$T/src/DEL2.MP4" "$T/outdd/DCIM/_01MEDIA/_JI_0102.MP4"
check "deleted folder: the allocated file is not among the recovered" test ! -e "$T/outdd/DCIM/KEEP.JPG"

# exFAT: written and removed through exfat-fuse on a loop device
if command -v mkfs.exfat >/dev/null && command -v mount.exfat-fuse >/dev/null; then
  dd if=/dev/zero of="$T/ex.img" bs=1M count=32 status=none
  mkfs.exfat "$T/ex.img" >/dev/null 2>&1
  filled=
  if loop=$(losetup -f --show "$T/ex.img" 2>/dev/null); then
    mkdir -p "$T/exm"
    if mount.exfat-fuse "$loop" "$T/exm" 2>/dev/null; then
      mkdir -p "$T/exm/DCIM"
      cp "$T/src/KEEP.JPG" "$T/src/DEL1.JPG" "$T/exm/DCIM/"
      sync
      rm "$T/exm/DCIM/DEL1.JPG"
      fusermount -u "$T/exm" 2>/dev/null || umount "$T/exm"
      filled=1
    fi
    losetup -d "$loop"
  fi
  if [ -n "$filled" ]; then
    expect_exit 0 "$DV" --vault "$V" ingest --case EX --operator tester --recover-deleted --json "$T/ex.img"
    check "exfat: the deleted file recovered" grep -q '"kind":"recovered","fs_type":"exfat".*"files":1,' "$T/last.out"
    expect_exit 0 "$DV" --vault "$V" export --case EX --to "$T/exout"
    check "exfat: its bytes as they were" cmp "$T/src/DEL1.JPG" "$T/exout/DCIM/DEL1.JPG"
  else
    echo "note: exFAT could not be filled here (no loop device or FUSE); FAT checked only"
  fi
fi
expect_exit 0 "$DV" --vault "$V" verify
finish
