#!/usr/bin/env bash
# dronevault serve: thumbnails and the EXIF panel of real DJI photos
# ($DV_SHARED/samples/photos), decoded in the sandboxed reader; the preview
# is byte for byte the one exiftool extracts. Hostile JPEGs (garbage, a
# truncated EXIF segment) give 404 / {} and the server keeps answering.
. "$(dirname "$0")/lib/common.sh"
photos=${DV_SHARED:-/nonexistent}/samples/photos
[ -f "$photos/DJI_XT2.jpg" ] && [ -f "$photos/M3T_DJI_0001_R.JPG" ] || { echo "no \$DV_SHARED photos: skipped"; exit 77; }
command -v curl >/dev/null || exit 77
SP=
trap '[ -n "$SP" ] && kill "$SP" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

mkdir -p "$T/card/DCIM"
cp "$photos/DJI_XT2.jpg" "$photos/M3T_DJI_0001_R.JPG" "$T/card/DCIM/"
head -c 5000 /dev/urandom >"$T/card/DCIM/GARBAGE.JPG"
{ printf '\xff\xd8\xff\xe1\xff\xf0Exif\0\0II*\0\x08\0\0\0\xff\xff'; head -c 300 /dev/urandom; } >"$T/card/DCIM/TRUNC.JPG"
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case THUMBS --operator tester "$T/card"
"$DV" --vault "$V" serve --port 0 >"$T/serve.out" 2>"$T/serve.err" &
SP=$!
for _ in $(seq 300); do
  grep -q 'token=' "$T/serve.out" 2>/dev/null && break
  kill -0 "$SP" 2>/dev/null || break
  sleep 0.1
done
URL=$(grep -o 'http://[^ ]*' "$T/serve.out" || true)
[ -n "$URL" ] || { fail "serve did not start"; cat "$T/serve.err" >&2; finish; exit 1; }
BASE=${URL%%/\?*}
AUTH="Authorization: Bearer ${URL##*token=}"
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
for p in GARBAGE.JPG TRUNC.JPG; do
  id=$(id_of "$p")
  check "$p: no thumb (404)" test "$(code "$BASE/api/files/$id/thumb")" = 404
  c=$(code "$BASE/api/files/$id/exif")
  check "$p: exif answered ($c)" test "$c" = 200
done
check "still serving" test "$(code "$BASE/api/status")" = 200
check "not a photo: 404" test "$(code "$BASE/api/files/999/thumb")" = 404
finish
