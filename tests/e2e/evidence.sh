#!/usr/bin/env bash
# radio/audit --case: the capture goes into the case (hashed, encrypted) and
# the custody log records what it showed; without --case no vault is needed.
. "$(dirname "$0")/lib/common.sh"

cap=$DV_SOURCE_DIR/fuzz/corpus/radio_odid/capture_radiotap.pcap
V=$T/vault
new_vault "$V"
expect_exit 4 "$DV" radio "$cap"
expect_exit 2 "$DV" --vault "$V" radio --case RID "$cap"
check "--case needs --operator" grep -q 'needs --operator' "$T/last.err"
# the case has its own flight: the broadcast pilot position is measured against it
"$DV" sample-card "$T/card" >/dev/null
expect_exit 0 "$DV" --vault "$V" ingest --case RID --operator 'Insp. Radio' "$T/card"
expect_exit 4 "$DV" --vault "$V" radio --case RID --operator 'Insp. Radio' "$cap"
check "stored message" grep -q 'stored in case RID' "$T/last.err"
check "exposure against the case's flight" grep -q "^CASE RID: the operator position .* m from flight F[0-9]*'s own track" "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log --case RID --json
check "radio entry logged" grep -q '"action":"radio"' "$T/last.out"
check "exposure in the custody entry" grep -q '"exposure_vs_case_flights"' "$T/last.out"
sha=$(sha256sum "$cap" | cut -c1-64)
check "entry names the capture's hash" grep -q "$sha" "$T/last.out"
expect_exit 0 "$DV" --vault "$V" ls --case RID
check "capture listed" grep -q 'capture_radiotap.pcap' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify

# audit of a radio capture reports its Remote ID beside the Internet verdict
code=0
"$DV" audit "$cap" >"$T/a.out" 2>"$T/a.err" || code=$?
check "audit of a radio capture: no IP, not clean (exit $code)" test "$code" -eq 5
check "audit shows the Remote ID broadcast" grep -q 'Remote ID broadcasts in these captures' "$T/a.out"
"$DV" audit --json "$cap" >"$T/a.json" 2>/dev/null || true
check "audit JSON has remote_id" grep -q '"remote_id"' "$T/a.json"
finish
