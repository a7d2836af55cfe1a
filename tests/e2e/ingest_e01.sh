#!/usr/bin/env bash
# E01 images (issue 12): a FAT32 card imaged with ewfacquire (EWF1, MD5 and
# SHA-1 embedded; once in one segment, once split over several) is
# ingested like a raw image: the files, the E01 file's own SHA-256, its
# embedded MD5/SHA-1 recorded and checked against the media data (which
# equals the raw card's md5sum/sha1sum); an Ex01 (EWF2) image is recognised
# and refused with a clear message (a header-only file); an L01 too.
. "$(dirname "$0")/lib/common.sh"
command -v ewfacquire >/dev/null || { echo "skipped: no ewfacquire (ewf-tools)"; exit 77; }

make_files "$T/src" DCIM/100MEDIA/DJI_0001.JPG:1500000 DCIM/100MEDIA/DJI_0001.SRT:3000 MISC/FLY001.TXT:20000
img=$T/card.img
dd if=/dev/zero of="$img" bs=1M count=40 status=none
mkfs.vfat -F 32 -n DJI_CARD "$img" >/dev/null
mmd -i "$img" ::DCIM ::DCIM/100MEDIA ::MISC
mcopy -m -i "$img" "$T"/src/DCIM/100MEDIA/* ::DCIM/100MEDIA/
mcopy -m -i "$img" "$T/src/MISC/FLY001.TXT" ::MISC/
md5=$(md5sum "$img" | cut -c1-32)
sha1=$(sha1sum "$img" | cut -c1-40)
ewfacquire -u -t "$T/card" -d sha1 -C 2026-0042 -D card -E 1 -e tester -N none -f encase6 -c deflate:fast "$img" >"$T/ewf.log" 2>&1
check "ewfacquire made an E01" test -s "$T/card.E01"
e01_sha=$(sha256sum "$T/card.E01" | cut -c1-64)

V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case E01 --operator tester --json "$T/card.E01"
j=$(cat "$T/last.out")
check "E01: an image of format e01" grep -q '"kind":"image","fs_type":"fat32".*"image_format":"e01"' <<<"$j"
check "E01: 3 files" grep -q '"files":3,' <<<"$j"
check "E01: embedded MD5 = the card's md5sum, verified" grep -q "\"e01_md5\":\"$md5\",\"e01_md5_verified\":true" <<<"$j"
check "E01: embedded SHA-1 = the card's sha1sum, verified" grep -q "\"e01_sha1\":\"$sha1\",\"e01_sha1_verified\":true" <<<"$j"
check "E01: the E01 file's SHA-256 recorded" grep -q "\"image_sha256\":\"$e01_sha\"" <<<"$j"
expect_exit 0 "$DV" --vault "$V" log --case E01 --json
check "E01: custody entry holds both hashes" grep -q "\"e01_md5\":\"$md5\".*\"e01_sha1\":\"$sha1\"\|\"e01_sha1\":\"$sha1\".*\"e01_md5\":\"$md5\"" "$T/last.out"
expect_exit 0 "$DV" --vault "$V" export --case E01 --to "$T/out"
check "E01: export equals the card's files" cmp "$T/src/DCIM/100MEDIA/DJI_0001.JPG" "$T/out/DCIM/100MEDIA/DJI_0001.JPG"
check "E01: export sha256sum -c" bash -c "cd '$T/out' && sha256sum --quiet -c SHA256SUMS"

# the embedded MD5 edited (the hash and digest sections' own Adler-32
# checksums recomputed, so libewf reads them): the media data no longer
# matches the hash the image carries, and the ingest refuses it
cp "$T/card.E01" "$T/bad.E01"
python3 - "$T/bad.E01" <<'PY'
import struct, sys, zlib
p = sys.argv[1]; d = bytearray(open(p, "rb").read())
off, patched = 13, 0  # EWF1: a 13-byte file header, then 76-byte section descriptors
while off + 76 <= len(d):
    kind = bytes(d[off:off + 16]).rstrip(b"\0"); nxt = struct.unpack("<Q", d[off + 16:off + 24])[0]
    b = off + 76
    if kind in (b"hash", b"digest"):  # MD5 first; Adler-32 after 32 (hash) or 76 (digest) bytes
        n = 32 if kind == b"hash" else 76
        d[b] ^= 0xFF
        struct.pack_into("<I", d, b + n, zlib.adler32(bytes(d[b:b + n])))
        patched += 1
    if kind in (b"done", b"next") or nxt <= off:
        break
    off = nxt
open(p, "wb").write(d)
sys.exit(0 if patched else 1)
PY
expect_exit 1 "$DV" --vault "$V" ingest --case BAD --operator tester "$T/bad.E01"
check "E01 with an edited MD5: refused, naming both hashes" grep -q "the E01 image's data does not match the hash it carries (MD5 [0-9a-f]* recorded, $md5 read" "$T/last.err"
expect_exit 0 "$DV" --vault "$V" cases
check "E01 with an edited MD5: no case made" bash -c "! grep -q BAD '$T/last.out'"

# split into segments (.E01, .E02, ...): named by its first segment
ewfacquire -u -t "$T/split" -S 16MiB -f encase6 -c none "$img" >"$T/ewf2.log" 2>&1
check "split E01: several segments" test -s "$T/split.E02"
expect_exit 0 "$DV" --vault "$V" ingest --case SPLIT --operator tester --json "$T/split.E01"
check "split E01: MD5 verified over all segments" grep -q "\"e01_md5\":\"$md5\",\"e01_md5_verified\":true" "$T/last.out"
check "split E01: 3 files" grep -q '"files":3,' "$T/last.out"
# the recorded image hash covers every segment (their bytes in order), and
# the custody entry names each segment with its own SHA-256
split_sha=$(cat "$T"/split.E0? | sha256sum | cut -c1-64)
check "split E01: image_sha256 over all segments" grep -q "\"image_sha256\":\"$split_sha\"" "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log --case SPLIT --json
for seg in "$T"/split.E0?; do
  s=$(sha256sum "$seg" | cut -c1-64)
  check "split E01: custody entry names $(basename "$seg") with its SHA-256" \
    grep -q "\"name\":\"$(basename "$seg")\",\"size\":$(stat -c %s "$seg"),\"sha256\":\"$s\"" "$T/last.out"
done

# Ex01 (EWF2): header only, recognised by its signature and refused
{ printf 'EVF2\r\n\x81\x00'; printf '\x02\x01\x00\x00'; head -c 500 /dev/zero; } >"$T/card.Ex01"
expect_exit 1 "$DV" --vault "$V" ingest --case EX01 --operator tester "$T/card.Ex01"
check "Ex01: refused as Ex01, saying why" grep -q 'an Ex01 (EWF version 2) image: this system.s libewf reads E01 (EWF1) only' "$T/last.err"
{ printf 'LVF\x09\r\n\xff\x00'; head -c 500 /dev/zero; } >"$T/files.L01"
expect_exit 1 "$DV" --vault "$V" ingest --case L01 --operator tester "$T/files.L01"
check "L01: refused as logical evidence" grep -q 'L01' "$T/last.err"
expect_exit 0 "$DV" --vault "$V" verify
finish
