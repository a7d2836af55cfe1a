#!/usr/bin/env bash
# The case page's findings (issue 15): /api/cases/ID/findings lists the
# case's audit verdicts and Remote ID findings (its audit / radio custody
# entries) and nothing else; another case's findings stay out. The map
# layers' API: photo positions, zones (none before a zones check), coverage.
. "$(dirname "$0")/lib/common.sh"
command -v curl >/dev/null || { echo "curl missing (scripts/install-deps.sh)"; exit 77; }
SP=
trap '[ -n "$SP" ] && kill "$SP" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
cap=$DV_SOURCE_DIR/fuzz/corpus/radio_odid/capture_radiotap.pcap
V=$T/vault
new_vault "$V"
"$DV" sample-card "$T/card" >/dev/null
expect_exit 0 "$DV" --vault "$V" ingest --case FIND-1 --operator 'Insp. Radio' "$T/card"
expect_exit 4 "$DV" --vault "$V" radio --case FIND-1 --operator 'Insp. Radio' "$cap"
code=0
"$DV" --vault "$V" audit --case FIND-1 --operator 'Insp. Audit' "$cap" >"$T/a.out" 2>"$T/a.err" || code=$?
check "audit stored (exit $code)" test "$code" -eq 5 -o "$code" -eq 4 -o "$code" -eq 0
mkdir -p "$T/card2" && head -c 1000 /dev/urandom >"$T/card2/x.bin"
expect_exit 0 "$DV" --vault "$V" ingest --case OTHER --operator tester "$T/card2"

start_serve
get() { curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" "$BASE$1"; }

check "no token: 401" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/cases/1/findings")" = 401
check "findings: 200" test "$(get /api/cases/1/findings)" = 200
python3 - "$T/body" <<'PY' >"$T/f.txt" 2>&1 || true
import json, sys
d = json.load(open(sys.argv[1]))
acts = [e["action"] for e in d["entries"]]
print("case", d["case"]); print("chain_ok", d["chain_ok"]); print("actions", " ".join(acts))
for e in d["entries"]:
    if e["action"] == "audit": print("audit_verdict", e.get("verdict"))
    if e["action"] == "radio": print("radio_exposure", "exposure_vs_case_flights" in e)
PY
check "findings of case FIND-1" grep -qx 'case FIND-1' "$T/f.txt"
check "chain ok" grep -qx 'chain_ok True' "$T/f.txt"
check "radio and audit entries, nothing else" grep -qx 'actions radio audit' "$T/f.txt"
check "audit verdict given" grep -Eq '^audit_verdict [a-z]+' "$T/f.txt"
check "radio exposure given" grep -qx 'radio_exposure True' "$T/f.txt"
check "other case: 200" test "$(get /api/cases/2/findings)" = 200
check "other case: no findings" grep -q '"entries":\[\]' "$T/body"
check "unknown case: 404" test "$(get /api/cases/99/findings)" = 404
check "bad id: 404" test "$(get /api/cases/0/findings)" = 404
# the map layers: photo positions from the index, zones only once a zones check ran
check "photos: 200" test "$(get /api/cases/1/photos)" = 200
check "photos: 12 positions" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["features"]) == 12 and all(f["geometry"]["type"] == "Point" for f in d["features"])' "$T/body"
check "zones before any check: 200" test "$(get /api/cases/1/zones)" = 200
check "zones before any check: none" grep -q '"features":\[\]' "$T/body"
check "coverage of a case without photos: an error" test "$(get /api/cases/2/coverage)" != 200
check "coverage error is JSON" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["error"]' "$T/body"
check "coverage: 200" test "$(get /api/cases/1/coverage)" = 200
check "coverage layers" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert {f["properties"]["layer"] for f in d["features"]} >= {"footprint", "coverage"}' "$T/body"
[ "$failures" -eq 0 ] || sed 's/^/    /' "$T/f.txt" >&2
finish
