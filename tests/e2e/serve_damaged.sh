#!/usr/bin/env bash
# A vault that stays locked (a wrong passphrase: exit 3, nothing served),
# and one damaged after `dronevault serve` started (issue 15: "a locked or
# damaged vault: the page says so"). Blobs gone: the API answers 500 with an
# {"error"} naming the blob, for a stored file's content (before any byte,
# not a cut connection) and its thumbnail, and the page lists that problem
# when the photo is opened. The catalog overwritten: the API's answers are
# {"error": "... malformed"} and the page lists it. The server keeps
# answering throughout. Headless Chromium through lib/serve_browser_drive.py.
. "$(dirname "$0")/lib/common.sh"
command -v curl >/dev/null || { echo "curl missing (scripts/install-deps.sh)"; exit 77; }
SP= SP2=
trap 'for p in $SP $SP2; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
here=$(dirname "$0")
V=$T/vault
new_vault "$V"
"$DV" sample-card "$T/card" >/dev/null
expect_exit 0 "$DV" --vault "$V" ingest --case DAMAGE --operator tester "$T/card"
# a vault that stays locked (wrong passphrase): serve says so and exits 3, listening nowhere
DRONEVAULT_PASSPHRASE='not the passphrase' expect_exit 3 timeout 60 "$DV" --vault "$V" serve --port 0
check "locked: says so" grep -q 'wrong passphrase' "$T/last.err"
check "locked: no URL printed" bash -c "! grep -q token= '$T/last.out'"
start_serve() { # start_serve OUT: a server; its pid in $pid, URL in $url
  "$DV" --vault "$V" serve --port 0 >"$1" 2>"$1.err" &
  pid=$!
  for _ in $(seq 300); do
    grep -q 'token=' "$1" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  url=$(grep -o 'http://[^ ]*' "$1" || true)
}
start_serve "$T/a.out"; SP=$pid; URL=$url
start_serve "$T/b.out"; SP2=$pid; URL2=$url
[ -n "$URL" ] && [ -n "$URL2" ] || { fail "serve did not start"; cat "$T"/*.err >&2; finish; exit 1; }
BASE=${URL%%/\?*} BASE2=${URL2%%/\?*}
code() { # code BASE TOKEN PATH [curl args]
  local b=$1 t=$2 p=$3; shift 3
  curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $t" "$@" "$b$p"
}
TOK=${URL##*token=} TOK2=${URL2##*token=}
check "before: content 200" test "$(code "$BASE" "$TOK" /api/files/1/content -r 0-99)" = 206

# every blob gone (an examiner's disk failing, a wrong copy)
for b in $(vault_blob_names "$V"); do vault_blob_delete "$V" "$b"; done
c=$(code "$BASE" "$TOK" /api/files/2/content)
check "missing blob: content 500 ($c)" test "$c" = 500
check "missing blob: an error JSON" python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; print(e); assert e' "$T/body"
check "missing blob: a range asked, the same error" test "$(code "$BASE" "$TOK" /api/files/3/content -r 100-200)" = 500
c=$(code "$BASE" "$TOK" /api/files/4/thumb)
check "missing blob: thumbnail 500 ($c)" test "$c" = 500
check "missing blob: thumbnail error JSON" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["error"]' "$T/body"
check "still serving" test "$(code "$BASE" "$TOK" /api/status)" = 200
if command -v chromium >/dev/null && [ -f "${DV_NPM_PREFIX:-/opt/dronevault-npm}/node_modules/leaflet/dist/leaflet.js" ]; then
  mkdir -p "$T/drive"
  python3 "$here/lib/serve_browser_drive.py" "$URL" "$T/drive" --click DJI_0005.JPG \
    --problem "/api/files/5/content: HTTP 500" >"$T/drive.out" 2>&1 || true
  sed 's/^/    /' "$T/drive.out"
  check "the page lists the missing blob" grep -qxF "ok problem shown: /api/files/5/content: HTTP 500" "$T/drive.out"
  check "the problem names what failed" grep -qE '^problem /api/files/5/content: HTTP 500: .+' "$T/drive.out"
fi

# the catalog overwritten past its first page, under the second server
# (PostgreSQL: a server hands out no torn pages; there every file's sealed
# record is overwritten instead, which no key opens. A running serve reads
# its one snapshot, which does not hold the edit: a server started after it
# meets the damage)
if vault_catalog_remote "$V"; then
  vault_pg_sql "$V" "UPDATE files SET sealed = decode(repeat('5a', 80), 'hex')" >/dev/null
  damage='table files row'
  kill "$SP2"; wait "$SP2" 2>/dev/null || true
  start_serve "$T/c.out"; SP2=$pid; URL2=$url; BASE2=${URL2%%/\?*}; TOK2=${URL2##*token=}
else
  python3 - "$V/catalog.db" <<'PY'
import os, sys
p = sys.argv[1]
n = os.path.getsize(p)
with open(p, 'r+b') as f:
    f.seek(4096)
    f.write(bytes(((i * 131) ^ 0x5a) & 0xff for i in range(n - 4096)))
PY
  damage='database disk image is malformed'
fi
c=$(code "$BASE2" "$TOK2" /api/cases/1/files)
check "damaged catalog: 500 ($c)" test "$c" = 500
check "damaged catalog: the error says so ($damage)" grep -q "\"error\":\".*$damage" "$T/body"
check "damaged catalog: still serving" test "$(code "$BASE2" "$TOK2" /api/status)" = 200
if command -v chromium >/dev/null && [ -f "${DV_NPM_PREFIX:-/opt/dronevault-npm}/node_modules/leaflet/dist/leaflet.js" ]; then
  rm -rf "$T/drive" && mkdir -p "$T/drive"
  python3 "$here/lib/serve_browser_drive.py" "$URL2" "$T/drive" --no-files \
    --problem "$damage" >"$T/drive.out" 2>&1 || true
  sed 's/^/    /' "$T/drive.out"
  check "the page lists the damaged catalog" grep -qxF "ok problem shown: $damage" "$T/drive.out"
  art=${DV_BUILD_DIR:-$T}/artifacts
  mkdir -p "$art" && cp "$T/drive/page.png" "$art/serve-damaged.png" 2>/dev/null || true
fi
finish
