#!/usr/bin/env bash
# A FAT32 card image made with mkfs.vfat + mtools is ingested without
# mounting (The Sleuth Kit): files, paths, FAT times, the whole-image hash;
# export matches; the image is bit-identical afterwards; a truncated image
# and a corrupt FAT fail clearly and leave the vault verifying.
. "$(dirname "$0")/lib/common.sh"

make_files "$T/src" DCIM/100MEDIA/DJI_0001.JPG:1500000 DCIM/100MEDIA/DJI_0002.JPG:300000 \
  DCIM/100MEDIA/DJI_0002.SRT:2000 MISC/DJI_FLIGHT.TXT:70000 DCIM/100MEDIA/DJI_0004.MP4:6000000
img=$T/card.img
dd if=/dev/zero of="$img" bs=1M count=48 status=none
mkfs.vfat -F 32 -n DJI_CARD "$img" >/dev/null
mmd -i "$img" ::DCIM ::DCIM/100MEDIA ::MISC
mcopy -m -i "$img" "$T"/src/DCIM/100MEDIA/* ::DCIM/100MEDIA/
mcopy -m -i "$img" "$T/src/MISC/DJI_FLIGHT.TXT" ::MISC/
head -c 4000 /dev/urandom >"$T/deleted.bin"
mcopy -i "$img" "$T/deleted.bin" ::MISC/
mdel -i "$img" ::MISC/deleted.bin
img_sha=$(sha256sum "$img" | cut -c1-64)
img_mtime=$(stat -c %Y "$img")

V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case IMG --operator tester --json "$img"
j=$(cat "$T/last.out")
check "image kind" grep -q '"kind":"image"' <<<"$j"
check "fat32 detected" grep -q '"fs_type":"fat32"' <<<"$j"
check "5 files (deleted one not listed)" grep -q '"files":5,' <<<"$j"
check "whole image hash recorded" grep -q "\"image_sha256\":\"$img_sha\"" <<<"$j"
check "image bit-identical" test "$(sha256sum "$img" | cut -c1-64)" = "$img_sha"
check "image mtime unchanged" test "$(stat -c %Y "$img")" = "$img_mtime"

expect_exit 0 "$DV" --vault "$V" ls --case IMG --json
check "FAT creation time recorded" grep -q '"crtime"' "$T/last.out"
check "path kept" grep -q '"path":"MISC/DJI_FLIGHT.TXT"' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" export --case IMG --to "$T/out"
check "export sha256sum -c" bash -c "cd '$T/out' && sha256sum --quiet -c SHA256SUMS"
check "export equals source files" bash -c "diff -r '$T/src' '$T/out' | grep -v SHA256SUMS | (! grep -q .)"
check "FAT mtime kept on export (2 s resolution)" test $(( $(stat -c %Y "$T/out/DCIM/100MEDIA/DJI_0001.JPG") - $(stat -c %Y "$T/src/DCIM/100MEDIA/DJI_0001.JPG") )) -le 2
expect_exit 0 "$DV" --vault "$V" log --case IMG
check "custody entry names the image hash" grep -q "image_sha256=${img_sha:0:16}" "$T/last.out"

# an image cut short: the file system still opens, the cut-off files fail,
# the rest is stored, exit 1, and the vault still verifies
head -c 3M "$img" >"$T/cut.img"
expect_exit 1 "$DV" --vault "$V" ingest --case CUT --operator tester --json "$T/cut.img"
check "cut image: a file failed" grep -q '"files_failed":[1-9]' "$T/last.out"
check "cut image: names the file" grep -q 'DJI_0004.MP4' "$T/last.err"
check "cut image: not complete" grep -q '"complete":false' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify
# a zeroed boot sector: not a file system
cp "$img" "$T/bad.img"
# (FAT32 keeps a backup boot sector at sector 6: zero both)
dd if=/dev/zero of="$T/bad.img" bs=512 count=32 conv=notrunc status=none
expect_exit 1 "$DV" --vault "$V" ingest --case BAD --operator tester "$T/bad.img"
check "corrupt FAT explained" grep -qi 'no FAT or exFAT file system' "$T/last.err"
# random bytes
head -c 1M /dev/urandom >"$T/noise.img"
expect_exit 1 "$DV" --vault "$V" ingest --case BAD --operator tester "$T/noise.img"
expect_exit 0 "$DV" --vault "$V" verify

# a whole card as a reader gives it: an MBR partition table, FAT32 at 1 MiB
dd if=/dev/zero of="$T/whole.img" bs=1M count=64 status=none
mkfs.vfat -F 32 --offset 2048 "$T/whole.img" $((62 * 1024)) >/dev/null 2>&1
# partition 1: type 0x0c (FAT32 LBA), first sector 2048, 126976 sectors
printf '\x00\x00\x00\x00\x0c\x00\x00\x00\x00\x08\x00\x00\x00\xf0\x01\x00' |
  dd of="$T/whole.img" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$T/whole.img" bs=1 seek=510 conv=notrunc status=none
mmd -i "$T/whole.img@@1M" ::DCIM
mcopy -i "$T/whole.img@@1M" "$T/src/DCIM/100MEDIA/DJI_0002.JPG" ::DCIM/
expect_exit 0 "$DV" --vault "$V" ingest --case WHOLE --operator tester --json "$T/whole.img"
check "partitioned card: the file inside the partition" grep -q '"files":1,' "$T/last.out"
check "partitioned card: fat32 found in the partition" grep -q '"fs_type":"fat32"' "$T/last.out"

# exFAT (newer DJI cards and SDXC): filled through exfat-fuse on a loop
# device where this machine allows it, else an empty file system
if command -v mkfs.exfat >/dev/null; then
  dd if=/dev/zero of="$T/ex.img" bs=1M count=32 status=none
  mkfs.exfat "$T/ex.img" >/dev/null 2>&1
  filled=
  if command -v mount.exfat-fuse >/dev/null && loop=$(losetup -f --show "$T/ex.img" 2>/dev/null); then
    mkdir -p "$T/exm"
    if mount.exfat-fuse "$loop" "$T/exm" 2>/dev/null; then
      mkdir -p "$T/exm/DCIM/100MEDIA"
      cp "$T/src/DCIM/100MEDIA/DJI_0001.JPG" "$T/src/DCIM/100MEDIA/DJI_0002.SRT" "$T/exm/DCIM/100MEDIA/"
      fusermount -u "$T/exm" 2>/dev/null || umount "$T/exm"
      filled=1
    fi
    losetup -d "$loop"
  fi
  expect_exit 0 "$DV" --vault "$V" ingest --case EX --operator tester --json "$T/ex.img"
  check "exfat detected" grep -q '"fs_type":"exfat"' "$T/last.out"
  if [ -n "$filled" ]; then
    check "exfat: the 2 files, not its bitmap and up-case table" grep -q '"files":2,' "$T/last.out"
    expect_exit 0 "$DV" --vault "$V" export --case EX --to "$T/exout"
    check "exfat export matches" cmp "$T/src/DCIM/100MEDIA/DJI_0001.JPG" "$T/exout/DCIM/100MEDIA/DJI_0001.JPG"
  else
    echo "note: exFAT could not be filled here (no loop device or FUSE); checked empty"
    check "exfat: empty, its metadata not listed as files" grep -q '"files":0,' "$T/last.out"
  fi
fi
finish
