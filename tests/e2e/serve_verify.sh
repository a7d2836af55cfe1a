#!/usr/bin/env bash
# verify on request (issue 15): GET /api/verify starts dv_verify on a
# reader of its own and reports its progress; the page's other requests
# are answered meanwhile; a damaged blob is reported as a problem on the
# next run (?again=1); nothing in the vault changes.
. "$(dirname "$0")/lib/common.sh"
command -v curl >/dev/null || { echo "curl missing (scripts/install-deps.sh)"; exit 77; }
SP=
trap '[ -n "$SP" ] && kill "$SP" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
V=$T/vault
new_vault "$V"
"$DV" sample-card "$T/card" >/dev/null
make_files "$T/card" DCIM/100MEDIA/DJI_0200.MP4:2000000
expect_exit 0 "$DV" --vault "$V" ingest --case VER-1 --operator tester "$T/card"
log_before=$(! vault_log_is_file "$V" || sha256sum "$V/custody.log" | cut -c1-64)

start_serve
get() { curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" "$BASE$1"; }
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d
for k in sys.argv[2].split("."): v=v.get(k) if isinstance(v,dict) else None
print(json.dumps(v))' "$T/body" "$1"; }
wait_done() {
  for _ in $(seq 600); do
    get /api/verify >/dev/null
    [ "$(field state)" != '"running"' ] && return 0
    sleep 0.1
  done
  return 1
}

check "no token: 401" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/verify")" = 401
check "POST refused" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOK" "$BASE/api/verify")" = 405
check "first GET: 200" test "$(get /api/verify)" = 200
check "first GET starts it" grep -Eq '"state":"(running|done)"' "$T/body"
check "other requests answered meanwhile" test "$(get /api/cases)" = 200
check "verify ends" wait_done
check "state done" test "$(field state)" = '"done"'
check "intact" test "$(field intact)" = true
check "no problems" test "$(field result.problems)" = 0
check "progress reached the total" test "$(field bytes_done)" = "$(field bytes_total)"
check "blobs counted" test "$(field result.blobs)" -gt 0
check "log entries counted" test "$(field result.log_entries)" -ge 2
check "a plain GET reports, does not restart" bash -c "test \"\$(curl -s -H 'Authorization: Bearer $TOK' '$BASE/api/verify' | grep -o '\"started\":\"[^\"]*\"')\" = \"\$(grep -o '\"started\":\"[^\"]*\"' '$T/body')\""

# one blob damaged: the next run says so
blob=$(vault_blob_list "$V" | awk '$2 > 1024000 { print $1; exit }')
check "a big blob found" test -n "$blob"
if [ -n "$blob" ]; then
  vault_blob_flip "$V" "$blob" 70000
  check "again=1 restarts" test "$(get '/api/verify?again=1')" = 200
  check "verify ends again" wait_done
  check "damage found: not intact" test "$(field intact)" = false
  check "damage found: problems" test "$(field result.problems)" -ge 1
  check "a problem message" grep -q '"kind":"problem"' "$T/body"
fi
if vault_log_is_file "$V"; then
  check "custody log unchanged by verify" test "$(sha256sum "$V/custody.log" | cut -c1-64)" = "$log_before"
else
  skip_part "custody log unchanged by verify" "the vault's custody log is not a file"
fi
finish
