#!/usr/bin/env bash
# dronevault serve: thumbnails, the EXIF and the XMP panel of real DJI
# photos ($DV_SHARED/samples/photos), decoded in the sandboxed reader; the
# preview is byte for byte the one exiftool extracts, every drone-dji field
# of the XMP panel has exiftool's value ($DV_SHARED/samples/expected).
# Hostile JPEGs (garbage, a truncated EXIF segment) give 404 / {} and the
# server keeps answering. All of it goes through one long-lived reader.
. "$(dirname "$0")/lib/common.sh"
photos=${DV_SHARED:-/nonexistent}/samples/photos
[ -f "$photos/DJI_XT2.jpg" ] && [ -f "$photos/M3T_DJI_0001_R.JPG" ] || { echo "no \$DV_SHARED photos: skipped"; exit 77; }
command -v curl >/dev/null || exit 77
SP=
trap '[ -n "$SP" ] && kill "$SP" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

mkdir -p "$T/card/DCIM"
cp "$photos"/*.[jJ][pP][gG] "$T/card/DCIM/"
cp "$photos/DJI_XT2.jpg" "$T/card/DCIM/COPY_XT2.JPG"   # asked only after the reader was killed
head -c 5000 /dev/urandom >"$T/card/DCIM/GARBAGE.JPG"
{ printf '\xff\xd8\xff\xe1\xff\xf0Exif\0\0II*\0\x08\0\0\0\xff\xff'; head -c 300 /dev/urandom; } >"$T/card/DCIM/TRUNC.JPG"
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case THUMBS --operator tester "$T/card"
start_serve
code() { curl -s -o "$T/body" -w '%{http_code}' -H "$AUTH" "$@"; }

check "no token: 401" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/files/1/thumb")" = 401
code "$BASE/api/cases/1/files" >/dev/null
id_of() { python3 -c 'import json,sys; print([f["id"] for f in json.load(open(sys.argv[1])) if f["path"].endswith(sys.argv[2])][0])' "$T/files.json" "$1"; }
cp "$T/body" "$T/files.json"
for p in DJI_XT2.jpg M3T_DJI_0001_R.JPG; do
  id=$(id_of "$p")
  check "$p thumb: 200" test "$(code "$BASE/api/files/$id/thumb")" = 200
  if command -v exiftool >/dev/null; then
    exiftool -b -ThumbnailImage "$T/card/DCIM/$p" >"$T/want.jpg"
    check "$p thumb is the embedded preview" cmp -s "$T/body" "$T/want.jpg"
  else
    check "$p thumb is a JPEG" bash -c "head -c 2 '$T/body' | od -An -tx1 | grep -q 'ff d8'"
  fi
  check "$p exif: 200" test "$(code "$BASE/api/files/$id/exif")" = 200
  check "$p exif says DJI" grep -q '"Make":"DJI"' "$T/body"
done
# the XMP panel against exiftool's outputs, for every sample photo that has them
for f in "$photos"/*.[jJ][pP][gG]; do
  p=$(basename "$f")
  want=${DV_SHARED}/samples/expected/$p.exiftool.json
  [ -f "$want" ] || continue
  id=$(id_of "$p")
  check "$p xmp: 200" test "$(code "$BASE/api/files/$id/xmp")" = 200
  xr=0
  python3 - "$T/body" "$want" "$p" >"$T/xmp.txt" 2>&1 <<'PY' || xr=$?
import json, re, sys
got = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))
want = want[0] if isinstance(want, list) else want
ref = {k.split(':', 1)[1].lower(): v for k, v in want.items() if k.startswith('XMP-drone-dji:')}
def same(a, b):
    try:
        return abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        # exiftool writes dates its own way: 2022:07:23 07:12:22 for 2022-07-23T07:12:22
        a = re.sub(r'^(\d{4})-(\d\d)-(\d\d)T', r'\1:\2:\3 ', str(a).strip())
        return a == str(b).strip()
seen, bad = 0, []
for k, v in got.items():
    ns, name = k.split(':', 1)
    if ns != 'drone-dji' or name.lower() not in ref:
        continue
    seen += 1
    if not same(v, ref[name.lower()]):
        bad.append('%s: ours %r, exiftool %r' % (name, v, ref[name.lower()]))
print(sys.argv[3], 'drone-dji fields compared:', seen, 'of exiftool', len(ref), 'differ:', bad)
sys.exit(1 if bad or (ref and seen < min(len(ref), 10)) else 0)
PY
  check "$p: XMP panel has exiftool's drone-dji values" test "$xr" = 0
  sed 's/^/    /' "$T/xmp.txt"
done
check "M3T: its gimbal pitch in the XMP panel" grep -q '"drone-dji:GimbalPitchDegree":"-6.9' <(code "$BASE/api/files/$(id_of M3T_DJI_0001_R.JPG)/xmp" >/dev/null; cat "$T/body")
readers() { pgrep -P "$SP" -d ' ' -f dv-reader || true; }
first_reader=$(readers)
check "one long-lived reader ($first_reader)" test "$(wc -w <<<"$first_reader")" = 1
for p in GARBAGE.JPG TRUNC.JPG; do
  id=$(id_of "$p")
  check "$p: no thumb (404)" test "$(code "$BASE/api/files/$id/thumb")" = 404
  c=$(code "$BASE/api/files/$id/exif")
  check "$p: exif answered ($c)" test "$c" = 200
done
check "still serving" test "$(code "$BASE/api/status")" = 200
check "hostile JPEGs went through the same reader" test "$(readers)" = "$first_reader"
# the reader killed: the next photo gets a new one, and an answer
kill -KILL $first_reader
while kill -0 "$first_reader" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$first_reader/stat" 2>/dev/null)" != Z ]; do sleep 0.05; done
id=$(id_of COPY_XT2.JPG)
check "reader killed: next thumb 200" test "$(code "$BASE/api/files/$id/thumb")" = 200
if command -v exiftool >/dev/null; then
  check "reader killed: the preview still exiftool's" cmp -s "$T/body" <(exiftool -b -ThumbnailImage "$photos/DJI_XT2.jpg")
fi
second_reader=$(readers)
check "reader killed: a new one ($first_reader -> $second_reader)" test -n "$second_reader" -a "$second_reader" != "$first_reader"
check "reader killed: still one" test "$(wc -w <<<"$second_reader")" = 1
check "not a photo: 404" test "$(code "$BASE/api/files/999/thumb")" = 404
finish
