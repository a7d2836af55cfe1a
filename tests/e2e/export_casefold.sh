#!/usr/bin/env bash
# An export to a file system that folds case (exFAT, as on the USB stick a
# court is handed): card names that differ only in case are one name
# there. Every file is still exported - the later one under a safe name,
# recorded in _dronevault_renamed.json with "why": "clash" - never written
# over the earlier, never a failed export; SHA256SUMS checks on the stick.
# Needs a loop device and FUSE (exfat-fuse): skipped where neither works.
. "$(dirname "$0")/lib/common.sh"
command -v mkfs.exfat >/dev/null && command -v mount.exfat-fuse >/dev/null || { echo "skipped: no exfat-fuse"; exit 77; }

make_files "$T/card" DCIM/DJI_0001.JPG:40000 DCIM/dji_0001.jpg:30000 dcim/DJI_0002.JPG:20000
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case CF --operator tester "$T/card"

dd if=/dev/zero of="$T/stick.img" bs=1M count=16 status=none
mkfs.exfat "$T/stick.img" >/dev/null 2>&1
loop=$(losetup -f --show "$T/stick.img" 2>/dev/null) || { echo "skipped: no loop device"; exit 77; }
mkdir -p "$T/stick"
if ! mount.exfat-fuse "$loop" "$T/stick" 2>/dev/null; then
  losetup -d "$loop"
  echo "skipped: FUSE mount refused here"
  exit 77
fi
trap 'fusermount -u "$T/stick" 2>/dev/null || umount "$T/stick" 2>/dev/null; losetup -d "$loop" 2>/dev/null; rm -rf "$T"' EXIT
: >"$T/stick/probe"
check "the stick folds case" test -e "$T/stick/PROBE"
rm -f "$T/stick/probe"

expect_exit 0 "$DV" --vault "$V" export --case CF --to "$T/stick/out"
check "export: the first of the two names as it is" cmp "$T/card/DCIM/DJI_0001.JPG" "$T/stick/out/DCIM/DJI_0001.JPG"
python3 - "$T/stick/out/_dronevault_renamed.json" >"$T/map.out" <<'PY' || true
import json, sys
for m in json.load(open(sys.argv[1])):
    print(m["why"], m["original"], m["exported_as"])
PY
check "export: the other, a clash, under a safe name" grep -q '^clash DCIM/dji_0001.jpg _dronevault_renamed/' "$T/map.out"
as=$(sed -n 's/^clash DCIM\/dji_0001.jpg //p' "$T/map.out")
check "export: its own bytes under that name" cmp "$T/card/DCIM/dji_0001.jpg" "$T/stick/out/${as:-none}"
check "export: a folder differing in case shares the stick's folder" cmp "$T/card/dcim/DJI_0002.JPG" "$T/stick/out/DCIM/DJI_0002.JPG"
check "export: sha256sum -c on the stick" bash -c "cd '$T/stick/out' && sha256sum --quiet -c SHA256SUMS"
expect_exit 0 "$DV" --vault "$V" log --case CF --json
check "custody: the export entry counts the renamed file" grep -q '"action":"export".*"renamed":1' "$T/last.out"

# the court package too: each name once, the clash under a safe name
expect_exit 0 "$DV" --vault "$V" export --case CF --for court --no-pdf --no-coverage --to "$T/stick/court" --operator "Det. Smith"
pk=$(find "$T/stick/court" -mindepth 1 -maxdepth 1 -type d -print -quit)
check "court: the package on the stick" test -s "${pk:-none}/SHA256SUMS"
check "court: sha256sum -c on the stick" bash -c "cd '${pk:-none}' && sha256sum --quiet -c SHA256SUMS"
check "court: the clash listed as renamed" grep -q '"original":"DCIM/dji_0001.jpg"\|"original": "DCIM/dji_0001.jpg"' "${pk:-none}/files_renamed.json"

# photogrammetry: ODM and COLMAP name every photo flat in images/ and list
# those names (geo.txt, images.txt): names the stick folds onto each other -
# ASCII case, Unicode case (É/é, as exFAT's up-case table folds it), and a
# card's own "X_<id>" name meeting a renamed one - each get a name of their
# own, and the lists name exactly the files written
"$DV" sample-card "$T/photos" >/dev/null
pd=$T/photos/DCIM
mkdir -p "$pd/101MEDIA" "$pd/102MEDIA"
cp "$pd/100MEDIA/DJI_0002.JPG" "$pd/101MEDIA/dji_0001.jpg"
cp "$pd/100MEDIA/DJI_0003.JPG" "$pd/101MEDIA/É_0003.JPG"
cp "$pd/100MEDIA/DJI_0004.JPG" "$pd/102MEDIA/é_0003.jpg"
cp "$pd/100MEDIA/DJI_0005.JPG" "$pd/102MEDIA/DJI_0001_1.JPG"
printf '\377' | cat "$pd/100MEDIA/DJI_0006.JPG" - >"$pd/102MEDIA/$(printf 'bad\377name.JPG')"
njpg=$(find "$T/photos" -name '*.JPG' -o -name '*.jpg' | wc -l)
expect_exit 0 "$DV" --vault "$V" ingest --case PH --operator tester "$T/photos"
for tool in odm colmap; do
  expect_exit 0 "$DV" --vault "$V" export --case PH --for $tool --to "$T/stick/$tool"
  pk=$(find "$T/stick/$tool" -mindepth 1 -maxdepth 1 -type d -print -quit)
  n=$(find "${pk:-none}/images" -type f \( -name '*.JPG' -o -name '*.jpg' \) | wc -l)
  check "$tool: every photo on the stick, none written over ($n of $njpg)" test "$n" -eq "$njpg"
  check "$tool: sha256sum -c on the stick" bash -c "cd '${pk:-none}' && sha256sum --quiet -c SHA256SUMS"
  check "$tool: the Unicode pair under two names" bash -c "ls '${pk:-none}/images' | grep -c '_0003_' | grep -qx 2"
  check "$tool: a name that is no UTF-8 written as one" bash -c "ls '${pk:-none}/images' | grep -qx 'bad_name.JPG'"
done
pk=$(find "$T/stick/odm" -mindepth 1 -maxdepth 1 -type d -print -quit)
tail -n +2 "${pk:-none}/geo.txt" | cut -d' ' -f1 | sort >"$T/geo.names"
(cd "${pk:-none}/images" && ls | grep -vx image_groups.txt | sort) >"$T/img.names"
check "odm: geo.txt names exactly the photos written" cmp "$T/geo.names" "$T/img.names"
pk=$(find "$T/stick/colmap" -mindepth 1 -maxdepth 1 -type d -print -quit)
awk '!/^#/ && NF >= 10 { print $10 }' "${pk:-none}/sparse/0/images.txt" | sort >"$T/colmap.names"
(cd "${pk:-none}/images" && ls | sort) >"$T/img.names"
check "colmap: images.txt names exactly the photos written" cmp "$T/colmap.names" "$T/img.names"
expect_exit 0 "$DV" --vault "$V" verify
finish
