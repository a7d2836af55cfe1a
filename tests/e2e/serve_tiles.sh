#!/usr/bin/env bash
# The agency tile layer in the browser (issue 15): a stand-in tile server on
# another loopback port (lib/tile_server.py), `config set map.tiles` to it;
# headless Chromium (lib/serve_browser_drive.py) then fetches tiles from
# exactly that origin, an image from any other origin is blocked by the
# page's Content-Security-Policy (a securitypolicyviolation event, and the
# other origin's server never sees a request), and the page asked nothing
# of anyone else.
. "$(dirname "$0")/lib/common.sh"
command -v chromium >/dev/null || { echo "chromium missing: skipped"; exit 77; }
npm=${DV_NPM_PREFIX:-/opt/dronevault-npm}/node_modules
[ -f "$npm/leaflet/dist/leaflet.js" ] || { echo "leaflet missing (scripts/install-npm.sh): skipped"; exit 77; }
SP= TP= FP=
trap 'for p in $SP $TP $FP; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
here=$(dirname "$0")

"$DV" sample-card "$T/card" >/dev/null
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case TILES --operator tester "$T/card"
start_tiles() { # start_tiles LOG: a tile server; its port in $port, pid in $pid
  python3 "$here/lib/tile_server.py" "$1" 150 >"$1.port" & pid=$!
  for _ in $(seq 50); do [ -s "$1.port" ] && break; sleep 0.1; done
  port=$(head -1 "$1.port")
}
start_tiles "$T/tiles.log"; TP=$pid; TPORT=$port
start_tiles "$T/foreign.log"; FP=$pid; FPORT=$port
[ -n "$TPORT" ] && [ -n "$FPORT" ] || { fail "tile servers did not start"; finish; exit 1; }
TILES=http://127.0.0.1:$TPORT
FOREIGN=http://127.0.0.1:$FPORT
expect_exit 0 "$DV" --vault "$V" config set map.tiles "$TILES/{z}/{x}/{y}.png" --operator tester

start_serve
csp=$(curl -s -D - -o /dev/null -H "$AUTH" "$BASE/" | tr -d '\r' | sed -n 's/^Content-Security-Policy: //Ip')
check "CSP img-src has the tile origin and nothing else" grep -qF "img-src 'self' data: $TILES; " <<<"$csp"
check "CSP names no other origin" test "$(grep -o 'http[s]*://[^ ;]*' <<<"$csp" | sort -u)" = "$TILES"

mkdir -p "$T/drive"
python3 "$here/lib/serve_browser_drive.py" "$URL" "$T/drive" --tiles "$TILES" --foreign "$FOREIGN" >"$T/drive.out" 2>&1 || true
sed 's/^/    /' "$T/drive.out"
for w in "files listed" "tiles requested from $TILES" "CSP blocked $FOREIGN" "no request outside $BASE/ $TILES/"; do
  check "$w" grep -qxF "ok $w" "$T/drive.out"
done
check "the tile server served tiles" grep -Eq '^/[0-9]+/[0-9]+/[0-9]+\.png ' "$T/tiles.log"
check "tile requests carry no referrer (Referrer-Policy: no-referrer)" test "$(awk '{print $3}' "$T/tiles.log" | sort -u)" = None
check "the other origin saw no request" test ! -s "$T/foreign.log"
art=${DV_BUILD_DIR:-$T}/artifacts
mkdir -p "$art" && cp "$T/drive/page.png" "$art/serve-tiles.png" 2>/dev/null || true
finish
