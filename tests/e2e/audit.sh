#!/usr/bin/env bash
# dronevault audit end to end on the synthetic capture committed with the
# fuzz seeds (fuzz/corpus/audit_pcap/mixed.pcap, made by
# tests/audit/make_seeds.py): exit codes for leak / clean / inconclusive /
# failure / usage, the JSON document's keys, a policy, an HTML report with
# no external resources, and --case storing the evidence in a vault with the
# verdict in the custody log. Then the peer captures when ../shared exists.
. "$(dirname "$0")/lib/common.sh"

cap=$DV_SOURCE_DIR/fuzz/corpus/audit_pcap/mixed.pcap
expect_exit 4 "$DV" audit "$cap"
check "table names the maker" grep -q 'mydjiflight.dji.com' "$T/last.out"
check "verdict line" grep -q '^verdict: leak' "$T/last.out"

expect_exit 4 "$DV" audit --json --report "$T/r.html" "$cap"
j=$T/last.out
check "top-level verdict" grep -q '^  "verdict": "leak"' "$j"
check "reasons list" grep -q '"reasons": \[' "$j"
check "bytes keys" grep -q '"bytes_out": ' "$j"
check "payload bytes keys" grep -q '"payload_bytes_in": ' "$j"
check "per-flow verdicts" test "$(grep -c '"verdict": ' "$j")" -ge 10
check "QUIC SNI decrypted" grep -q '"sni": "flysafe-api.dji.com"' "$j"
check "ECH flagged" grep -q '"ech"' "$j"
check "coordinates found" grep -q '"kind": "coordinates"' "$j"
check "country from libloc" grep -q '"country": "CN"' "$j"
if command -v python3 >/dev/null; then
  check "JSON parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$j"
fi
check "html written" test -s "$T/r.html"
check "html self-contained" bash -c "! grep -Eiq '(src|href)=\"?(https?:)?//' '$T/r.html'"
check "html has the destinations" grep -q 'mydjiflight.dji.com' "$T/r.html"
# Renders in a headless browser with no network at all (Debian's chromium,
# installed by scripts/install-deps.sh, in a user+network namespace).
browser=$(command -v chromium || true)
if [ -z "$browser" ]; then
  echo "note: chromium missing: the offline rendering check did not run"
elif ! unshare -rn true 2>/dev/null; then
  echo "note: no user namespaces here: the offline rendering check did not run"
else
  timeout 120 unshare -rn "$browser" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$T/chromium" --dump-dom "file://$T/r.html" >"$T/dom.html" 2>/dev/null || true
  check "html renders offline in chromium" grep -q 'Leak audit' "$T/dom.html"
fi

cat >"$T/allow-all.policy" <<'P'
# everything in this synthetic capture is allowed
allow-net 0.0.0.0/0 all IPv4
allow-net ::/0 all IPv6
P
expect_exit 5 "$DV" audit --policy "$T/allow-all.policy" "$cap"   # DoH and ECH still hide names
check "inconclusive reason" grep -q 'DNS over HTTPS' "$T/last.out"
printf 'allow-net 0.0.0.0/0\n' >"$T/v4.policy"
head -c 24 "$cap" >"$T/empty.pcap"
expect_exit 5 "$DV" audit "$T/empty.pcap"                           # no IP traffic: cannot say clean
expect_exit 1 "$DV" audit "$T/does-not-exist.pcap"
printf 'not a capture' >"$T/junk.pcap"
expect_exit 1 "$DV" audit "$T/junk.pcap"
check "error names the file" grep -q 'junk.pcap' "$T/last.err"
printf 'allow-everything\n' >"$T/bad.policy"
expect_exit 1 "$DV" audit --policy "$T/bad.policy" "$cap"
expect_exit 2 "$DV" audit
expect_exit 0 "$DV" audit --help
# a cut capture: still counted, warned
head -c 1500 "$cap" >"$T/cut.pcap"
expect_exit 4 "$DV" audit --json "$T/cut.pcap"
check "cut capture warned" grep -q 'capture damaged or cut' "$T/last.out"

# --case: the capture and the report go into the vault, the verdict into the custody log
V=$T/vault
new_vault "$V"
expect_exit 2 "$DV" --vault "$V" audit --case AUD-1 "$cap"              # --operator is required
expect_exit 4 "$DV" --vault "$V" audit --case AUD-1 --operator tester --json --report "$T/c.html" "$cap"
check "evidence in the JSON" grep -q '"custody_entry": ' "$T/last.out"
check "two files stored" grep -q '"files": 2' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log --case AUD-1
check "custody log has the audit" grep -q 'audit .*verdict=leak' "$T/last.out"
check "custody log has the capture hash" grep -q "$(sha256sum "$cap" | cut -c1-64)" "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify
expect_exit 3 env DRONEVAULT_PASSPHRASE=wrong "$DV" --vault "$V" audit --case AUD-1 --operator tester "$cap"

if [ -n "${DV_SHARED:-}" ] && [ -d "$DV_SHARED/audit/peer-pcaps" ]; then
  P=$DV_SHARED/audit/peer-pcaps
  expect_exit 4 "$DV" audit "$P/android.pcap"
  # "no data links outside the USA": Google and Apple in the US are allowed, nothing else left
  printf 'allow-country US  located in the US\n' >"$T/us.policy"
  expect_exit 0 "$DV" audit --policy "$T/us.policy" "$P/android.pcap"
  printf 'allow-asn AS15169  Google\n' >"$T/google.policy"
  expect_exit 4 "$DV" audit --policy "$T/google.policy" "$P/android.pcap"   # captive.apple.com remains
  check "only Apple left" grep -q '^verdict: leak - 1 external destination' "$T/last.out"
  printf 'allow-country USA\n' >"$T/bad.policy"
  expect_exit 1 "$DV" audit --policy "$T/bad.policy" "$P/android.pcap"
  expect_exit 4 "$DV" audit --json "$P/dns_doh.pcap"
  check "doh flagged" grep -q '"doh"' "$T/last.out"
  expect_exit 0 "$DV" audit "$P/quic-29.pcap"                       # 10.9.0.x only: local
  expect_exit 5 "$DV" audit "$DV_SHARED/audit/pcaps/opendroneid_odid_wifi_sample.pcap"
  # several captures at once, pcapng among them
  expect_exit 4 "$DV" audit --json "$P/dns.pcap" "$P/mqtt.pcap" "$P/weibo.pcap"
  check "three files read" grep -q '"files": 3' "$T/last.out"
fi
finish
