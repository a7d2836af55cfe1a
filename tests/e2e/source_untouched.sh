#!/usr/bin/env bash
# The source is never written: a directory keeps every byte and every time
# stamp (atime included: reads use O_NOATIME), and a FAT image mounted
# read-only through FUSE is bit-identical after its mount was ingested.
. "$(dirname "$0")/lib/common.sh"

make_files "$T/card" DCIM/100MEDIA/DJI_0001.JPG:800000 DCIM/100MEDIA/DJI_0002.JPG:1200000 MISC/a.txt:100
content=$(hashes "$T/card")
# atime older than mtime would let relatime skip the update; make it equal
# so that any read without O_NOATIME would show
touch -d '2026-01-02 03:04:05' "$T"/card/DCIM/100MEDIA/* "$T/card/MISC/a.txt" "$T/card/MISC" "$T/card/DCIM"
sleep 1
before=$(times "$T/card")
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case U --operator tester "$T/card"
after=$(times "$T/card")
if [ "$before" = "$after" ]; then ok; else fail "directory source times changed"; diff <(echo "$before") <(echo "$after") >&2 || true; fi
check "directory source content unchanged" test "$content" = "$(hashes "$T/card")"

# FAT image, mounted read-only (kernel loop mount, else fusefat)
img=$T/card.img
dd if=/dev/zero of="$img" bs=1M count=40 status=none
mkfs.vfat -F 32 "$img" >/dev/null
mmd -i "$img" ::DCIM
mcopy -i "$img" "$T"/card/DCIM/100MEDIA/* ::DCIM/
sha_before=$(sha256sum "$img" | cut -c1-64)
mkdir -p "$T/mnt"
mounted=
if mount -o loop,ro "$img" "$T/mnt" 2>/dev/null; then mounted=kernel
elif command -v fusefat >/dev/null && fusefat -o ro "$img" "$T/mnt" 2>/dev/null; then mounted=fuse
fi
if [ -n "$mounted" ]; then
  mbefore=$(times "$T/mnt")
  expect_exit 0 "$DV" --vault "$V" ingest --case M --operator tester --json "$T/mnt"
  check "mounted card: 2 files" grep -q '"files":2,' "$T/last.out"
  mafter=$(times "$T/mnt")
  check "mounted files unchanged" test "$mbefore" = "$mafter"
  if [ $mounted = kernel ]; then umount "$T/mnt"; else fusermount -u "$T/mnt" 2>/dev/null || umount "$T/mnt"; fi
  check "image bit-identical after ingest of its mount ($mounted)" test "$(sha256sum "$img" | cut -c1-64)" = "$sha_before"
else
  echo "note: no way to mount a FAT image here (no vfat module, no FUSE); image checked unmounted only"
fi
expect_exit 0 "$DV" --vault "$V" ingest --case I --operator tester "$img"
check "image bit-identical after raw ingest" test "$(sha256sum "$img" | cut -c1-64)" = "$sha_before"
expect_exit 0 "$DV" --vault "$V" verify
finish
