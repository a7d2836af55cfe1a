#!/usr/bin/env bash
# dronevault serve (issue 15), driven with curl: loopback only unless
# --listen (and then TLS when not loopback); no token -> 401 and nothing
# else; traversal in every spelling -> 404; only GET/HEAD; oversized
# headers refused; a slow client blocks nobody; range requests give the
# exact bytes of a stored file; the JSON API answers; TLS sets Secure.
. "$(dirname "$0")/lib/common.sh"
command -v curl >/dev/null || { echo "curl missing (scripts/install-deps.sh)"; exit 77; }
SP=
trap '[ -n "$SP" ] && kill "$SP" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

"$DV" sample-card "$T/card" >/dev/null
head -c 3000000 /dev/urandom >"$T/card/DCIM/100MEDIA/DJI_0100.MP4"
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case WEB-1 --operator tester "$T/card"

# refused before anything binds
expect_exit 2 "$DV" --vault "$V" serve --listen 0.0.0.0
check "0.0.0.0 without TLS explained" grep -q 'not a loopback address' "$T/last.err"
expect_exit 2 "$DV" --vault "$V" serve --listen :: --port 0
expect_exit 2 "$DV" --vault "$V" serve --listen 192.0.2.1 --tls-cert "$T/none.pem"
expect_exit 2 "$DV" --vault "$V" serve --listen localhost
expect_exit 2 "$DV" --vault "$V" serve --port 70000

# start_serve ARGS...: runs serve in the background, sets URL, BASE, TOK,
# PORT; returns 1 (not ending the test) when it did not start
start_serve() {
  "$DV" --vault "$V" serve --port 0 "$@" >"$T/serve.out" 2>"$T/serve.err" &
  SP=$!
  wait_serve || true
  PORT=${BASE##*:}
  if [ -z "$URL" ]; then
    fail "serve $* did not start"
    sed 's/^/    /' "$T/serve.err" >&2
    return 1
  fi
}
stop_serve() { kill "$SP"; wait "$SP" || true; SP=; }

start_serve || { finish; exit 1; }
check "URL printed" test -n "$URL"
check "token is 64 hex digits" grep -Eq '^[0-9a-f]{64}$' <<<"$TOK"
check "on 127.0.0.1" grep -q '^http://127.0.0.1:' <<<"$URL"
if command -v ss >/dev/null; then
  ss -ltnH "sport = :$PORT" >"$T/ss" || true
  check "listens on loopback only" bash -c "! awk '{print \$4}' '$T/ss' | grep -Ev '^(127\.0\.0\.1|\[::1\]):$PORT\$'"
  check "listens at all" test -s "$T/ss"
fi
AUTH="Authorization: Bearer $TOK"
code() { curl -s --path-as-is -o "$T/body" -w '%{http_code}' "$@"; }

# no token, a wrong one, a wrong cookie: 401 and nothing else
for p in / /app.js /api/cases /api/cases/1/files /api/files/1/content /nonexistent /..; do
  check "no token $p: 401" test "$(code "$BASE$p")" = 401
  check "no token $p: empty body" test ! -s "$T/body"
done
check "wrong token: 401" test "$(code "$BASE/?token=$(printf '%064d' 0)")" = 401
check "wrong token: empty" test ! -s "$T/body"
check "short token: 401" test "$(code "$BASE/?token=${TOK:0:63}")" = 401
check "token + 1 char: 401" test "$(code "$BASE/?token=${TOK}0")" = 401
# DNS rebinding: a page of another site whose name resolves to 127.0.0.1 sends
# its own Host; refused before the token is even looked at (421)
PORT=${BASE##*:}
check "Host evil.example: 421" test "$(code -H "$AUTH" -H "Host: evil.example:$PORT" "$BASE/api/cases")" = 421
check "Host evil.example, token URL: 421" test "$(code -H "Host: evil.example:$PORT" "$BASE/?token=$TOK")" = 421
check "Host localhost.evil.example: 421" test "$(code -H "$AUTH" -H "Host: localhost.evil.example:$PORT" "$BASE/api/cases")" = 421
check "Host with another port: 421" test "$(code -H "$AUTH" -H "Host: 127.0.0.1:$((PORT == 65535 ? 1 : PORT + 1))" "$BASE/api/cases")" = 421
check "Host localhost: 200" test "$(code -H "$AUTH" -H "Host: localhost:$PORT" "$BASE/api/cases")" = 200
check "Host [::1]: 200" test "$(code -H "$AUTH" -H "Host: [::1]:$PORT" "$BASE/api/cases")" = 200
check "bad cookie: 401" test "$(code -b "dv_session=$TOK" "$BASE/api/cases")" = 401
check "bearer without scheme: 401" test "$(code -H "Authorization: $TOK" "$BASE/api/cases")" = 401

# the token once, then the session cookie
curl -s -D "$T/h" -o /dev/null "$URL" || true
check "login redirects" grep -q '^HTTP/1.1 303' "$T/h"
check "redirect drops the token" grep -qi '^Location: /\s*$' "$T/h"
check "cookie HttpOnly" grep -qi '^Set-Cookie: dv_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict' "$T/h"
check "no Secure without TLS" bash -c "! grep -qi 'Secure' <(grep -i '^Set-Cookie' '$T/h')"
SESSION=$(grep -io 'dv_session=[0-9a-f]*' "$T/h" | cut -d= -f2)
check "session is not the token" test "$SESSION" != "$TOK"
check "cookie opens the page" test "$(code -b "dv_session=$SESSION" "$BASE/")" = 200
check "page is HTML" grep -q '<script src="/app.js"></script>' "$T/body"
check "no inline script" bash -c "! grep -q '<script>' '$T/body'"
curl -s -D "$T/h" -o /dev/null -b "dv_session=$SESSION" "$BASE/"
check "CSP sent" grep -qi "^Content-Security-Policy: default-src 'none'; script-src 'self'" "$T/h"
check "CSP has no external origin" bash -c "! grep -i '^Content-Security-Policy' '$T/h' | grep -Eqi 'https?:|\*|unsafe'"
check "nosniff" grep -qi '^X-Content-Type-Options: nosniff' "$T/h"

# traversal in every spelling: 404 (authenticated)
for p in '/..' '/../etc/passwd' '/vendor/../app.js' '/%2e%2e/app.js' '/%2E%2E/%2E%2E/etc/passwd' \
         '/vendor%2fleaflet.js' '/vendor%2Fleaflet.js' '/app.js%00' '/app.js%00.png' '/vendor\leaflet.js' \
         '/vendor%5cleaflet.js' '/api/cases/1/../1' '/api//cases' '/./app.js' '/api/files/..%2f..%2fvault.json/content'; do
  check "traversal $p: 404" test "$(code -H "$AUTH" "$BASE$p")" = 404
done
check "leaflet from npm" test "$(code -H "$AUTH" "$BASE/vendor/leaflet.js")" = 200
check "base map from npm" test "$(code -H "$AUTH" "$BASE/vendor/countries-110m.json")" = 200
check "base map is TopoJSON" grep -q '"Topology"' "$T/body"

# read-only
for m in POST PUT DELETE PATCH; do
  check "$m: 405" test "$(code -X "$m" -H "$AUTH" -d 'x=1' "$BASE/api/cases")" = 405
done
# oversized headers: refused, and the server still answers
big=$(head -c 40000 /dev/zero | tr '\0' a)
c=$(code -H "$AUTH" -H "X-Big: $big" "$BASE/api/cases" || true)
check "oversized header refused ($c)" bash -c "[ '$c' = 431 ] || [ '$c' = 413 ] || [ '$c' = 400 ]"
check "still answers" test "$(code -H "$AUTH" "$BASE/api/status")" = 200
# a slow client (half a request line, held open) blocks nobody
python3 - "$PORT" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /api/cases HTTP/1.1\r\nHost: x\r\n")
time.sleep(4)
PY
slow=$!
sleep 0.3
check "others served beside a slow client" test "$(code --max-time 3 -H "$AUTH" "$BASE/api/cases")" = 200
wait "$slow" || true

# the JSON API
check "cases" test "$(code -H "$AUTH" "$BASE/api/cases")" = 200
check "case listed" grep -q '"case":"WEB-1"' "$T/body"
cid=$(grep -o '"id":[0-9]*' "$T/body" | head -1 | cut -d: -f2)
check "case with acquisitions" test "$(code -H "$AUTH" "$BASE/api/cases/$cid")" = 200
check "acquisition operator" grep -q '"operator":"tester"' "$T/body"
check "files" test "$(code -H "$AUTH" "$BASE/api/cases/$cid/files")" = 200
check "14 files" test "$(grep -o '"sha256"' "$T/body" | wc -l)" -eq 14
fid=$(python3 -c 'import json,sys; print([f["id"] for f in json.load(open(sys.argv[1])) if f["path"].endswith("DJI_0100.MP4")][0])' "$T/body")
check "video is media video" grep -q '"media":"video"' "$T/body"
check "unknown case: 404" test "$(code -H "$AUTH" "$BASE/api/cases/999/files")" = 404
check "flights" test "$(code -H "$AUTH" "$BASE/api/cases/$cid/flights")" = 200
flight=$(grep -o '"flight":"F[0-9]*"' "$T/body" | head -1 | cut -d'"' -f4)
check "a flight" test -n "$flight"
check "track" test "$(code -H "$AUTH" "$BASE/api/flights/$flight/track")" = 200
check "track is GeoJSON" grep -q '"FeatureCollection"' "$T/body"
check "track has the line" grep -q '"LineString"' "$T/body"
check "unknown flight: 404" test "$(code -H "$AUTH" "$BASE/api/flights/F99999/track")" = 404
check "log" test "$(code -H "$AUTH" "$BASE/api/cases/$cid/log")" = 200
check "log verified" grep -q '"chain_ok":true' "$T/body"
check "log has the ingest" grep -q '"action":"ingest"' "$T/body"

# range requests: the exact bytes of the stored file
F=$T/card/DCIM/100MEDIA/DJI_0100.MP4
rng() { # rng FIRST LAST
  curl -s -H "$AUTH" -r "$1-$2" -o "$T/part" -D "$T/ph" "$BASE/api/files/$fid/content"
  bytes "$F" "$1" $(($2 - $1 + 1)) >"$T/want"
  cmp -s "$T/part" "$T/want"
}
check "range at the start" rng 0 99
check "range across chunks" rng 1000000 2100123
check "range at the end" rng 2999000 2999999
check "206" grep -q '^HTTP/1.1 206' "$T/ph"
check "Content-Range" grep -qi '^Content-Range: bytes 2999000-2999999/3000000' "$T/ph"
curl -s -H "$AUTH" -H 'Range: bytes=-4096' -o "$T/part" "$BASE/api/files/$fid/content"
check "suffix range" cmp -s "$T/part" <(tail -c 4096 "$F")
curl -s -H "$AUTH" -o "$T/part" -D "$T/ph" "$BASE/api/files/$fid/content"
check "whole file" cmp -s "$T/part" "$F"
check "Accept-Ranges" grep -qi '^Accept-Ranges: bytes' "$T/ph"
check "video type" grep -qi '^Content-Type: video/mp4' "$T/ph"
check "content sandboxed" grep -qi "^Content-Security-Policy: default-src 'none'; sandbox" "$T/ph"
check "past the end: 416" test "$(code -H "$AUTH" -r 3000000- "$BASE/api/files/$fid/content")" = 416
check "unknown file: 404" test "$(code -H "$AUTH" "$BASE/api/files/99999/content")" = 404
stop_serve

# TLS: Secure cookie, https only
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 \
    -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
  start_serve --listen 127.0.0.1 --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" || { finish; exit 1; }
  check "https URL" grep -q '^https://127.0.0.1:' <<<"$URL"
  curl -sk -D "$T/h" -o /dev/null "$URL" || true
  check "Secure cookie under TLS" grep -qi '^Set-Cookie: dv_session=.*; Secure' "$T/h"
  check "TLS API" test "$(code -k -H "Authorization: Bearer $TOK" "$BASE/api/cases")" = 200
  check "no cleartext" bash -c "! curl -s --max-time 3 -o /dev/null -w '%{http_code}' 'http://127.0.0.1:$PORT/api/cases' | grep -q 200"
  stop_serve
fi
# the vault did not change through the server
expect_exit 0 "$DV" --vault "$V" verify
finish
