#!/usr/bin/env bash
# A path over 4095 bytes or directories nested deeper than 64 anywhere on
# the card (a directory, and a FAT image) are per-file failures like any
# other (issue 11): named, the rest stored, the ingest left open (exit 1),
# the vault verifying; nothing silently dropped, nothing aborted.
. "$(dirname "$0")/lib/common.sh"

S=$T/card
make_files "$S" DCIM/100MEDIA/DJI_0001.JPG:20000 DCIM/100MEDIA/DJI_0002.JPG:30000 MISC/a.txt:100
# 70 levels of d/, then 17 levels of 250-byte names (4267 bytes): made
# relative to directory descriptors (no syscall path may exceed 4096)
python3 - "$S" <<'PY'
import os, sys
def deep(root, names, leaf):
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for n in names:
        os.mkdir(n, dir_fd=fd)
        nfd = os.open(n, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    f = os.open(leaf, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(f, b'deep evidence')
    os.close(f)
    os.close(fd)
deep(sys.argv[1], ['d'] * 70, 'deep.jpg')
deep(sys.argv[1], ['L' * 248 + '%02d' % i for i in range(17)], 'long.jpg')
PY
V=$T/vault
new_vault "$V"
expect_exit 1 "$DV" --vault "$V" ingest --case LONG --operator tester --json "$S"
j=$(cat "$T/last.out")
check "directory: 2 entries failed" grep -q '"files_failed":2,' <<<"$j"
check "directory: the 3 others stored" grep -q '"files_new":3,' <<<"$j"
check "directory: every entry counted" grep -q '"files":5,' <<<"$j"
check "directory: left open" grep -q '"complete":false' <<<"$j"
check "directory: too deep named" grep -q 'nested deeper than 64' "$T/last.err"
check "directory: too long named" grep -q 'path longer than 4095 bytes' "$T/last.err"
check "directory: no raw 4 KiB path on the terminal" test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$T/last.err")" -lt 2200
expect_exit 0 "$DV" --vault "$V" ls --case LONG --json
check "directory: stored files listed" grep -q 'DCIM/100MEDIA/DJI_0002.JPG' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log --case LONG --json
check "directory: custody says incomplete" grep -q '"action":"ingest.incomplete"' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify
# a re-run retries and fails them again, storing nothing twice
expect_exit 1 "$DV" --vault "$V" ingest --case LONG --operator tester --json "$S"
check "re-run: resumed, the 3 already stored" grep -q '"resumed":true.*"files_resumed":3,.*"files_failed":2' "$T/last.out"

# FAT32 image: the same two shapes
img=$T/card.img
dd if=/dev/zero of="$img" bs=1M count=40 status=none
mkfs.vfat -F 32 "$img" >/dev/null
mmd -i "$img" ::DCIM
mcopy -i "$img" "$S/DCIM/100MEDIA/DJI_0001.JPG" ::DCIM/
p=""
for i in $(seq 1 70); do p="$p/d"; mmd -i "$img" "::$p"; done
mcopy -i "$img" "$S/MISC/a.txt" "::$p/deep.txt"
p=""
for i in $(seq 10 26); do p="$p/$(printf 'L%.0s' $(seq 1 248))$i"; mmd -i "$img" "::$p"; done
mcopy -i "$img" "$S/MISC/a.txt" "::$p/long.txt"
expect_exit 1 "$DV" --vault "$V" ingest --case LONGIMG --operator tester --json "$img"
j=$(cat "$T/last.out")
check "image: 2 entries failed" grep -q '"files_failed":2,' <<<"$j"
check "image: the other stored" grep -q '"files":3,.*"files_new":1,' <<<"$j"
check "image: too deep named" grep -q 'nested deeper than 64' "$T/last.err"
check "image: too long named" grep -q 'path longer than 4095 bytes' "$T/last.err"
expect_exit 0 "$DV" --vault "$V" verify
finish
