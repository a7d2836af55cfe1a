#!/usr/bin/env bash
# dronevault config set map.tiles (issue 15): the URL is checked, kept in
# vault.json under its MAC, logged as config.set, verify stays clean; serve
# then allows exactly that one origin in the page's CSP img-src (and none
# once unset) and tells the page in /api/status; an edited vault.json's
# setting is not used.
. "$(dirname "$0")/lib/common.sh"
command -v curl >/dev/null || { echo "curl missing (scripts/install-deps.sh)"; exit 77; }
SP=
trap '[ -n "$SP" ] && kill "$SP" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
V=$T/vault
new_vault "$V"

# refused values: exit 2, vault.json untouched
cp "$V/vault.json" "$T/vault.json.0"
for bad in 'http://tiles.example.org/{z}/{x}/{y}.png' 'ftp://tiles.example.org/{z}/{x}/{y}' \
           'https://tiles.example.org/{z}/{x}.png' 'https://tiles example.org/{z}/{x}/{y}' \
           "https://tiles.example.org/{z}/{x}/{y}'" 'https://tiles.example.org/{z}/{x}/{y};script-src' \
           'https://a.org *.evil/{z}/{x}/{y}' 'https://user@tiles.example.org/{z}/{x}/{y}' \
           'https://tiles.example.org:99999/{z}/{x}/{y}' 'https:///{z}/{x}/{y}' 'https://x.org' \
           'http://localhost.evil.org/{z}/{x}/{y}' 'https://tiles.example.org/{z}/{x}/{y}"'; do
  expect_exit 2 "$DV" --vault "$V" config set map.tiles "$bad"
done
expect_exit 2 "$DV" --vault "$V" config set no.such.key 'https://a.org/{z}/{x}/{y}'
expect_exit 2 "$DV" --vault "$V" config set map.tiles
expect_exit 2 "$DV" --vault "$V" config frob map.tiles
check "refused values leave vault.json alone" cmp -s "$V/vault.json" "$T/vault.json.0"
expect_exit 1 "$DV" --vault "$V" config get map.tiles
check "unset: nothing printed" test ! -s "$T/last.out"

TILES='https://tiles.example.org:8443/osm/{z}/{x}/{y}.png'
expect_exit 0 "$DV" --vault "$V" config set map.tiles "$TILES" --operator 'PC Weber'
expect_exit 0 "$DV" --vault "$V" config get map.tiles
check "get gives it back" test "$(cat "$T/last.out")" = "$TILES"
check "kept in vault.json" grep -qF '"map.tiles":"https:\/\/tiles.example.org:8443\/osm\/{z}\/{x}\/{y}.png"' <(tr -d ' \n' <"$V/vault.json")
expect_exit 0 "$DV" --vault "$V" log --json
check "logged as config.set" grep -q '"action": *"config.set"' "$T/last.out"
check "log has the operator" grep -q 'PC Weber' "$T/last.out"
check "log has the value" grep -qF 'tiles.example.org:8443' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify
expect_exit 0 "$DV" --vault "$V" config set map.tiles 'http://127.0.0.1:8081/{z}/{x}/{y}.png'
expect_exit 0 "$DV" --vault "$V" config set map.tiles "$TILES"

start_serve() {
  "$DV" --vault "$V" serve --port 0 >"$T/serve.out" 2>"$T/serve.err" &
  SP=$!
  wait_serve || { fail "serve did not start"; sed 's/^/    /' "$T/serve.err" >&2; return 1; }
}
stop_serve() { kill "$SP"; wait "$SP" || true; SP=; }
imgsrc() { # the img-src directive of the page's CSP
  curl -s -D "$T/h" -o "$T/body" -H "Authorization: Bearer $TOK" "$BASE$1" >/dev/null || true
  grep -i '^Content-Security-Policy:' "$T/h" | tr -d '\r' | tr ';' '\n' | sed 's/^ *//' | grep '^img-src' || true
}

start_serve || { finish; exit 1; }
check "CSP img-src: exactly self, data: and the tile origin (page)" \
  test "$(imgsrc /)" = "img-src 'self' data: https://tiles.example.org:8443"
check "CSP img-src: the same on the API" \
  test "$(imgsrc /api/status)" = "img-src 'self' data: https://tiles.example.org:8443"
check "/api/status names the tile URL" grep -qF '"map_tiles":"https:\/\/tiles.example.org:8443\/osm\/{z}\/{x}\/{y}.png"' "$T/body"
check "no other directive names it" bash -c "! grep -i '^Content-Security-Policy:' '$T/h' | tr ';' '\n' | grep -v img-src | grep -q tiles"
check "default-src still none" grep -qi "^Content-Security-Policy: default-src 'none';" "$T/h"
stop_serve

expect_exit 0 "$DV" --vault "$V" config unset map.tiles
expect_exit 1 "$DV" --vault "$V" config get map.tiles
expect_exit 0 "$DV" --vault "$V" verify
start_serve || { finish; exit 1; }
check "unset: CSP img-src back to self and data:" test "$(imgsrc /)" = "img-src 'self' data:"
imgsrc /api/status >/dev/null
check "unset: /api/status map_tiles null" grep -q '"map_tiles":null' "$T/body"
stop_serve

# an edited setting in vault.json: not authenticated, not used, verify says so
expect_exit 0 "$DV" --vault "$V" config set map.tiles "$TILES"
sed -i 's/tiles\.example\.org/tiles.evil.org/' "$V/vault.json"
check "edit took" grep -q 'tiles.evil.org' "$V/vault.json"
expect_exit 1 "$DV" --vault "$V" config get map.tiles
start_serve || { finish; exit 1; }
check "altered vault.json: no tile origin in the CSP" test "$(imgsrc /)" = "img-src 'self' data:"
stop_serve
expect_exit 4 "$DV" --vault "$V" verify
check "verify names vault.json" grep -q 'vault.json' "$T/last.out" "$T/last.err"
finish
