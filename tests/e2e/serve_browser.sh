#!/usr/bin/env bash
# dronevault serve in headless Chromium (Debian chromium): logs in with the
# printed token, opens a case, and the flight's track is drawn on the map
# (a pixel check of the screenshot, kept in $DV_BUILD_DIR/artifacts/), the
# custody log is shown verified, and every request the page made went to
# the server on 127.0.0.1 (Chromium's net log; host names resolve nowhere).
# Driven over the DevTools protocol (lib/serve_browser_drive.py): a video
# from the vault (an H.264 MP4 as a DJI camera writes, made by ffmpeg) plays
# past 2 s in the page's player through 206 range answers.
. "$(dirname "$0")/lib/common.sh"
command -v chromium >/dev/null || { echo "chromium missing: skipped"; exit 77; }
npm=${DV_NPM_PREFIX:-/opt/dronevault-npm}/node_modules
[ -f "$npm/leaflet/dist/leaflet.js" ] || { echo "leaflet missing (scripts/install-npm.sh): skipped"; exit 77; }
command -v ffmpeg >/dev/null || { echo "ffmpeg missing (scripts/install-deps.sh): skipped"; exit 77; }
SP=
trap '[ -n "$SP" ] && kill "$SP" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
here=$(dirname "$0")

"$DV" sample-card "$T/card" >/dev/null
# the video beside the sample's SRT sidecar: 6 s of H.264 (baseline, yuv420p, moov first)
ffmpeg -loglevel error -f lavfi -i testsrc=size=320x180:rate=25 -t 6 -c:v libx264 -profile:v baseline \
  -pix_fmt yuv420p -movflags +faststart "$T/card/DCIM/100MEDIA/DJI_0013.MP4"
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case WEB-B --operator tester "$T/card"
# a Remote ID finding in the case: the page lists it
expect_exit 4 "$DV" --vault "$V" radio --case WEB-B --operator tester "$DV_SOURCE_DIR/fuzz/corpus/radio_odid/capture_radiotap.pcap"
# a geofence finding: a zone around the flight's start (the zones check keeps its map layer)
cat >"$T/zones.json" <<'Z'
{"UASZoneList":[{"identifier":"ZB1","restriction":"PROHIBITED","geometry":[{"uomDimensions":"M",
 "lowerLimit":0,"lowerVerticalReference":"AGL","upperLimit":5000,"upperVerticalReference":"AMSL",
 "horizontalProjection":{"type":"Polygon","coordinates":[[[7.3950,46.9360],[7.3960,46.9360],[7.3960,46.9380],[7.3950,46.9380],[7.3950,46.9360]]]}}]}]}
Z
expect_exit 4 "$DV" --vault "$V" zones check --case WEB-B --operator tester --zones "$T/zones.json"
start_serve

browse() { # browse OUTPUT-ARGS...: one headless run on the page, case 1 open
  rm -rf "$T/profile"
  timeout 120 chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$T/profile" \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" --window-size=1200,1800 \
    --virtual-time-budget=10000 "$@" "$URL#case=1" 2>>"$T/chrome.err"
}
browse --log-net-log="$T/net.json" --screenshot="$T/shot.png" >/dev/null || true
check "screenshot taken" test -s "$T/shot.png"
art=${DV_BUILD_DIR:-$T}/artifacts
mkdir -p "$art" && cp "$T/shot.png" "$art/serve-map.png" 2>/dev/null || true
check "track drawn on the map" python3 "$here/lib/serve_browser_check.py" track "$T/shot.png"
check "no request outside 127.0.0.1" python3 "$here/lib/serve_browser_check.py" netlog "$T/net.json" "$BASE"
mkdir -p "$T/drive"
python3 "$here/lib/serve_browser_drive.py" "$URL" "$T/drive" --video DJI_0013.MP4 \
  --layers photos,zones,findings,coverage --xmp DJI_0001.JPG >"$T/drive.out" 2>&1 || true
sed 's/^/    /' "$T/drive.out"
for w in "files listed" "video row clicked" "video played >= 2 s" "video fetched with range requests (206)" \
         "video served as video/mp4" "no request outside $BASE/" "map layer photos drawn" \
         "map layer zones drawn" "map layer findings drawn" "map layer coverage drawn" "photo row clicked" \
         "XMP panel filled"; do
  check "$w" grep -qxF "ok $w" "$T/drive.out"
done
# the XMP panel of the sample's first photo: the values src/sample writes
for kv in "drone-dji:GimbalPitchDegree -90.00" "drone-dji:GimbalYawDegree +90.00" "drone-dji:FlightYawDegree +90.00" \
          "drone-dji:RelativeAltitude +60.000" "drone-dji:AbsoluteAltitude +600.000" "drone-dji:GpsLatitude +46.93714068" \
          "drone-dji:DroneSerialNumber SAMPLE0DRONE0001"; do
  check "XMP panel: $kv" grep -qxF "xmp $kv" "$T/drive.out"
done
cp "$T/drive/page.png" "$art/serve-video.png" 2>/dev/null || true
browse --dump-dom >"$T/dom.html" || true
check "case opened" grep -q 'Case WEB-B' "$T/dom.html"
check "map shows the flight" grep -q 'data-track="F[0-9]*"' "$T/dom.html"
check "custody log verified" grep -q 'chain and signatures verified' "$T/dom.html"
check "custody log rows" grep -q '<td>ingest</td>' "$T/dom.html"
check "files listed" grep -q 'DJI_0001.JPG' "$T/dom.html"
check "Remote ID finding shown" grep -q '<tr class="finding finding-radio"><td>[0-9]*</td><td>[^<]*</td><td>Remote ID</td>' "$T/dom.html"
check "findings section not empty" grep -q '<p id="findings-none" hidden' "$T/dom.html"
check "Leaflet drew its panes" grep -q 'leaflet-overlay-pane' "$T/dom.html"
finish
